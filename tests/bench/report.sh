#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# report.sh OUT_PREFIX MODE:RESULTS.jsonl...: the benchmark tables, from
# bench_vm.sh's lines: per group and job, the median IOPS of each path with
# its spread (min-max over the repetitions), and the BPF path's ratio to the
# kernel driver and to the io_uring path. Writes OUT_PREFIX.json and
# OUT_PREFIX.md, and prints the markdown.
set -euo pipefail
prefix=$1
shift
kernel=$(cat "$(dirname "$prefix")/kernel-version" 2>/dev/null || echo unknown)

summarize='
def median: sort | if length == 0 then null
	elif length % 2 == 1 then .[length / 2 | floor]
	else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def ratio($a; $b): if $a == null or $b == null or $b == 0 then null
	else ($a / $b * 100 | round) / 100 end;
[.[] | select(.job)] as $runs
| [.[] | select(.metric)] as $metrics
| {
  results: ($runs | group_by([.group, .job])
    | sort_by(.[0].group as $gr | [(["null", "loop", "stripe", "mirror"] | index($gr)), .[0].job]) | map(
    . as $g
    | (reduce ("bpf", "io_uring", "kernel") as $p ({};
        . + {($p): ([$g[] | select(.path == $p)] |
          {iops: ([.[].iops] | median), iops_min: ([.[].iops] | min),
           iops_max: ([.[].iops] | max), bw_kib: ([.[].bw_kib] | median | round)})}))
    | {group: $g[0].group, job: $g[0].job} + .
    | .bpf_vs_kernel = ratio(.bpf.iops; .kernel.iops)
    | .bpf_vs_io_uring = ratio(.bpf.iops; .io_uring.iops)
    | .io_uring_vs_kernel = ratio(.io_uring.iops; .kernel.iops))),
  setup_ms: ($metrics | map(select(.metric == "setup_ms"))
             | group_by([.group, .path]) | map({group: .[0].group, path: .[0].path,
               ms: ([.[].value] | median)})),
  rss_kib: ($metrics | map(select(.metric == "rss_kib"))
            | map({group, path, kib: .value}))
}'

table='
def cell($p): if $p.iops == null then "-" else
	"\($p.iops) (\($p.iops_min)-\($p.iops_max))"
	+ (if (.job | test("128k")) then ", \($p.bw_kib / 1024 | round) MiB/s" else "" end) end;
def r($x): if $x == null then "-" else "\($x)x" end;
"| group | job | BPF IOPS (min-max) | io_uring IOPS | kernel IOPS | BPF / kernel | BPF / io_uring |",
"| --- | --- | --- | --- | --- | --- | --- |",
(.results[] | "| \(.group) | \(.job) | \(cell(.bpf)) | \(cell(.io_uring)) | \(cell(.kernel)) | \(r(.bpf_vs_kernel)) | \(r(.bpf_vs_io_uring)) |"),
"",
"Time from `ublk-bpf load` / `add` to a usable device, and server RSS after the jobs:",
"",
"| group | path | setup ms | RSS KiB |",
"| --- | --- | --- | --- |",
(. as $all | .setup_ms[] | . as $s
 | ($all.rss_kib | map(select(.group == $s.group and .path == $s.path)) | .[0].kib // "-") as $rss
 | "| \($s.group) | \($s.path) | \($s.ms) | \($rss) |")'

json_parts=()
md=""
for arg in "$@"; do
	mode=${arg%%:*}
	file=${arg#*:}
	[ -s "$file" ] || { echo "report.sh: no results in $file" >&2; exit 1; }
	summary=$(jq -s "$summarize" "$file")
	json_parts+=("$(echo "$summary" | jq --arg mode "$mode" '{mode: $mode} + .')")
	case $mode in
	tcg) what="QEMU TCG, 2 vCPUs, wall clock: what this host delivers; varies with the host's load" ;;
	icount) what="QEMU -icount shift=0 (1 instruction = 1 ns of guest time), 1 vCPU thread: repeats run to run; compares the instructions each path spends, not real speed" ;;
	*) what=$mode ;;
	esac
	md+="### Mode: $mode ($what)"$'\n\n'"$(echo "$summary" | jq -r "$table")"$'\n\n'
done
date=$(date -u +%Y-%m-%d)
printf '%s\n' "${json_parts[@]}" | jq -s --arg kernel "$kernel" --arg date "$date" \
	'{kernel: $kernel, date: $date, modes: .}' >"$prefix.json"
{
	echo "## Benchmark: BPF path vs io_uring path vs the kernel's drivers"
	echo
	echo "Kernel $kernel, $date; fio io_uring, direct IO, 1 job per run; median of the repetitions, spread in brackets."
	echo
	printf '%s' "$md"
} >"$prefix.md"
cat "$prefix.md"
