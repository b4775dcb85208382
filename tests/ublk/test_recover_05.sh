#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A BPF device keeps serving by default: a plain `load` (no --recovery)
# whose daemon is killed with kill -9 stays, QUIESCED, its program serving
# writes and reads verified with crc32c while no daemon runs (the shim
# counts them as served by BPF, fails none); `list` says it has no daemon
# and that `recover` takes it back, in the table and in --json; `recover`
# does, and the device is LIVE with a running daemon again.
# `load --no-recovery` opts out: the device stops with its daemon.
# With the old default (no recovery unless asked) the first part fails:
# the device is DEAD after the kill.
. "$(dirname "$0")/test_common.sh"
_prep_test recover_05
_need_shim

_make_file "$UBLK_TMP/a.img" 64M
_new_load --require-bpf "$UBLK_BPF_OBJS/loop.bpf.o" --file "$UBLK_TMP/a.img"
id=$UBLK_DEV_ID
_fio_verify /dev/ublkb$id --size=16M || _fail "fio verify with the daemon"
[ "$(_dev_field "$id" daemon)" = running ] || _fail "list --json: daemon $(_dev_field "$id" daemon), not running"

kill -9 "$(_dev_field "$id" pid)"
# Never DEAD: a plain load's device outlives its daemon.
for ((i = 0; i < 100; i++)); do
	st=$(_dev_field "$id" state)
	[ "$st" = QUIESCED ] && break
	[ "$st" = LIVE ] || _fail "a plain load's device is '${st:-gone}' after its daemon died, not QUIESCED"
	sleep 0.1
done
[ "$st" = QUIESCED ] || _fail "device $id still $st 10 s after its daemon died"

# The program serves IO meanwhile: new writes, then what was written.
bpf_before=$(_shim_stat "$id" io_bpf)
timeout 60 fio --name=nodaemon --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 \
    --rw=randwrite --bs=4k --iodepth=16 --offset=16M --size=16M --verify=crc32c \
    --verify_state_save=0 --do_verify=1 --verify_fatal=1 --output="$UBLK_TMP/fio2.log" &&
	grep -q 'err= 0' "$UBLK_TMP/fio2.log" ||
	_fail "IO without a daemon failed: $(grep -E 'err=|error' "$UBLK_TMP/fio2.log" | head -n 3)"
served=$(($(_shim_stat "$id" io_bpf) - bpf_before))
_log "without a daemon the program served $served IOs"
[ "$served" -ge 8192 ] || _fail "the program served $served IOs without a daemon (fio did 8192 and more)"
[ "$(_shim_stat "$id" io_failed)" = 0 ] || _fail "the shim failed $(_shim_stat "$id" io_failed) IOs"

# list says plainly that no daemon runs, what serves, and what to run.
json=$("$UBLK_PROG" list -n "$id" --json)
echo "$json" | grep -q "\"daemon\":\"none\",\"recoverable\":true,\"note\":\"no daemon (its BPF program serves on; recoverable: ublk-bpf recover -n $id)\"" ||
	_fail "list --json does not say the device has no daemon: $json"
row=$("$UBLK_PROG" list | awk -v id="$id" '$1 == id')
echo "$row" | grep -Eq "^$id +QUIESCED .* bpf .* none +/dev/ublkb$id .*no daemon \(its BPF program serves on; recoverable: ublk-bpf recover -n $id\)$" ||
	_fail "the list table does not say the device has no daemon: $row"

_recover "$id"
[ "$(_dev_field "$id" daemon)" = running ] || _fail "no running daemon after recover"
"$UBLK_PROG" list | awk -v id="$id" '$1 == id' | grep -q "no daemon" && _fail "list still says no daemon after recover"
fio --name=verify --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 --rw=randwrite \
    --bs=4k --iodepth=16 --size=32M --verify=crc32c --verify_only=1 --verify_state_save=0 \
    --output="$UBLK_TMP/fio3.log" && grep -q 'err= 0' "$UBLK_TMP/fio3.log" ||
	_fail "data written with and without a daemon does not verify after recover"
_del_dev "$id"

# --no-recovery: the device stops with its daemon, and list says so.
_new_load --require-bpf --no-recovery "$UBLK_BPF_OBJS/loop.bpf.o" --file "$UBLK_TMP/a.img"
id=$UBLK_DEV_ID
kill -9 "$(_dev_field "$id" pid)"
_wait_until 10 sh -c "! '$UBLK_PROG' list -n $id --json 2>/dev/null | grep -q '\"state\":\"LIVE\"'" ||
	_fail "load --no-recovery: device $id still LIVE after its daemon died"
st=$(_dev_field "$id" state)
[ -z "$st" ] || [ "$st" = DEAD ] || _fail "load --no-recovery: device $id is $st after its daemon died"
[ -z "$st" ] || "$UBLK_PROG" list -n "$id" | grep -q "DEAD .* none .*no daemon, not recoverable: ublk-bpf del -n $id removes it" ||
	_fail "list does not say the dead device has no daemon: $("$UBLK_PROG" list -n "$id")"
_del_dev "$id"
_nothing_left "recover_05"
_check_dmesg
_cleanup_test
exit 0
