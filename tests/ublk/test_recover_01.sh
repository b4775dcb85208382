#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# User recovery on the io_uring path (loop, --reissue): fio writes with
# crc32c while the daemon is killed with kill -9, the device waits QUIESCED,
# `recover` takes it back with a new daemon, and again a second time; fio
# ends with zero errors and verifies every block. Then the same once more
# with the recover itself killed half-way, and a recover that follows.
. "$(dirname "$0")/test_common.sh"
_prep_test recover_01

# _kill_and_recover ID: kill -9 the daemon, see QUIESCED, recover, see LIVE
# under a new pid; prints how long IO waited.
_kill_and_recover() {
	local id=$1 old new start
	old=$(_dev_field "$id" pid)
	start=$(date +%s%N)
	_kill_daemon "$id"
	_recover "$id"
	new=$(_dev_field "$id" pid)
	[ "$new" != "$old" ] && kill -0 "$new" || _fail "device $id: pid $new after recover (was $old)"
	_log "kill -9 of pid $old, recovered by pid $new in $(( ($(date +%s%N) - start) / 1000000 )) ms"
}

_make_file "$UBLK_TMP/a.img" 256M
_new_dev -t loop -q 2 -d 64 --reissue --file "$UBLK_TMP/a.img"
id=$UBLK_DEV_ID
fio --name=recover --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 \
    --rw=randwrite --bs=4k --iodepth=32 --size=256M --verify=crc32c \
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
kill -9 "$(_dev_field "$id" pid)"
_wait_state "$id" QUIESCED 10
"$UBLK_PROG" recover -n "$id" >/dev/null 2>&1 &
rec=$!
sleep 0.05
pkill -9 -f "ublk-bpf (add|load|recover)"
wait $rec
sleep 0.5
st=$(_dev_field "$id" state)
_log "after a killed recover: $st"
[ "$st" = LIVE ] && kill -9 "$(_dev_field "$id" pid)" && _wait_state "$id" QUIESCED 10
out=$("$UBLK_PROG" recover -n "$id") || _fail "recover after a killed recover failed"
_wait_state "$id" LIVE 5
_fio_verify /dev/ublkb$id --size=16M

_del_dev "$id"
_nothing_left "recover"
_check_dmesg
_cleanup_test
exit 0
