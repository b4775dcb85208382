#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_vm.sh RESULTS.jsonl: inside the VM (tests/bench/bench.sh starts it),
# the same fio jobs against each group's three devices, side by side:
#   null    BPF null, io_uring null, null_blk
#   loop    BPF loop, io_uring loop, loop driver (direct IO), same file
#   stripe  BPF stripe, io_uring stripe, dm-stripe over loop devices
#   mirror  BPF mirror, io_uring mirror, dm-mirror (core log) over loop devices
# Each job runs BENCH_REPS times; within a repetition the paths take turns,
# so drift hits all of them alike. One JSON object per line and run:
#   {"group","path","job","rep","iops","bw_kib"}
# and per path the time from `ublk-bpf load`/`add` to a usable device and
# the server's RSS: {"group","path","metric":"setup_ms"|"rss_kib","value"}.
. "$(dirname "$0")/../ublk/test_common.sh"
out=$1
runtime=${BENCH_RUNTIME:-3}
reps=${BENCH_REPS:-3}
groups=${BENCH_GROUPS:-null loop stripe mirror}
jobs=${BENCH_JOBS:-randread4k_qd1 randread4k_qd32 randwrite4k_qd1 randwrite4k_qd32 read128k write128k}
file_size=${BENCH_FILE_SIZE:-256M}

_prep_test bench
_need_shim
trap '_cleanup_bench; _cleanup_test' EXIT
: >"$out"

declare -A dev_of
dm_dev=""

_cleanup_bench() {
	[ -n "$dm_dev" ] && dmsetup remove "$dm_dev" 2>/dev/null
	dm_dev=""
	# (new_loop_dev runs in a subshell: find the loop devices again.)
	losetup -D 2>/dev/null
	modprobe -r null_blk 2>/dev/null
}

job_args() {
	case $1 in
	randread4k_qd1) echo "--rw=randread --bs=4k --iodepth=1" ;;
	randread4k_qd32) echo "--rw=randread --bs=4k --iodepth=32" ;;
	randwrite4k_qd1) echo "--rw=randwrite --bs=4k --iodepth=1" ;;
	randwrite4k_qd32) echo "--rw=randwrite --bs=4k --iodepth=32" ;;
	read128k) echo "--rw=read --bs=128k --iodepth=8" ;;
	write128k) echo "--rw=write --bs=128k --iodepth=8" ;;
	*) _fail "unknown job $1" ;;
	esac
}

# ublk_dev PATH VERB ARGS...: create a ublk device, record setup time and RSS.
ublk_dev() {
	local path=$1 verb=$2 start end pid
	shift 2
	start=$(date +%s%N)
	if [ "$verb" = load ]; then _new_load --require-bpf "$@"; else _new_dev "$@"; fi
	end=$(date +%s%N)
	dev_of[$path]=/dev/ublkb$UBLK_DEV_ID
	printf '{"group":"%s","path":"%s","metric":"setup_ms","value":%d}\n' \
		"$group" "$path" $(( (end - start) / 1000000 )) >>"$out"
}

record_rss() {
	local path id pid rss
	for path in bpf io_uring; do
		id=${dev_of[$path]#/dev/ublkb}
		pid=$("$UBLK_PROG" list -n "$id" --json | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
		rss=$(awk '/^VmRSS:/ {print $2}' /proc/$pid/status)
		printf '{"group":"%s","path":"%s","metric":"rss_kib","value":%d}\n' \
			"$group" "$path" "$rss" >>"$out"
	done
}

new_loop_dev() {
	losetup --direct-io=on -f --show "$1"
}

setup_group() {
	local a=$UBLK_TMP/a.img b=$UBLK_TMP/b.img la lb sectors
	truncate -s "$file_size" "$a" "$b"
	# Real blocks, so reads are not served from holes.
	dd if=/dev/zero of="$a" bs=1M count=$(( $(stat -c %s "$a") >> 20 )) conv=notrunc status=none
	dd if=/dev/zero of="$b" bs=1M count=$(( $(stat -c %s "$b") >> 20 )) conv=notrunc status=none
	case $group in
	null)
		ublk_dev bpf load "$UBLK_BPF_OBJS/null.bpf.o" --size 1G
		ublk_dev io_uring add -t null --size 1G
		modprobe null_blk nr_devices=1 gb=1 queue_mode=2 irqmode=0 submit_queues=1 ||
			_fail "modprobe null_blk"
		dev_of[kernel]=/dev/nullb0 ;;
	loop)
		ublk_dev bpf load "$UBLK_BPF_OBJS/loop.bpf.o" --file "$a"
		ublk_dev io_uring add -t loop --file "$a"
		dev_of[kernel]=$(new_loop_dev "$a") || _fail "losetup" ;;
	stripe)
		ublk_dev bpf load "$UBLK_BPF_OBJS/stripe.bpf.o" --chunk 64k --file "$a" --file "$b"
		ublk_dev io_uring add -t stripe --chunk 64k --file "$a" --file "$b"
		la=$(new_loop_dev "$a") && lb=$(new_loop_dev "$b") || _fail "losetup"
		sectors=$(( $(blockdev --getsz "$la") * 2 ))
		dm_dev=bench-stripe
		echo "0 $sectors striped 2 128 $la 0 $lb 0" | dmsetup create $dm_dev || _fail "dm-stripe"
		dev_of[kernel]=/dev/mapper/$dm_dev ;;
	mirror)
		ublk_dev bpf load "$UBLK_BPF_OBJS/mirror.bpf.o" --file "$a" --file "$b"
		ublk_dev io_uring add -t mirror --file "$a" --file "$b"
		la=$(new_loop_dev "$a") && lb=$(new_loop_dev "$b") || _fail "losetup"
		sectors=$(blockdev --getsz "$la")
		dm_dev=bench-mirror
		echo "0 $sectors mirror core 2 1024 nosync 2 $la 0 $lb 0" | dmsetup create $dm_dev ||
			_fail "dm-mirror"
		dev_of[kernel]=/dev/mapper/$dm_dev ;;
	esac
}

run_fio() {	# run_fio PATH JOB REP
	local dev=${dev_of[$1]} json iops bw
	# shellcheck disable=SC2046
	json=$(fio --name=bench --filename="$dev" --ioengine=io_uring --direct=1 \
		--time_based --runtime="$runtime" --ramp_time=0 --size=128M \
		--output-format=json $(job_args "$2") 2>/dev/null) || _fail "fio $2 on $1 ($dev)"
	iops=$(echo "$json" | jq '[.jobs[0].read.iops, .jobs[0].write.iops] | add | floor')
	bw=$(echo "$json" | jq '[.jobs[0].read.bw, .jobs[0].write.bw] | add')
	printf '{"group":"%s","path":"%s","job":"%s","rep":%d,"iops":%s,"bw_kib":%s}\n' \
		"$group" "$1" "$2" "$3" "$iops" "$bw" >>"$out"
	echo "# $group $1 $2 rep $3: $iops IOPS"
}

for m in loop dm_mod dm_mirror; do modprobe $m || _fail "modprobe $m"; done
for group in $groups; do
	setup_group
	for job in $jobs; do
		for ((rep = 1; rep <= reps; rep++)); do
			for path in bpf io_uring kernel; do
				run_fio $path "$job" $rep
			done
		done
	done
	record_rss
	for id in "${UBLK_DEVS[@]}"; do "$UBLK_PROG" del -n "$id"; done
	UBLK_DEVS=()
	_cleanup_bench
done
_check_dmesg
