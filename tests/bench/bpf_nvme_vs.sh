#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The NVMe driver written as a BPF program (bpf/nvme.bpf.o, issue 22)
# against the kernel's nvme driver, on the same QEMU NVMe controller in one
# boot: fio 4k random read and write at QD1 and QD32, 128k sequential read
# at QD8; one I/O queue on each side (one vCPU), scheduler none. Per job:
# IOPS and guest nanoseconds per IO (1e9 / IOPS: in icount mode a guest
# nanosecond is one instruction, so it is instructions per IO, the whole
# machine's, QEMU's device model included) and context switches per IO.
# One boot in icount mode (the primary figure, it repeats run to run), one
# in TCG (wall clock). A benchmark, not a test.
#   tests/bench/bpf_nvme_vs.sh        both boots; .output/bench/bpf_nvme_vs.md
#   BPF_NVME_BENCH_MODES=icount       one of them
#   BPF_NVME_BENCH_RUNTIME=3          guest seconds per job
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$PWD/.output/bench/bpf_nvme_vs.md
if [ "${1:-}" != --in-vm ]; then
	mkdir -p .output/bench
	{
		echo "# BPF NVMe driver vs the kernel's nvme ($(date -u +%F), QEMU NVMe, 1 vCPU)"
		echo
		echo "| mode | job | bpf IOPS | nvme IOPS | bpf ns/IO | nvme ns/IO | bpf/nvme ns | bpf ctxsw/IO | nvme ctxsw/IO |"
		echo "|---|---|---|---|---|---|---|---|---|"
	} >"$out"
	for mode in ${BPF_NVME_BENCH_MODES:-icount tcg}; do
		flag=
		[ "$mode" = icount ] && flag=--icount
		tests/vm/run.sh --module shim --nvme 512M --smp 1 $flag --timeout 900 \
			"$PWD/tests/bench/bpf_nvme_vs.sh" --in-vm "$mode" >>"$out.log" 2>&1 ||
			{ tail -20 "$out.log"; exit 1; }
		grep '^| ' "$out.log" | grep -v '^| mode' | sed -n "/^| $mode /p" >>"$out"
		: >"$out.log"
	done
	cat "$out"
	exit 0
fi

mode=$2
prog=$PWD/.output/bin/ublk-bpf
obj=$PWD/.output/bpf/nvme.bpf.o
runtime=${BPF_NVME_BENCH_RUNTIME:-3}
PCI=/sys/bus/pci
jobs=("randread4k_qd1 --rw=randread --bs=4k --iodepth=1"
      "randread4k_qd32 --rw=randread --bs=4k --iodepth=32"
      "randwrite4k_qd1 --rw=randwrite --bs=4k --iodepth=1"
      "randwrite4k_qd32 --rw=randwrite --bs=4k --iodepth=32"
      "read128k_qd8 --rw=read --bs=128k --iodepth=8")

insmod "$PWD/.output/kfunc-shim/ublk_drv.ko" 2>/dev/null || true
modprobe nvme
bdf=
for d in "$PCI"/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0010 ] && bdf=$(basename "$d")
done
[ -n "$bdf" ] || { echo "bpf_nvme_vs: no QEMU NVMe controller" >&2; exit 1; }
driver_of() { basename "$(readlink "$PCI/devices/$bdf/driver" 2>/dev/null)" 2>/dev/null; }
unbind() { [ -e "$PCI/devices/$bdf/driver" ] && echo "$bdf" >"$PCI/devices/$bdf/driver/unbind" || true; }

ctxt() { awk '/^ctxt/ {print $2}' /proc/stat; }
# run_fio DEV JOB ARGS: "IOPS NS-PER-IO CTXSW-PER-IO"
run_fio() {
	local dev=$1 c0 c1 json ios iops
	shift 2
	echo none >"/sys/block/${dev#/dev/}/queue/scheduler"
	c0=$(ctxt)
	json=$(timeout $((runtime * 20 + 60)) fio --name=b --filename="$dev" --ioengine=io_uring \
		--direct=1 --time_based --runtime="$runtime" --size=256M --output-format=json "$@")
	c1=$(ctxt)
	ios=$(echo "$json" | jq '[.jobs[0].read.total_ios, .jobs[0].write.total_ios] | add')
	iops=$(echo "$json" | jq '[.jobs[0].read.iops, .jobs[0].write.iops] | add | floor')
	awk -v n="$ios" -v i="$iops" -v c=$((c1 - c0)) 'BEGIN { printf "%d %.0f %.2f", i, 1e9 / i, c / n }'
}

declare -A res
# the BPF driver: the controller taken from nvme
echo >"$PCI/devices/$bdf/driver_override"
unbind
id=$("$prog" load "$obj" --pci "$bdf" -q 1 -d 63 | sed 's/dev id //')
# written once, so reads are not of deallocated blocks
dd if=/dev/urandom of=/dev/ublkb$id bs=1M count=256 oflag=direct status=none
for j in "${jobs[@]}"; do
	res[bpf ${j%% *}]=$(run_fio /dev/ublkb$id $j)
done
"$prog" stats -n "$id" --json | grep -o '"nvme_stats":{[^}]*}'
"$prog" del -n "$id"
# the kernel's nvme on the same controller
echo >"$PCI/devices/$bdf/driver_override"
unbind
echo "$bdf" >"$PCI/drivers_probe"
for i in $(seq 100); do [ -b /dev/nvme0n1 ] && break; sleep 0.1; done
[ "$(driver_of)" = nvme ] && [ -b /dev/nvme0n1 ] || { echo "bpf_nvme_vs: nvme did not take $bdf" >&2; exit 1; }
for j in "${jobs[@]}"; do
	res[nvme ${j%% *}]=$(run_fio /dev/nvme0n1 $j)
done
for j in "${jobs[@]}"; do
	n=${j%% *}
	read -r bi bn bc <<<"${res[bpf $n]}"
	read -r ki kn kc <<<"${res[nvme $n]}"
	awk -v m="$mode" -v n="$n" -v bi="$bi" -v ki="$ki" -v bn="$bn" -v kn="$kn" -v bc="$bc" -v kc="$kc" \
		'BEGIN { printf "| %s | %s | %d | %d | %d | %d | %.2f | %s | %s |\n", m, n, bi, ki, bn, kn, bn / kn, bc, kc }'
done
