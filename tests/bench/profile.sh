#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make profile JOB=GROUP/PATH/JOB`: one benchmark run (bench_vm.sh) under
# the guest's perf (the host's /usr/bin/perf, seen through the shared root),
# on QEMU's instruction-count clock with one vCPU, so a symbol's share is its
# share of the instructions. perf.data stays in the guest's tmpfs; the top
# symbols land in .output/bench/profile.txt and on stdout.
#   e.g. make profile JOB=loop/bpf/randread4k_qd32
#   GROUP: null loop stripe mirror bmap; PATH: bpf io_uring kernel (bmap:
#   bmap bpf kernel); JOB: a bench_vm.sh job. PROFILE_MODE=tcg for wall time.
set -euo pipefail
cd "$(dirname "$0")/../.."
usage="usage: make profile JOB=GROUP/PATH/JOB (e.g. loop/bpf/randread4k_qd32)"
IFS=/ read -r group path job extra <<<"${1:-}"
[ -n "$group" ] && [ -n "$path" ] && [ -n "$job" ] && [ -z "$extra" ] ||
	{ echo "$usage" >&2; exit 2; }
case "$group/$path" in
null/bpf|null/io_uring|null/kernel|loop/bpf|loop/io_uring|loop/kernel) ;;
stripe/bpf|stripe/io_uring|stripe/kernel|mirror/bpf|mirror/io_uring|mirror/kernel) ;;
bmap/bmap|bmap/bpf|bmap/kernel) ;;
*) echo "profile: no path '$path' in group '$group' ($usage)" >&2; exit 2 ;;
esac
command -v perf >/dev/null || { echo "profile: no perf on this machine (make setup installs linux-perf)" >&2; exit 2; }
out=.output/bench
mkdir -p "$out"
: >"$out/profile.txt"
flags=(--icount)
[ "${PROFILE_MODE:-icount}" = tcg ] && flags=()
BENCH_GROUPS=$group BENCH_PATHS=$path BENCH_JOBS=$job BENCH_REPS=1 \
BENCH_WINDOW_MS=${PROFILE_WINDOW_MS:-1000} BENCH_PERF=$PWD/$out/profile.txt \
	tests/vm/run.sh "${flags[@]}" --smp 1 --module shim --timeout 1200 \
	tests/bench/bench_vm.sh "$PWD/$out/profile.jsonl" >&2
cat "$out/profile.txt"
