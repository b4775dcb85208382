#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The rbd target against the two other ways to a block device of a Ceph
# image on Linux: rbd-nbd (librbd in user space behind the kernel's nbd)
# and krbd (`rbd map`, the kernel's rbd driver). The same image of a
# one-node cluster in the VM (tests/ublk/ceph_cluster.sh), the same fio
# jobs, one after another in one boot. A benchmark, not a test.
#   tests/bench/rbd_vs.sh          boots the VM (TCG), prints a table, keeps
#                                  it in .output/bench/rbd_vs.md
#   RBD_BENCH_RUNTIME=5            seconds per job
# Per IO: CPU time (all of the VM's busy time, /proc/stat, so the OSD's
# share is in every column alike) and context switches (/proc/stat ctxt).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.output/bench/rbd_vs.md
if [ "${1:-}" != --in-vm ]; then
	mkdir -p .output/bench
	tests/vm/run.sh --timeout 1500 --mem 3072 tests/bench/rbd_vs.sh --in-vm "$PWD/$out"
	cat "$out"
	exit 0
fi

out=$2
prog=$PWD/.output/bin/ublk-bpf
runtime=${RBD_BENCH_RUNTIME:-5}
dir=/tmp/rbd-bench
conf=$dir/ceph.conf
jobs=("randread4k_qd1 --rw=randread --bs=4k --iodepth=1"
      "randread4k_qd32 --rw=randread --bs=4k --iodepth=32"
      "randwrite4k_qd1 --rw=randwrite --bs=4k --iodepth=1"
      "randwrite4k_qd32 --rw=randwrite --bs=4k --iodepth=32"
      "read128k_qd8 --rw=read --bs=128k --iodepth=8"
      "write128k_qd8 --rw=write --bs=128k --iodepth=8")

modprobe ublk_drv 2>/dev/null || insmod "$PWD/.output/kfunc-shim/ublk_drv.ko" 2>/dev/null || true
modprobe nbd nbds_max=2
modprobe rbd
tests/ublk/ceph_cluster.sh start "$dir" --cephx
rbd -c "$conf" create rbd/bench --size 256M --image-feature layering,exclusive-lock
# busy: the VM's non-idle jiffies; ctxt: its context switches.
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
ctxt() { awk '/^ctxt/ { print $2 }' /proc/stat; }

# run_fio DEV JOB ARGS: "IOPS MiB/s us-CPU/IO ctxsw/IO" of one job.
run_fio() {
	local dev=$1 name=$2 b0 c0 b1 c1 hz
	shift 2
	hz=$(getconf CLK_TCK)
	b0=$(busy) c0=$(ctxt)
	fio --name="$name" --filename="$dev" --ioengine=io_uring --direct=1 --time_based \
	    --runtime="$runtime" --size=256M --output-format=json "$@" >"$dir/fio.json"
	b1=$(busy) c1=$(ctxt)
	jq -r --argjson busy "$(( (b1 - b0) * 1000000 / hz ))" --argjson cs "$((c1 - c0))" \
	   '.jobs[0] | (.read.total_ios + .write.total_ios) as $n |
	    (.read.iops + .write.iops | floor | tostring) + " " +
	    ((.read.bw + .write.bw) / 1024 | floor | tostring) + " " +
	    ($busy / ($n + 0.001) | floor | tostring) + " " +
	    ($cs / ($n + 0.001) * 10 | floor / 10 | tostring)' "$dir/fio.json"
}

# bench NAME DEV: every job on DEV into the array NAME.
bench() {
	local -n res=$1
	local dev=$2 j sched
	# A path that is no block device would have fio and dd write a file.
	test -b "$dev" || { echo "rbd_vs: $dev is not a block device" >&2; return 1; }
	# Like for like: every device on the same scheduler (none).
	sched=/sys/block/${dev#/dev/}/queue/scheduler
	[ -w "$sched" ] && echo none >"$sched"
	# Written once, so reads read data, not holes.
	dd if=/dev/urandom of="$dev" bs=1M count=256 oflag=direct status=none
	for j in "${jobs[@]}"; do
		set -- $j
		res[$1]=$(run_fio "$dev" "$@") || echo "rbd_vs: fio $1 on $dev failed" >&2
	done
}

declare -A ublk nbd krbd
id=$("$prog" add -t rbd --conf "$conf" --pool rbd --image bench -d 128)
id=${id#dev id }
bench ublk /dev/ublkb$id
"$prog" del -n "$id"

# A client that cannot map leaves its columns empty, the others still run.
if dev=$(rbd-nbd -c "$conf" map rbd/bench); then
	bench nbd "$dev"
	rbd-nbd unmap "$dev"
else
	echo "rbd_vs: rbd-nbd map failed" >&2
fi
if dev=$(rbd -c "$conf" map rbd/bench); then
	bench krbd "$dev"
	rbd -c "$conf" unmap "$dev"
else
	echo "rbd_vs: rbd map (krbd) failed" >&2
fi
tests/ublk/ceph_cluster.sh stop "$dir"

{
	echo "One-node Ceph (memstore OSD, cephx) in the VM, 256 MiB image, fio io_uring direct,"
	echo "${runtime} s per job. Mode: TCG wall clock (QEMU, $(nproc) vCPUs). CPU us/IO and"
	echo "ctxsw/IO: the whole VM's (the OSD's included, alike for all three)."
	echo
	echo "| job | ublk-bpf rbd IOPS | CPU us/IO | ctxsw/IO | rbd-nbd IOPS | CPU us/IO | ctxsw/IO | krbd IOPS | CPU us/IO | ctxsw/IO |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for j in "${jobs[@]}"; do
		set -- $j
		read -r ui _ uc us <<<"${ublk[$1]:-- - - -}"
		read -r ni _ nc ns <<<"${nbd[$1]:-- - - -}"
		read -r ki _ kc ks <<<"${krbd[$1]:-- - - -}"
		echo "| $1 | $ui | $uc | $us | $ni | $nc | $ns | $ki | $kc | $ks |"
	done
} | tee "$out"
