#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Backing files on a block device (ext4 on a loop device, as on a server's
# disk, not tmpfs): the program's aios then submit bios from ->queue_rq(),
# which runs inside submit_bio() and inside plug flushes. Buffered writes
# through the page cache and writeback, then read back, and ext4 on the
# device under fsync'd writes. Then files whose extents need the file
# system's tree blocks read from the disk (fragmented, caches cold): the
# device's start reads its partition table through the BPF path, and that
# read must not wait for a bio held back until it returns (it hung).
. "$(dirname "$0")/test_common.sh"
_prep_test bpf_10
_need_shim

mnt=$UBLK_TMP/disk
mkdir -p "$mnt"
_make_file "$UBLK_TMP/disk.img" 192M
modprobe loop 2>/dev/null
loopdev=$(losetup -f --show "$UBLK_TMP/disk.img") || _skip "no loop device"
cleanup_loop() { umount "$mnt" 2>/dev/null; losetup -d "$loopdev" 2>/dev/null; }
mkfs.ext4 -q "$loopdev" && mount "$loopdev" "$mnt" || { cleanup_loop; _fail "ext4 on $loopdev"; }
# Written, not fallocated: writes into unwritten extents would not go
# without blocking and so leave ->queue_rq() for the fallback worker.
for l in a b; do
	dd if=/dev/zero of="$mnt/$l.img" bs=1M count=64 conv=fsync status=none ||
		{ cleanup_loop; _fail "writing $l.img"; }
done

_new_load --require-bpf "$UBLK_BPF_OBJS/stripe.bpf.o" --chunk 64k --file "$mnt/a.img" --file "$mnt/b.img"
id=$UBLK_DEV_ID
head -c 96M /dev/urandom >"$UBLK_TMP/data"
# Buffered: writeback submits in plugged batches and, when it should give
# up the CPU, flushes its plug midway (writeback_sb_inodes()): busy CPUs
# make that frequent.
for _ in 1 2 3; do sh -c 'while :; do :; done' & hogs="${hogs:-} $!"; done
for round in 1 2 3; do
	dd if="$UBLK_TMP/data" of="/dev/ublkb$id" bs=1M status=none || { kill $hogs; cleanup_loop; _fail "buffered write"; }
	sync
	echo 3 >/proc/sys/vm/drop_caches
	cmp -n 96M "$UBLK_TMP/data" "/dev/ublkb$id" ||
		{ kill $hogs; cleanup_loop; _fail "round $round: data read back differs"; }
done
kill $hogs
# A file system on the device under fsync'd random writes: its metadata
# writeback goes through the block device's page cache and plugs as well.
mkfs.ext4 -q "/dev/ublkb$id" && mkdir -p "$UBLK_TMP/fs" && mount "/dev/ublkb$id" "$UBLK_TMP/fs" ||
	{ cleanup_loop; _fail "ext4 on /dev/ublkb$id"; }
fio --name=fs --directory="$UBLK_TMP/fs" --size=32M --bs=4k --rw=randwrite --ioengine=psync \
    --fsync=16 --numjobs=2 --runtime=8 --time_based --output="$UBLK_TMP/fio.log" ||
	{ umount "$UBLK_TMP/fs"; cleanup_loop; _fail "fio on ext4"; }
umount "$UBLK_TMP/fs"
inline=$(_shim_stat "$id" aio_inline)
fallback=$(_shim_stat "$id" aio_fallback)
_log "aios started in ->queue_rq(): $inline, by the fallback worker: $fallback"
[ "${inline:-0}" -gt 100 ] || { cleanup_loop; _fail "only ${inline:-0} aios ran inline: the case is not tested"; }
_del_dev "$id"

# 4 KiB written every 64 KiB of fallocated files (further apart than ext4
# zeroes out to merge): hundreds of extents, an extent tree with blocks on
# disk; a remount leaves none of it cached.
for l in c d; do
	fallocate -l 16M "$mnt/$l.img" || { cleanup_loop; _fail "fallocate $l.img"; }
	fio --name=frag --filename="$mnt/$l.img" --rw=write:60k --bs=4k --size=16M --direct=1 \
	    --ioengine=psync --output=/dev/null || { cleanup_loop; _fail "fragmenting $l.img"; }
done
umount "$mnt" && mount "$loopdev" "$mnt" || { cleanup_loop; _fail "remount"; }
n=$(filefrag -v "$mnt/c.img" | grep -c unwritten)
[ "$n" -gt 100 ] || { cleanup_loop; _fail "c.img has $n unwritten extents, not hundreds"; }
id=$(timeout -k 5 60 "$UBLK_PROG" load --require-bpf "$UBLK_BPF_OBJS/stripe.bpf.o" --chunk 64k \
	--file "$mnt/c.img" --file "$mnt/d.img" | sed -n 's/^dev id //p')
[ -n "$id" ] || { cleanup_loop; _fail "the device over fragmented files did not start"; }
UBLK_DEVS+=("$id")
dd if="/dev/ublkb$id" of=/dev/null bs=1M iflag=direct status=none || { cleanup_loop; _fail "reading it"; }
_del_dev "$id"
cleanup_loop
_check_dmesg
_cleanup_test
exit 0
