#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fallback: with the stock ublk_drv, `load` serves the same target on the
# io_uring path (and says so), --require-bpf refuses, and so does a target
# without an io_uring twin; with the shim,
# --no-bpf does the same as the stock driver would.
. "$(dirname "$0")/test_common.sh"
_prep_test bpf_03
_need_shim

_make_file "$UBLK_TMP/a.img" 16M
_make_file "$UBLK_TMP/b.img" 16M
_use_module stock || _fail "cannot switch to the stock ublk_drv"
trap '_use_module shim' EXIT
_shim_loaded && _fail "the shim is still loaded"
_refused "no BPF support" load --require-bpf "$UBLK_BPF_OBJS/stripe.bpf.o" --file "$UBLK_TMP/a.img" --file "$UBLK_TMP/b.img"
# A target without an io_uring twin has no path here at all.
_refused "target 'shifted' has no io_uring twin, so it needs the kfunc-shim's BPF support \(the running ublk_drv has none\)" \
	load "$UBLK_REPO/.output/tests/bpf/shifted.bpf.o" --file "$UBLK_TMP/a.img"
err=$("$UBLK_PROG" load "$UBLK_BPF_OBJS/stripe.bpf.o" --file "$UBLK_TMP/a.img" --file "$UBLK_TMP/b.img" 2>&1 >"$UBLK_TMP/out") ||
	_fail "load on the stock driver failed: $err"
echo "$err" | grep -q "io_uring path" || _fail "no word about the io_uring path: '$err'"
id=$(sed -n 's/^dev id //p' "$UBLK_TMP/out")
UBLK_DEVS+=("$id")
"$UBLK_PROG" list -n "$id" | grep -qE "LIVE .* stripe +io_uring " || _fail "list: $("$UBLK_PROG" list -n "$id")"
# list says where it is, what it is made of, and why it is not on BPF.
row=$("$UBLK_PROG" list -n "$id" | sed -n 2p)
echo "$row" | grep -qE "/dev/ublkb$id +$(realpath "$UBLK_TMP/a.img"),$(realpath "$UBLK_TMP/b.img") " ||
	_fail "list row lacks the node and the files: '$row'"
echo "$row" | grep -q "fallback: the running ublk_drv has no BPF support" ||
	_fail "list row does not say why it fell back: '$row'"
[ "$("$UBLK_PROG" list -n "$id" --json | jq -r '.[0].node')" = "/dev/ublkb$id" ] ||
	_fail "list --json lacks the node"
_fio_verify /dev/ublkb$id --size=16M || _fail "fallback stripe: fio verify"
_check_stripe_layout /dev/ublkb$id 65536 "$UBLK_TMP/a.img" "$UBLK_TMP/b.img" || _fail "fallback stripe layout"
# No BPF counters: stats shows the io_uring path's own.
"$UBLK_PROG" stats -n "$id" | grep -q "^device $id, io_uring path" ||
	_fail "stats of a device on the io_uring path: $("$UBLK_PROG" stats -n "$id" 2>&1)"
_del_dev "$id"
_log "stock driver: stripe served on the io_uring path, verified"

_use_module shim || _fail "cannot reload the shim"
trap - EXIT
err=$("$UBLK_PROG" load --no-bpf "$UBLK_BPF_OBJS/loop.bpf.o" --file "$UBLK_TMP/a.img" 2>&1 >"$UBLK_TMP/out") ||
	_fail "load --no-bpf failed: $err"
echo "$err" | grep -q -- "serving target loop on the io_uring path: --no-bpf given" || _fail "--no-bpf: '$err'"
id=$(sed -n 's/^dev id //p' "$UBLK_TMP/out")
UBLK_DEVS+=("$id")
_fio_verify /dev/ublkb$id --size=8M || _fail "--no-bpf loop: fio verify"
_del_dev "$id"
_check_dmesg
_cleanup_test
exit 0
