#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# BPF path, data placement: the stripe's backing files hold exactly the
# chunks the mapping says; the mirror's legs are byte-identical after writes,
# discard and flush; ext4 round trip on loop, stripe and mirror; a mirror
# leg on a full file system fails the write and is counted.
. "$(dirname "$0")/test_common.sh"
_prep_test bpf_02
_need_shim

f=("$UBLK_TMP/a.img" "$UBLK_TMP/b.img" "$UBLK_TMP/c.img")
for l in "${f[@]}"; do _make_file "$l" 8M; done
_new_load --require-bpf "$UBLK_BPF_OBJS/stripe.bpf.o" --chunk 64k --file "${f[0]}" --file "${f[1]}"
_fio_verify /dev/ublkb$UBLK_DEV_ID --size=16M --bsrange=4k-512k || _fail "stripe 64k: fio verify"
_check_stripe_layout /dev/ublkb$UBLK_DEV_ID 65536 "${f[0]}" "${f[1]}" || _fail "stripe 64k layout"
_del_dev "$UBLK_DEV_ID"
_new_load --require-bpf "$UBLK_BPF_OBJS/stripe.bpf.o" --chunk 4k --file "${f[0]}" --file "${f[1]}" --file "${f[2]}"
dd if=/dev/urandom of=/dev/ublkb$UBLK_DEV_ID bs=128k oflag=direct status=none 2>/dev/null
_check_stripe_layout /dev/ublkb$UBLK_DEV_ID 4096 "${f[@]}" || _fail "stripe 4k x 3 layout"
_del_dev "$UBLK_DEV_ID"

_new_load --require-bpf "$UBLK_BPF_OBJS/mirror.bpf.o" --file "${f[0]}" --file "${f[1]}" --file "${f[2]}"
_fio_verify /dev/ublkb$UBLK_DEV_ID --size=8M --bsrange=4k-128k || _fail "mirror: fio verify"
blkdiscard -o 1M -l 1M /dev/ublkb$UBLK_DEV_ID || _fail "mirror: discard"
sum=$(md5sum </dev/ublkb$UBLK_DEV_ID)
reads=$(_tgt_stat "$UBLK_DEV_ID" read_ios)
_del_dev "$UBLK_DEV_ID"
for l in "${f[@]}"; do [ "$(md5sum <"$l")" = "$sum" ] || _fail "mirror leg $l differs"; done
_log "mirror: 3 legs identical after verify and discard ($reads reads)"

for l in "${f[@]}"; do _make_file "$l" 64M; done
for spec in "loop --file ${f[0]}" "stripe --chunk 16k --file ${f[0]} --file ${f[1]}" \
	    "mirror --file ${f[0]} --file ${f[1]}"; do
	# shellcheck disable=SC2086
	_new_load --require-bpf "$UBLK_BPF_OBJS/${spec%% *}.bpf.o" ${spec#* }
	_fs_roundtrip /dev/ublkb$UBLK_DEV_ID || _fail "ext4 round trip on BPF ${spec%% *}"
	_log "ext4 round trip on BPF ${spec%% *}: ok"
	_del_dev "$UBLK_DEV_ID"
done

mkdir "$UBLK_TMP/small"
mount -t tmpfs -o size=1M tmpfs "$UBLK_TMP/small" || _fail "cannot mount a small tmpfs"
_make_file "$UBLK_TMP/small/leg.img" 64M
_new_load --require-bpf "$UBLK_BPF_OBJS/mirror.bpf.o" --file "${f[0]}" --file "$UBLK_TMP/small/leg.img"
if dd if=/dev/urandom of=/dev/ublkb$UBLK_DEV_ID bs=1M count=4 oflag=direct status=none 2>/dev/null; then
	_fail "BPF mirror: a write one leg could not store succeeded"
fi
errs=$(_tgt_stat "$UBLK_DEV_ID" aio_errors)
_log "BPF mirror with a full leg: write failed, aio_errors $errs"
[ "${errs:-0}" -gt 0 ] || _fail "the failed leg was not counted"
_del_dev "$UBLK_DEV_ID"
umount "$UBLK_TMP/small"
_check_dmesg
_cleanup_test
exit 0
