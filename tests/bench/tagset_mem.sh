#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tag-set memory of N null devices of 4 x 128 tags, each with its own
# tag set and all joined to one controller (`ublk-bpf ctrl add`, --ctrl):
# the bytes the kfunc-shim counts for every tag set it allocated
# (/sys/module/ublk_drv/parameters/tagset_bytes: request pages walked, tag
# maps from their geometry), read before and after; beside it the change of
# the kernel's unreclaimable slab (SUnreclaim), which holds the tag maps and
# every other object of a device (disk, queue, hctxs) but not the request
# pages. MemFree moves by megabytes run to run and is not used. A benchmark,
# not a test.
#   tests/bench/tagset_mem.sh         boots the VM, prints the table, keeps it
#                                     in .output/bench/tagset_mem.md
#   tests/bench/tagset_mem.sh --in-vm OUT [N...]   in a guest with the shim
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.output/bench/tagset_mem.md
if [ "${1:-}" != --in-vm ]; then
	mkdir -p .output/bench
	tests/vm/run.sh --module shim --timeout 300 tests/bench/tagset_mem.sh --in-vm "$PWD/$out"
	cat "$out"
	exit 0
fi
out=$2
shift 2
[ $# -gt 0 ] || set -- 16 64
counts=("$@")
prog=$PWD/.output/bin/ublk-bpf
param=/sys/module/ublk_drv/parameters/tagset_bytes
lsmod | grep -q '^ublk_drv' || insmod "$PWD/.output/kfunc-shim/ublk_drv.ko"
[ -r "$param" ] || { echo "tagset_mem: $param missing: not the kfunc-shim with tag set counting" >&2; exit 4; }

sunreclaim() { awk '/^SUnreclaim/{print $2 * 1024}' /proc/meminfo; }
# measure N [--ctrl ID]: "TAGSET-BYTES SLAB-BYTES" that N devices added.
measure() {
	local n=$1 t0 s0 t1 s1 ids
	shift
	t0=$(cat "$param") s0=$(sunreclaim)
	ids=$("$prog" add -t null -q 4 -d 128 --count "$n" "$@" | sed 's/dev id //')
	t1=$(cat "$param") s1=$(sunreclaim)
	# shellcheck disable=SC2086
	for i in $ids; do "$prog" del -n "$i"; done
	echo "$((t1 - t0)) $((s1 - s0))"
}
kib() { echo $(($1 / 1024)); }

{
	echo "null devices of 4 hw queues x 128 tags, guest of $(nproc) CPUs (TCG); bytes as the"
	echo "kfunc-shim counts them (tagset_bytes), and the change of SUnreclaim for comparison."
	echo
	echo "| devices | own sets: tag-set KiB | per device | one controller: tag-set KiB | saved | SUnreclaim own / shared KiB |"
	echo "|---:|---:|---:|---:|---:|---:|"
	for n in "${counts[@]}"; do
		read -r own_t own_s < <(measure "$n")
		c=$("$prog" ctrl add -q 4 -d 128)
		ctrl_bytes=$("$prog" ctrl list --json | jq ".controllers[] | select(.id == $c) | .tagset_bytes")
		read -r sh_t sh_s < <(measure "$n" --ctrl "$c")
		"$prog" ctrl del -n "$c"
		# the controller's set was made before measure: count it in
		sh_t=$((sh_t + ctrl_bytes))
		echo "| $n | $(kib "$own_t") | $(kib $((own_t / n))) | $(kib "$sh_t") | $(echo "scale=1; 100 - 100 * $sh_t / $own_t" | bc)% | $(kib "$own_s") / $(kib "$sh_s") |"
	done
} | tee "$out"
