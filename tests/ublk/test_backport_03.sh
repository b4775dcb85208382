#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# UBLK_F_QUIESCE (kfunc-shim/backports/0103): QUIESCE_DEV hands a live
# --recovery device over without its daemon dying: fio writes with crc32c
# meanwhile, the daemon gets its commands back aborted and exits, leaving
# the device QUIESCED (not deleted); `recover` takes it back and fio ends
# with no error; a BPF loop device serves on through its program while it
# has no daemon. Then `upgrade` does both steps, and fio verifies. A device
# without recovery is refused.
. "$(dirname "$0")/test_common.sh"
_prep_test backport_03
_need_shim

"$UBLK_PROG" features | grep -q QUIESCE || _fail "features lacks QUIESCE"
SHIM=$UBLK_REPO/.output/tests/shim/shim_test
[ -x "$SHIM" ] || _fail "$SHIM missing (make unit)"

# upgrade_once ID: `upgrade` replaces the live daemon
upgrade_once() {
	local id=$1 old out
	old=$(_dev_field "$id" pid)
	out=$("$UBLK_PROG" upgrade -n "$id") || _fail "upgrade -n $id failed"
	[ "$out" = "dev id $id" ] || _fail "upgrade printed '$out'"
	_wait_state "$id" LIVE 5
	kill -0 "$old" 2>/dev/null && _fail "old daemon $old still running after upgrade"
	[ "$(_dev_field "$id" pid)" != "$old" ] || _fail "upgrade: the same daemon serves"
}

# handover ID VERB: QUIESCE_DEV by hand, the old daemon gone, QUIESCED, recover
handover() {
	local id=$1 old i
	old=$(_dev_field "$id" pid)
	"$SHIM" -Q "$id:10000" || _fail "QUIESCE_DEV of device $id failed"
	for i in $(seq 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$old" 2>/dev/null && _fail "daemon $old still running after QUIESCE_DEV"
	_wait_state "$id" QUIESCED 5
	# a BPF device's program serves while no daemon does
	[ "$2" = load ] && { timeout 10 dd if=/dev/ublkb$id of=/dev/null bs=4k count=16 \
		iflag=direct 2>/dev/null || _fail "BPF loop: no read served without a daemon"; }
	_recover "$id"
}

for verb in add load; do
	_make_file "$UBLK_TMP/a.img" 64M
	if [ $verb = add ]; then
		_new_dev -t loop --recovery "$UBLK_TMP/a.img"
	else
		_new_load --require-bpf "$UBLK_BPF_OBJS/loop.bpf.o" --recovery "$UBLK_TMP/a.img"
	fi
	id=$UBLK_DEV_ID
	fio --name=quiesce --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 \
	    --rw=randwrite --bs=4k --iodepth=16 --size=32M --verify=crc32c \
	    --verify_state_save=0 --verify_fatal=1 >"$UBLK_TMP/fio.log" 2>&1 &
	fio_pid=$!
	sleep 1
	handover "$id" $verb
	wait $fio_pid || _fail "$verb: fio failed across QUIESCE_DEV: $(grep -E 'err=|verify|error' "$UBLK_TMP/fio.log" | head -n 3)"
	_log "$verb: fio $(grep -E '^ *write:' "$UBLK_TMP/fio.log" | tr -s ' ')"
	upgrade_once "$id"
	_fio_verify /dev/ublkb$id --size=8M || _fail "$verb: fio verify after upgrade failed"
	_del_dev "$id"
done

_new_dev -t null --size 16M
"$SHIM" -Q "$UBLK_DEV_ID:1000" >/dev/null && _fail "QUIESCE_DEV of a device without recovery passed"
_refused "made without UBLK_F_QUIESCE" upgrade -n "$UBLK_DEV_ID"
_del_dev "$UBLK_DEV_ID"

_nothing_left "quiesce"
_check_dmesg
_cleanup_test
exit 0
