#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the VM tests (test_<group>_<NN>.sh beside this file) as a kselftest-style TAP
# stream, inside the VM:
#   tests/vm/run.sh tests/ublk/run_all.sh                  (our QEMU runner)
#   tests/vm/run.sh --vm vng tests/ublk/run_all.sh        (under virtme-ng)
# UBLK_TEST_FILTER (a grep -E pattern) picks tests by name; each test gets
# UBLK_TEST_TIMEOUT seconds (default 300). Exit 1 when any test failed.
cd "$(dirname "$0")" || exit 1
. ./test_common.sh
. ../lib/tap.sh
mapfile -t tests < <(ls test_*_[0-9][0-9].sh | grep -E "${UBLK_TEST_FILTER:-.}")
tap_start
for t in "${tests[@]}"; do
	start=$(date +%s)
	# Into a file, in a session of its own: a process the test leaves
	# behind can neither hold the suite's pipe open nor outlive the test.
	out_file=$(mktemp) sid_file=$(mktemp)
	timeout -k 10 "${UBLK_TEST_TIMEOUT:-300}" \
		setsid -w bash -c 'echo $$ >"$1"; exec bash "$2"' - "$sid_file" "./$t" \
		>"$out_file" 2>&1 </dev/null
	rc=$?
	[ -s "$sid_file" ] && pkill -9 -s "$(cat "$sid_file")" 2>/dev/null
	rm -f "$sid_file"
	secs=$(( $(date +%s) - start ))
	sed 's/^/# /; s/^# # /# /' "$out_file"
	rm -f "$out_file"
	name=${t%.sh}
	case $rc in
	0) tap_result 0 "$name" "${secs}s" ;;
	4) tap_result 4 "$name" ;;
	124|137) tap_result 1 "$name" "TIMEOUT after ${secs}s" ;;
	*) tap_result $rc "$name" "exit $rc, ${secs}s" ;;
	esac
done
# The kfunc-shim's own suite (tests/shim), when built: its TAP lines join ours.
shim_suite=../shim/test_shim.sh
if [ -x ../../.output/tests/shim/shim_test ] && [ -f "$shim_suite" ] &&
   { [ -z "${UBLK_TEST_FILTER:-}" ] || echo shim | grep -qE "$UBLK_TEST_FILTER"; }; then
	shim_out=$(mktemp)
	timeout -k 10 1200 bash "$shim_suite" >"$shim_out" 2>&1
	shim_rc=$?
	shim_failed=$TAP_FAIL
	tap_merge shim_ <"$shim_out"
	rm -f "$shim_out"
	# A suite that died or timed out without a failing line still fails.
	if [ $shim_rc -ne 0 ] && [ $shim_rc -ne 4 ] && [ $TAP_FAIL -eq $shim_failed ]; then
		tap_result "$shim_rc" shim_suite
	fi
fi
[ $TAP_N -gt 0 ] || { echo "run_all.sh: no test matches '${UBLK_TEST_FILTER:-.}'" >&2; exit 1; }
tap_end "# vm: "
