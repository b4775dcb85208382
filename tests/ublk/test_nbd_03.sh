#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nbd target, server killed under IO and restarted (the documented
# behaviour): the IOs in flight and those issued while the server is away
# fail with EIO at once (fio ends, nothing hangs), the device stays, and
# once the server is back the next IO reconnects: data written before the
# kill reads back, and fio verify passes on the same device and daemon.
. "$(dirname "$0")/test_common.sh"
. "$(dirname "$0")/nbd_server.sh"
_prep_test nbd_03

img=$UBLK_TMP/export.img
_make_file "$img" 64M
_nbd_start "$img" tcp
_new_dev -t nbd --host 127.0.0.1 --port "$NBD_PORT" --export disk -q 2 -d 32
id=$UBLK_DEV_ID
pid=$("$UBLK_PROG" list -n "$id" --json | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
head -c 4M /dev/urandom >"$UBLK_TMP/pattern"
dd if="$UBLK_TMP/pattern" of=/dev/ublkb$id bs=1M seek=48 oflag=direct conv=fsync status=none ||
	_fail "writing the pattern failed"

fio --name=busy --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 --rw=randrw \
    --bs=4k --iodepth=32 --numjobs=2 --size=32M --runtime=60 --time_based \
    >"$UBLK_TMP/fio.log" 2>&1 &
FIO_PID=$!
sleep 2
kill -0 $FIO_PID || _fail "fio ended early: $(cat "$UBLK_TMP/fio.log")"
_nbd_kill
_wait_fio_gone 20 "the server was killed"
grep -q "Input/output error" "$UBLK_TMP/fio.log" || _fail "fio saw no EIO: $(tail -5 "$UBLK_TMP/fio.log")"
[ -b /dev/ublkb$id ] || _fail "the device went away with the server"
dd if=/dev/ublkb$id of=/dev/null bs=4k count=1 iflag=direct status=none 2>/dev/null &&
	_fail "a read succeeded with the server away"

_nbd_start "$img" tcp
_nbd_wait_serving /dev/ublkb$id
cmp -s "$UBLK_TMP/pattern" <(dd if=/dev/ublkb$id bs=1M skip=48 count=4 iflag=direct status=none) ||
	_fail "data written before the kill does not read back after the restart"
_fio_verify /dev/ublkb$id --size=16M --numjobs=2 --offset_increment=16M ||
	_fail "fio verify after the restart failed"
[ "$("$UBLK_PROG" list -n "$id" --json | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')" = "$pid" ] ||
	_fail "the daemon changed"
_del_dev "$id"
_nbd_kill
_nothing_left "nbd_03"
_check_dmesg
_cleanup_test
exit 0
