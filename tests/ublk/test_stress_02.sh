#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kill -9 of the server while fio runs: the device goes away or is DEAD,
# fio ends, del finishes, nothing hangs, the kernel log stays clean.
. "$(dirname "$0")/test_common.sh"
_prep_test stress_02

_make_file "$UBLK_TMP/backing.img" 64M
_new_dev -t loop -q 2 -d 64 --file "$UBLK_TMP/backing.img"
id=$UBLK_DEV_ID
pid=$("$UBLK_PROG" list -n "$id" --json | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
[ -n "$pid" ] && kill -0 "$pid" || _fail "no daemon pid for device $id"

fio --name=busy --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 \
    --rw=randrw --bs=4k --iodepth=64 --numjobs=2 --runtime=60 --time_based \
    >"$UBLK_TMP/fio.log" 2>&1 &
fio_pid=$!
sleep 2
kill -9 "$pid"
killed=$(date +%s)
for i in $(seq 300); do kill -0 $fio_pid 2>/dev/null || break; sleep 0.2; done
kill -0 $fio_pid 2>/dev/null && { kill -9 $fio_pid; _fail "fio still running 60 s after kill -9 of the server"; }
wait $fio_pid
_log "fio ended $(( $(date +%s) - killed )) s after kill -9"
state=$("$UBLK_PROG" list -n "$id" --json 2>/dev/null | sed -n 's/.*"state":"\([A-Z]*\)".*/\1/p')
_log "state after kill -9: ${state:-gone}"
[ -z "$state" ] || [ "$state" = DEAD ] || _fail "device state $state after its server died"
timeout 60 "$UBLK_PROG" del -n "$id" || _fail "del after kill -9 failed or hung"
UBLK_DEVS=()
[ -e /dev/ublkb$id ] && _fail "/dev/ublkb$id exists after del"
_check_dmesg
_cleanup_test
exit 0
