#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# User recovery on the io_uring path (loop, --reissue): fio writes with
# crc32c while the daemon is killed with kill -9, the device waits QUIESCED,
# `recover` takes it back with a new daemon, and again a second time; fio
# ends with zero errors and verifies every block. Then the same once more
# with the recover itself killed half-way, and a recover that follows.
. "$(dirname "$0")/test_common.sh"
_prep_test recover_01

_make_file "$UBLK_TMP/a.img" 256M
_new_dev -t loop -q 2 -d 64 --reissue --file "$UBLK_TMP/a.img"
id=$UBLK_DEV_ID
fio --name=recover --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 \
    --rw=randwrite --bs=4k --iodepth=32 --size=256M --verify=crc32c --verify_state_save=0 \
    --verify_fatal=1 >"$UBLK_TMP/fio.log" 2>&1 &
fio_pid=$!
sleep 2
kill -0 $fio_pid || _fail "fio ended before the kill: $(tail -n 5 "$UBLK_TMP/fio.log")"
_kill_and_recover "$id"
sleep 1
_kill_and_recover "$id"
wait $fio_pid || _fail "fio failed across kill -9 and recover: $(grep -E 'err=|verify|error' "$UBLK_TMP/fio.log" | head -n 5)"
grep -q 'err= 0' "$UBLK_TMP/fio.log" || _fail "fio saw errors: $(grep 'err=' "$UBLK_TMP/fio.log")"
_log "fio: $(grep -E '^ *(write|read):' "$UBLK_TMP/fio.log" | tr -s ' ' | tr '\n' ';')"

# A recover killed half-way leaves the device QUIESCED for the next one.
_kill_recover_halfway "$id"
_wait_state "$id" LIVE 5
_fio_verify /dev/ublkb$id --size=16M

_del_dev "$id"
_nothing_left "recover"
_check_dmesg
_cleanup_test
exit 0
