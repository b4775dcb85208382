#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kublk_vs.sh [--icount] [--smp N]: the io_uring path of `ublk-bpf add` against kublk,
# the kernel's ublk selftest server, on the same VM boot: targets null and
# loop (a file in the guest's tmpfs, direct IO), 1 queue, depth 128, fio 4k
# random reads at QD1 and QD32, the two servers taking turns within every
# repetition. Both devices get the same IO scheduler (KVS_SCHED, default
# none, ours; the kernel would give kublk's single-queue disk mq-deadline). Prints one table row per target and job (median IOPS of the
# repetitions, range in brackets).
#
# On the host it builds kublk into .output/kublk from KUBLK_DIR (default
# ../shared/tools/kublk beside the repository; its build.sh OUTDIR) and boots
# the VM (tests/vm/run.sh, so --vm/VM, --icount and --smp apply; the KVS_
# knobs travel with the command); without kublk's
# sources it skips (exit 4). In the VM (UBLK_BPF_IN_VM=1) it measures.
#   KVS_RUNTIME (s, default 5, at least 2), KVS_REPS (3), KVS_JOBS ("qd1 qd32"),
#   KVS_TARGETS ("null loop"), KVS_OURS (the ublk-bpf binary to measure),
#   KVS_SCHED (none),
#   KVS_PERF=1: a perf profile per server and job
#   KVS_COUNT=1: io_uring, syscall and scheduler events per IO, by command,
#   per server and job
#   into .output/bench/kublk_vs/ (perf.data and a report).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out_dir=$repo/.output/bench/kublk_vs
kublk=$repo/.output/kublk/kublk

if [ "${UBLK_BPF_IN_VM:-}" != 1 ]; then
	src=${KUBLK_DIR:-$repo/../shared/tools/kublk}
	if [ ! -x "$src/build.sh" ]; then
		echo "kublk_vs.sh: SKIP: no kublk sources (set KUBLK_DIR to a folder with build.sh)" >&2
		exit 4
	fi
	"$src/build.sh" "$repo/.output/kublk" >/dev/null || exit 1
	mkdir -p "$out_dir"
	vm_args=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--icount) vm_args+=(--icount); shift ;;
		--smp) vm_args+=(--smp "${2:?}"); shift 2 ;;
		*) echo "usage: $0 [--icount] [--smp N]" >&2; exit 2 ;;
		esac
	done
	# run.sh forwards only its own knobs: ours go on the command line.
	mapfile -t knobs < <(compgen -e | grep '^KVS_' | while read -r v; do echo "$v=${!v}"; done)
	exec "$repo/tests/vm/run.sh" "${vm_args[@]}" --timeout 1800 env "${knobs[@]}" "$0"
fi

runtime=${KVS_RUNTIME:-5}
reps=${KVS_REPS:-3}
ours=${KVS_OURS:-$repo/.output/bin/ublk-bpf}
img=/tmp/kublk_vs.img
. "$repo/tests/ublk/test_common.sh"
_load_ublk_module || { echo "kublk_vs.sh: cannot load ublk_drv" >&2; exit 1; }
truncate -s 512M "$img"
mkdir -p "$out_dir"

# dev SERVER TARGET ID: create a device with ID (1 queue, depth 128).
dev() {
	local file=()
	case $1/$2 in
	ours/loop) file=(--file "$img") ;;
	kublk/loop) file=("$img") ;;
	esac
	if [ "$1" = ours ]; then
		"$ours" add -t "$2" -n "$3" -q 1 -d 128 "${file[@]}" >/dev/null
	else
		"$kublk" add -t "$2" -n "$3" -q 1 -d 128 "${file[@]}" >/dev/null
	fi || { echo "kublk_vs.sh: $1 add -t $2 failed" >&2; exit 1; }
	udevadm settle 2>/dev/null
	for _ in $(seq 50); do
		if [ -b "/dev/ublkb$3" ]; then
			echo "${KVS_SCHED:-none}" >"/sys/block/ublkb$3/queue/scheduler" && return 0
			echo "kublk_vs.sh: cannot set ublkb$3's scheduler" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "kublk_vs.sh: /dev/ublkb$3 did not appear" >&2
	exit 1
}

undev() {
	if [ "$1" = ours ]; then "$ours" del -n "$2"; else "$kublk" del -n "$2"; fi >/dev/null 2>&1
}

# snap DEV: IOs DEV completed and busy CPU ticks (all CPUs) into S_IOS S_BUSY.
snap() {
	local f
	read -ra f <"/sys/block/${1#/dev/}/stat"
	S_IOS=$(( f[0] + f[4] ))
	read -ra f </proc/stat
	S_BUSY=$(( f[1] + f[2] + f[3] + f[6] + f[7] + f[8] ))
}

# iops DEV QD: fio 4k random reads; prints its IOPS and the busy CPU ns per
# IO over a window that leaves out fio's start and end (in icount mode one
# ns is one instruction).
iops() {
	local pid a i
	fio --name=kvs --filename="$1" --ioengine=io_uring --direct=1 --rw=randread \
		--bs=4k --iodepth="$2" --time_based --runtime="$runtime" \
		--output-format=terse --terse-version=3 >"$out_dir/fio.out" 2>/dev/null &
	pid=$!
	snap "$1"; a=("$S_IOS")
	for ((i = 0; i < 400; i++)); do	# fio's IO starts: its runtime counts from here
		snap "$1"
		[ "$S_IOS" != "${a[0]}" ] && break
		read -r -t 0.05 -u "$sleep_fd"
	done
	read -r -t 0.3 -u "$sleep_fd"
	snap "$1"; a=("$S_IOS" "$S_BUSY")
	read -r -t "$(awk -v r="$runtime" 'BEGIN { print r - 1 }')" -u "$sleep_fd"
	snap "$1"
	wait "$pid"
	echo "$(awk -F';' '{ printf "%d", $8 }' "$out_dir/fio.out") $(( (S_BUSY - a[1]) * 10000000 / (S_IOS > a[0] ? S_IOS - a[0] : 1) ))"
}

# median COLUMN: of the lines on stdin, with the range.
median() {
	awk -v c="$1" '{ print $c }' | sort -n |
		awk '{ v[NR] = $1 } END { printf "%d (%d-%d)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN { printf "%.2fx", a / b }'; }

# count_events WHO TARGET JOB QD: one fio run under perf's event counts;
# each event's count per IO of the device, by command, to $out_dir.
count_events() {
	local n=0 ios data=/tmp/kvs_count.data
	[ "$1" = kublk ] && n=1
	snap "/dev/ublkb$n"; ios=$S_IOS
	perf record -q -a -o "$data" -e io_uring:io_uring_submit_req,io_uring:io_uring_queue_async_work \
		-e io_uring:io_uring_local_work_run,io_uring:io_uring_cqring_wait \
		-e syscalls:sys_enter_io_uring_enter,sched:sched_switch,sched:sched_wakeup -- \
		fio --name=p --filename=/dev/ublkb$n --ioengine=io_uring --direct=1 --rw=randread \
		--bs=4k --iodepth="$4" --time_based --runtime="$runtime" >/dev/null 2>&1
	snap "/dev/ublkb$n"; ios=$(( S_IOS > ios ? S_IOS - ios : 1 ))
	perf report -i "$data" --stdio --sort comm -n 2>/dev/null | awk -v ios="$ios" '
		/^# Samples/ { ev = $NF }
		/^ +[0-9.]+%/ { printf "%-40s %-16s %.3f\n", ev, $3, $2 / ios }' \
		>"$out_dir/count.$mode.$1.$2.$3.txt"
	rm -f "$data"
}

exec {sleep_fd}<> <(:)
mode=${UBLK_VM_MODE:-tcg}
echo "| target | job | ublk-bpf add IOPS | kublk IOPS | ublk-bpf / kublk | ublk-bpf CPU ns/IO | kublk CPU ns/IO | ublk-bpf / kublk |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for tgt in ${KVS_TARGETS:-null loop}; do
	dev ours "$tgt" 0
	dev kublk "$tgt" 1
	for job in ${KVS_JOBS:-qd1 qd32}; do
		qd=${job#qd}
		: >"$out_dir/ours.$tgt.$job" ; : >"$out_dir/kublk.$tgt.$job"
		for _ in $(seq "$reps"); do
			iops /dev/ublkb0 "$qd" >>"$out_dir/ours.$tgt.$job"
			iops /dev/ublkb1 "$qd" >>"$out_dir/kublk.$tgt.$job"
		done
		[ "${KVS_COUNT:-0}" = 1 ] && for who in ours kublk; do
			count_events "$who" "$tgt" "$job" "$qd"
		done
		if [ "${KVS_PERF:-0}" = 1 ]; then
			for who in ours kublk; do
				n=0; [ $who = kublk ] && n=1
				perf record -q -a -g -e cpu-clock -o "/tmp/$who.$tgt.$job.data" -- \
					fio --name=p --filename=/dev/ublkb$n --ioengine=io_uring --direct=1 \
					--rw=randread --bs=4k --iodepth="$qd" --time_based \
					--runtime="$runtime" >/dev/null 2>&1
				perf report -i "/tmp/$who.$tgt.$job.data" --no-children --sort comm,dso,sym \
					--stdio -g none 2>/dev/null | head -60 >"$out_dir/perf.$mode.$who.$tgt.$job.txt"
			done
		fi
		iops_ours=$(median 1 <"$out_dir/ours.$tgt.$job")
		iops_kublk=$(median 1 <"$out_dir/kublk.$tgt.$job")
		ns_ours=$(median 2 <"$out_dir/ours.$tgt.$job")
		ns_kublk=$(median 2 <"$out_dir/kublk.$tgt.$job")
		echo "| $tgt | randread4k_$job | $iops_ours | $iops_kublk | $(ratio "$iops_ours" "$iops_kublk")" \
			"| $ns_ours | $ns_kublk | $(ratio "$ns_ours" "$ns_kublk") |"
	done
	undev ours 0
	undev kublk 1
done
echo "# mode $mode, $(nproc) vCPU, $(uname -r), module ${UBLK_BPF_MODULE:-default}, scheduler ${KVS_SCHED:-none}, 1 queue, depth 128, fio io_uring direct 4k randread, ${runtime}s x $reps"
rm -f "$img"
