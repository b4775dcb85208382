#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# flakey target (BPF, no io_uring twin): faults set live with bpftool in the
# pinned fault_ranges and fault_every maps. fio and dd see errors exactly
# for IOs touching a range (read-failing, write-failing) and nowhere else;
# a drop-writes range loses exactly its writes; every 4th read fails; a
# range set and cleared while fio runs fails reads only meanwhile, counted
# alike by fio and fault_stats; with the maps cleared, no IO fails.
. "$(dirname "$0")/test_common.sh"
_prep_test flakey_01
_need_shim

FAIL_READS=1 FAIL_WRITES=2 DROP_WRITES=4

# _le BYTES VALUE: VALUE as BYTES little-endian bytes, for bpftool.
_le() {
	local i v=$2 out=
	for ((i = 0; i < $1; i++)); do out+="$((v & 255)) "; v=$((v >> 8)); done
	echo "$out"
}

# _range IDX START END FLAGS: fault_ranges[IDX] = sectors [START, END), FLAGS.
_range() {
	# shellcheck disable=SC2046
	bpftool map update pinned "$pins/fault_ranges" key $(_le 4 "$1") \
		value $(_le 8 "$2") $(_le 8 "$3") $(_le 4 "$4") 0 0 0 0 ||
		_fail "bpftool map update fault_ranges $*"
}

# _every NTH FLAGS
_every() {
	# shellcheck disable=SC2046
	bpftool map update pinned "$pins/fault_every" key 0 0 0 0 \
		value $(_le 4 "$1") $(_le 4 "$2") || _fail "bpftool map update fault_every $*"
}

_fault_stat() {
	bpftool map dump pinned "$pins/fault_stats" | sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p"
}

# _fio_errors RW [FIO ARGS...]: IOs that failed in a fio run that goes on
# through errors (json total_err).
_fio_errors() {
	local rw=$1
	shift
	fio --name=flakey --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 \
	    --rw="$rw" --bs=4k --iodepth=1 --continue_on_error=io --output-format=json \
	    "$@" >"$UBLK_TMP/fio.json" 2>/dev/null
	sed -n 's/.*"total_err" : \([0-9]*\).*/\1/p' "$UBLK_TMP/fio.json" | head -n1
}

# _dd_read SECTOR COUNT / _dd_write SECTOR COUNT: one direct IO of COUNT
# sectors; its status.
_dd_read() {
	dd if=/dev/ublkb$id of=/dev/null bs=$(($2 * 512)) skip=$(($1 * 512)) count=1 \
	   iflag=direct,skip_bytes status=none 2>/dev/null
}
_dd_write() {
	dd if=/dev/urandom of=/dev/ublkb$id bs=$(($2 * 512)) seek=$(($1 * 512)) count=1 \
	   oflag=direct,seek_bytes status=none 2>/dev/null
}

f=$UBLK_TMP/f.img
head -c 16M /dev/urandom >"$f"
_new_load --require-bpf "$UBLK_BPF_OBJS/flakey.bpf.o" --file "$f"
id=$UBLK_DEV_ID
pins=$UBLK_PIN_ROOT/$id
[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((16 << 20)) ] || _fail "size is not the file's"
[ "$(md5sum </dev/ublkb$id)" = "$(md5sum <"$f")" ] || _fail "device differs from its file"

# Sectors [2048, 2056) fail reads; [8192, 8200) fail reads and writes.
_range 0 2048 2056 $FAIL_READS
_range 1 8192 8200 $((FAIL_READS | FAIL_WRITES))
bpftool map dump pinned "$pins/fault_ranges" | grep -q '"end": 2056' ||
	_fail "bpftool does not print the range by field: $(bpftool map dump pinned "$pins/fault_ranges" | head -n 12)"
_dd_read 2048 8 && _fail "read inside range 0 succeeded"
_dd_read 2055 1 && _fail "read of the last sector of range 0 succeeded"
_dd_read 2040 16 && _fail "read overlapping range 0 succeeded"
_dd_read 2040 8 || _fail "read just before range 0 failed"
_dd_read 2056 8 || _fail "read just after range 0 failed"
_dd_write 2048 8 || _fail "write inside the read-only-failing range 0 failed"
_dd_write 8192 8 && _fail "write inside range 1 succeeded"
_dd_write 8200 8 || _fail "write just after range 1 failed"
before=$(_fault_stat failed_reads)
errs=$(_fio_errors read)
after=$(_fault_stat failed_reads)
_log "fio read of 4096 x 4k with 2 read-failing ranges: $errs errors; failed_reads $before -> $after"
[ "$errs" = 2 ] || _fail "fio saw $errs read errors, want 2 (one 4k block per range)"
[ $((after - before)) -eq 2 ] || _fail "fault_stats counted $((after - before)) failed reads, want 2"
errs=$(_fio_errors write --size=2M)
[ "$errs" = 0 ] || _fail "fio saw $errs write errors over read-failing range 0, want 0"
errs=$(_fio_errors write --offset=2M --size=4M)
_log "fio write of [2M, 6M) over write-failing range 1: $errs errors"
[ "$errs" = 1 ] || _fail "fio saw $errs write errors over range 1, want 1"

# Drop writes of [16384, 16392): those 4 KiB keep the file's old bytes.
_range 0 0 0 0
_range 1 0 0 0
_range 2 16384 16392 $DROP_WRITES
head -c 2M /dev/urandom >"$UBLK_TMP/new"
cp "$f" "$UBLK_TMP/old"
dd if="$UBLK_TMP/new" of=/dev/ublkb$id bs=4k seek=$((7 << 8)) oflag=direct status=none ||
	_fail "writes over a drop range failed"
cmp -s -i $((8 << 20)) -n 4096 "$f" "$UBLK_TMP/old" || _fail "a dropped write reached the file"
cmp -s -i $((7 << 20)):0 -n $((1 << 20)) "$f" "$UBLK_TMP/new" || _fail "write before the drop range lost"
cmp -s -i $(((8 << 20) + 4096)):$(((1 << 20) + 4096)) -n $(((1 << 20) - 4096)) "$f" "$UBLK_TMP/new" ||
	_fail "write after the drop range lost"
_log "dropped writes: $(_fault_stat dropped_writes)"
[ "$(_fault_stat dropped_writes)" = 1 ] || _fail "want 1 dropped write counted"
_range 2 0 0 0

# Every 4th read fails: 10 of 40.
_every 4 $FAIL_READS
errs=$(_fio_errors read --size=160k)
_log "every 4th read: $errs errors in 40 reads"
[ "$errs" = 10 ] || _fail "every 4th read: $errs errors in 40, want 10"
_every 0 0

# A range turned on and off while fio runs.
fio --name=live --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 --rw=randread \
    --bs=4k --iodepth=4 --runtime=8 --time_based --continue_on_error=io \
    --output-format=json >"$UBLK_TMP/live.json" 2>/dev/null &
fio_pid=$!
before=$(_fault_stat failed_reads)
sleep 2
_range 3 0 $((8 << 11)) $FAIL_READS
sleep 2
_range 3 0 0 0
mid=$(_fault_stat failed_reads)
sleep 1
wait $fio_pid
after=$(_fault_stat failed_reads)
errs=$(sed -n 's/.*"total_err" : \([0-9]*\).*/\1/p' "$UBLK_TMP/live.json" | head -n1)
_log "live: fio saw $errs read errors; failed_reads $before -> $mid -> $after"
[ "${errs:-0}" -gt 0 ] || _fail "no read failed while the range was set"
[ "$errs" -eq $((after - before)) ] || _fail "fio's $errs errors are not flakey's $((after - before))"
[ "$mid" -eq "$after" ] || _fail "reads failed after the range was cleared"

# All off: nothing fails, and the device is its file.
errs=$(_fio_errors randrw --size=16M --io_size=8M)
[ "$errs" = 0 ] || _fail "$errs errors with every fault off"
[ "$(md5sum </dev/ublkb$id)" = "$(md5sum <"$f")" ] || _fail "device differs from its file"
_del_dev "$id"
_check_dmesg
_cleanup_test
exit 0
