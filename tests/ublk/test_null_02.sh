#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# null target at the limits: 4 queues (or one per CPU) of depth 1024 under
# fio QD 256, and
# devices with chosen ids listed in order.
. "$(dirname "$0")/test_common.sh"
_prep_test null_02

_new_dev -t null -n 5 -q 4 -d 1024
[ "$UBLK_DEV_ID" -eq 5 ] || _fail "asked for id 5, got $UBLK_DEV_ID"
fio --name=deep --filename=/dev/ublkb5 --ioengine=io_uring --direct=1 \
    --rw=randread --bs=4k --iodepth=256 --numjobs=2 --runtime=3 --time_based \
    --group_reporting --output="$UBLK_TMP/fio.log" || _fail "fio failed"
grep -q 'err= 0' "$UBLK_TMP/fio.log" || _fail "fio reported errors"
_new_dev -t null -n 3
ids=$("$UBLK_PROG" list | awk 'NR > 1 {print $1}' | tr '\n' ' ')
[ "$ids" = "3 5 " ] || _fail "list shows ids '$ids', expected '3 5 '"
# The driver gives at most one queue per CPU.
queues=$(( $(nproc) < 4 ? $(nproc) : 4 ))
"$UBLK_PROG" list -n 5 | grep -qE "^5 +LIVE +$queues +1024 " || _fail "list -n 5: $("$UBLK_PROG" list -n 5)"
"$UBLK_PROG" del -a || _fail "del -a failed"
UBLK_DEVS=()
ls /dev/ublkb* >/dev/null 2>&1 && _fail "devices left after del -a: $(ls /dev/ublkb*)"
_check_dmesg
_cleanup_test
exit 0
