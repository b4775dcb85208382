#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench-cpus`: does the BPF path use every CPU? One VM boot per vCPU
# count (CPUS_SMP, default "1 2 4"), TCG wall clock (the only mode where
# vCPUs run side by side; under icount they take turns on one host thread),
# bench_vm.sh's loop, stripe and mirror groups with devices of N queues
# for N vCPUs, and per group:
#   (a) N fio jobs at QD32 at once (randread4k_qd32_jN, randwrite...): one
#       submitter per CPU, each on its own queue of the ublk device
#   (b) one fio job at QD32, and at QD1 (the latency the rule must keep)
# on three paths: bpf_spread (the shim's default: the spare-CPU rule on,
# bpf_spread=1), bpf (the same device with the rule off) and the kernel's
# driver (loop, dm-stripe, dm-mirror over loop devices).
# A host with fewer cores than vCPUs runs several vCPUs per core: the
# report says how many cores the host had.
#   CPUS_SMP, CPUS_GROUPS, CPUS_REPS, CPUS_WINDOW_MS   what to run
# Results: .output/bench/cpus/smpN.jsonl and report.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.output/bench/cpus
mkdir -p "$out"
. "${UBLK_BPF_CACHE:-$HOME/.cache/ublk-bpf}/current.env"
for smp in ${CPUS_SMP:-1 2 4}; do
	jobs="randread4k_qd1 randwrite4k_qd1 randread4k_qd32 randwrite4k_qd32"
	paths="bpf kernel"
	if [ "$smp" -gt 1 ]; then
		jobs+=" randread4k_qd32_j$smp randwrite4k_qd32_j$smp"
		paths="bpf bpf_spread kernel"
	fi
	echo "# bench-cpus: $smp vCPUs" >&2
	tests/vm/run.sh --smp "$smp" --module shim --timeout 1800 \
		env BENCH_GROUPS="${CPUS_GROUPS:-loop stripe mirror}" BENCH_JOBS="$jobs" \
		BENCH_PATHS="$paths" BENCH_QUEUES="$smp" BENCH_REPS="${CPUS_REPS:-2}" \
		BENCH_WINDOW_MS="${CPUS_WINDOW_MS:-1000}" BENCH_FILE_SIZE=128M \
		tests/bench/bench_vm.sh "$PWD/$out/smp$smp.jsonl" >&2
done
tests/bench/cpus_report.sh "$out" "$(nproc)" | tee "$out/report.md"
