#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# linear target (BPF, no io_uring twin): three segments of two files given
# with --set; a pattern written through the device (IOs that span segment
# boundaries) lands in each file exactly where the table says and nowhere
# else; fio crc32c verify through it; IO past the table fails.
. "$(dirname "$0")/test_common.sh"
_prep_test linear_01
_need_shim

a=$UBLK_TMP/a.img b=$UBLK_TMP/b.img
_make_file "$a" 8M
_make_file "$b" 8M
# segment 0: b from 1M, 3M; segment 1: a from 0, 2M; segment 2: b from 6M, 1M.
table=(--set seg_file=1,0,1 --set seg_offset=1M,0,6M --set seg_len=3M,2M,1M)
_new_load --require-bpf "$UBLK_BPF_OBJS/linear.bpf.o" --file "$a" --file "$b" --size 6M "${table[@]}"
id=$UBLK_DEV_ID
head -c 6M /dev/urandom >"$UBLK_TMP/p"
dd if="$UBLK_TMP/p" of=/dev/ublkb$id bs=768k oflag=direct status=none || _fail "write through linear"
cmp -s "$UBLK_TMP/p" /dev/ublkb$id || _fail "device reads back differently"
M=$((1 << 20))
cmp -s -i 0:$M -n $((3 * M)) "$UBLK_TMP/p" "$b" || _fail "segment 0 is not at b+1M"
cmp -s -i $((3 * M)):0 -n $((2 * M)) "$UBLK_TMP/p" "$a" || _fail "segment 1 is not at a+0"
cmp -s -i $((5 * M)):$((6 * M)) -n $M "$UBLK_TMP/p" "$b" || _fail "segment 2 is not at b+6M"
# Nothing else of the files was written.
cmp -s -i $((2 * M)):0 -n $((6 * M)) "$a" /dev/zero || _fail "a written outside segment 1"
cmp -s -n $M "$b" /dev/zero || _fail "b written before segment 0"
cmp -s -i $((4 * M)):0 -n $((2 * M)) "$b" /dev/zero || _fail "b written between segments 0 and 2"
cmp -s -i $((7 * M)):0 -n $M "$b" /dev/zero || _fail "b written after segment 2"
_log "3 segments where the table puts them, nothing written elsewhere"
_fio_verify /dev/ublkb$id --size=6M --bsrange=4k-512k || _fail "fio verify through linear"
_del_dev "$id"

# A device larger than its table: IO past the table fails, before it works.
_new_load --require-bpf "$UBLK_BPF_OBJS/linear.bpf.o" --file "$a" --size 4M \
	--set seg_file=0 --set seg_len=3M
id=$UBLK_DEV_ID
dd if=/dev/ublkb$id of=/dev/null bs=64k count=1 skip=$((3 * 16 - 1)) iflag=direct status=none ||
	_fail "read of the table's last 64k failed"
dd if=/dev/ublkb$id of=/dev/null bs=64k count=1 skip=$((3 * 16)) iflag=direct status=none 2>/dev/null &&
	_fail "read past the table succeeded"
_del_dev "$id"
_check_dmesg
_cleanup_test
exit 0
