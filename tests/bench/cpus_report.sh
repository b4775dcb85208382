#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cpus_report.sh DIR HOST_CORES: the table of `make bench-cpus` from
# DIR/smpN.jsonl (bench_vm.sh's lines): per vCPU count, group and job, the
# median IOPS of each path, BPF over the kernel's driver, the spare-CPU
# rule on over off, and CPU time per
# IO (all vCPUs' busy time over the IOs, summed over the repetitions).
set -euo pipefail
dir=$1
cores=$2
echo "Host cores: $cores. TCG wall clock; a vCPU count above the host's cores"
echo "runs several vCPUs on one core."
echo
echo "| vCPUs | group | job | BPF IOPS | BPF, rule on | kernel IOPS | BPF / kernel | rule on / off | CPU us/IO (BPF / rule on / kernel) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for f in "$dir"/smp*.jsonl; do
	[ -e "$f" ] || continue
	smp=${f##*/smp}
	smp=${smp%.jsonl}
	jq -rs --arg smp "$smp" '
	def median: sort | if length == 0 then null
		elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def r2: if . == null then "-" else (. * 100 | round / 100 | tostring) end;
	def ratio($a; $b): if $a == null or $b == null or $b == 0 then null else $a / $b end;
	def path($runs; $p): [$runs[] | select(.path == $p)] as $r
		| if ($r | length) == 0 then {iops: null, cpu: null} else
		  {iops: ([$r[].iops] | median | round),
		   cpu: (if ([$r[].ios] | add) > 0
			 then ([$r[].busy_ms] | add) * 1000 / ([$r[].ios] | add) else null end)} end;
	[.[] | select(.job)] | group_by([.group, .job])[]
	| . as $runs | path($runs; "bpf") as $b | path($runs; "bpf_spread") as $i
	| path($runs; "kernel") as $k
	| "| \($smp) | \($runs[0].group) | \($runs[0].job) | \($b.iops // "-") | \($i.iops // "-") | \($k.iops // "-") | \(ratio($b.iops; $k.iops) | r2)x | \(ratio($i.iops; $b.iops) | r2)x | \($b.cpu | r2) / \($i.cpu | r2) / \($k.cpu | r2) |"
	' "$f"
done
