#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bmap: a preallocated file on ext4 (on a RAM disk) served on the block
# device under it. fio verify through the BPF path (all IO in the kernel)
# and the io_uring twin; the data lands in the file's own blocks (read back
# through the file system after del and drop_caches); the file is immutable
# while served and not after; files with a hole or unwritten extents are
# refused in one line with nothing left behind.
. "$(dirname "$0")/test_common.sh"
_prep_test bmap_01
_need_shim

mnt=$(mktemp -d /tmp/bmap-mnt.XXXXXX)
cleanup_bmap() {
	mountpoint -q "$mnt" && umount "$mnt"
	rmdir "$mnt"
	modprobe -r brd 2>/dev/null
}
trap 'cleanup_bmap' EXIT
modprobe -r brd 2>/dev/null
modprobe brd rd_nr=1 rd_size=98304 || _skip "no brd module"
mkfs.ext4 -q -F /dev/ram0 || _fail "mkfs.ext4"
mount /dev/ram0 "$mnt" || _fail "mount"
f=$mnt/disk.img
dd if=/dev/zero of="$f" bs=1M count=24 conv=fsync status=none || _fail "dd"

immutable() { lsattr "$1" 2>/dev/null | cut -d' ' -f1 | grep -q i; }

_new_load --require-bpf "$UBLK_BPF_OBJS/bmap.bpf.o" --file "$f"
id=$UBLK_DEV_ID
[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((24 << 20)) ] || _fail "size $(blockdev --getsize64 /dev/ublkb$id)"
immutable "$f" || _fail "$f not immutable while served"
truncate -s 1M "$f" 2>/dev/null && _fail "truncate of a served file succeeded"
rm -f "$f" 2>/dev/null; [ -f "$f" ] || _fail "rm of a served file succeeded"
_fio_verify /dev/ublkb$id --size=16M --bsrange=4k-256k || _fail "fio verify failed"
[ "$(_tgt_stat "$id" redirected)" = 0 ] || _fail "IOs redirected: $(_tgt_stat "$id" redirected)"
[ "$(_tgt_stat "$id" completed_in_kernel)" -gt 0 ] || _fail "no IO completed in the kernel"

# A known pattern through the device lands in the file's blocks.
head -c 24M /dev/urandom >"$UBLK_TMP/pattern"
dd if="$UBLK_TMP/pattern" of=/dev/ublkb$id bs=1M oflag=direct status=none || _fail "dd to device"
_del_dev "$id"
immutable "$f" && _fail "$f still immutable after del"
echo 3 >/proc/sys/vm/drop_caches
cmp "$UBLK_TMP/pattern" "$f" || _fail "the file does not hold what was written to the device"

# The io_uring twin maps the same way.
_new_dev -t bmap --file "$f"
_fio_verify /dev/ublkb$UBLK_DEV_ID --size=16M --bsrange=4k-256k || _fail "twin: fio verify failed"
_del_dev "$UBLK_DEV_ID"

# Files whose blocks are not all written and mapped are refused.
truncate -s 8M "$mnt/sparse.img"
_refused "hole at offset 0" load "$UBLK_BPF_OBJS/bmap.bpf.o" --file "$mnt/sparse.img"
dd if=/dev/zero of="$mnt/holey.img" bs=1M count=2 conv=fsync status=none
truncate -s 8M "$mnt/holey.img"
_refused "hole at offset 2097152" load "$UBLK_BPF_OBJS/bmap.bpf.o" --file "$mnt/holey.img"
fallocate -l 8M "$mnt/falloc.img" || _fail "fallocate"
_refused "unwritten" load "$UBLK_BPF_OBJS/bmap.bpf.o" --file "$mnt/falloc.img"
_refused "is on [a-z0-9]+: only files on ext4 or xfs|file system of type" load "$UBLK_BPF_OBJS/bmap.bpf.o" \
	--file "$UBLK_TMP/pattern"
for g in sparse holey falloc; do
	immutable "$mnt/$g.img" && _fail "refused $g.img left immutable"
done
_check_dmesg
_cleanup_test
exit 0
