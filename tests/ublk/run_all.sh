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
mapfile -t tests < <(ls test_*_[0-9][0-9].sh | grep -E "${UBLK_TEST_FILTER:-.}")
pass=0 fail=0 skip=0 n=0
echo "TAP version 13"
for t in "${tests[@]}"; do
	n=$((n + 1))
	start=$(date +%s)
	out=$(timeout -k 10 "${UBLK_TEST_TIMEOUT:-300}" bash "./$t" 2>&1)
	rc=$?
	secs=$(( $(date +%s) - start ))
	[ -n "$out" ] && echo "$out" | sed 's/^/# /; s/^# # /# /'
	name=${t%.sh}
	case $rc in
	0) pass=$((pass + 1)); _tap 0 $n "$name" "${secs}s" ;;
	4) skip=$((skip + 1)); _tap 4 $n "$name" ;;
	124|137) fail=$((fail + 1)); _tap 1 $n "$name" "TIMEOUT after ${secs}s" ;;
	*) fail=$((fail + 1)); _tap 1 $n "$name" "exit $rc, ${secs}s" ;;
	esac
done
# The kfunc-shim's own suite (tests/shim), when built: its TAP lines join ours.
shim_suite=../shim/test_shim.sh
if [ -x ../../.output/tests/shim/shim_test ] && [ -f "$shim_suite" ] &&
   { [ -z "${UBLK_TEST_FILTER:-}" ] || echo shim | grep -qE "$UBLK_TEST_FILTER"; }; then
	shim_out=$(mktemp)
	timeout -k 10 1200 bash "$shim_suite" >"$shim_out" 2>&1
	shim_rc=$?
	shim_failed=$fail
	while IFS= read -r line; do
		# Its lines are _tap's too: "[not ]ok N NAME[ # NOTE]".
		rest=${line#not }
		rest=${rest#ok [0-9]* }
		case "$line" in
		"ok "*"# SKIP"*) n=$((n + 1)); skip=$((skip + 1)); echo "ok $n shim_$rest" ;;
		"ok "*) n=$((n + 1)); pass=$((pass + 1)); echo "ok $n shim_$rest" ;;
		"not ok "*) n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n shim_$rest" ;;
		"1.."*|"TAP version"*) ;;
		*) echo "# $line" | sed 's/^# # /# /' ;;
		esac
	done <"$shim_out"
	rm -f "$shim_out"
	# A suite that died or timed out without a failing line still fails.
	if [ $shim_rc -ne 0 ] && [ $shim_rc -ne 4 ] && [ $fail -eq $shim_failed ]; then
		n=$((n + 1)); fail=$((fail + 1))
		_tap "$shim_rc" $n shim_suite
	fi
fi
echo "1..$n"
echo "# vm: $pass passed, $fail failed, $skip skipped"
[ $n -gt 0 ] || { echo "run_all.sh: no test matches '${UBLK_TEST_FILTER:-.}'" >&2; exit 1; }
[ $fail -eq 0 ]
