#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# count_bench.sh: what `--count N` buys (a benchmark, not a test).
# On the host it boots the VM (tests/vm/run.sh, kfunc-shim, TCG wall clock)
# and runs itself inside; the table lands in .output/bench/count.md.
# Inside the VM, for N in $COUNT_BENCH_NS (default 1 16 64) and each path
# (io_uring: add -t null; bpf: load null.bpf.o), it times
#   - making N null devices with one `--count N` call, and with N `add`s
#     (or `load`s) one after another,
#   - deleting them with one `del -a` (one shared daemon, and N daemons),
#     and the N daemons' devices with N `del -n` one after another,
# and reads the daemons' resident memory per device (VmRSS summed / N).
set -uo pipefail

if [ "${1:-}" != --in-vm ]; then
	cd "$(dirname "$0")/../.." || exit 1
	mkdir -p .output/bench
	out=$PWD/.output/bench/count.md
	exec tests/vm/run.sh --module shim --timeout 1500 "$PWD/tests/bench/count_bench.sh" --in-vm "$out"
fi
out=$2
. "$(dirname "$0")/../ublk/test_common.sh"
_prep_test count_bench
trap '"$UBLK_PROG" del -a >/dev/null 2>&1; _cleanup_test' EXIT
ns=${COUNT_BENCH_NS:-1 16 64}
common=(-d 4 -q 1)

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# make_devs PATH N: one `--count N` call.
make_count() {
	if [ "$1" = bpf ]; then
		"$UBLK_PROG" load "$UBLK_BPF_OBJS/null.bpf.o" "${common[@]}" --count "$2" >/dev/null
	else
		"$UBLK_PROG" add -t null "${common[@]}" --count "$2" >/dev/null
	fi
}

# make_seq PATH N: N calls, one device each.
make_seq() {
	local i
	for ((i = 0; i < $2; i++)); do
		make_count "$1" 1 || return 1
	done
}

# rss_per_dev N: the resident KiB of every daemon, summed, divided by N.
rss_per_dev() {
	local pids pid kib=0
	pids=$("$UBLK_PROG" list --json | grep -o '"pid":[0-9]*' | cut -d: -f2 | sort -u)
	for pid in $pids; do
		kib=$((kib + $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")))
	done
	echo $((kib / $1))
}

devs_count() { ls /dev/ublkb* 2>/dev/null | wc -l; }

del_seq() {
	local id
	for id in $("$UBLK_PROG" list --json | grep -o '"id":[0-9]*' | cut -d: -f2); do
		"$UBLK_PROG" del -n "$id" || return 1
	done
}

_shim_loaded || _skip "the kfunc-shim is not loaded: no BPF path"
{
	echo "| path | N | make: --count N | make: N x add | ratio | del -a (1 daemon) | del -a (N daemons) | N x del -n (N daemons) | RSS/device (1 daemon) | RSS/device (N daemons) |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
} >"$out"
for path in io_uring bpf; do
	for n in $ns; do
		t0=$(now_ms); make_count $path "$n" || _fail "$path --count $n failed"; t1=$(now_ms)
		[ "$(devs_count)" -eq "$n" ] || _fail "$path --count $n made $(devs_count) devices"
		rss1=$(rss_per_dev "$n")
		t2=$(now_ms); "$UBLK_PROG" del -a || _fail "del -a failed"; t3=$(now_ms)
		_nothing_left "$path --count $n"

		t4=$(now_ms); make_seq $path "$n" || _fail "$path: $n x add failed"; t5=$(now_ms)
		rssn=$(rss_per_dev "$n")
		t6=$(now_ms); "$UBLK_PROG" del -a || _fail "del -a failed"; t7=$(now_ms)
		_nothing_left "$path $n x add"

		make_seq $path "$n" || _fail "$path: $n x add failed"
		t8=$(now_ms); del_seq || _fail "del -n failed"; t9=$(now_ms)
		_nothing_left "$path $n x del -n"

		line=$(printf '| %s | %d | %d ms | %d ms | %.1fx | %d ms | %d ms | %d ms | %d KiB | %d KiB |' \
			"$path" "$n" $((t1 - t0)) $((t5 - t4)) \
			"$(echo "$t5 $t4 $t1 $t0" | awk '{ print ($1 - $2) / (($3 - $4) ? ($3 - $4) : 1) }')" \
			$((t3 - t2)) $((t7 - t6)) $((t9 - t8)) "$rss1" "$rssn")
		echo "$line" >>"$out"
		_log "$line"
	done
done
_check_dmesg
exit 0
