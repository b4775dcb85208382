#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Backing files on a block device (ext4 on a loop device, as on a server's
# disk, not tmpfs): the program's aios then submit bios from ->queue_rq(),
# which writeback calls while it flushes its plug. Those bios must not join
# that plug (it was left counting requests it no longer held, and the next
# blk_add_rq_to_plug() oopsed). Buffered writes through the page cache and
# writeback, then read back.
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
cleanup_loop
_check_dmesg
_cleanup_test
exit 0
