#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --count: 64 null devices from one `add --count 64` call, served by one
# daemon; each is listed on its own, serves IO, and goes away alone with
# `del -n` while the others stay; one `del -a` removes the rest and the
# daemon exits. On the BPF path (when the shim is loaded) `load --count`
# the same, with each device's own pins and stats.
. "$(dirname "$0")/test_common.sh"
_prep_test count_01

# _count_devs N VERB ARGS...: `ublk-bpf VERB ARGS --count N`; sets IDS.
_count_devs() {
	local n=$1 out start
	shift
	start=$(date +%s%N)
	out=$("$UBLK_PROG" "$@" --count "$n") || _fail "ublk-bpf $* --count $n failed"
	_log "$* --count $n: $(( ($(date +%s%N) - start) / 1000000 )) ms"
	mapfile -t IDS < <(echo "$out" | sed -n 's/^dev id \([0-9]*\)$/\1/p')
	[ "${#IDS[@]}" -eq "$n" ] || _fail "--count $n printed ${#IDS[@]} ids: $(echo "$out" | head -n 3)"
	UBLK_DEVS+=("${IDS[@]}")
}

# _check_set: every device of IDS is a LIVE block device of one daemon.
_check_set() {
	local id pid
	PID=$(_dev_field "${IDS[0]}" pid)
	[ -n "$PID" ] && kill -0 "$PID" || _fail "no daemon for device ${IDS[0]}"
	for id in "${IDS[@]}"; do
		[ -b /dev/ublkb$id ] || _fail "/dev/ublkb$id missing"
		[ "$(_dev_field "$id" state)" = LIVE ] || _fail "device $id is $(_dev_field "$id" state)"
		pid=$(_dev_field "$id" pid)
		[ "$pid" = "$PID" ] || _fail "device $id served by pid $pid, device ${IDS[0]} by $PID"
	done
	[ "$(pgrep -cf "ublk-bpf (add|load)")" -eq 1 ] || _fail "more than one daemon: $(pgrep -af 'ublk-bpf (add|load)')"
}

_count_devs 64 add -t null -q 1 -d 4 --size 64M
_check_set
_log "64 devices, daemon $PID: $(grep VmRSS /proc/$PID/status | tr -s ' ')"
[ "$(ls /sys/block | grep -c '^ublkb')" -eq 64 ] || _fail "$(ls /sys/block | grep -c '^ublkb') block devices, not 64"

# Each device serves IO of its own, at the same time.
for id in "${IDS[0]}" "${IDS[31]}" "${IDS[63]}"; do
	dd if=/dev/urandom of="$UBLK_TMP/w" bs=4k count=16 status=none
	dd if="$UBLK_TMP/w" of=/dev/ublkb$id bs=4k oflag=direct status=none || _fail "write to ublkb$id failed"
	dd if=/dev/ublkb$id of=/dev/null bs=4k count=16 iflag=direct status=none || _fail "read of ublkb$id failed"
done

# del -n of one device: the others and the daemon stay.
mid=${IDS[10]}
_del_dev "$mid"
kill -0 "$PID" || _fail "the daemon exited after del -n $mid"
[ "$(_dev_field "${IDS[11]}" state)" = LIVE ] || _fail "device ${IDS[11]} not LIVE after del -n $mid"
# (null keeps no data: IO without errors is what there is to check.)
fio --name=io --filename=/dev/ublkb${IDS[11]} --ioengine=io_uring --direct=1 --rw=randrw \
    --bs=4k --iodepth=16 --size=4M --output="$UBLK_TMP/fio.log" &&
	grep -q 'err= 0' "$UBLK_TMP/fio.log" || _fail "fio on device ${IDS[11]} after del -n $mid"
[ "$("$UBLK_PROG" list --json | grep -o '"id":' | wc -l)" -eq 63 ] || _fail "list does not show 63 devices"

# One del -a ends them all, and the daemon with its last device.
start=$(date +%s%N)
"$UBLK_PROG" del -a || _fail "del -a failed"
_log "del -a of 63 devices: $(( ($(date +%s%N) - start) / 1000000 )) ms"
UBLK_DEVS=()
kill -0 "$PID" 2>/dev/null && _fail "daemon $PID still running after del -a"
_nothing_left "del -a"

if _shim_loaded; then
	_count_devs 8 load "$UBLK_BPF_OBJS/null.bpf.o" -q 1 -d 4 --size 64M
	_check_set
	for id in "${IDS[@]}"; do
		[ "$(_dev_field "$id" path)" = bpf ] || _fail "device $id path $(_dev_field "$id" path), not bpf"
		[ -d "$UBLK_PIN_ROOT/$id" ] || _fail "no pins for device $id"
	done
	id=${IDS[3]}
	dd if=/dev/ublkb$id of=/dev/null bs=4k count=32 iflag=direct status=none || _fail "read of ublkb$id failed"
	"$UBLK_PROG" stats -n "$id" >"$UBLK_TMP/stats" || _fail "stats -n $id failed"
	"$UBLK_PROG" stats -n "${IDS[4]}" >/dev/null || _fail "stats -n ${IDS[4]} failed"
	_del_dev "$id"
	[ -d "$UBLK_PIN_ROOT/$id" ] && _fail "pins of device $id left after del -n"
	[ -d "$UBLK_PIN_ROOT/${IDS[4]}" ] || _fail "pins of device ${IDS[4]} gone with device $id"
	"$UBLK_PROG" stats -n "${IDS[4]}" >/dev/null || _fail "stats -n ${IDS[4]} failed after del -n $id"
	"$UBLK_PROG" del -a || _fail "del -a failed"
	UBLK_DEVS=()
	_nothing_left "del -a (load --count)"
fi
_check_dmesg
_cleanup_test
exit 0
