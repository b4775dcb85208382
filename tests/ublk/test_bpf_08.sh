#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `ublk-bpf stats` prints whatever maps a target pinned, through their BTF
# and real value size: tests/bpf/big_stats.bpf.c's `stats` value is much
# larger than ublk-bpf's own and nested; its per-CPU copies are summed per
# field (IO from two CPUs), a hash map prints by key, a ring buffer is
# named as unreadable, and the shim's counters are named from its BTF.
. "$(dirname "$0")/test_common.sh"
_prep_test bpf_08
_need_shim
objs=$UBLK_REPO/.output/tests/bpf

_new_load "$objs/big_stats.bpf.o" --size 64M -q 2
id=$UBLK_DEV_ID
udevadm settle 2>/dev/null
json() { "$UBLK_PROG" stats -n "$id" --json; }
field() { json | sed -n "s/.*\"target\":{.*\"$1\":\([0-9]*\).*/\1/p"; }
reads0=$(field reads) writes0=$(field writes) ios0=$(field ios)
taskset -c 0 dd if=/dev/zero of=/dev/ublkb$id bs=4k count=100 oflag=direct status=none ||
	_fail "writes failed"
taskset -c 1 dd if=/dev/ublkb$id of=/dev/null bs=4k count=100 iflag=direct status=none ||
	_fail "reads failed"
out=$(json)
_log "$out"
[ $(( $(field reads) - reads0 )) -eq 100 ] || _fail "by_dir.reads grew by $(( $(field reads) - reads0 )), not 100"
[ $(( $(field writes) - writes0 )) -eq 100 ] || _fail "by_dir.writes grew by $(( $(field writes) - writes0 )), not 100"
[ $(( $(field ios) - ios0 )) -eq 200 ] || _fail "ios grew by $(( $(field ios) - ios0 )), not 200"
for want in '"by_dir":{"reads":' '"low_bits":5,"high_bits":1000' '"state":"BIG_BUSY"' \
	    '"seen":true' '"label":"big-stats"' '"events":{"unprinted":"not an array or hash map"}' \
	    '"ios_by_op":[{"key":' '"shim":{"io_bpf":'; do
	echo "$out" | grep -qF -- "$want" || _fail "stats --json lacks $want"
done
text=$("$UBLK_PROG" stats -n "$id")
for want in '^  map stats$' '^    by_dir\.reads +[0-9]+$' '^    label +"big-stats"$' \
	    '^    spread +\[' '^  map events$' 'not an array or hash map' '^    io_bpf +[0-9]+$'; do
	echo "$text" | grep -qE -- "$want" || _fail "stats lacks /$want/: $text"
done
# The spread array is summed per element: its sum is ios.
spread=$(echo "$out" | sed -n 's/.*"spread":\[\([0-9,]*\)\].*/\1/p' | tr , + | bc)
[ "$spread" -eq "$(field ios)" ] || _fail "spread sums to $spread, ios is $(field ios)"
_del_dev "$id"
_nothing_left "after del"
_check_dmesg
_cleanup_test
exit 0
