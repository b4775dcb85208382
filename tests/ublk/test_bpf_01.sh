#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every BPF target on the BPF path: data verified with fio crc32c (null:
# fio runs clean), every IO completed in the kernel and none redirected to
# the server, counted both by the target's map and by the shim.
. "$(dirname "$0")/test_common.sh"
_prep_test bpf_01
_need_shim

for l in a b c; do _make_file "$UBLK_TMP/$l.img" 32M; done
for spec in "null --size 256M" \
	    "loop --file $UBLK_TMP/a.img" \
	    "stripe --chunk 64k --file $UBLK_TMP/a.img --file $UBLK_TMP/b.img" \
	    "mirror --file $UBLK_TMP/a.img --file $UBLK_TMP/b.img --file $UBLK_TMP/c.img"; do
	tgt=${spec%% *}
	# shellcheck disable=SC2086
	_new_load --require-bpf "$UBLK_BPF_OBJS/$tgt.bpf.o" ${spec#* } -q 2
	id=$UBLK_DEV_ID
	"$UBLK_PROG" list -n "$id" | grep -qE "LIVE .* $tgt +bpf " || _fail "$tgt: list: $("$UBLK_PROG" list -n "$id")"
	if [ "$tgt" = null ]; then
		fio --name=null --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 \
		    --rw=randrw --bs=4k --iodepth=32 --runtime=2 --time_based \
		    --output="$UBLK_TMP/fio.log" || _fail "null: fio failed"
		cmp -n 1M /dev/ublkb$id /dev/zero || _fail "null: reads are not zeroes"
	else
		_fio_verify /dev/ublkb$id --size=16M --bsrange=4k-256k || _fail "$tgt: fio verify failed"
	fi
	done_k=$(_tgt_stat "$id" completed_in_kernel)
	redirected=$(_tgt_stat "$id" redirected)
	shim_bpf=$(_shim_stat "$id" io_bpf)
	shim_redir=$(_shim_stat "$id" io_redirected)
	_log "$tgt: completed in kernel $done_k, redirected $redirected (shim: io_bpf $shim_bpf, io_redirected $shim_redir)"
	[ "${done_k:-0}" -gt 100 ] || _fail "$tgt: only ${done_k:-0} IOs completed in the kernel"
	[ "$redirected" = 0 ] && [ "$shim_redir" = 0 ] || _fail "$tgt: IO reached the server"
	[ "$shim_bpf" -ge "$done_k" ] || _fail "$tgt: shim counted $shim_bpf BPF IOs, target $done_k"
	_del_dev "$id"
	_nothing_left "after del of $tgt"
done
_check_dmesg
_cleanup_test
exit 0
