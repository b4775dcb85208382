#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bad objects and options for `load`: one line each, a non-zero exit, and
# nothing left (no device, daemon, state file or pin).
. "$(dirname "$0")/test_common.sh"
_prep_test bpf_05
_need_shim
bad=$UBLK_REPO/.output/tests/bpf

_make_file "$UBLK_TMP/a.img" 16M
_make_file "$UBLK_TMP/b.img" 16M
_make_file "$UBLK_TMP/tiny.img" 8k
_refused "cannot open BPF object" load "$UBLK_TMP/missing.bpf.o"
_refused "is not an ELF file" load /etc/hostname
_refused "is an ELF file, but not a BPF object" load "$UBLK_PROG"
_refused "expected one ublk_bpf_ops instance, found 0" load "$bad/no_ops.bpf.o"
_refused "target 'raid5' has no io_uring twin, so it needs the kfunc-shim" load --no-bpf "$bad/no_twin.bpf.o" --size 16M
_refused "the kernel refused it: .*(Unreleased reference|reference)" load "$bad/leaky_loop.bpf.o" --file "$UBLK_TMP/a.img"
_refused "target stripe needs 2 to 8 --file, got 1" load "$UBLK_BPF_OBJS/stripe.bpf.o" --file "$UBLK_TMP/a.img"
_refused "target mirror needs 2 to 4 --file, got 5" load "$UBLK_BPF_OBJS/mirror.bpf.o" \
	--file "$UBLK_TMP/a.img" --file "$UBLK_TMP/a.img" --file "$UBLK_TMP/a.img" \
	--file "$UBLK_TMP/a.img" --file "$UBLK_TMP/a.img"
_refused "target loop needs 1 --file, got 0" load "$UBLK_BPF_OBJS/loop.bpf.o"
_refused "--chunk must be a power of two from 4k to 512k" load "$UBLK_BPF_OBJS/stripe.bpf.o" --chunk 48k --file "$UBLK_TMP/a.img" --file "$UBLK_TMP/b.img"
_refused "--chunk is for the stripe and raid10 targets only" load "$UBLK_BPF_OBJS/mirror.bpf.o" --chunk 64k --file "$UBLK_TMP/a.img" --file "$UBLK_TMP/b.img"
_refused "every file needs at least one 64 KiB chunk" load "$UBLK_BPF_OBJS/stripe.bpf.o" --file "$UBLK_TMP/tiny.img" --file "$UBLK_TMP/b.img"
_refused "no-bpf and --require-bpf exclude each other" load --no-bpf --require-bpf "$UBLK_BPF_OBJS/null.bpf.o"
_refused "load: which BPF object" load
_refused "expected one ublk_bpf_ops instance, found 2" load "$bad/two_ops.bpf.o" --size 16M
_refused "--set p_map: that is a map, not a variable" load "$bad/params.bpf.o" --size 16M --set p_map=1
_refused "--set p_counter: the variable is not 'const volatile'" load "$bad/params.bpf.o" --size 16M --set p_counter=1
_refused "--set p_u8: '256' is out of range for u8" load "$bad/params.bpf.o" --size 16M --set p_u32=1 --set p_u8=256
_check_dmesg
_cleanup_test
exit 0
