#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kublk's command line (the kernel's ublk selftest server): devices made,
# listed, recovered and deleted the way its scripts do it, read back the
# way they read them (the id from "dev id N", the state as the 11th word of
# the line with "state", the daemon's pid as the 7th of the line with
# "pid"). Positional backing files, --chunk_size, --delay_us, -r/-i, -g
# (NEED_GET_DATA: every write's data fetched with UBLK_U_IO_NEED_GET_DATA),
# checked with fio crc32c and the backing files read directly.
. "$(dirname "$0")/test_common.sh"
_prep_test kublk_01

k_add() {	# k_add ARGS: `add ARGS` as the scripts run it; prints the id
	local out id
	out=$("$UBLK_PROG" add "$@" 2>&1) || { echo "# add $*: $out" >&2; return 1; }
	id=$(echo "$out" | grep "dev id" | awk -F '[ :]' '{print $3}')
	[ -b "/dev/ublkb$id" ] || { echo "# add $*: printed '$out'" >&2; return 1; }
	echo "$id"
}
k_new() {	# k_new ARGS: k_add, failing the test, the device deleted at cleanup
	K_ID=$(k_add "$@") || _fail "add $*"
	UBLK_DEVS+=("$K_ID")
}
k_state() { "$UBLK_PROG" list -n "$1" | grep "state" | awk '{print $11}'; }
k_pid() { "$UBLK_PROG" list -n "$1" | grep "pid" | awk '{print $7}'; }
k_is() { [ "$(k_state "$1")" = "$2" ]; }
k_wait_state() {	# ID STATE SECONDS
	_wait_until "$3" k_is "$1" "$2" || _fail "device $1 is '$(k_state "$1")', not $2, $3 s on"
}

# features: kublk's names (grep'd by its scripts) are in ours.
feat=$("$UBLK_PROG" features) || _fail "features failed"
names="COMP_IN_TASK GET_DATA USER_RECOVERY RECOVERY_REISSUE CMD_IOCTL_ENCODE"
# A driver before 6.5 (Debian 12's 6.1) has no ioctl encoding to name.
echo "$feat" | grep -q 'without GET_FEATURES' && names=${names% CMD_IOCTL_ENCODE}
for name in $names; do
	echo "$feat" | grep -q "$name" || _fail "features lacks $name: $feat"
done

# null, with an id of our choice: list -n shows kublk's fields beside our table.
k_new -t null -q 2 -d 64 -n 7
id=$K_ID
[ "$id" = 7 ] || _fail "add -n 7 made device $id"
[ "$(k_state 7)" = LIVE ] || _fail "state of 7: '$(k_state 7)': $("$UBLK_PROG" list -n 7)"
pid=$(k_pid 7)
[ -n "$pid" ] && kill -0 "$pid" || _fail "daemon pid of 7: '$pid'"
list=$("$UBLK_PROG" list -n 7)
echo "$list" | grep -qE "^dev id 7: queues 2 depth 64 .* target null$" || _fail "list -n 7: $list"
[ "$(echo "$list" | grep -cE '^	queue [01]: cpus [0-9]')" -eq 2 ] || _fail "queue lines: $list"
echo "$list" | grep -qE "^7 +LIVE +2 +64 " || _fail "list -n 7 lost our table: $list"
"$UBLK_PROG" list | grep -q "daemon pid" && _fail "plain list shows kublk's detail"
"$UBLK_PROG" list -a | grep -q "^dev id 7:" || _fail "list -a lacks device 7"
"$UBLK_PROG" list -n 7 --json | grep -q '^\[{"id":7,"state":"LIVE"' || _fail "list --json changed"
_log "list -n 7: $(echo "$list" | tr '\n\t' '| ')"

# loop over a positional file: fio verify, then the file holds the data.
_make_file "$UBLK_TMP/a.img" 64M
k_new -t loop -q 2 -d 32 "$UBLK_TMP/a.img"
id=$K_ID
[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((64 << 20)) ] || _fail "loop size"
_fio_verify /dev/ublkb$id || _fail "fio verify on loop (positional file)"
sum=$(md5sum </dev/ublkb$id)
_del_dev "$id"
[ "$(md5sum <"$UBLK_TMP/a.img")" = "$sum" ] || _fail "backing file differs (positional file)"

# -g: NEED_GET_DATA set on the device, writes verified through it.
_make_file "$UBLK_TMP/g.img" 64M
k_new -t loop -q 1 -d 16 -g "$UBLK_TMP/g.img"
id=$K_ID
flags=$("$UBLK_PROG" list -n "$id" | grep "state" | awk '{print $9}')
(( flags & 0x4 )) || _fail "-g: flags $flags lack UBLK_F_NEED_GET_DATA"
_fio_verify /dev/ublkb$id || _fail "fio verify on loop -g"
_log "-g: flags $flags, $(grep -E 'write:' "$UBLK_TMP/fio.log" | sed 's/^ *//' | cut -d, -f1)"
sum=$(md5sum </dev/ublkb$id)
_del_dev "$id"
[ "$(md5sum <"$UBLK_TMP/g.img")" = "$sum" ] || _fail "backing file differs (-g)"

# stripe with --chunk_size in bytes: the files hold 8 KiB chunks in turn.
_make_file "$UBLK_TMP/s0.img" 16M
_make_file "$UBLK_TMP/s1.img" 16M
k_new -t stripe -q 1 --chunk_size 8192 "$UBLK_TMP/s0.img" "$UBLK_TMP/s1.img"
id=$K_ID
UBLK_FIO_SIZE=32M _fio_verify /dev/ublkb$id --bs=4k-64k || _fail "fio verify on stripe"
_check_stripe_layout /dev/ublkb$id 8192 "$UBLK_TMP/s0.img" "$UBLK_TMP/s1.img" ||
	_fail "stripe layout differs with --chunk_size 8192"

# fault_inject --delay_us: one direct read takes at least the delay.
k_new -t fault_inject -q 1 -d 1 --delay_us 300000
id=$K_ID
start=$(date +%s%N)
dd if=/dev/ublkb$id of=/dev/null bs=4k count=1 iflag=direct status=none || _fail "read of fault_inject"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -ge 300 ] || _fail "fault_inject --delay_us 300000: a read took $ms ms"
_log "fault_inject --delay_us 300000: one read took $ms ms"

# -r 1 -i 1 on loop: kill -9 under fio, QUIESCED, recover with the add
# command line again (kublk's form), LIVE under a new pid, fio verifies.
_make_file "$UBLK_TMP/r.img" 64M
k_new -t loop -q 2 -d 32 -r 1 -i 1 "$UBLK_TMP/r.img"
id=$K_ID
fio --name=recover --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 \
    --rw=randwrite --bs=4k --iodepth=16 --size=32M --verify=crc32c --verify_state_save=0 \
    --verify_fatal=1 >"$UBLK_TMP/fio-r.log" 2>&1 &
fio_pid=$!
sleep 2
kill -0 $fio_pid || _fail "fio ended before the kill: $(tail -n 5 "$UBLK_TMP/fio-r.log")"
old=$(k_pid "$id")
kill -9 "$old"
k_wait_state "$id" QUIESCED 10
out=$(cd "$UBLK_TMP" && "$UBLK_PROG" recover -n "$id" -t loop -q 2 -d 32 -r 1 -i 1 r.img 2>&1) ||
	_fail "recover (kublk's form): $out"
[ "$(echo "$out" | grep "dev id" | awk -F '[ :]' '{print $3}')" = "$id" ] || _fail "recover printed '$out'"
k_wait_state "$id" LIVE 5
new=$(k_pid "$id")
[ "$new" != "$old" ] && kill -0 "$new" || _fail "pid $new after recover (was $old)"
wait $fio_pid || _fail "fio across kill -9 and recover: $(grep -E 'err=|verify|error' "$UBLK_TMP/fio-r.log" | head -n 5)"
grep -q 'err= 0' "$UBLK_TMP/fio-r.log" || _fail "fio saw errors: $(grep 'err=' "$UBLK_TMP/fio-r.log")"
_log "recovered: pid $old -> $new"
# The state file now holds the kublk line as an add: recover -n alone works.
kill -9 "$new"
k_wait_state "$id" QUIESCED 10
_refused "was added as loop, not null" recover -n "$id" -t null -r 1
"$UBLK_PROG" recover -n "$id" >/dev/null || _fail "recover -n $id after a kublk-form recover"
k_wait_state "$id" LIVE 5
_fio_verify /dev/ublkb$id --size=8M || _fail "fio verify after the second recover"

# del -n one, del -a the rest: nothing left.
"$UBLK_PROG" del -n 7 || _fail "del -n 7"
_forget_dev 7
"$UBLK_PROG" del -a || _fail "del -a"
UBLK_DEVS=()
no_devs() { ! ls /dev/ublkb* >/dev/null 2>&1; }
_wait_until 5 no_devs || _fail "devices left after del -a: $(ls /dev/ublkb*)"
_nothing_left "kublk_01"
_check_dmesg
_cleanup_test
exit 0
