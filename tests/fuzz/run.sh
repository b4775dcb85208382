#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the libFuzzer harnesses .output/fuzz/fuzz_NAME (make fuzz-build):
#   tests/fuzz/run.sh [--seconds N] [--tap] [--fresh] [NAME...]
# each for N seconds (default 300), all by default. A run starts from the
# committed seeds and reproducers (tests/fuzz/corpus/NAME/, read only) and
# the inputs earlier runs found (.output/fuzz/corpus/NAME/, where new ones
# go); a crash, a leak, a sanitizer report or a failed oracle stops the
# harness, which fails, and leaves the input in .output/fuzz/crashes/NAME/.
# --fresh (make check): the inputs of earlier runs are left out and what
# this one finds goes to an emptied .output/fuzz/fresh/NAME/, so that a
# short run replays the few committed inputs only, however long the
# harnesses ran before.
# Logs: .output/fuzz/NAME.log. --tap prints TAP lines fuzz_NAME (make
# check's host tier: host/fuzz_NAME); UBLK_TEST_FILTER narrows them.
set -u
cd "$(dirname "$0")/../.." || exit 1
seconds=300 tap=0 fresh=0
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--tap) tap=1; shift ;;
	--fresh) fresh=1; shift ;;
	*) break ;;
	esac
done
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		n=$(basename "$f" .c); names+=("${n#fuzz_}")
	done
fi
filter=${UBLK_TEST_FILTER:-.}
out=.output/fuzz
# The longest input each takes: a command line, a file, a list of edits.
max_len() {
	case $1 in
	state|devconf) echo 16384 ;;
	btf) echo 128 ;;
	values) echo 64 ;;
	*) echo 4096 ;;
	esac
}
# libbpf's open allocates a struct_ops map's value by its BTF type's size
# (up to 4 GiB) before it checks that size against the section: not a bug
# of ours, nor a crash outside libFuzzer, which calls any malloc over
# -malloc_limit_mb (default: the RSS limit) out of memory.
malloc_limit() {
	case $1 in
	btf) echo 4400 ;;
	*) echo 2048 ;;
	esac
}
# UBSan aborts (built -fno-sanitize-recover=all): say where, in one stack.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
# The harnesses' private folders: what a crash leaves stays in .output.
export TMPDIR=$PWD/$out/tmp
mkdir -p "$TMPDIR"

n=0 failed=0
for name in "${names[@]}"; do
	echo "host/fuzz_$name" | grep -qE "$filter" || continue
	n=$((n + 1))
	bin=$out/fuzz_$name
	work=$out/corpus/$name crashes=$out/crashes/$name log=$out/$name.log
	[ $fresh -eq 1 ] && work=$out/fresh/$name && rm -rf "$work"
	mkdir -p "$work" "$crashes" tests/fuzz/corpus/"$name"
	dict=() && [ -f tests/fuzz/"$name".dict ] && dict=(-dict=tests/fuzz/"$name".dict)
	[ "$name" = devconf ] || [ "$name" = state ] && [ -f tests/fuzz/cli.dict ] &&
		[ ${#dict[@]} -eq 0 ] && dict=(-dict=tests/fuzz/cli.dict)
	start=$(date +%s)
	if [ ! -x "$bin" ]; then
		echo "$bin: not built (make fuzz-build)" >"$log"; rc=1
	else
		# -close_fd_mask=3: the parsers' refusals stay out of the log;
		# libFuzzer's and the sanitizers' reports still go to it.
		# (in braces: bash's own "Aborted" line stays out of the TAP stream)
		{ "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb="$(malloc_limit "$name")" \
			-max_len="$(max_len "$name")" -close_fd_mask=3 -print_final_stats=1 \
			-artifact_prefix="$crashes/" "${dict[@]}" "$work" tests/fuzz/corpus/"$name" \
			>"$log" 2>&1; } 2>/dev/null
		rc=$?
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	corpus=$(find "$work" -type f | wc -l)
	summary="$name: ${runs:-0} runs in $(( $(date +%s) - start ))s (${speed:-0} exec/s), $corpus inputs in $work"
	if [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz oracle failed|.*runtime error)' "$log" | head -5 | sed 's/^/# /'
		art=$(sed -n "s|.*Test unit written to \(.*\)|\1|p" "$log" | tail -1)
		echo "# $name failed (exit $rc): log $log${art:+; reproduce: $bin $art}"
	fi
	if [ $tap -eq 1 ]; then
		echo "$([ $rc -eq 0 ] || echo 'not ')ok $n fuzz_$name # $summary"
	else
		echo "$([ $rc -eq 0 ] && echo '  FUZZ    ' || echo '  FAIL    ')$summary"
	fi
done
[ $failed -eq 0 ]
