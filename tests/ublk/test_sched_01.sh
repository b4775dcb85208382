#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The IO scheduler of created devices: "none" unless --scheduler says
# otherwise, on both paths (add and load); a name the device does not have
# is refused in one line, with nothing left behind.
. "$(dirname "$0")/test_common.sh"
_prep_test sched_01
_need_shim

# current DEV: the scheduler in brackets in /sys/block/DEV/queue/scheduler.
current() { sed -n 's/.*\[\(.*\)\].*/\1/p' "/sys/block/$1/queue/scheduler"; }

_new_dev -t null --size 64M
[ "$(current ublkb$UBLK_DEV_ID)" = none ] || _fail "add: scheduler $(cat /sys/block/ublkb$UBLK_DEV_ID/queue/scheduler)"
_new_dev -t null --size 64M --scheduler mq-deadline
[ "$(current ublkb$UBLK_DEV_ID)" = mq-deadline ] || _fail "add --scheduler mq-deadline: $(cat /sys/block/ublkb$UBLK_DEV_ID/queue/scheduler)"
_new_load "$UBLK_BPF_OBJS/null.bpf.o" --size 64M
[ "$(current ublkb$UBLK_DEV_ID)" = none ] || _fail "load: scheduler $(cat /sys/block/ublkb$UBLK_DEV_ID/queue/scheduler)"
_new_load "$UBLK_BPF_OBJS/null.bpf.o" --size 64M --scheduler mq-deadline
[ "$(current ublkb$UBLK_DEV_ID)" = mq-deadline ] || _fail "load --scheduler mq-deadline: $(cat /sys/block/ublkb$UBLK_DEV_ID/queue/scheduler)"
# The scheduler is in the IO path: the device still serves IO.
fio --name=s --filename=/dev/ublkb$UBLK_DEV_ID --ioengine=io_uring --direct=1 \
    --rw=randread --bs=4k --iodepth=8 --size=16M --output="$UBLK_TMP/fio.log" || _fail "fio failed"

before=$("$UBLK_PROG" list | wc -l)
for verb in add load; do
	if [ $verb = add ]; then args=(-t null); else args=("$UBLK_BPF_OBJS/null.bpf.o"); fi
	"$UBLK_PROG" $verb "${args[@]}" --size 64M -n 9 --scheduler nosuch \
		>"$UBLK_TMP/out" 2>"$UBLK_TMP/err" && _fail "$verb --scheduler nosuch succeeded"
	[ "$(wc -l <"$UBLK_TMP/err")" -eq 1 ] && grep -q "no scheduler 'nosuch'" "$UBLK_TMP/err" ||
		_fail "$verb --scheduler nosuch said: $(cat "$UBLK_TMP/err")"
	[ -s "$UBLK_TMP/out" ] && _fail "$verb --scheduler nosuch printed: $(cat "$UBLK_TMP/out")"
	sleep 0.2
	[ -e /dev/ublkb9 ] || [ -e /dev/ublkc9 ] && _fail "$verb --scheduler nosuch left device 9 behind"
	[ "$("$UBLK_PROG" list | wc -l)" -eq "$before" ] || _fail "$verb: list changed: $("$UBLK_PROG" list)"
	[ -e /sys/fs/bpf/ublk/9 ] && _fail "$verb --scheduler nosuch left pins behind"
done
_check_dmesg
_cleanup_test
exit 0
