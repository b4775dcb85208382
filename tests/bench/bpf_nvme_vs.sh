#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bpf_nvme_vs.sh [--icount] [--smp N]: the NVMe driver written as a BPF
# program (bpf/nvme.bpf.c behind a ublk device, `load --pci`) against the
# kernel's nvme driver, on the same QEMU NVMe controller in one boot
# (tests/vm/run.sh --nvme). The controller changes hands before every
# repetition (nvme, then ublk_bpf_pci, and so on), so both drivers see the
# same host load. Same fio jobs on both (io_uring, direct, scheduler none),
# as many I/O queues as vCPUs on both. Per job: median IOPS and busy CPU
# ns per IO over a window that leaves out fio's start and end (in icount
# mode one ns is one instruction: the primary figure). A benchmark, not a
# test: it prints a table and keeps it in .output/bench/bpf_nvme_vs.<mode>.md.
#   BNV_RUNTIME (s, default 5), BNV_REPS (3), BNV_JOBS (names below)
# Emulated hardware: QEMU's controller does its work on the host, outside
# the guest's clock; the figures compare the guest's cost of driving it,
# not what a real SSD's latency would add or hide.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

if [ "${UBLK_BPF_IN_VM:-}" != 1 ]; then
	vm_args=() mode=tcg
	while [ $# -gt 0 ]; do
		case "$1" in
		--icount) vm_args+=(--icount); mode=icount; shift ;;
		--smp) vm_args+=(--smp "${2:?}"); shift 2 ;;
		*) echo "usage: $0 [--icount] [--smp N]" >&2; exit 2 ;;
		esac
	done
	mkdir -p "$repo/.output/bench"
	mapfile -t knobs < <(compgen -e | grep '^BNV_' | while read -r v; do echo "$v=${!v}"; done)
	"$repo/tests/vm/run.sh" "${vm_args[@]}" --nvme 256M --module shim --timeout 1800 \
		env "${knobs[@]}" "$0" >"$repo/.output/bench/bpf_nvme_vs.$mode.md" || exit 1
	cat "$repo/.output/bench/bpf_nvme_vs.$mode.md"
	exit 0
fi

runtime=${BNV_RUNTIME:-5}
reps=${BNV_REPS:-3}
prog=$repo/.output/bin/ublk-bpf
obj=$repo/.output/bpf/nvme.bpf.o
pci=/sys/bus/pci
tmp=$(mktemp -d /tmp/bnv.XXXXXX)
declare -A jobs=(
	[randread4k_qd1]="--rw=randread --bs=4k --iodepth=1"
	[randread4k_qd32]="--rw=randread --bs=4k --iodepth=32"
	[randwrite4k_qd1]="--rw=randwrite --bs=4k --iodepth=1"
	[randwrite4k_qd32]="--rw=randwrite --bs=4k --iodepth=32"
	[read128k_qd8]="--rw=read --bs=128k --iodepth=8"
)
order=${BNV_JOBS:-randread4k_qd1 randread4k_qd32 randwrite4k_qd1 randwrite4k_qd32 read128k_qd8}
. "$repo/tests/ublk/test_common.sh"
_load_ublk_module || { echo "bpf_nvme_vs.sh: cannot load ublk_drv" >&2; exit 1; }
modprobe nvme

bdf=
for d in "$pci"/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0010 ] && bdf=$(basename "$d")
done
[ -n "$bdf" ] || { echo "bpf_nvme_vs.sh: no QEMU NVMe controller" >&2; exit 1; }

# unbind: the controller leaves whichever driver has it
unbind() {
	[ -e "$pci/devices/$bdf/driver" ] && echo "$bdf" >"$pci/devices/$bdf/driver/unbind"
	echo >"$pci/devices/$bdf/driver_override"
}

# to_kernel / to_bpf: the device fio measures, on stdout
to_kernel() {
	local blk='' b
	unbind
	echo "$bdf" >"$pci/drivers_probe"
	for _ in $(seq 100); do
		for b in "$pci/devices/$bdf/nvme/"nvme*/nvme*n1; do
			[ -e "$b" ] && blk=$(basename "$b")
		done
		[ -n "$blk" ] && [ -b "/dev/$blk" ] && break
		sleep 0.1
	done
	[ -b "/dev/$blk" ] || { echo "bpf_nvme_vs.sh: nvme made no disk on $bdf" >&2; exit 1; }
	echo none >"/sys/block/$blk/queue/scheduler"
	echo "/dev/$blk"
}
to_bpf() {
	local id
	unbind
	id=$("$prog" load "$obj" --pci "$bdf" -q "$(nproc)" -d 63 | sed 's/dev id //') ||
		{ echo "bpf_nvme_vs.sh: load --pci failed" >&2; exit 1; }
	udevadm settle 2>/dev/null
	[ -b "/dev/ublkb$id" ] || { echo "bpf_nvme_vs.sh: /dev/ublkb$id is not a block device" >&2; exit 1; }
	echo none >"/sys/block/ublkb$id/queue/scheduler"
	echo "/dev/ublkb$id"
}
release_bpf() { "$prog" del -a >/dev/null 2>&1; }

# snap DEV: IOs DEV completed and busy CPU ticks (all CPUs) into S_IOS S_BUSY
snap() {
	local f
	read -ra f <"/sys/block/${1#/dev/}/stat"
	S_IOS=$(( f[0] + f[4] ))
	read -ra f </proc/stat
	S_BUSY=$(( f[1] + f[2] + f[3] + f[6] + f[7] + f[8] ))
}

# measure DEV JOB: "IOPS busy-ns-per-IO" of one fio run
exec {sleep_fd}<> <(:)
measure() {
	local pid a
	# shellcheck disable=SC2086
	fio --name=bnv --filename="$1" --ioengine=io_uring --direct=1 ${jobs[$2]} \
		--time_based --runtime="$runtime" --size=200M \
		--output-format=terse --terse-version=3 >"$tmp/fio.out" 2>/dev/null &
	pid=$!
	read -r -t 1 -u "$sleep_fd"
	snap "$1"; a=("$S_IOS" "$S_BUSY")
	read -r -t "$(awk -v r="$runtime" 'BEGIN { print r - 2 }')" -u "$sleep_fd"
	snap "$1"
	wait "$pid" || { echo "bpf_nvme_vs.sh: fio $2 failed on $1" >&2; exit 1; }
	echo "$(awk -F';' '{ printf "%d", $8 + $49 }' "$tmp/fio.out")" \
		"$(( (S_BUSY - a[1]) * 10000000 / (S_IOS > a[0] ? S_IOS - a[0] : 1) ))"
}

median() {
	awk -v c="$1" '{ print $c }' | sort -n |
		awk '{ v[NR] = $1 } END { printf "%d (%d-%d)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN { printf "%.2fx", b ? a / b : 0 }'; }

for _ in $(seq "$reps"); do
	dev=$(to_kernel)
	for job in $order; do measure "$dev" "$job" >>"$tmp/kernel.$job"; done
	dev=$(to_bpf)
	for job in $order; do measure "$dev" "$job" >>"$tmp/bpf.$job"; done
	release_bpf
done
to_kernel >/dev/null

mode=${UBLK_VM_MODE:-tcg}
echo "| job | BPF nvme IOPS | kernel nvme IOPS | BPF / kernel | BPF ns/IO | kernel ns/IO | BPF / kernel |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for job in $order; do
	ib=$(median 1 <"$tmp/bpf.$job") ik=$(median 1 <"$tmp/kernel.$job")
	nb=$(median 2 <"$tmp/bpf.$job") nk=$(median 2 <"$tmp/kernel.$job")
	echo "| $job | $ib | $ik | $(ratio "$ib" "$ik") | $nb | $nk | $(ratio "$nb" "$nk") |"
done
echo "# mode $mode, $(nproc) vCPU, $(uname -r), QEMU NVMe controller (256 MiB namespace), $(nproc) I/O queues each, fio io_uring direct, scheduler none, ${runtime}s x $reps, drivers alternating"
rm -rf "$tmp"
