#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nbd target against a server that stalls (nbd_hostile.py: takes requests,
# never replies): with --timeout 3 an IO fails with EIO within the
# deadline (not never), the connection is dropped and the next IO
# reconnects, on a thread of its own: a reconnect that meets a trickled
# handshake does not hold the IOs waiting for it past their deadline; once
# the server answers again the device serves (data written before reads
# back). A stalled device with IO in flight ends in bounded time, by `del`
# and by SIGTERM to its daemon, also when the server stops reading (the
# daemon's sendmsg blocked); the kernel reports no hung task (its check
# shortened to 10 s meanwhile).
. "$(dirname "$0")/test_common.sh"
. "$(dirname "$0")/nbd_server.sh"
_prep_test nbd_05

ms() { echo $(( $(date +%s%N) / 1000000 )); }
hung=/proc/sys/kernel/hung_task_timeout_secs
old_hung=$(cat $hung 2>/dev/null)
[ -n "$old_hung" ] && echo 10 >$hung
restore_hung() { [ -n "$old_hung" ] && echo "$old_hung" >$hung; }
# in_flight ID: the device has IO in flight (that the stalled server holds).
in_flight() { [ "$(awk '{print $1 + $2}' /sys/block/ublkb$1/inflight)" -gt 0 ]; }
trap '_nbd_kill; _hostile_kill; restore_hung' EXIT

stall=$UBLK_TMP/stall
trickle=$UBLK_TMP/trickle
_hostile_start --size $((64 << 20)) --stall-file "$stall" --trickle-file "$trickle"
_new_dev -t nbd --unix "$HOSTILE_SOCK" --timeout 3 -d 16
id=$UBLK_DEV_ID
head -c 1M /dev/urandom >"$UBLK_TMP/pattern"
dd if="$UBLK_TMP/pattern" of=/dev/ublkb$id bs=1M seek=8 oflag=direct conv=fsync status=none ||
	_fail "writing the pattern failed"

# Stalled: a read and a write each fail with EIO within the deadline.
touch "$stall"
for what in read write; do
	sleep 1.5	# past the second after a failure, when IOs fail at once
	t0=$(ms)
	if [ $what = read ]; then
		dd if=/dev/ublkb$id of=/dev/null bs=4k count=1 iflag=direct status=none 2>"$UBLK_TMP/dd.err"
	else
		dd if=/dev/zero of=/dev/ublkb$id bs=4k count=1 oflag=direct status=none 2>"$UBLK_TMP/dd.err"
	fi
	rc=$?
	t0=$(( $(ms) - t0 ))
	_log "a $what from a stalled server failed after $t0 ms: $(cat "$UBLK_TMP/dd.err")"
	[ $rc -ne 0 ] || _fail "a $what succeeded from a stalled server"
	grep -q "Input/output error" "$UBLK_TMP/dd.err" || _fail "the $what did not fail with EIO"
	[ "$t0" -ge 2500 ] && [ "$t0" -le 8000 ] || _fail "the $what failed after $t0 ms, not about 3 s"
done

# The reconnect meets a server that trickles its handshake (10 s of
# deadline): it runs on a thread of its own, the IOs waiting for it fail at
# their own deadline.
touch "$trickle"
rm -f "$stall"
sleep 1.5
for i in 1 2; do
	t0=$(ms)
	dd if=/dev/ublkb$id of=/dev/null bs=4k count=1 iflag=direct status=none 2>/dev/null &&
		_fail "a read succeeded while the reconnect trickles"
	t0=$(( $(ms) - t0 ))
	_log "a read waiting for a trickled reconnect failed after $t0 ms"
	[ "$t0" -ge 2500 ] && [ "$t0" -le 8000 ] || _fail "the read failed after $t0 ms, not about 3 s"
done

# The server answers again: the next IO reconnects, the data is there.
rm -f "$trickle"
sleep 8		# the trickled handshake gives up
_nbd_wait_serving /dev/ublkb$id
cmp -s "$UBLK_TMP/pattern" <(dd if=/dev/ublkb$id bs=1M skip=8 count=1 iflag=direct status=none) ||
	_fail "the data does not read back after the server answered again"

# del of a stalled device with IO in flight: bounded by the deadline.
touch "$stall"
fio --name=stalled --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 --rw=randrw \
    --bs=4k --iodepth=16 --numjobs=2 --runtime=60 --time_based >"$UBLK_TMP/fio.log" 2>&1 &
FIO_PID=$!
_wait_until 20 in_flight "$id" || _fail "no IO in flight on the stalled device"
sleep 0.5
t0=$(ms)
"$UBLK_PROG" del -n "$id" || _fail "del of a stalled device failed"
t0=$(( $(ms) - t0 ))
_forget_dev "$id"
_log "del of a stalled device with IO in flight took $t0 ms"
[ "$t0" -le 10000 ] || _fail "del took $t0 ms"
_wait_fio_gone 10 "del"
[ ! -e /dev/ublkb$id ] || _fail "the device is still there after del"
_hostile_kill

# SIGTERM, the server not even reading: the daemon's sendmsg is stuck too.
rm -f "$stall"
_hostile_start --size $((64 << 20)) --stall-file "$stall" --no-read
_new_dev -t nbd --unix "$HOSTILE_SOCK" --timeout 3 -d 16
id=$UBLK_DEV_ID
pid=$(_dev_field "$id" pid)
touch "$stall"
fio --name=stalled --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 --rw=write \
    --bs=512k --iodepth=16 --runtime=60 --time_based >"$UBLK_TMP/fio.log" 2>&1 &
FIO_PID=$!
_wait_until 20 in_flight "$id" || _fail "no IO in flight on the stalled device"
sleep 0.5
t0=$(ms)
kill -TERM "$pid"
for i in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
t0=$(( $(ms) - t0 ))
kill -0 "$pid" 2>/dev/null && _fail "the daemon still runs $t0 ms after SIGTERM"
_forget_dev "$id"
_log "SIGTERM ended a stalled device (its sends blocked) in $t0 ms"
[ "$t0" -le 10000 ] || _fail "SIGTERM took $t0 ms"
_wait_fio_gone 10 "SIGTERM"
_wait_until 5 test ! -e /dev/ublkb$id || _fail "the device is still there after SIGTERM"
_hostile_kill
_nothing_left "nbd_05"
restore_hung
_check_dmesg
_cleanup_test
exit 0
