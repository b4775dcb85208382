#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Each queue thread of the io_uring path runs on one CPU: the first of those
# the driver maps to its queue (/sys/block/ublkbN/mq/Q/cpu_list), as kublk
# does. Left floating, the thread and its io-wq workers meet on different
# CPUs and every backing IO pays cross-CPU wake-ups (loop at 4k QD1: 2.1k
# against 3.0k IOPS, tests/bench/kublk_vs.sh).
. "$(dirname "$0")/test_common.sh"
_prep_test null_03

queues=$(( $(nproc) < 2 ? 1 : 2 ))
_new_dev -t null -q "$queues"
id=$UBLK_DEV_ID
pid=$("$UBLK_PROG" list -n "$id" --json | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
[ -n "$pid" ] || _fail "no daemon pid in list -n $id --json"
want=$(for q in /sys/block/ublkb"$id"/mq/*; do cut -d, -f1 "$q/cpu_list" | cut -d- -f1; done | sort -n | tr '\n' ' ')
# The daemon's threads named like it, less the main thread: the queues'.
got=$(for t in /proc/"$pid"/task/*; do
	[ "${t##*/}" = "$pid" ] && continue
	[ "$(cat "$t/comm")" = ublk-bpf ] || continue
	awk '/^Cpus_allowed_list:/ {print $2}' "$t/status"
done | sort -n | tr '\n' ' ')
_log "queue threads on CPUs '$got', first CPUs of the queues '$want'"
[ -n "$want" ] || _fail "no /sys/block/ublkb$id/mq/*/cpu_list"
[ "$got" = "$want" ] || _fail "queue threads run on '$got', expected one each on '$want'"
_del_dev "$id"
_check_dmesg
_cleanup_test
exit 0
