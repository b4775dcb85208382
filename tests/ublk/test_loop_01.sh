#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# loop target: random writes checked with crc32c, then the backing file,
# read directly, holds what the device holds.
. "$(dirname "$0")/test_common.sh"
_prep_test loop_01

_make_file "$UBLK_TMP/backing.img" 64M
_new_dev -t loop -q 2 -d 32 --file "$UBLK_TMP/backing.img"
id=$UBLK_DEV_ID
size=$(blockdev --getsize64 /dev/ublkb$id)
[ "$size" -eq $((64 << 20)) ] || _fail "device size $size, expected the file's 64 MiB"
_fio_verify /dev/ublkb$id || _fail "fio verify failed"
_log "$(grep -E 'write:' "$UBLK_TMP/fio.log" | sed 's/^ *//' | cut -d, -f1)"
dev_sum=$(md5sum </dev/ublkb$id)
_del_dev "$id"
file_sum=$(md5sum <"$UBLK_TMP/backing.img")
[ "$dev_sum" = "$file_sum" ] || _fail "backing file differs from what the device returned"
_check_dmesg
_cleanup_test
exit 0
