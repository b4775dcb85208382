#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mirror target (io_uring path): fio crc32c verify through the device, then
# every leg is byte-identical to what the device returns; a leg that cannot
# take a write (its file system is full) fails the write.
. "$(dirname "$0")/test_common.sh"
_prep_test mirror_01

legs=("$UBLK_TMP/l0.img" "$UBLK_TMP/l1.img" "$UBLK_TMP/l2.img")
for l in "${legs[@]}"; do _make_file "$l" 16M; done
_new_dev -t mirror -q 2 --file "${legs[0]}" --file "${legs[1]}" --file "${legs[2]}"
id=$UBLK_DEV_ID
_fio_verify /dev/ublkb$id --size=16M --bsrange=4k-128k || _fail "fio verify failed"
blkdiscard -o 1M -l 1M /dev/ublkb$id || _fail "discard failed"
sum=$(md5sum </dev/ublkb$id)
_del_dev "$id"
for l in "${legs[@]}"; do
	[ "$(md5sum <"$l")" = "$sum" ] || _fail "leg $l differs from the device"
done

# A leg on a full file system: the write must fail, not vanish.
mkdir "$UBLK_TMP/small"
mount -t tmpfs -o size=1M tmpfs "$UBLK_TMP/small" || _fail "cannot mount a small tmpfs"
_make_file "$UBLK_TMP/small/leg.img" 16M
_new_dev -t mirror --file "${legs[0]}" --file "$UBLK_TMP/small/leg.img"
id=$UBLK_DEV_ID
if dd if=/dev/urandom of=/dev/ublkb$id bs=1M count=4 oflag=direct status=none 2>/dev/null; then
	_fail "a write that one leg could not store succeeded"
fi
_del_dev "$id"
umount "$UBLK_TMP/small"
_check_dmesg
_cleanup_test
exit 0
