#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Recovery's edges on the BPF path (test_stress_02 covers a kill -9
# without --recovery, test_recover_03 the pause):
# 1. fio verify runs across two kill -9 + recover in a row, then a recover
#    killed half-way and the recover after it: zero errors, every block
#    verified, the shim failed nothing.
# 2. The backing file vanished while no daemon ran: the program still
#    serves IO (the kernel holds the file), `recover` refuses in one line
#    naming the file and changes nothing, `del` removes the device.
. "$(dirname "$0")/test_common.sh"
_prep_test recover_04
_need_shim
run_dir=${UBLK_BPF_RUN_DIR:-/run/ublk-bpf}

# 1. Two recovers in a row, then one killed half-way.
_make_file "$UBLK_TMP/a.img" 256M
_new_load --require-bpf "$UBLK_BPF_OBJS/loop.bpf.o" --file "$UBLK_TMP/a.img" -q 2 --recovery
id=$UBLK_DEV_ID
fio --name=recover --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 \
    --rw=randwrite --bs=4k --iodepth=16 --size=256M --verify=crc32c \
    --verify_fatal=1 --verify_state_save=0 >"$UBLK_TMP/fio.log" 2>&1 &
fio_pid=$!
sleep 1
kill -0 $fio_pid || _fail "fio ended before the kill: $(tail -n 5 "$UBLK_TMP/fio.log")"
_kill_and_recover "$id"
_kill_and_recover "$id"
_kill_recover_halfway "$id"
kill -0 $fio_pid || _fail "fio ended before the last recover: make it longer"
wait $fio_pid || _fail "fio failed across the recovers: $(grep -E 'err=|verify|error' "$UBLK_TMP/fio.log" | head -n 5)"
grep -q 'err= 0' "$UBLK_TMP/fio.log" || _fail "fio saw errors: $(grep 'err=' "$UBLK_TMP/fio.log")"
_log "fio across 3 kills and a killed recover: $(grep -E '^ *(write|read):' "$UBLK_TMP/fio.log" | tr -s ' ' | tr '\n' ';')"
[ "$(_shim_stat "$id" io_failed)" = 0 ] || _fail "the shim failed $(_shim_stat "$id" io_failed) IOs"
_del_dev "$id"

# 2. The backing file vanished.
_make_file "$UBLK_TMP/b.img" 64M
_new_load --require-bpf "$UBLK_BPF_OBJS/loop.bpf.o" --file "$UBLK_TMP/b.img" --recovery
id=$UBLK_DEV_ID
_fio_verify /dev/ublkb$id --size=8M || _fail "fio verify failed"
_kill_daemon "$id"
mv "$UBLK_TMP/b.img" "$UBLK_TMP/b.moved"
_fio_verify /dev/ublkb$id --size=8M || _fail "no IO without daemon and file name"
_refused "b.img" recover -n "$id"
[ "$(_dev_field "$id" state)" = QUIESCED ] || _fail "a failed recover changed the device"
[ -e "$run_dir/$id.json" ] || _fail "a failed recover removed the state file"
timeout 30 "$UBLK_PROG" del -n "$id" || _fail "del of a device without daemon or file failed or hung"
_forget_dev "$id"
_nothing_left "del of a BPF device whose file vanished"

# 3. Another file under the old name (a rename and a copy while no daemon
# ran): the kernel still serves the old file, so recover refuses the new one.
_make_file "$UBLK_TMP/c.img" 64M
_new_load --require-bpf "$UBLK_BPF_OBJS/loop.bpf.o" --file "$UBLK_TMP/c.img" --recovery
id=$UBLK_DEV_ID
_kill_daemon "$id"
mv "$UBLK_TMP/c.img" "$UBLK_TMP/c.old" && cp "$UBLK_TMP/c.old" "$UBLK_TMP/c.img"
_refused "c.img is not the file it was made with" recover -n "$id"
[ "$(_dev_field "$id" state)" = QUIESCED ] || _fail "a refused recover changed the device"
mv -f "$UBLK_TMP/c.old" "$UBLK_TMP/c.img"
_recover "$id"
_del_dev "$id"

_nothing_left "recover_04"
_check_dmesg
_cleanup_test
exit 0
