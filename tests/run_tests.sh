#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: every test. Host tier first (unit tests, CLI checks that need
# no kernel), then the VM tier in one boot of the stock Debian 6.12 kernel.
# Prints a TAP line per test and closes with "N passed, N failed, N skipped".
# UBLK_TEST_FILTER (grep -E on test names) narrows both tiers.
set -u
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0 n=0
filter=${UBLK_TEST_FILTER:-.}

tap() {	# tap RC NAME [NOTE]
	n=$((n + 1))
	case $1 in
	0) pass=$((pass + 1)); echo "ok $n $2${3:+ # $3}" ;;
	4) skip=$((skip + 1)); echo "ok $n $2 # SKIP${3:+ $3}" ;;
	*) fail=$((fail + 1)); echo "not ok $n $2 # exit $1${3:+, $3}" ;;
	esac
}

echo "TAP version 13"
for t in .output/tests/unit_*; do
	name=host/$(basename "$t")
	echo "$name" | grep -qE "$filter" || continue
	out=$("$t" 2>&1); rc=$?
	echo "$out" | sed 's/^/# /'
	tap $rc "$name"
done
for t in tests/host/test_*.sh; do
	name=host/$(basename "$t" .sh)
	echo "$name" | grep -qE "$filter" || continue
	out=$(bash "$t" 2>&1); rc=$?
	echo "$out" | sed 's/^/# /'
	tap $rc "$name"
done

echo "# booting the VM for the VM tests"
start=$(date +%s)
vm_out=$(mktemp)
tests/vm/run.sh --timeout 2400 tests/ublk/run_all.sh | tee "$vm_out" | sed 's/^/# vm| /'
vm_rc=${PIPESTATUS[0]}
while read -r line; do
	case "$line" in
	"not ok "*) tap 1 "vm/$(echo "$line" | awk '{print $4}')" ;;
	"ok "*"# SKIP"*) tap 4 "vm/$(echo "$line" | awk '{print $3}')" ;;
	"ok "*) tap 0 "vm/$(echo "$line" | awk '{print $3}')" ;;
	esac
done <"$vm_out"
ran=$(grep -cE '^(not )?ok ' "$vm_out")
rm -f "$vm_out"
# A VM that broke, or a kernel log with a WARN/BUG, fails on its own line.
if [ "$vm_rc" -ne 0 ] && [ "$ran" -eq 0 ] || [ "$vm_rc" -gt 1 ] ||
   { [ "$vm_rc" -eq 1 ] && [ $fail -eq 0 ]; }; then
	tap "$vm_rc" vm/runner "VM run or guest kernel log failed"
fi
echo "# VM tier took $(( $(date +%s) - start ))s"

# The benchmark script still works (a short run; `make bench` is the real one).
if echo bench/smoke | grep -qE "$filter"; then
	out=$(tests/bench/bench.sh --quick 2>&1); rc=$?
	echo "$out" | grep -E '^\|' | sed 's/^/# /'
	# Every group measured on all three paths.
	rows=$(echo "$out" | grep -cE '^\| (null|loop|stripe|mirror|bmap) \| randread4k_qd32 \| [0-9]+ .*\| [0-9]+ .*\| [0-9]+ ')
	[ $rc -eq 0 ] && [ "$rows" -ne 5 ] && rc=1
	tap $rc bench/smoke
fi
echo "1..$n"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
