#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# thousand.sh [--quick]: a thousand devices come and go (a benchmark with
# checks, `make thousand`; not part of make check). On the host it boots the
# VM (tests/vm/run.sh, 2 vCPUs, TCG wall clock) and runs itself inside; the
# table lands in .output/bench/thousand.md. Inside, for N in THOUSAND_NS
# (default 1 100 1000; --quick: 1 50 200):
#   - null: `add -t null -q 1 -d 4 --count N`, then `del -a`: the time per
#     device of each, the daemon's RSS and descriptors per device, and the
#     kernel's memory per device (Slab and the rest of MemAvailable's drop
#     beyond the daemon's RSS: tag sets, queues, char and block devices);
#   - loop: the same count over small files (N/100 daemons of `--count
#     100`, each on a 1 MiB file of its own), with fio on 100 of them;
#   - kill: `del -a` of N null devices with the daemon killed (kill -9)
#     half-way through it (the round fails unless the kill came with 1 to
#     N-1 devices still served), then `del -a` again.
# THOUSAND_NO_LOOP=1 skips the loop round, THOUSAND_NO_KILL=1 the kill
# round, THOUSAND_KILL_ONLY=1 runs only the kill round (of the last N).
# After each: no /dev/ublk[bc]*, nothing in /sys/class/ublk-char, no
# daemon, and a clean kernel log (tests/vm/klog-check.sh). Exit 1 on any
# failed check.
set -uo pipefail

if [ "${1:-}" != --in-vm ]; then
	cd "$(dirname "$0")/../.." || exit 1
	mkdir -p .output/bench
	ns="1 100 1000"
	[ "${1:-}" = --quick ] && ns="1 50 200"
	export THOUSAND_NS=${THOUSAND_NS:-$ns}
	# run.sh passes on only its own knobs: these travel on the command line.
	exec tests/vm/run.sh --module shim --timeout 1500 env THOUSAND_NS="$THOUSAND_NS" \
		THOUSAND_NO_LOOP="${THOUSAND_NO_LOOP:-}" THOUSAND_NO_KILL="${THOUSAND_NO_KILL:-}" \
		THOUSAND_KILL_ONLY="${THOUSAND_KILL_ONLY:-}" \
		"$PWD/tests/bench/thousand.sh" --in-vm "$PWD/.output/bench/thousand.md"
fi
out=$2
mkdir -p "$(dirname "$out")"
. "$(dirname "$0")/../ublk/test_common.sh"
_prep_test thousand
trap '"$UBLK_PROG" del -a >/dev/null 2>&1; _cleanup_test' EXIT
ns=${THOUSAND_NS:-1 100 1000}
common=(-q 1 -d 4)
rc=0
# A thousand devices in one daemon need ~5000 descriptors: the tool raises
# its soft limit up to the hard one, which is the admin's to set (here as
# systemd's default LimitNOFILE=...:524288 would); the guest's init gives 4096.
ulimit -Hn 524288

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
kib() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
bad() { echo "# FAIL: $*" >&2; rc=1; }

# round WHAT: a mark in the kernel log where round WHAT starts; left()
# reads the log from the latest mark, so one round's lockup fails that
# round, not every later one too.
klog_mark="ublk-test: start thousand"
round() {
	klog_mark="ublk-test: thousand round $*"
	echo "$klog_mark" >/dev/kmsg
}

# left WHAT: nothing of any device is left behind, the kernel log clean
# since the round's mark.
left() {
	local n
	n=$(ls /sys/class/ublk-char 2>/dev/null | wc -l)
	[ "$n" -eq 0 ] || bad "$1: $n char devices left in /sys/class/ublk-char"
	ls /dev/ublkb* /dev/ublkc* >/dev/null 2>&1 && bad "$1: device nodes left: $(ls /dev/ublk[bc]* | head -n 3)"
	pgrep -f "ublk-bpf (add|load)" >/dev/null && bad "$1: daemon left: $(pgrep -af 'ublk-bpf (add|load)' | head -n 2)"
	[ -z "$(_klog_hits "$klog_mark")" ] || bad "$1: kernel log: $(_klog_hits "$klog_mark" | head -n 3)"
}

# daemons: the pids serving devices now.
daemons() { pgrep -f "ublk-bpf add" | tr '\n' ' '; }

# sum_status FIELD PIDS...: FIELD of /proc/PID/status (kB) summed.
sum_status() {
	local f=$1 p t=0 v
	shift
	for p in "$@"; do v=$(awk -v k="$f:" '$1 == k { print $2 }' /proc/$p/status); t=$((t + ${v:-0})); done
	echo $t
}
sum_fds() { local p t=0; for p in "$@"; do t=$((t + $(ls /proc/$p/fd | wc -l))); done; echo $t; }

echo "| target | N | create/device | delete/device | daemon RSS/device | daemon fds/device | kernel Slab/device | other kernel memory/device |" >"$out"
echo "|---|---|---|---|---|---|---|---|" >>"$out"

# one TARGET N: make N devices, measure, delete them all, check.
one() {
	local tgt=$1 n=$2 t0 t1 t2 slab0 avail0 slab1 avail1 rss fds i per
	round "$tgt $n"
	sync; echo 3 >/proc/sys/vm/drop_caches
	slab0=$(kib Slab); avail0=$(kib MemAvailable)
	t0=$(now_ms)
	if [ "$tgt" = null ]; then
		"$UBLK_PROG" add -t null "${common[@]}" --count "$n" >/dev/null || { bad "add --count $n"; return; }
	else
		per=$(( n < 100 ? n : 100 ))
		for ((i = 0; i < n / per; i++)); do
			truncate -s 1M "$UBLK_TMP/f$i.img"
			"$UBLK_PROG" add -t loop --file "$UBLK_TMP/f$i.img" "${common[@]}" --count "$per" \
				>/dev/null || { bad "add -t loop --count $per (#$i)"; return; }
		done
	fi
	t1=$(now_ms)
	[ "$(ls /sys/class/ublk-char | wc -l)" -eq "$n" ] || bad "$tgt $n: $(ls /sys/class/ublk-char | wc -l) devices made"
	# shellcheck disable=SC2046
	set -- $(daemons)
	rss=$(sum_status VmRSS "$@"); fds=$(sum_fds "$@")
	sync; echo 3 >/proc/sys/vm/drop_caches
	slab1=$(kib Slab); avail1=$(kib MemAvailable)
	if [ "$tgt" = loop ] && [ "$n" -ge 100 ]; then
		local names=() d
		for d in $(ls /sys/class/ublk-char | sed 's/ublkc//' | sort -n | head -n 100); do
			test -b "/dev/ublkb$d" || { bad "$tgt $n: /dev/ublkb$d is not a block device"; return; }
			names+=("/dev/ublkb$d")
		done
		fio --name=many --filename="$(IFS=:; echo "${names[*]}")" --ioengine=io_uring --direct=1 \
		    --rw=randrw --bs=4k --iodepth=4 --runtime=10 --time_based --size=1M \
		    --output="$UBLK_TMP/fio.log" && grep -q 'err= 0' "$UBLK_TMP/fio.log" ||
			bad "fio on 100 loop devices: $(grep -E 'err=|error' "$UBLK_TMP/fio.log" | head -n 3)"
		echo "# fio on 100 loop devices: $(grep -E '^ *(read|write):' "$UBLK_TMP/fio.log" | sed 's/^ *//' | cut -d, -f1 | tr '\n' ' ')"
	fi
	t2=$(now_ms)
	timeout 600 "$UBLK_PROG" del -a >/dev/null || bad "$tgt $n: del -a failed"
	local t3
	t3=$(now_ms)
	left "$tgt $n"
	printf '| %s | %d | %d ms | %d ms | %d KiB | %.1f | %d KiB | %d KiB |\n' "$tgt" "$n" \
		$(( (t1 - t0) / n )) $(( (t3 - t2) / n )) $(( rss / n )) \
		"$(awk -v a="$fds" -v b="$n" 'BEGIN { print a / b }')" $(( (slab1 - slab0) / n )) \
		$(( (avail0 - avail1 - rss - (slab1 - slab0)) / n )) >>"$out"
	tail -n 1 "$out"
}

if [ -z "${THOUSAND_KILL_ONLY:-}" ]; then
	for n in $ns; do one null "$n"; done
	[ -n "${THOUSAND_NO_LOOP:-}" ] || one loop "${ns##* }"
fi

# kill_round N: a daemon of N null devices killed (kill -9) while `del -a`
# stops them, with half of them still served: the round fails unless 1 to
# N-1 were. The rest must still go (that del -a ends, or a second one deletes
# them), nothing left, the kernel log clean. "Served" is the daemon's queue
# threads (one per device at -q 1), each ending as STOP_DEV reaches its
# device; the devices in /sys/class/ublk-char go later, at DEL_DEV, mostly
# after the daemon has exited by itself. Watched with builtins only (a glob,
# `read -t` on a FIFO nobody writes): a fork per poll is slow under TCG.
kill_round() {
	local n=$1 pid del i never nfd tasks extra served=-1 devs killed=1 t0 t1
	round "kill $n"
	"$UBLK_PROG" add -t null "${common[@]}" --count "$n" >/dev/null || { bad "add --count $n (kill)"; return; }
	pid=$(daemons)
	pid=${pid%% *}
	[ -n "$pid" ] || { bad "kill: no daemon after add --count $n"; return; }
	never=$UBLK_TMP/never
	mkfifo "$never" && exec {nfd}<>"$never" || { bad "kill: no FIFO to wait on"; return; }
	shopt -s nullglob
	# The io-wq workers left from add's control commands idle out (5 s):
	# then the daemon's threads are its main one and one per queue.
	for ((i = 0; i < 300; i++)); do
		tasks=(/proc/"$pid"/task/*)
		[ ${#tasks[@]} -le $((n + 1)) ] && break
		read -r -t 0.1 -u "$nfd"
	done
	extra=$(( ${#tasks[@]} - n ))
	t0=$(now_ms)
	"$UBLK_PROG" del -a >/dev/null 2>&1 &
	del=$!
	for ((i = 0; i < 60000; i++)); do
		tasks=(/proc/"$pid"/task/*)
		served=$(( ${#tasks[@]} - extra ))
		[ "$served" -le $((n / 2)) ] && break
		read -r -t 0.005 -u "$nfd"
	done
	kill -9 "$pid" && killed=0
	t1=$(now_ms)
	devs=(/sys/class/ublk-char/*)
	shopt -u nullglob
	exec {nfd}>&-
	echo "# kill -9 of the daemon serving $served of $n devices (${#tasks[@]} threads, $extra not a queue's; ${#devs[@]} devices in sysfs), $(( t1 - t0 )) ms into del -a"
	[ "$killed" -eq 0 ] || bad "kill: the daemon ($pid) had exited before the kill"
	[ "$served" -ge 1 ] && [ "$served" -lt "$n" ] ||
		bad "kill: the kill did not land half-way ($served of $n devices served)"
	for ((i = 0; i < 3000; i++)); do kill -0 $del 2>/dev/null || break; sleep 0.1; done
	if kill -0 $del 2>/dev/null; then
		bad "kill: del -a still running 300 s after the kill"
	else
		wait $del
		echo "# the del -a under way ended (status $?) $(( $(now_ms) - t0 )) ms after it began"
	fi
	timeout 300 "$UBLK_PROG" del -a >/dev/null 2>&1 || bad "kill: a second del -a failed"
	_wait_until 30 eval '[ "$(ls /sys/class/ublk-char | wc -l)" -eq 0 ]'
	left "kill -9 half-way through del -a of $n"
	echo "# kill half-way: done"
}

if [ -z "${THOUSAND_NO_KILL:-}" ]; then
	kill_round "${ns##* }"
fi
cat "$out"
exit $rc
