#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ONE NVMe controller for all the namespaces: `add --all --ctrl C` makes a
# device per namespace of an nvmet-tcp subsystem (3) in one daemon, on one
# kfunc-shim controller, and they share one NVMe/TCP controller: one admin
# connection and one I/O connection per queue (3 for -q 2, not 3 per
# device), one controller made on the target. fio verify on two devices at
# once; a port flap under verify on both; one device deleted while the
# others are idle (its char device must not stay held by the ring they
# share), another under IO on the last, which serves on over the same
# connections; mkfs + mount; nothing left.
. "$(dirname "$0")/test_common.sh"
_prep_test nvmet_03
_need_shim

. "$(dirname "$0")/nvmet_target.sh"
NQN=nqn.2026-12.org.ublk-bpf:test-nvmet-03

_nvmet_two_ns "$NQN" 32M
_make_file "$UBLK_TMP/ns3.img" 8M
_nvmet_ns 3 "$UBLK_TMP/ns3.img"
_nvmet_shim_ctrl 2 32
_ctrl_field() { "$UBLK_PROG" ctrl list --json | jq -r ".controllers[] | select(.id == $ctrl) | .$1"; }
# Established connections of process $1 to the target's port.
_conns() { ss -tnpH state established "( dport = :4420 )" | grep -c "pid=$1,"; }

made_before=$(dmesg | grep -c "nvmet: creating nvm controller")
out=$("$UBLK_PROG" add -t nvme-tcp --traddr 127.0.0.1 --subnqn "$NQN" --all --ctrl "$ctrl" \
	-q 2 -d 32) || _fail "add --all --ctrl $ctrl failed"
mapfile -t ids < <(echo "$out" | sed -n 's/^dev id \([0-9]*\)$/\1/p')
UBLK_DEVS+=("${ids[@]}")
[ "${#ids[@]}" -eq 3 ] || _fail "add --all made ${#ids[@]} devices, not 3: '$out'"
id1=${ids[0]} id2=${ids[1]} id3=${ids[2]}
made=$(($(dmesg | grep -c "nvmet: creating nvm controller") - made_before))
pid=$(pgrep -f -- "--subnqn $NQN --all --ctrl $ctrl")
[ "$(echo "$pid" | wc -w)" = 1 ] || _fail "not one daemon: '$pid'"
_log "daemon $pid: $(_conns "$pid") connections, $(ls /proc/"$pid"/task | wc -l) threads; the target made $made controllers (one is add's namespace probe)"
[ "$(_conns "$pid")" = 3 ] ||
	_fail "the three devices do not share one NVMe controller: $(_conns "$pid") connections, not 1 admin + 2 I/O"
[ "$made" = 2 ] || _fail "the target made $made controllers, not add's probe + one shared"
[ "$(_ctrl_field devices)" = 3 ] && [ "$(_ctrl_field shared)" = true ] ||
	_fail "shim controller $ctrl does not hold the three devices"

# Both at once, through one tag set and one connection per queue.
verify_both() {
	_fio_verify /dev/ublkb$id1 "$@" &
	local p1=$! r=0
	UBLK_TMP=$UBLK_TMP/2 _fio_verify /dev/ublkb$id2 "$@" &
	local p2=$!
	wait $p1 || r=1
	wait $p2 || r=1
	return $r
}
mkdir -p "$UBLK_TMP/2"
verify_both --size=8M --bsrange=4k-128k --iodepth=32 || _fail "fio verify on both devices at once failed"

# The port removed and restored under IO on both: one reconnect serves both.
verify_both --size=12M --bs=16k --iodepth=16 &
both=$!
sleep 1
_nvmet_port_down
sleep 2
_nvmet_port_up
wait $both || _fail "fio verify on both across a port flap failed"
[ "$(_conns "$pid")" = 3 ] || _fail "after the flap: $(_conns "$pid") connections, not 3"

# One device deleted while the others are idle: its DEL_DEV waits for every
# holder of /dev/ublkc$id3, the ring the others park their commands on too.
timeout 60 "$UBLK_PROG" del -n "$id3" || _fail "del -n $id3 failed or hung with the others idle"
_forget_dev "$id3"
_wait_until 10 eval '[ ! -e /dev/ublkc$id3 ]' || _fail "device $id3 still exists after del"

# One device deleted under IO on the other: the other serves on.
_fio_verify /dev/ublkb$id2 --size=16M --bs=4k --iodepth=32 &
fio_pid=$!
sleep 1
# Its DEL_DEV waits for every holder of /dev/ublkc$id1: the shared ring too.
timeout 60 "$UBLK_PROG" del -n "$id1" || _fail "del -n $id1 failed or hung with ublkb$id2 served on"
_forget_dev "$id1"
_wait_until 10 eval '[ ! -e /dev/ublkb$id1 ] && [ ! -e /dev/ublkc$id1 ]' || _fail "device $id1 still exists after del"
wait $fio_pid || _fail "fio verify on ublkb$id2 failed while ublkb$id1 was deleted"
kill -0 "$pid" 2>/dev/null || _fail "the daemon ended with device $id2 still served"
[ "$(_conns "$pid")" = 3 ] || _fail "after deleting one device: $(_conns "$pid") connections, not 3"
_fs_roundtrip /dev/ublkb$id2 || _fail "mkfs + mount on namespace 2 failed"

_del_dev "$id2"
for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && _fail "the daemon is still running with no device"
"$UBLK_PROG" ctrl del -n "$ctrl" || _fail "the controller cannot go once its devices are deleted"
_ctrl_removed=1
_nothing_left "nvmet_03"
_check_dmesg
_cleanup_test
exit 0
