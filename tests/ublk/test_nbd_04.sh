#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `load nbd.bpf.o`: a BPF target that redirects every IO to its io_uring
# twin, the nbd target (the fall-back for what BPF cannot serve). fio
# verify passes and the target's stats count the redirected IOs.
. "$(dirname "$0")/test_common.sh"
. "$(dirname "$0")/nbd_server.sh"
_prep_test nbd_04
_need_shim

img=$UBLK_TMP/export.img
_make_file "$img" 32M
_nbd_start "$img" tcp
_new_load "$UBLK_BPF_OBJS/nbd.bpf.o" --host 127.0.0.1 --port "$NBD_PORT" --export disk
id=$UBLK_DEV_ID
"$UBLK_PROG" list -n "$id" --json | grep -q '"target":"nbd".*"path":"bpf"' ||
	_fail "not listed as nbd on the BPF path: $("$UBLK_PROG" list -n "$id" --json)"
_fio_verify /dev/ublkb$id --size=16M || _fail "fio verify through the BPF redirect failed"
red=$(_tgt_stat "$id" redirected)
[ -n "$red" ] && [ "$red" -gt 0 ] || _fail "no redirected IO counted ($red)"
_log "redirected to the io_uring twin: $red IOs"
_del_dev "$id"
_nbd_kill
_nothing_left "nbd_04"
_check_dmesg
_cleanup_test
exit 0
