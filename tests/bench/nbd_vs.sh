#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The nbd target against the kernel's own nbd driver (nbd.ko + nbd-client),
# on the same nbd-server export on 127.0.0.1, with the same fio jobs: one
# connection each, queue depth 128. A benchmark, not a test.
#   tests/bench/nbd_vs.sh          boots the VM (TCG), prints a table, keeps
#                                  it in .output/bench/nbd_vs.md
#   NBD_BENCH_RUNTIME=5            seconds per job
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.output/bench/nbd_vs.md
if [ "${1:-}" != --in-vm ]; then
	mkdir -p .output/bench
	tests/vm/run.sh --module shim --timeout 1500 tests/bench/nbd_vs.sh --in-vm "$PWD/$out"
	cat "$out"
	exit 0
fi

out=$2
prog=$PWD/.output/bin/ublk-bpf
runtime=${NBD_BENCH_RUNTIME:-5}
tmp=$(mktemp -d /tmp/nbd-bench.XXXXXX)
port=10809
jobs=("randread4k_qd32 --rw=randread --bs=4k --iodepth=32"
      "randwrite4k_qd32 --rw=randwrite --bs=4k --iodepth=32"
      "read1M_qd8 --rw=read --bs=1M --iodepth=8"
      "write1M_qd8 --rw=write --bs=1M --iodepth=8")

ip link set lo up 2>/dev/null || true
modprobe ublk_drv 2>/dev/null || insmod "$PWD/.output/kfunc-shim/ublk_drv.ko" 2>/dev/null || true
modprobe nbd nbds_max=2
truncate -s 512M "$tmp/export.img"
printf '[generic]\n listenaddr = 127.0.0.1\n port = %s\n allowlist = true\n[disk]\n exportname = %s\n flush = true\n fua = true\n trim = true\n' \
	"$port" "$tmp/export.img" >"$tmp/nbd.conf"
nbd-server -C "$tmp/nbd.conf" -p "$tmp/pid"
# Its first connection is slow under TCG: wait until it lists its exports.
for i in $(seq 60); do
	nbd-client -l 127.0.0.1 $port >/dev/null 2>&1 && break
	sleep 0.5
done
# Written once, so reads read data, not holes.
dd if=/dev/urandom of="$tmp/export.img" bs=1M count=512 conv=notrunc status=none

# run_fio DEV JOB ARGS: "IOPS MiB/s" of one job.
run_fio() {
	local dev=$1 name=$2
	shift 2
	fio --name="$name" --filename="$dev" --ioengine=io_uring --direct=1 --time_based \
	    --runtime="$runtime" --size=512M --output-format=json "$@" >"$tmp/fio.json"
	jq -r '.jobs[0] | (.read.iops + .write.iops | floor | tostring) + " " +
	       ((.read.bw + .write.bw) / 1024 | floor | tostring)' "$tmp/fio.json"
}

declare -A ublk kern
out_id=$("$prog" add -t nbd --host 127.0.0.1 --port $port --export disk -q 1 -d 128)
id=${out_id#dev id }
for j in "${jobs[@]}"; do
	set -- $j
	ublk[$1]=$(run_fio /dev/ublkb$id "$@")
done
"$prog" del -n "$id"

nbd-client -N disk -C 1 127.0.0.1 $port /dev/nbd0 >/dev/null
for j in "${jobs[@]}"; do
	set -- $j
	kern[$1]=$(run_fio /dev/nbd0 "$@")
done
nbd-client -d /dev/nbd0 >/dev/null
kill "$(cat "$tmp/pid")" 2>/dev/null || true

{
	echo "nbd-server on 127.0.0.1, 512 MiB export, 1 connection, queue depth 128,"
	echo "fio io_uring direct, ${runtime} s per job. Mode: TCG wall clock (QEMU, 2 vCPUs)."
	echo
	echo "| job | ublk-bpf nbd IOPS | MiB/s | kernel nbd IOPS | MiB/s | ratio |"
	echo "|---|---:|---:|---:|---:|---:|"
	for j in "${jobs[@]}"; do
		set -- $j
		read -r ui um <<<"${ublk[$1]}"
		read -r ki km <<<"${kern[$1]}"
		echo "| $1 | $ui | $um | $ki | $km | $(echo "scale=2; $ui / ($ki + 0.0001)" | bc) |"
	done
} | tee "$out"
rm -rf "$tmp"
