#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two namespaces of one nvmet-tcp subsystem as two nvme-tcp devices of ONE
# kfunc-shim controller (`ublk-bpf ctrl add`, --ctrl), sharing its one tag
# set: `ctrl list --json` (the module's GET_CTRL_INFO) shows both devices
# and both request queues on the set, and `ctrl del` is refused while they
# hold it; each
# device's hw queues have the controller's depth; a device of another depth
# or an unknown controller is refused. fio verify on both devices at once;
# mkfs + mount. The target's port removed and restored under fio verify:
# the queues connect again and send the IOs they held again (retried, not
# failed), so verify passes. kill -9 + recover. The controller goes once
# its devices are deleted.
. "$(dirname "$0")/test_common.sh"
_prep_test nvmet_02
_need_shim

. "$(dirname "$0")/nvmet_target.sh"
NQN=nqn.2026-12.org.ublk-bpf:test-nvmet-02

_nvmet_two_ns "$NQN" 48M
_nvmet_shim_ctrl 2 32
_ctrl_json() { "$UBLK_PROG" ctrl list --json | jq -c ".controllers[] | select(.id == $ctrl)"; }
_ctrl_field() { _ctrl_json | jq -r ".$1"; }
_refused "controller $ctrl exists" ctrl add --id "$ctrl" -q 2 -d 32

nvt=(-t nvme-tcp --traddr 127.0.0.1 --subnqn "$NQN")
_refused "controller $ctrl has another queue count or depth than -q 2 -d 16" \
	add "${nvt[@]}" -q 2 -d 16 --ctrl "$ctrl"
_refused "the kfunc-shim has no controller 999" add "${nvt[@]}" -q 2 -d 32 --ctrl 999

_new_dev "${nvt[@]}" --nsid 1 -q 2 -d 32 --ctrl "$ctrl" --recovery
id1=$UBLK_DEV_ID
_new_dev "${nvt[@]}" --nsid 2 -q 2 -d 32 --ctrl "$ctrl" --recovery
id2=$UBLK_DEV_ID
info=$(_ctrl_json)
_log "controller $ctrl: $info; all tag sets: $("$UBLK_PROG" ctrl list --json | jq .tagset_bytes_total) bytes"
[ "$(_ctrl_field devices)" = 2 ] && [ "$(_ctrl_field started)" = 2 ] &&
	[ "$(_ctrl_field shared)" = true ] || _fail "controller $ctrl does not hold both devices: $info"
# The devices' own sets were freed when they joined: the module's tag sets
# are the controller's one alone.
[ "$("$UBLK_PROG" ctrl list --json | jq .tagset_bytes_total)" = "$(_ctrl_field tagset_bytes)" ] &&
	[ "$(_ctrl_field tagset_bytes)" -gt $((2 * 32 * 256)) ] ||
	_fail "the module's tag sets are not the controller's one: $("$UBLK_PROG" ctrl list --json)"
_refused "controller $ctrl has devices \\(-EBUSY\\)" ctrl del -n "$ctrl"
for id in $id1 $id2; do
	[ "$(cat /sys/block/ublkb$id/mq/0/nr_tags)" = 32 ] || _fail "ublkb$id: hw queue 0 has not the controller's 32 tags"
done

# Both at once, through the one tag set.
fio_both() {
	_fio_verify /dev/ublkb$id1 --size=16M --bsrange=4k-128k --iodepth=32 &
	local p1=$!
	UBLK_TMP2=$UBLK_TMP/2; mkdir -p "$UBLK_TMP2"
	UBLK_TMP=$UBLK_TMP2 _fio_verify /dev/ublkb$id2 --size=16M --bsrange=4k-128k --iodepth=32 &
	local p2=$! r=0
	wait $p1 || r=1
	wait $p2 || r=1
	return $r
}
fio_both || _fail "fio verify on both devices at once failed"
_fs_roundtrip /dev/ublkb$id2 || _fail "mkfs + mount on namespace 2 failed"

# The port removed and restored under IO: the IOs are retried, verify passes.
ctrls_before=$(dmesg | grep -c "nvmet: creating nvm controller")
_fio_verify /dev/ublkb$id1 --size=24M --bs=16k --iodepth=16 &
fio_pid=$!
sleep 1
_nvmet_port_down
sleep 2
_nvmet_port_up
wait $fio_pid || _fail "fio verify across a port flap failed"
ctrls_after=$(dmesg | grep -c "nvmet: creating nvm controller")
_log "controllers the target made across the flap: $((ctrls_after - ctrls_before))"
[ $((ctrls_after - ctrls_before)) -ge 1 ] || _fail "no new controller on the target: nothing reconnected"

# kill -9 + recover: the device stays in the controller.
_kill_and_recover "$id1"
head -c 1M /dev/urandom >"$UBLK_TMP/pattern"
dd if="$UBLK_TMP/pattern" of=/dev/ublkb$id1 bs=1M seek=3 oflag=direct conv=fsync status=none ||
	_fail "dd after recover failed"
cmp -s "$UBLK_TMP/pattern" <(dd if="$img1" bs=1M skip=3 count=1 status=none) ||
	_fail "namespace 1's file does not hold what was written after recover"
[ "$(_ctrl_field devices)" = 2 ] || _fail "after recover the controller has $(_ctrl_field devices) devices"

_del_dev "$id2"
_del_dev "$id1"
"$UBLK_PROG" ctrl del -n "$ctrl" || _fail "the controller cannot go once its devices are deleted"
[ -z "$(_ctrl_json)" ] || _fail "ctrl list still shows controller $ctrl after ctrl del"
_ctrl_removed=1
_nothing_left "nvmet_02"
_check_dmesg
_cleanup_test
exit 0
