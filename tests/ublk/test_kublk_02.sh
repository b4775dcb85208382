#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A server that dies holding IO must not wedge the device, whatever the
# server: kublk (the kernel's selftest server, built into .output/kublk by
# tests/bench/kublk_vs.sh or KUBLK=PATH) serves fault_inject with one tag per
# queue and a 2 s delay, so every IO it takes sits in the server; it is then
# killed with kill -9 while a direct write waits on it. The driver must fail
# that write and remove the disk within a bounded time, and kublk's own
# `del` must then finish. Three shapes: the write on one queue (the other
# queue's command is still in the driver), a write on each queue (no
# command left in the driver for the cancel path to find), and buffered
# writes through the page cache.
. "$(dirname "$0")/test_common.sh"
_prep_test kublk_02

KUBLK=${KUBLK:-$UBLK_REPO/.output/kublk/kublk}
[ -x "$KUBLK" ] || _skip "no kublk at $KUBLK (tests/bench/kublk_vs.sh builds it)"
LIMIT=${KUBLK_02_LIMIT:-20}

k_add() {	# prints the new id
	local out
	# Each IO takes the delay, the partition scan at START_DEV too.
	out=$(timeout 150 "$KUBLK" add "$@" 2>&1) || { echo "# kublk add $*: $out" >&2; return 1; }
	echo "$out" | grep "dev id" | awk -F '[ :]' '{print $3}'
}
k_pid() { timeout 10 "$KUBLK" list -n "$1" 2>/dev/null | grep "pid" | awk '{print $7}'; }
gone() { [ ! -e "/dev/ublkb$1" ]; }
# procs_gone PID...: none of PIDS is still running.
procs_gone() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }

# dump_hung: what a wedged teardown waits on, for the log of a failure.
dump_hung() {
	local t
	for t in /proc/[0-9]*; do
		grep -q '^State:.*D' "$t/status" 2>/dev/null || continue
		echo "# D: $(cat "$t/comm") $(basename "$t"): $(tr '\n' ' ' <"$t/stack" 2>/dev/null | cut -c1-400)"
	done
}

# shape NAME WRITERS...: a device, a writer per CPU listed ("b" for a
# buffered one on CPU 0), kill -9 of kublk, then the checks.
shape() {
	local name=$1 id pid start w cpu pids=() secs
	shift
	start=$(date +%s)
	id=$(k_add -t fault_inject -q 2 -d 1 --delay_us 2000000) && [ -b "/dev/ublkb$id" ] ||
		_fail "$name: kublk add"
	_log "$name: kublk add took $(( $(date +%s) - start )) s"
	pid=$(k_pid "$id")
	[ -n "$pid" ] && kill -0 "$pid" || _fail "$name: no kublk daemon for device $id"
	for w in "$@"; do
		if [ "$w" = b ]; then
			taskset -c 0 dd if=/dev/zero of="/dev/ublkb$id" bs=64k count=64 \
				status=none 2>/dev/null &
		else
			cpu=$w
			taskset -c "$cpu" dd if=/dev/zero of="/dev/ublkb$id" bs=4k count=4 \
				oflag=direct status=none 2>/dev/null &
		fi
		pids+=($!)
	done
	sleep 1	# the writes reach the server, which sits on them for 2 s
	start=$(date +%s)
	kill -9 "$pid"
	_wait_until "$LIMIT" procs_gone "${pids[@]}" ||
		{ dump_hung; _fail "$name: the writes still wait $LIMIT s after kill -9 of kublk"; }
	_wait_until "$LIMIT" gone "$id" ||
		{ dump_hung; _fail "$name: /dev/ublkb$id still there $LIMIT s after kill -9 of kublk"; }
	secs=$(( $(date +%s) - start ))
	timeout "$LIMIT" "$KUBLK" del -n "$id" >/dev/null 2>&1
	[ $? -eq 124 ] && { dump_hung; _fail "$name: kublk del -n $id hangs"; }
	_wait_until 5 eval "[ ! -e /dev/ublkc$id ]" || _fail "$name: /dev/ublkc$id left"
	_log "$name: writes failed and ublkb$id went away ${secs} s after kill -9"
}

shape "one queue" 0
shape "both queues" 0 1
shape "buffered" b
_check_dmesg
_cleanup_test
exit 0
