#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# null target: fio mixed read/write on two queues completes without errors,
# and the device is gone after del.
. "$(dirname "$0")/test_common.sh"
_prep_test null_01

_new_dev -t null -q 2 -d 64 --size 1G
id=$UBLK_DEV_ID
"$UBLK_PROG" list -n "$id" | grep -q "LIVE .* null" || _fail "list does not show a live null device"
fio --name=null --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 \
    --rw=randrw --bs=4k --iodepth=32 --numjobs=2 --runtime=3 --time_based \
    --group_reporting --output="$UBLK_TMP/fio.log" || _fail "fio failed: $(cat "$UBLK_TMP/fio.log")"
grep -q 'err= 0' "$UBLK_TMP/fio.log" || _fail "fio reported errors"
_log "$(grep -E 'read:|write:' "$UBLK_TMP/fio.log" | sed 's/^ *//' | cut -d, -f1 | tr '\n' ' ')"
size=$(blockdev --getsize64 /dev/ublkb$id)
[ "$size" -eq $((1 << 30)) ] || _fail "device size $size, expected 1 GiB"
_del_dev "$id"
_check_dmesg
_cleanup_test
exit 0
