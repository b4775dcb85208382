#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# del while fio runs on the device, on the io_uring path (loop) and on the
# BPF path (stripe, when the shim is loaded): del finishes, fio ends (with
# errors), the daemon exits, the device and its pins are gone, the kernel
# log stays clean.
. "$(dirname "$0")/test_common.sh"
_prep_test stress_01

_make_file "$UBLK_TMP/a.img" 64M
_make_file "$UBLK_TMP/b.img" 64M
specs=("add -t loop -q 2 -d 64 --file $UBLK_TMP/a.img")
_shim_loaded && specs+=("load $UBLK_BPF_OBJS/stripe.bpf.o -q 2 -d 64 --file $UBLK_TMP/a.img --file $UBLK_TMP/b.img")
for spec in "${specs[@]}"; do
	# shellcheck disable=SC2086
	_busy_dev $spec
	id=$UBLK_DEV_ID
	timeout 60 "$UBLK_PROG" del -n "$id" || _fail "del under IO failed or hung (${spec%% *})"
	_forget_dev "$id"
	_wait_fio_gone 20 "del (${spec%% *})"
	[ -e /dev/ublkb$id ] && _fail "/dev/ublkb$id exists after del"
	kill -0 "$DAEMON_PID" 2>/dev/null && _fail "daemon $DAEMON_PID still running after del"
	"$UBLK_PROG" list -n "$id" >/dev/null 2>&1 && _fail "device $id still listed"
	_nothing_left "del under IO (${spec%% *})"
done
_check_dmesg
_cleanup_test
exit 0
