#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A server that dies holding IO must not wedge the device, whatever the
# server does: the kernel's test_generic_06 with kublk (the kernel's selftest
# server, built into .output/kublk by tests/bench/kublk_vs.sh, or KUBLK=PATH)
# as the server: `add -t fault_inject -q 2 -d 1 --delay_us 2000000`, a 4k
# direct read, kill -9 of the server. kublk's fault_inject hands
# IORING_OP_TIMEOUT a timespec on its stack that is gone by the time the
# ring is submitted, so the delay is whatever the stack holds next: the
# first read of the partition scan is never completed. The scan runs after
# START_DEV returns (backport 0105), so `kublk add` returns; once the server
# is killed (kill -9) the driver must fail what it held, remove the disk
# within a few seconds (the selftest allows 5), not the block time-out's 30,
# and let `kublk del` delete the device, with no task left in D state.
. "$(dirname "$0")/test_common.sh"
_prep_test kublk_02

KUBLK=${KUBLK:-$UBLK_REPO/.output/kublk/kublk}
[ -x "$KUBLK" ] || _skip "no kublk at $KUBLK (tests/bench/kublk_vs.sh builds it)"
LIMIT=${KUBLK_02_LIMIT:-10}

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

# `kublk add` returns once START_DEV has: the held scan read must not block it
timeout 20 "$KUBLK" add -t fault_inject -q 2 -d 1 --delay_us 2000000 >"$UBLK_TMP/add.log" 2>&1
rc=$?
[ $rc -eq 124 ] && _fail "kublk add did not return in 20 s (START_DEV waits on the held partition read); D: $(d_tasks | head -n 3)"
[ $rc -eq 0 ] || _fail "kublk add: exit $rc: $(cat "$UBLK_TMP/add.log")"
disk=$(ls /sys/block | grep '^ublkb' | head -n 1)
[ -n "$disk" ] || _fail "kublk add made no disk: $(cat "$UBLK_TMP/add.log")"
id=${disk#ublkb}
_wait_until 10 held "$disk" || _log "no IO held on $disk: this kublk's delay works"
dd if="/dev/$disk" of=/dev/null bs=4k count=1 iflag=direct status=none 2>/dev/null &
dd_pid=$!
daemon=$(pgrep -f "kublk add" | sort -n | tail -n 1)
[ -n "$daemon" ] || _fail "no kublk daemon"
sleep 1
_log "$disk: $(inflight "$disk") IO held by kublk ($daemon); kill -9"
start=$(date +%s)
kill -9 "$daemon"
_wait_until "$LIMIT" gone "$disk" ||
	_fail "$disk still there $LIMIT s after kill -9 of its server; D: $(d_tasks | head -n 3)"
_log "$disk gone $(( $(date +%s) - start )) s after the kill"
_wait_until 10 eval "! kill -0 $dd_pid 2>/dev/null" || _fail "dd still waits after the disk went"
timeout "$LIMIT" "$KUBLK" del -n "$id" >/dev/null 2>&1
[ $? -eq 124 ] && _fail "kublk del -n $id hangs; D: $(d_tasks | head -n 3)"
_wait_until 10 eval "[ ! -e /dev/ublkc$id ]" || _fail "/dev/ublkc$id left after kublk del"
[ -z "$(d_tasks)" ] || _fail "tasks left in D state: $(d_tasks | head -n 3)"
_check_dmesg
_cleanup_test
exit 0
