#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: every test. Host tier first (unit tests, CLI checks that need
# no kernel, the parsers fuzzed briefly), then the VM tier in one boot of the stock Debian 6.12 kernel.
# Prints a TAP line per test and closes with "N passed, N failed, N skipped".
# UBLK_TEST_FILTER (grep -E on test names) narrows both tiers.
set -u
shopt -s lastpipe	# tap_merge at a pipe's end counts in this shell
cd "$(dirname "$0")/.." || exit 1
. tests/lib/tap.sh
filter=${UBLK_TEST_FILTER:-.}

tap_start
for t in .output/tests/unit_*; do
	name=host/$(basename "$t")
	echo "$name" | grep -qE "$filter" || continue
	out=$("$t" 2>&1); rc=$?
	echo "$out" | sed 's/^/# /'
	tap_result $rc "$name"
done
for t in tests/host/test_*.sh; do
	name=host/$(basename "$t" .sh)
	echo "$name" | grep -qE "$filter" || continue
	out=$(bash "$t" 2>&1); rc=$?
	echo "$out" | sed 's/^/# /'
	tap_result $rc "$name"
done

# The parsers under libFuzzer (tests/fuzz/), a short run of each from the
# committed seeds and reproducers only; make fuzz is the long one.
start=$(date +%s)
tests/fuzz/run.sh --tap --fresh --seconds "${UBLK_FUZZ_SECONDS:-8}" | tap_merge host/
echo "# fuzzing took $(( $(date +%s) - start ))s"

echo "# booting the VM for the VM tests"
start=$(date +%s)
vm_n=$TAP_N vm_failed=$TAP_FAIL
tests/vm/run.sh --timeout 2400 tests/ublk/run_all.sh | tap_merge vm/ "# vm| "
vm_rc=${PIPESTATUS[0]}
ran=$((TAP_N - vm_n)) vm_failed=$((TAP_FAIL - vm_failed))
# A VM that broke, or a kernel log with a WARN/BUG, fails on its own line.
if [ "$vm_rc" -ne 0 ] && [ "$ran" -eq 0 ] || [ "$vm_rc" -gt 1 ] ||
   { [ "$vm_rc" -eq 1 ] && [ $vm_failed -eq 0 ]; }; then
	tap_result "$vm_rc" vm/runner "exit $vm_rc: VM run or guest kernel log failed"
fi
echo "# VM tier took $(( $(date +%s) - start ))s"

# The benchmark script still works (a short run; `make bench` is the real one).
if echo bench/smoke | grep -qE "$filter"; then
	out=$(tests/bench/bench.sh --quick 2>&1); rc=$?
	echo "$out" | grep -E '^\|' | sed 's/^/# /'
	# Every group measured on all three paths.
	rows=$(echo "$out" | grep -cE '^\| (null|loop|stripe|mirror|bmap) \| randread4k_qd32 \| [0-9]+ .*\| [0-9]+ .*\| [0-9]+ ')
	[ $rc -eq 0 ] && [ "$rows" -ne 5 ] && rc=1
	tap_result $rc bench/smoke
fi
tap_end
