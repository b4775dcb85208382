#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# docs/writing-a-target.md, the guard part, runs as written: its target is
# built, loaded, checked with fio, its maps read and changed live.
. "$(dirname "$0")/test_common.sh"
. "$(dirname "$0")/test_guide_lib.sh"
_prep_test guide_01
_need_shim
command -v clang >/dev/null || _skip "no clang to build the guide's target"
_guide_run "A target from scratch: guard"
[ -s "$UBLK_TMP/guide/guard.bpf.c" ] || _fail "the guide's guard.bpf.c block is gone"
_guide_want '^base +u64 +0$' 'LIVE .* guard +bpf-only ' 'err= 0' \
	    '^device byte 0 is file byte 1 MiB$' '"refused": 0' '^  map guarded$' \
	    '^    io_bpf +[1-9]' '^write to sector 0 refused$' '^write to 1 MiB went through$' \
	    '^    refused +1$'
_nothing_left "after the guide"
_check_dmesg
_cleanup_test
exit 0
