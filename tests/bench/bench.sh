#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: bench_vm.sh in one VM boot per clock mode (TCG wall clock,
# then QEMU's instruction-count clock), then the tables (report.sh) into
# .output/bench/report.{md,json}.
#   BENCH_MODES="tcg icount"   which modes
#   BENCH_RUNTIME, BENCH_REPS, BENCH_GROUPS, BENCH_JOBS   see bench_vm.sh
#   --quick                    a smoke run: one short job per group, TCG only
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.output/bench
mkdir -p "$out"
if [ "${1:-}" = --quick ]; then
	export BENCH_MODES=tcg BENCH_RUNTIME=1 BENCH_REPS=1 BENCH_JOBS=randread4k_qd32
	export BENCH_FILE_SIZE=64M
	out=.output/bench/quick
	mkdir -p "$out"
fi
. "${UBLK_BPF_CACHE:-$HOME/.cache/ublk-bpf}/current.env"
echo "$UBLK_KABI" >"$out/kernel-version"
args=()
for mode in ${BENCH_MODES:-tcg icount}; do
	flag=""
	if [ "$mode" = icount ]; then
		flag=--icount
		# Guest time is instructions: keep the guest's seconds few.
		export BENCH_RUNTIME=${BENCH_ICOUNT_RUNTIME:-1} BENCH_REPS=${BENCH_ICOUNT_REPS:-2}
	fi
	echo "# bench: mode $mode" >&2
	tests/vm/run.sh $flag --module shim --timeout 3000 \
		tests/bench/bench_vm.sh "$PWD/$out/$mode.jsonl" >&2
	args+=("$mode:$out/$mode.jsonl")
done
tests/bench/report.sh "$out/report" "${args[@]}"
