#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A target without an io_uring twin (tests/bpf/shifted.bpf.c, written the
# way a user writes one) loads, serves fio verify in the kernel, and says
# in `list` and `stats` that it has no twin; an IO it redirects fails with
# -EIO and is counted; without BPF support it is refused in one line.
. "$(dirname "$0")/test_common.sh"
_prep_test bpf_06
_need_shim
objs=$UBLK_REPO/.output/tests/bpf

_make_file "$UBLK_TMP/a.img" 32M
_new_load "$objs/shifted.bpf.o" --file "$UBLK_TMP/a.img"
id=$UBLK_DEV_ID
"$UBLK_PROG" list -n "$id" | grep -qE "LIVE .* shifted +bpf-only " ||
	_fail "list: $("$UBLK_PROG" list -n "$id")"
[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((32 << 20)) ] || _fail "size is not the file's"
_fio_verify /dev/ublkb$id --size=16M --bsrange=4k-256k || _fail "fio verify failed"
done_k=$(_tgt_stat "$id" completed_in_kernel)
[ "${done_k:-0}" -gt 100 ] || _fail "only ${done_k:-0} IOs completed in the kernel"
[ "$(_shim_stat "$id" io_redirected)" = 0 ] || _fail "IO reached the server"
"$UBLK_PROG" stats -n "$id" | grep -q "no io_uring twin: 0 redirected IOs failed" ||
	_fail "stats does not say the target has no twin: $("$UBLK_PROG" stats -n "$id")"

# Redirected IO (the knob is a map the user sets live) fails with -EIO.
pins=$UBLK_PIN_ROOT/$id
bpftool map update pinned "$pins/knobs" key 0 0 0 0 value 0 0 0 0 1 0 0 0 ||
	_fail "bpftool map update failed"
dd if=/dev/ublkb$id of=/dev/null bs=4k count=1 iflag=direct status=none 2>"$UBLK_TMP/dd.err" &&
	_fail "a redirected read succeeded"
grep -q "Input/output error" "$UBLK_TMP/dd.err" || _fail "redirected read: $(cat "$UBLK_TMP/dd.err")"
failed=$("$UBLK_PROG" stats -n "$id" --json | sed -n 's/.*"redirected_failed":\([0-9]*\).*/\1/p')
_log "redirected and failed: $failed"
[ "${failed:-0}" -ge 1 ] || _fail "the failed redirected IO is not counted"
bpftool map update pinned "$pins/knobs" key 0 0 0 0 value 0 0 0 0 0 0 0 0
dd if=/dev/ublkb$id of=/dev/null bs=4k count=1 iflag=direct status=none ||
	_fail "read fails after the knob is cleared"
_del_dev "$id"
_nothing_left "after del"

# Size from --size without any file: the program serves it all.
_new_load "$objs/no_twin.bpf.o" --size 16M
id=$UBLK_DEV_ID
[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((16 << 20)) ] || _fail "--size not honoured"
dd if=/dev/ublkb$id of=/dev/null bs=4k count=1 iflag=direct status=none 2>/dev/null &&
	_fail "no_twin redirects every IO, yet a read succeeded"
_del_dev "$id"

_refused "target 'shifted' has no io_uring twin, so it needs the kfunc-shim's BPF support \(--no-bpf given\)" \
	load --no-bpf "$objs/shifted.bpf.o" --file "$UBLK_TMP/a.img"
_refused "target raid5 has no io_uring twin to size the device: give --size or --file" \
	load "$objs/no_twin.bpf.o"
_refused "--chunk is for the stripe and raid10 targets only" load "$objs/shifted.bpf.o" --file "$UBLK_TMP/a.img" --chunk 64k
_check_dmesg
_cleanup_test
exit 0
