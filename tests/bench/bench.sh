#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: bench_vm.sh in one VM boot per mode, then the tables
# (report.sh) into .output/bench/report.{md,json}. Modes:
#   icount  QEMU's instruction-count clock, 1 vCPU: guest ns per IO is
#           instructions per IO (the primary figure), with context switches
#           and interrupts per IO
#   tcg     TCG wall clock, 1 vCPU: throughput when fio, the server and the
#           kernel share one CPU
#   tcg2    TCG wall clock, 2 vCPUs: the server gets a spare core; CPU time
#           per IO says what it cost
#   BENCH_MODES="icount tcg tcg2"   which modes
#   BENCH_WINDOW_MS, BENCH_REPS, BENCH_GROUPS, BENCH_JOBS   see bench_vm.sh
#   --quick      a smoke run: one short job per group, tcg only
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.output/bench
mkdir -p "$out"
if [ "${1:-}" = --quick ]; then
	export BENCH_MODES=tcg BENCH_WINDOW_MS=500 BENCH_REPS=1 BENCH_JOBS=randread4k_qd32
	export BENCH_FILE_SIZE=64M
	out=.output/bench/quick
	mkdir -p "$out"
fi
. "${UBLK_BPF_CACHE:-$HOME/.cache/ublk-bpf}/current.env"
echo "$UBLK_KABI" >"$out/kernel-version"
args=()
for mode in ${BENCH_MODES:-icount tcg tcg2}; do
	echo "# bench: mode $mode" >&2
	(	# (a subshell: one mode's settings do not leak into the next)
		flags=(--smp 1)
		# About 25 minutes in all on a 2-core host: icount ~10, tcg ~10, tcg2 ~4.
		case $mode in
		icount)
			flags+=(--icount)
			# Guest time is instructions: a short window holds enough IOs,
			# and one repetition repeats to within a few percent.
			export BENCH_WINDOW_MS=${BENCH_ICOUNT_WINDOW_MS:-500}
			export BENCH_REPS=${BENCH_ICOUNT_REPS:-1} ;;
		tcg)
			export BENCH_WINDOW_MS=${BENCH_WINDOW_MS:-1000} BENCH_REPS=${BENCH_REPS:-2} ;;
		tcg2)
			flags=(--smp 2)
			export BENCH_JOBS=${BENCH_TCG2_JOBS:-randread4k_qd1 randread4k_qd32 randwrite4k_qd1 randwrite4k_qd32}
			export BENCH_WINDOW_MS=${BENCH_WINDOW_MS:-1000} BENCH_REPS=${BENCH_TCG2_REPS:-1} ;;
		esac
		tests/vm/run.sh "${flags[@]}" --module shim --timeout 3000 \
			tests/bench/bench_vm.sh "$PWD/$out/$mode.jsonl" >&2
	)
	args+=("$mode:$out/$mode.jsonl")
done
tests/bench/report.sh "$out/report" "${args[@]}"
