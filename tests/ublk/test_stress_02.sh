#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kill -9 of the server while fio runs, on the io_uring path (loop) and on
# the BPF path (loop, when the shim is loaded; --no-recovery, as load's
# default keeps the device: test_recover_05): the device goes away or is
# DEAD, fio ends, del finishes and removes everything, nothing hangs, the
# kernel log stays clean.
. "$(dirname "$0")/test_common.sh"
_prep_test stress_02

_make_file "$UBLK_TMP/a.img" 64M
specs=("add -t loop -q 2 -d 64 --file $UBLK_TMP/a.img")
_shim_loaded && specs+=("load $UBLK_BPF_OBJS/loop.bpf.o --no-recovery -q 2 -d 64 --file $UBLK_TMP/a.img")
for spec in "${specs[@]}"; do
	# shellcheck disable=SC2086
	_busy_dev $spec
	id=$UBLK_DEV_ID
	kill -9 "$DAEMON_PID"
	_wait_fio_gone 60 "kill -9 of the server (${spec%% *})"
	state=$("$UBLK_PROG" list -n "$id" --json 2>/dev/null | sed -n 's/.*"state":"\([A-Z]*\)".*/\1/p')
	_log "state after kill -9: ${state:-gone}"
	[ -z "$state" ] || [ "$state" = DEAD ] || _fail "device state $state after its server died"
	# An orphan says so, and what is left to do.
	[ -z "$state" ] || "$UBLK_PROG" list -n "$id" |
		grep -q "DEAD .* none .*no daemon, not recoverable: ublk-bpf del -n $id removes it" ||
		_fail "list does not call the orphan one: $("$UBLK_PROG" list -n "$id")"
	timeout 60 "$UBLK_PROG" del -n "$id" || _fail "del after kill -9 failed or hung"
	_forget_dev "$id"
	[ -e /dev/ublkb$id ] && _fail "/dev/ublkb$id exists after del"
	_nothing_left "kill -9 (${spec%% *})"
done
_check_dmesg
_cleanup_test
exit 0
