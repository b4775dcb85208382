#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A server killed while it holds a queue's only IO: two queues of depth 1,
# a 3 s delay on every IO (fault_inject), one direct write in flight in the
# server, kill -9. The write must fail within a few seconds and the device
# must go away; on Debian's stock 6.12 driver the device wedges instead (the
# write never returns, later control commands and sync block for good).
# The shim fixes it for every device (kfunc-shim/ublk_drv-hooks.patch,
# ublk_abort_dead_queues()); `tests/vm/run.sh --module stock` shows the wedge.
. "$(dirname "$0")/test_common.sh"
_prep_test stress_03

# Two queues of depth 1: the idle queue's command is cancelled and stops the
# device while the other queue's only IO sits in the dead server. One queue
# of depth 1: no command is left in the driver at all.
for shape in "-q 2 -d 1" "-q 1 -d 1"; do
	# shellcheck disable=SC2086
	_new_dev -t fault_inject $shape --delay-us 3000000
	id=$UBLK_DEV_ID
	_wait_part_scan "$id"
	daemon=$("$UBLK_PROG" list -n "$id" --json | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
	[ -n "$daemon" ] || _fail "no daemon pid for device $id"

	dd if=/dev/zero of=/dev/ublkb$id bs=4k count=1 oflag=direct 2>"$UBLK_TMP/dd.log" &
	dd_pid=$!
	sleep 1
	kill -0 $dd_pid 2>/dev/null || _fail "dd ended before the server was killed: $(cat "$UBLK_TMP/dd.log")"
	kill -9 "$daemon"
	start=$(date +%s)
	for ((i = 0; i < 50; i++)); do kill -0 $dd_pid 2>/dev/null || break; sleep 0.2; done
	kill -0 $dd_pid 2>/dev/null &&
		_fail "$shape: the write held by the killed server is still pending 10 s after kill -9 (device wedged)"
	wait $dd_pid && _fail "$shape: the write held by the killed server succeeded"
	_log "$shape: the held write failed $(( $(date +%s) - start )) s after kill -9"
	timeout 20 "$UBLK_PROG" del -n "$id" || _fail "$shape: del after kill -9 failed or hung"
	_forget_dev "$id"
	timeout 10 sync || _fail "$shape: sync hung after the device went away"
	_nothing_left "$shape: kill -9 with the queue's only IO held"
done
_check_dmesg
_cleanup_test
exit 0
