#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cpus_report.sh DIR HOST_CORES: the tables of `make bench-cpus` from
# DIR/smpN.jsonl (bench_vm.sh's lines). First BPF over the kernel's driver
# per group and job at each vCPU count (the README's table: the median of
# the repetitions' ratios), then per vCPU count, group and job: the median
# IOPS of each path, their ratio, the median ratio again, the spare-CPU rule
# on over off, and CPU time per IO (all vCPUs' busy time over the IOs,
# summed over the repetitions). "BPF" is the module's default: the rule
# on (path bpf_spread) where it was measured, else the bpf path (one vCPU,
# where the rule cannot act).
set -euo pipefail
dir=$1
cores=$2
files=("$dir"/smp*.jsonl)
[ -e "${files[0]}" ] || { echo "cpus_report: no $dir/smp*.jsonl" >&2; exit 1; }
# each line tagged with its vCPU count, from the file's name
lines() {
	local f smp
	for f in "${files[@]}"; do
		smp=${f##*/smp}
		jq -c --argjson smp "${smp%.jsonl}" 'select(.job) | . + {smp: $smp}' "$f"
	done
}
rows=$(lines | jq -rs '
	def median: sort | if length == 0 then null
		elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def path($runs; $p): [$runs[] | select(.path == $p)] as $r
		| if ($r | length) == 0 then null else
		  {iops: ([$r[].iops] | median | round),
		   cpu: (if ([$r[].ios] | add) > 0
			 then ([$r[].busy_ms] | add) * 1000 / ([$r[].ios] | add) else null end)} end;
	# each repetition runs the paths back to back: their ratio within one
	# repetition is the like-for-like one when the host drifts between them
	def paired($runs; $p):
		[$runs | group_by(.rep)[] | . as $rep
		 | ([$rep[] | select(.path == $p)][0].iops) as $a
		 | ([$rep[] | select(.path == "kernel")][0].iops) as $k
		 | select($a != null and $k != null and $k > 0) | $a / $k] | median;
	group_by([.smp, .group, .job])[]
	| . as $runs | path($runs; "bpf") as $off | path($runs; "bpf_spread") as $on
	| {smp: $runs[0].smp, group: $runs[0].group, job: $runs[0].job,
	   bpf: ($on // $off), off: $off, on: $on, kernel: path($runs; "kernel"),
	   paired: paired($runs; if $on then "bpf_spread" else "bpf" end)}')
# jq, not shell: $a and $b are jq variables
# shellcheck disable=SC2016
r2='def r2: if . == null then "-" else (. * 100 | round / 100 | tostring) end;
    def ratio($a; $b): if $a == null or $b == null or $b == 0 then null else $a / $b end;'

echo "BPF (the module's default) over the kernel's driver, IOPS: the median"
echo "over the repetitions of each one's ratio (the paths run back to back"
echo "in a repetition, so a host that drifts moves both):"
echo
echo "| group | job | 1 vCPU | 2 vCPUs | 4 vCPUs |"
echo "| --- | --- | --- | --- | --- |"
jq -rs "$r2"'
	map(.job |= sub("_j[0-9]+$"; "_jN")) | group_by([.group, .job])[] | . as $g
	| [1, 2, 4 | . as $n | ([$g[] | select(.smp == $n)][0]) as $x
	   | if $x == null then "-" else "\($x.paired | r2)x" end]
	| "| \($g[0].group) | \($g[0].job) | \(join(" | ")) |"
' <<<"$rows"
echo
echo "Host cores: $cores. TCG wall clock; a vCPU count above the host's cores"
echo "runs several vCPUs on one core."
echo
echo "| vCPUs | group | job | BPF IOPS | BPF, rule off | kernel IOPS | BPF / kernel (medians) | BPF / kernel (paired) | rule on / off | CPU us/IO (BPF / rule off / kernel) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
jq -r "$r2"'
	"| \(.smp) | \(.group) | \(.job) | \(.bpf.iops // "-") | \(if .on then .off.iops // "-" else "-" end) | \(.kernel.iops // "-") | \(ratio(.bpf.iops; .kernel.iops) | r2)x | \(.paired | r2)x | \(if .on then (ratio(.on.iops; .off.iops) | r2) + "x" else "-" end) | \(.bpf.cpu | r2) / \(if .on then .off.cpu | r2 else "-" end) / \(.kernel.cpu | r2) |"
' <<<"$rows"
