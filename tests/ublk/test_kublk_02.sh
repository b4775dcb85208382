#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A server that dies holding IO must not wedge the device, whatever the
# server does. kublk (the kernel's selftest server, built into .output/kublk
# by tests/bench/kublk_vs.sh, or KUBLK=PATH) as test_generic_06 runs it:
# `add -t fault_inject -q 2 -d 1 --delay_us 2000000`. Its fault_inject hands
# IORING_OP_TIMEOUT a timespec on its stack that is gone by the time the
# ring is submitted, so the delay is whatever the stack holds next: the first
# read of START_DEV's partition scan is never completed, START_DEV never
# returns, and `kublk add` waits for ever (the 150 s time-out of the
# selftest; ublk-bpf's fault_inject keeps the timespec with the device and
# passes). With that read held by a live server the device rightly waits;
# once the server is killed (kill -9) the driver must fail the read, end
# START_DEV, remove the disk and let `kublk del` delete the device, with
# no task left in D state -- whichever queue holds the read (each queue has
# one tag, so the cancel of the server's commands never sees that queue).
. "$(dirname "$0")/test_common.sh"
_prep_test kublk_02

KUBLK=${KUBLK:-$UBLK_REPO/.output/kublk/kublk}
[ -x "$KUBLK" ] || _skip "no kublk at $KUBLK (tests/bench/kublk_vs.sh builds it)"
LIMIT=${KUBLK_02_LIMIT:-45}

# d_tasks: tasks in uninterruptible sleep, with their kernel stacks.
d_tasks() {
	local t
	for t in /proc/[0-9]*; do
		grep -q '^State:.*D' "$t/status" 2>/dev/null || continue
		echo "$(cat "$t/comm") $(basename "$t"): $(tr '\n' ' ' <"$t/stack" 2>/dev/null | cut -c1-300)"
	done
}
inflight() { awk '{ print $1 + $2 }' "/sys/block/$1/inflight" 2>/dev/null; }
held() { [ "$(inflight "$1")" -gt 0 ] 2>/dev/null; }
gone() { [ ! -e "/sys/block/$1" ]; }

"$KUBLK" add -t fault_inject -q 2 -d 1 --delay_us 2000000 >"$UBLK_TMP/add.log" 2>&1 &
add=$!
_wait_until 30 eval 'ls /sys/block | grep -q "^ublkb"' || _fail "kublk add made no disk: $(cat "$UBLK_TMP/add.log")"
disk=$(ls /sys/block | grep '^ublkb' | head -n 1)
_wait_until 30 held "$disk" || _fail "no IO in flight on $disk"
sleep 3
held "$disk" || _log "the read on $disk was completed: this kublk's delay works"
daemon=$(pgrep -f "kublk add" | grep -vx "$add" | sort -n | tail -n 1)
[ -n "$daemon" ] || _fail "no kublk daemon"
_log "$disk: $(inflight "$disk") IO held by kublk ($daemon) during START_DEV; kill -9"
start=$(date +%s)
kill -9 "$daemon"
_wait_until "$LIMIT" gone "$disk" ||
	_fail "$disk still there $LIMIT s after kill -9 of its server; D: $(d_tasks | head -n 3)"
_log "$disk gone $(( $(date +%s) - start )) s after the kill"
kill "$add" 2>/dev/null	# kublk's foreground waits for the dead daemon's word
id=${disk#ublkb}
timeout "$LIMIT" "$KUBLK" del -n "$id" >/dev/null 2>&1
[ $? -eq 124 ] && _fail "kublk del -n $id hangs; D: $(d_tasks | head -n 3)"
_wait_until 10 eval "[ ! -e /dev/ublkc$id ]" || _fail "/dev/ublkc$id left after kublk del"
[ -z "$(d_tasks)" ] || _fail "tasks left in D state: $(d_tasks | head -n 3)"
_check_dmesg
_cleanup_test
exit 0
