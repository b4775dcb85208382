#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# del while fio runs on the device: del finishes, fio ends (with errors),
# the daemon exits, the device is gone, and the kernel log stays clean.
. "$(dirname "$0")/test_common.sh"
_prep_test stress_01

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
kill -0 $fio_pid || _fail "fio ended before del: $(cat "$UBLK_TMP/fio.log")"
timeout 60 "$UBLK_PROG" del -n "$id" || _fail "del under IO failed or hung"
UBLK_DEVS=()
for i in $(seq 100); do kill -0 $fio_pid 2>/dev/null || break; sleep 0.2; done
kill -0 $fio_pid 2>/dev/null && { kill -9 $fio_pid; _fail "fio still running 20 s after del"; }
wait $fio_pid
[ -e /dev/ublkb$id ] && _fail "/dev/ublkb$id exists after del"
kill -0 "$pid" 2>/dev/null && _fail "daemon $pid still running after del"
"$UBLK_PROG" list -n "$id" >/dev/null 2>&1 && _fail "device $id still listed"
_check_dmesg
_cleanup_test
exit 0
