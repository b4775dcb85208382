#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_vm.sh RESULTS.jsonl: inside the VM (tests/bench/bench.sh starts it),
# the same fio jobs against each group's three devices, side by side:
#   null    bpf: BPF null, io_uring: io_uring null, kernel: null_blk
#   loop    BPF loop, io_uring loop, loop driver (direct IO), same tmpfs file
#   stripe  BPF stripe, io_uring stripe, dm-stripe over loop devices
#   mirror  BPF mirror, io_uring mirror, dm-mirror (core log) over loop devices
#   bmap    bmap: BPF bmap over file A; bpf: BPF loop over file B; kernel:
#           loop driver (direct IO) over file B. A and B: same size, written
#           the same way, on one ext4 on a RAM disk (brd). Not one file:
#           bmap makes its file immutable, and ext4 refuses writes to it.
# Like for like: every device compared (and every loop device under a dm
# one) has the IO scheduler $BENCH_SCHED (default none); null_blk runs with
# memory_backed=0, so it moves no data, while BPF and io_uring null zero-fill
# reads (one 4 KiB memset per 4k read, the README counts it).
#
# Each run measures a window of steady IO: fio starts, the first IO is seen
# in /sys/block/DEV/stat, then BENCH_WINDOW_MS of guest time between two
# snapshots of that file and /proc/stat. Per run, one JSON line:
#   {"group","path","job","rep","ios","ms","iops","ctxt","intr","busy_ms"}
# ios: fio-sized IOs the device completed in the window (sectors moved over
# the job's block size); ctxt, intr: the deltas of
# /proc/stat's ctxt and intr (all CPUs); busy_ms: CPU time not idle.
# Per device: {"group","path","metric":"setup_ms","value"} (`load`/`add` to
# a usable device), {"metric":"step","step","ms"} (UBLK_BPF_TIMING's steps)
# and {"metric":"scheduler","value"}.
#   BENCH_PATHS          which paths (default: all three of each group);
#                        bpf_spread is the bpf device with the shim's
#                        spare-CPU rule on (bpf_spread=1) for its runs
#   BENCH_QUEUES=N       ublk devices with N queues (null_blk: N submit
#                        queues); a job JOB_jN runs N fio jobs at once
#   BENCH_PERF=FILE      record a perf profile of each run's window only
#                        (perf.data in the guest's tmpfs; fio runs on until
#                        perf is done) and append its top symbols, by self
#                        time and with children, to FILE. The window's IOPS
#                        then include perf's start-up: not for comparing.
#   BENCH_PERF_LIMIT=P   the smallest share (%) a symbol listed there has (0.7)
#   BENCH_STATS=1        print the shim's aio counters after each BPF run
. "$(dirname "$0")/../ublk/test_common.sh"
out=$1
window_ms=${BENCH_WINDOW_MS:-2000}
window_s=$(( window_ms / 1000 )).$(printf %03d $(( window_ms % 1000 )))
reps=${BENCH_REPS:-2}
groups=${BENCH_GROUPS:-null loop stripe mirror bmap}
jobs=${BENCH_JOBS:-randread4k_qd1 randread4k_qd32 randwrite4k_qd1 randwrite4k_qd32 read128k write128k}
file_size=${BENCH_FILE_SIZE:-256M}
sched=${BENCH_SCHED:-none}
queues=${BENCH_QUEUES:-1}

_prep_test bench
_need_shim
trap '_cleanup_bench; _cleanup_test' EXIT
: >"$out"

declare -A dev_of
dm_dev="" mnt=""

_cleanup_bench() {
	local id
	for id in "${UBLK_DEVS[@]}"; do "$UBLK_PROG" del -n "$id"; done
	UBLK_DEVS=()
	[ -n "$dm_dev" ] && dmsetup remove "$dm_dev" 2>/dev/null
	dm_dev=""
	# (new_loop_dev runs in a subshell: find the loop devices again.)
	losetup -D 2>/dev/null
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	mnt=""
	rm -f "$UBLK_TMP/a.img" "$UBLK_TMP/b.img"
	modprobe -r null_blk brd 2>/dev/null
}

job_args() {
	# JOB_jN: N fio jobs at once, each at JOB's depth, reported as one
	case $1 in
	*_j[0-9]*) echo "$(job_args "${1%_j*}") --numjobs=${1##*_j} --group_reporting"; return ;;
	esac
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

emit() { echo "$1" >>"$out"; }

# sysname DEV: the block device's name in /sys/block (dm-0 for /dev/mapper/x).
sysname() {
	local t
	t=$(stat -L -c '%t %T' "$1") || return 1
	# shellcheck disable=SC2086
	set -- $t
	basename "$(readlink -f "/sys/dev/block/$((16#$1)):$((16#$2))")"
}

# dm_node NAME: the dm device's node (/dev/dm-N: devtmpfs makes it; nothing
# here runs udev to fill /dev/mapper).
dm_node() {
	local mm
	mm=$(dmsetup info -c --noheadings -o major,minor "$1" | tr -d ' ') || return 1
	echo "/dev/$(basename "$(readlink -f "/sys/dev/block/$mm")")"
}

# set_sched DEV: the compared scheduler on a request-based device.
set_sched() {
	local f=/sys/block/$(sysname "$1")/queue/scheduler
	[ -w "$f" ] || return 0
	echo "$sched" >"$f" || _fail "cannot set scheduler $sched on $1"
}

# ublk_dev PATH VERB ARGS...: a ublk device; its set-up time and steps.
ublk_dev() {
	local path=$1 verb=$2 start end step ms
	shift 2
	start=$(date +%s%N)
	[ "$queues" -gt 1 ] && set -- "$@" -q "$queues"
	if [ "$verb" = load ]; then
		UBLK_DEV_ID=$(UBLK_BPF_TIMING=1 _add_ublk_dev load --require-bpf "$@" \
			--scheduler "$sched" 2>"$UBLK_TMP/timing") ||
			_fail "ublk-bpf load $*: $(cat "$UBLK_TMP/timing")"
	else
		UBLK_DEV_ID=$(UBLK_BPF_TIMING=1 _add_ublk_dev add "$@" --scheduler "$sched" \
			2>"$UBLK_TMP/timing") || _fail "ublk-bpf add $*: $(cat "$UBLK_TMP/timing")"
	fi
	end=$(date +%s%N)
	UBLK_DEVS+=("$UBLK_DEV_ID")
	dev_of[$path]=/dev/ublkb$UBLK_DEV_ID
	emit "$(printf '{"group":"%s","path":"%s","metric":"setup_ms","value":%d}' \
		"$group" "$path" $(( (end - start) / 1000000 )))"
	while read -r step ms; do
		emit "$(printf '{"group":"%s","path":"%s","metric":"step","step":"%s","ms":%s}' \
			"$group" "$path" "$step" "$ms")"
	done < <(sed -n 's/^ublk-bpf: timing \([a-z_]*\) \([0-9.]*\)$/\1 \2/p' "$UBLK_TMP/timing")
}

new_loop_dev() {
	local dev
	dev=$(losetup --direct-io=on -f --show "$1") || return 1
	set_sched "$dev"
	echo "$dev"
}

# fill FILE: real blocks of zeroes (no holes, no unwritten extents).
fill() {
	truncate -s "$file_size" "$1" || _fail "truncate $1"
	dd if=/dev/zero of="$1" bs=1M count=$(( $(stat -c %s "$1") >> 20 )) conv=notrunc,fsync \
		status=none || _fail "dd $1"
}

setup_group() {
	local a=$UBLK_TMP/a.img b=$UBLK_TMP/b.img la lb sectors
	case $group in
	null)
		ublk_dev bpf load "$UBLK_BPF_OBJS/null.bpf.o" --size 1G
		ublk_dev io_uring add -t null --size 1G
		modprobe null_blk nr_devices=1 gb=1 queue_mode=2 irqmode=0 submit_queues="$queues" \
			memory_backed=0 || _fail "modprobe null_blk"
		dev_of[kernel]=/dev/nullb0 ;;
	loop)
		fill "$a"
		ublk_dev bpf load "$UBLK_BPF_OBJS/loop.bpf.o" --file "$a"
		ublk_dev io_uring add -t loop --file "$a"
		dev_of[kernel]=$(new_loop_dev "$a") || _fail "losetup" ;;
	stripe)
		fill "$a"; fill "$b"
		ublk_dev bpf load "$UBLK_BPF_OBJS/stripe.bpf.o" --chunk 64k --file "$a" --file "$b"
		ublk_dev io_uring add -t stripe --chunk 64k --file "$a" --file "$b"
		la=$(new_loop_dev "$a") && lb=$(new_loop_dev "$b") || _fail "losetup"
		sectors=$(( $(blockdev --getsz "$la") * 2 ))
		dm_dev=bench-stripe
		echo "0 $sectors striped 2 128 $la 0 $lb 0" | dmsetup create $dm_dev || _fail "dm-stripe"
		dev_of[kernel]=$(dm_node $dm_dev) || _fail "dm-stripe node" ;;
	mirror)
		fill "$a"; fill "$b"
		ublk_dev bpf load "$UBLK_BPF_OBJS/mirror.bpf.o" --file "$a" --file "$b"
		ublk_dev io_uring add -t mirror --file "$a" --file "$b"
		la=$(new_loop_dev "$a") && lb=$(new_loop_dev "$b") || _fail "losetup"
		sectors=$(blockdev --getsz "$la")
		dm_dev=bench-mirror
		echo "0 $sectors mirror core 2 1024 nosync 2 $la 0 $lb 0" | dmsetup create $dm_dev ||
			_fail "dm-mirror"
		dev_of[kernel]=$(dm_node $dm_dev) || _fail "dm-mirror node" ;;
	bmap)
		# A RAM disk big enough for both files and ext4's own blocks.
		modprobe brd rd_nr=1 rd_size=$(( ($(numfmt --from=iec "$file_size") >> 10) * 5 / 2 )) ||
			_fail "modprobe brd"
		mkfs.ext4 -q -F /dev/ram0 || _fail "mkfs.ext4 /dev/ram0"
		mnt=$UBLK_TMP/mnt
		mkdir -p "$mnt" && mount /dev/ram0 "$mnt" || _fail "mount /dev/ram0"
		a=$mnt/a.img b=$mnt/b.img
		fill "$a"; fill "$b"
		ublk_dev bmap load "$UBLK_BPF_OBJS/bmap.bpf.o" --file "$a"
		ublk_dev bpf load "$UBLK_BPF_OBJS/loop.bpf.o" --file "$b"
		dev_of[kernel]=$(new_loop_dev "$b") || _fail "losetup" ;;
	esac
	for path in "${!dev_of[@]}"; do
		set_sched "${dev_of[$path]}"
		emit "$(printf '{"group":"%s","path":"%s","metric":"scheduler","value":"%s"}' \
			"$group" "$path" "$(sed -n 's/.*\[\(.*\)\].*/\1/p' \
			"/sys/block/$(sysname "${dev_of[$path]}")/queue/scheduler" \
			2>/dev/null || echo none)")"
	done
}

# job_sectors JOB: fio's block size for JOB, in 512-byte sectors.
job_sectors() {
	local bs
	bs=$(job_args "$1")
	bs=${bs#*--bs=}
	bs=${bs%%k*}
	echo $(( bs * 2 ))
}

# snap DEV: sectors moved by DEV (read + written), busy CPU ticks, ctxt,
# intr, now (us) into S_SECT S_BUSY S_CTXT S_INTR S_US; bash builtins only:
# no fork in the window. Sectors, not the IO counts: the block layer splits
# a 128k IO in two on devices with 64 KiB chunks (dm-stripe) or a 255-sector
# limit (null_blk), and their IO counts would count fio's IO twice.
snap() {
	local f
	read -ra f <"/sys/block/$1/stat"
	S_SECT=$(( f[2] + f[6] ))
	while read -ra f; do
		case ${f[0]} in
		cpu) S_BUSY=$(( f[1] + f[2] + f[3] + f[6] + f[7] + f[8] )) ;;
		ctxt) S_CTXT=${f[1]} ;;
		intr) S_INTR=${f[1]} ;;
		esac
	done </proc/stat
	S_US=${EPOCHREALTIME/./}
}

run_fio() {	# run_fio PATH JOB REP
	local dev=${dev_of[$1]:-} name pid i ios ms iops a=() sect tries
	local spread=/sys/module/ublk_drv/parameters/bpf_spread
	if [ "$1" = bpf_spread ]; then
		dev=${dev_of[bpf]}
		[ -w $spread ] || _fail "bpf_spread: the module has no bpf_spread"
		echo 1 >$spread
	elif [ -w $spread ]; then
		echo 0 >$spread
	fi
	sect=$(job_sectors "$2")
	name=$(sysname "$dev") && [ -b "$dev" ] || _fail "$1: $dev is not a block device"
	local runtime_ms=$(( window_ms + 600 ))
	# perf record -a -g first reads every task's maps: under TCG, seconds
	[ -n "${BENCH_PERF:-}" ] && runtime_ms=$(( window_ms + 120000 ))
	# shellcheck disable=SC2046
	fio --name=bench --filename="$dev" --ioengine=io_uring --direct=1 \
		--time_based --runtime=${runtime_ms}ms --size=128M \
		--output-format=json --eta=never --output="$UBLK_TMP/fio.json" $(job_args "$2") &
	pid=$!
	snap "$name"
	a=("$S_SECT")
	tries=600
	for ((i = 0; i < tries; i++)); do
		snap "$name"
		[ "$S_SECT" != "${a[0]}" ] && break
		read -r -t 0.05 -u "$sleep_fd"
	done
	[ "$S_SECT" != "${a[0]}" ] || _fail "fio $2 on $1: no IO in $(( i / 20 )) s"
	read -r -t 0.2 -u "$sleep_fd"
	snap "$name"
	a=("$S_SECT" "$S_BUSY" "$S_CTXT" "$S_INTR" "$S_US")
	if [ -n "${BENCH_PERF:-}" ]; then
		perf record -q -e cpu-clock -a -g -o "$UBLK_TMP/perf.data" -- sleep "$window_s" 2>/dev/null
	else
		# (read -t on a pipe that never speaks: a sleep without a fork)
		read -r -t "$window_s" -u "$sleep_fd"
	fi
	snap "$name"
	if [ -n "${BENCH_PERF:-}" ]; then
		kill -INT $pid
		wait $pid || :
	else
		wait $pid || _fail "fio $2 on $1 ($dev): $(cat "$UBLK_TMP/fio.json")"
		jq -e '.jobs[0].error == 0' "$UBLK_TMP/fio.json" >/dev/null || _fail "fio $2 on $1: error"
	fi
	ms=$(( (S_US - a[4]) / 1000 ))
	ios=$(( (S_SECT - a[0]) / sect ))
	iops=$(( ios * 1000 / (ms ? ms : 1) ))
	emit "$(printf '{"group":"%s","path":"%s","job":"%s","rep":%d,"ios":%d,"ms":%d,"iops":%d,"ctxt":%d,"intr":%d,"busy_ms":%d}' \
		"$group" "$1" "$2" "$3" "$ios" "$ms" "$iops" \
		$(( S_CTXT - a[2] )) $(( S_INTR - a[3] )) $(( (S_BUSY - a[1]) * 10 )))"
	echo "# $group $1 $2 rep $3: $iops IOPS"
	[ -n "${BENCH_PERF:-}" ] && perf_top "$group/$1/$2"
	# the shim's aio counters so far (over every run on the device)
	[ -n "${BENCH_STATS:-}" ] && [ "$1" != kernel ] &&
		"$UBLK_PROG" stats -n "${dev#/dev/ublkb}" 2>/dev/null | grep -E '^ *aio_' |
		tr -s ' ' | tr '\n' ' ' | sed "s|^|# $group $1 $2 rep $3 counters:|;s/\$/\n/"
	return 0
}

# perf_top WHAT: the profile's top symbols (self time, all CPUs) to $BENCH_PERF.
perf_top() {
	{
		echo "## $1: top symbols by self time (cpu-clock; in icount mode, instructions)"
		perf report -i "$UBLK_TMP/perf.data" --stdio --no-children --sort sym -g none \
			--percent-limit "${BENCH_PERF_LIMIT:-0.7}" 2>/dev/null | grep -vE '^(#|$)' |
			head -n 80
		echo "## $1: with children"
		perf report -i "$UBLK_TMP/perf.data" --stdio --children --sort sym -g none \
			--percent-limit 4 2>/dev/null | grep -vE '^(#|$)' | head -n 60
	} >>"$BENCH_PERF"
	rm -f "$UBLK_TMP/perf.data"
}

exec {sleep_fd}<> <(:)
for m in loop dm_mod dm_mirror; do modprobe $m || _fail "modprobe $m"; done
for group in $groups; do
	dev_of=()
	setup_group
	paths=${BENCH_PATHS:-$(if [ $group = bmap ]; then echo bmap bpf kernel; else echo bpf io_uring kernel; fi)}
	for job in $jobs; do
		for ((rep = 1; rep <= reps; rep++)); do
			for path in $paths; do
				run_fio "$path" "$job" "$rep"
			done
		done
	done
	_cleanup_bench
done
_check_dmesg
