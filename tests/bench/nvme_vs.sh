#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The nvme-tcp target against the kernel's own nvme-tcp host (`nvme
# connect -t tcp`, nvme-cli), on the same nvmet-tcp subsystem on 127.0.0.1
# (namespaces 1 and 2 on null_blk), with the same fio jobs: 2 I/O queues of
# depth 128 each. Per job: IOPS, guest CPU ms per 1000 IOs and context
# switches per IO (/proc/stat). Once on namespace 1 alone, once on both
# namespaces at once through ONE NVMe controller on each side (ublk-bpf:
# `--all --ctrl`, one shim controller's tag set of 2 x 128; the kernel:
# one controller's tag set). Then the kernel memory of 64 null devices of
# 4 x 128 tags with their own tag sets and with one shared controller
# (--ctrl): the drop of MemFree (slab and page tables left out) less the daemons'
# RSS; it moves by megabytes run to run: tests/bench/tagset_mem.sh counts the
# tag sets' bytes through the module instead. A benchmark, not a test.
#   tests/bench/nvme_vs.sh          boots the VM (TCG), prints a table, keeps
#                                   it in .output/bench/nvme_vs.md
#   NVME_BENCH_RUNTIME=5            seconds per job
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.output/bench/nvme_vs.md
if [ "${1:-}" != --in-vm ]; then
	mkdir -p .output/bench
	tests/vm/run.sh --module shim --timeout 600 ${NVME_BENCH_TRACE:+bash -x} "$PWD/tests/bench/nvme_vs.sh" --in-vm "$PWD/$out"
	cat "$out"
	exit 0
fi

out=$2
prog=$PWD/.output/bin/ublk-bpf
runtime=${NVME_BENCH_RUNTIME:-5}
tmp=$(mktemp -d /tmp/nvme-bench.XXXXXX)
nqn=nqn.2026-12.org.ublk-bpf:bench
cfs=/sys/kernel/config/nvmet
jobs=("randread4k_qd32 --rw=randread --bs=4k --iodepth=32"
      "randwrite4k_qd32 --rw=randwrite --bs=4k --iodepth=32"
      "read128k_qd8 --rw=read --bs=128k --iodepth=8")

ip link set lo up
insmod "$PWD/.output/kfunc-shim/ublk_drv.ko" 2>/dev/null || modprobe ublk_drv
modprobe null_blk nr_devices=2 gb=1 queue_mode=2 irqmode=0
modprobe nvmet; modprobe nvmet-tcp; modprobe nvme-tcp
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
mkdir "$cfs/subsystems/$nqn"; echo 1 >"$cfs/subsystems/$nqn/attr_allow_any_host"
for n in 1 2; do
	mkdir "$cfs/subsystems/$nqn/namespaces/$n"
	echo -n /dev/nullb$((n - 1)) >"$cfs/subsystems/$nqn/namespaces/$n/device_path"
	echo 1 >"$cfs/subsystems/$nqn/namespaces/$n/enable"
done
mkdir "$cfs/ports/1"; echo tcp >"$cfs/ports/1/addr_trtype"; echo ipv4 >"$cfs/ports/1/addr_adrfam"
echo 127.0.0.1 >"$cfs/ports/1/addr_traddr"; echo 4420 >"$cfs/ports/1/addr_trsvcid"
ln -s "$cfs/subsystems/$nqn" "$cfs/ports/1/subsystems/$nqn"

# busy and ctxt of /proc/stat: "BUSY_TICKS CTXT"
stat_now() { awk '/^cpu /{b=$2+$3+$4+$7+$8} /^ctxt/{c=$2} END{print b, c}' /proc/stat; }
hz=$(getconf CLK_TCK)

# run_fio DEVS JOB ARGS: "IOPS CPU-ms-per-1000-IOs ctxt-per-IO" of one job,
# one fio job per device of DEVS (colon separated), all at once.
run_fio() {
	local devs=$1 name=$2 b0 c0 b1 c1 ios sched dev per=()
	shift 2
	for dev in ${devs//:/ }; do
		test -b "$dev" || { echo "nvme_vs: $dev is not a block device" >&2; exit 1; }
		# Like for like: both hosts' devices on the same scheduler (none).
		sched=/sys/block/${dev#/dev/}/queue/scheduler
		[ -w "$sched" ] && echo none >"$sched"
		per+=(--name="$name-${dev#/dev/}" --filename="$dev")
	done
	read -r b0 c0 < <(stat_now)
	# A stalled device fails the run rather than holding the VM to its end.
	timeout $((runtime + 60)) fio --ioengine=io_uring --direct=1 --time_based --runtime="$runtime" --size=1G \
	    --output-format=json "$@" "${per[@]}" >"$tmp/fio.json"
	read -r b1 c1 < <(stat_now)
	ios=$(jq '[.jobs[] | .read.total_ios + .write.total_ios] | add' "$tmp/fio.json")
	echo "$((ios / runtime)) $(echo "scale=2; ($b1 - $b0) * 1000 / $hz * 1000 / $ios" | bc) $(echo "scale=2; ($c1 - $c0) / $ios" | bc)"
}

declare -A ublk kern ublk2 kern2
id=$("$prog" add -t nvme-tcp --traddr 127.0.0.1 --subnqn "$nqn" -q 2 -d 128 | sed 's/dev id //')
for j in "${jobs[@]}"; do
	set -- $j
	ublk[$1]=$(run_fio /dev/ublkb$id "$@")
done
"$prog" del -n "$id"
c=$("$prog" ctrl add -q 2 -d 128)
ids=($("$prog" add -t nvme-tcp --traddr 127.0.0.1 --subnqn "$nqn" --all --ctrl "$c" -q 2 -d 128 |
	sed 's/dev id //'))
for j in "${jobs[@]}"; do
	set -- $j
	ublk2[$1]=$(run_fio "/dev/ublkb${ids[0]}:/dev/ublkb${ids[1]}" "$@")
done
for i in "${ids[@]}"; do "$prog" del -n "$i"; done
"$prog" ctrl del -n "$c"

uuid=$(cat /proc/sys/kernel/random/uuid)
nvme connect -t tcp -a 127.0.0.1 -s 4420 -n "$nqn" -i 2 -Q 128 \
	-q "nqn.2014-08.org.nvmexpress:uuid:$uuid" -I "$uuid" >/dev/null
for i in $(seq 50); do
	dev=$(ls /dev/nvme*n1 2>/dev/null | head -n1 || true)
	[ -n "$dev" ] && [ -b "${dev%n1}n2" ] && break
	sleep 0.2
done
for j in "${jobs[@]}"; do
	set -- $j
	kern[$1]=$(run_fio "$dev" "$@")
	kern2[$1]=$(run_fio "$dev:${dev%n1}n2" "$@")
done
nvme disconnect -n "$nqn" >/dev/null

# mem_kb: MemFree in kB, with slab and page tables counted as free: what
# else the kernel and the daemons take (tag sets' requests are pages).
mem_kb() { awk '/^MemFree/{f=$2} /^Slab/{s=$2} /^PageTables/{p=$2} END{print f + s + p}' /proc/meminfo; }
# mem_of CTRL-ARGS: kernel kB of $ndevs null devices of 4 x 128 tags.
mem_of() {
	local m0 m1 rss=0 pid ids
	sync; echo 3 >/proc/sys/vm/drop_caches
	m0=$(mem_kb)
	ids=$("$prog" add -t null -q 4 -d 128 --count $ndevs "$@" | sed 's/dev id //')
	sleep 1
	m1=$(mem_kb)
	for pid in $(pgrep -f "ublk-bpf add -t null"); do
		rss=$((rss + $(awk '/^VmRSS/{print $2}' /proc/$pid/status)))
	done
	for i in $ids; do "$prog" del -n "$i"; done
	echo $((m0 - m1 - rss))
}
ndevs=64
c=$("$prog" ctrl add -q 4 -d 128)
own="$(mem_of) $(mem_of)"
shared="$(mem_of --ctrl "$c") $(mem_of --ctrl "$c")"
"$prog" ctrl del -n "$c"

rm -f "$cfs/ports/1/subsystems/$nqn"; rmdir "$cfs/ports/1"
rmdir "$cfs/subsystems/$nqn/namespaces/1" "$cfs/subsystems/$nqn/namespaces/2" "$cfs/subsystems/$nqn"
{
	echo "nvmet-tcp on 127.0.0.1, namespaces on null_blk (1 GiB each), 2 I/O queues of depth 128,"
	echo "fio io_uring direct, ${runtime} s per job. Mode: TCG wall clock (QEMU, 2 vCPUs)."
	echo "CPU: guest busy ms per 1000 IOs (all CPUs, target included); ctxt: switches per IO."
	echo
	echo "| job | ublk-bpf nvme-tcp IOPS | CPU | ctxt | kernel nvme-tcp IOPS | CPU | ctxt | IOPS ratio |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	for j in "${jobs[@]}"; do
		set -- $j
		for side in 1 2; do
			if [ $side = 1 ]; then
				read -r ui uc ux <<<"${ublk[$1]}"
				read -r ki kc kx <<<"${kern[$1]}"
				name=$1
			else
				read -r ui uc ux <<<"${ublk2[$1]}"
				read -r ki kc kx <<<"${kern2[$1]}"
				name="$1, 2 namespaces at once, one controller"
			fi
			echo "| $name | $ui | $uc | $ux | $ki | $kc | $kx | $(echo "scale=2; $ui / ($ki + 0.0001)" | bc) |"
		done
	done
	echo
	echo "Memory of $ndevs null devices of 4 x 128 tags outside slab and page tables (MemFree"
	echo "drop less the daemon's RSS), twice each: own tag sets ${own} kB, one shared controller ${shared} kB."
} | tee "$out"
rm -rf "$tmp"
