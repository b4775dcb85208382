#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# report.sh OUT_PREFIX MODE:RESULTS.jsonl...: the benchmark tables, from
# bench_vm.sh's lines. Per group, job and path over the repetitions: the
# median IOPS with its spread (min-max), guest ns per IO (icount: the
# instructions per IO), context switches, interrupts and CPU time per IO
# (sums over the repetitions). Each group compares three paths: BPF,
# io_uring and the kernel's driver; bmap, BPF loop and the loop driver.
# Writes OUT_PREFIX.json and OUT_PREFIX.md, and prints the markdown.
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
def per_io($f): if (map(.ios) | add) > 0
	then (map(.[$f]) | add) / (map(.ios) | add) else null end;
def paths($group): if $group == "bmap" then ["bmap", "bpf", "kernel"]
	else ["bpf", "io_uring", "kernel"] end;
[.[] | select(.job)] as $runs
| [.[] | select(.metric)] as $metrics
| {
  results: ($runs | group_by([.group, .job])
    | sort_by(.[0].group as $gr | .[0].job as $job
              | [(["null", "loop", "stripe", "mirror", "bmap"] | index($gr)),
                 (["randread4k_qd1", "randread4k_qd32", "randwrite4k_qd1",
                   "randwrite4k_qd32", "read128k", "write128k"] | index($job))]) | map(
    . as $g | paths($g[0].group) as $p
    | [$p[] as $path | [$g[] | select(.path == $path)]
       | if length == 0 then {} else
         {iops: ([.[].iops] | median | if . then round else . end), iops_min: ([.[].iops] | min),
          iops_max: ([.[].iops] | max),
          ns_per_io: (per_io("ms") | if . then . * 1e6 | round else null end),
          ctxt_per_io: (per_io("ctxt") | if . then . * 100 | round / 100 else null end),
          intr_per_io: (per_io("intr") | if . then . * 100 | round / 100 else null end),
          cpu_us_per_io: (per_io("busy_ms") | if . then . * 1e4 | round / 10 else null end)}
         end] as $s
    | {group: $g[0].group, job: $g[0].job, paths: $p, a: $s[0], b: $s[1], c: $s[2],
       a_vs_c: ratio($s[0].iops; $s[2].iops), a_vs_b: ratio($s[0].iops; $s[1].iops)})),
  setup: ($metrics | map(select(.metric == "setup_ms"))
    | map(. as $m | ($metrics | map(select(.metric == "step" and .group == $m.group
                                           and .path == $m.path))
                     | map({(.step): .ms}) | add // {}) as $st
      | {group, path, ms: .value}
        + if $st.bpf_load then
            {open_ms: ((($st.target_name // 0) + $st.bpf_open - $st.dev_add) | round),
             verifier_ms: (($st.bpf_load - $st.bpf_open) | round),
             pin_ms: (($st.bpf_pin - $st.bpf_load) | round)}
          else {} end)),
  schedulers: ($metrics | map(select(.metric == "scheduler")) | map("\(.group)/\(.path)=\(.value)")
               | unique)
}'

# One table per family of groups (their three paths), in the mode's form.
table='
def ratio($a; $b): if $a == null or $b == null or $b == 0 then null
	else ($a / $b * 100 | round) / 100 end;
def n($x): if $x == null then "-" else "\($x)" end;
def r($x): if $x == null then "-" else "\($x)x" end;
def cell($p): if $p.iops == null then "-" else "\($p.iops) (\($p.iops_min)-\($p.iops_max))" end;
def three($f): "\(n(.a[$f])) / \(n(.b[$f])) / \(n(.c[$f]))";
def family($gs; $l):
  [.results[] | select(.group as $g | $gs | index($g))] as $rows
  | if ($rows | length) == 0 then empty else
  if $mode == "icount" then
    "| group | job | \($l[0]) ns/IO | \($l[1]) ns/IO | \($l[2]) ns/IO | \($l[0]) / \($l[2]) | \($l[0]) / \($l[1]) | ctxt/IO (\($l[0]) / \($l[1]) / \($l[2])) | intr/IO |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ($rows[] | "| \(.group) | \(.job) | \(n(.a.ns_per_io)) | \(n(.b.ns_per_io)) | \(n(.c.ns_per_io)) | \(r(.a_vs_c)) | \(r(.a_vs_b)) | \(three("ctxt_per_io")) | \(three("intr_per_io")) |")
  elif $mode == "tcg2" then
    "| group | job | \($l[0]) IOPS (min-max) | \($l[1]) IOPS | \($l[2]) IOPS | \($l[0]) / \($l[2]) | \($l[0]) / \($l[1]) | CPU us/IO (\($l[0]) / \($l[1]) / \($l[2])) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ($rows[] | "| \(.group) | \(.job) | \(cell(.a)) | \(cell(.b)) | \(cell(.c)) | \(r(.a_vs_c)) | \(r(.a_vs_b)) | \(three("cpu_us_per_io")) |")
  else
    "| group | job | \($l[0]) IOPS (min-max) | \($l[1]) IOPS | \($l[2]) IOPS | \($l[0]) / \($l[2]) | \($l[0]) / \($l[1]) | ctxt/IO (\($l[0]) / \($l[1]) / \($l[2])) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ($rows[] | "| \(.group) | \(.job) | \(cell(.a)) | \(cell(.b)) | \(cell(.c)) | \(r(.a_vs_c)) | \(r(.a_vs_b)) | \(three("ctxt_per_io")) |")
  end, "" end;
family(["null", "loop", "stripe", "mirror"]; ["BPF", "io_uring", "kernel"]),
family(["bmap"]; ["bmap", "BPF loop", "loop driver"]),
if $mode == "icount" then
  "Set-up times: see the wall-clock modes (on the instruction clock, guest time runs on while the vCPU waits for the host'"'"'s files).", ""
else
  (.setup as $su
  | "Time from `ublk-bpf load` / `add` to a usable device (UBLK_BPF_TIMING steps: ELF/BTF open, object load (libbpf, the verifier, the JIT: docs/benchmarks.md says which is which), map pins; the rest is device creation); load / add: against the io_uring device of the same group:",
  "",
  "| group | path | total ms | load / add | open ms | bpf_load ms | pin ms |",
  "| --- | --- | --- | --- | --- | --- | --- |",
  ($su[] | . as $r
   | ([$su[] | select(.group == $r.group and .path == "io_uring")][0].ms) as $add
   | "| \(.group) | \(.path) | \(.ms) | \(if .path == "io_uring" then "-" else r(ratio(.ms; $add)) end) | \(n(.open_ms)) | \(n(.verifier_ms)) | \(n(.pin_ms)) |"),
  "")
end,
"Schedulers: \(.schedulers | join(", "))"'

json_parts=()
md=""
for arg in "$@"; do
	mode=${arg%%:*}
	file=${arg#*:}
	[ -s "$file" ] || { echo "report.sh: no results in $file" >&2; exit 1; }
	summary=$(jq -s "$summarize" "$file")
	json_parts+=("$(echo "$summary" | jq --arg mode "$mode" '{mode: $mode} + .')")
	case $mode in
	icount) what="QEMU -icount shift=0, 1 vCPU: 1 guest ns = 1 instruction, so ns/IO is instructions per IO; repeats run to run" ;;
	tcg) what="QEMU TCG, 1 vCPU, wall clock: fio, the server and the kernel share one CPU; varies with the host's load" ;;
	tcg2) what="QEMU TCG, 2 vCPUs, wall clock: the server gets a spare core; CPU time per IO counts both CPUs" ;;
	*) what=$mode ;;
	esac
	md+="### Mode: $mode ($what)"$'\n\n'"$(echo "$summary" | jq -r --arg mode "$mode" "$table")"$'\n\n'
done
date=$(date -u +%Y-%m-%d)
printf '%s\n' "${json_parts[@]}" | jq -s --arg kernel "$kernel" --arg date "$date" \
	'{kernel: $kernel, date: $date, modes: .}' >"$prefix.json"
{
	echo "## Benchmark: BPF path vs io_uring path vs the kernel's drivers"
	echo
	echo "Kernel $kernel, $date; fio io_uring, direct IO, 1 job; each run a window of steady IO (IOs of fio's block size from the sectors in /sys/block/DEV/stat, ctxt/intr/CPU from /proc/stat); median IOPS of the repetitions, spread in brackets; per-IO figures over all repetitions."
	echo
	printf '%s' "$md"
} >"$prefix.md"
cat "$prefix.md"
