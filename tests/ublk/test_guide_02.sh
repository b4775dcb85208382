#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# docs/writing-a-target.md, the zeroes part, runs as written: a target that
# completes its reads itself (ublk_bpf_complete_io, no aio, no file) reads
# as zeroes, refuses a write, and counts both.
. "$(dirname "$0")/test_common.sh"
. "$(dirname "$0")/test_guide_lib.sh"
_prep_test guide_02
_need_shim
command -v clang >/dev/null || _skip "no clang to build the guide's target"
_guide_run "A target that completes its IOs itself: zeroes"
[ -s "$UBLK_TMP/guide/zeroes.bpf.c" ] || _fail "the guide's zeroes.bpf.c block is gone"
_guide_want 'LIVE .* zeroes +bpf-only ' '^16 MiB of zeroes$' '^write refused$' \
	    '^    read_ios +[1-9]' '^    io_errors +[1-9]' '^    completed_in_kernel +[1-9]'
_nothing_left "after the guide"
_check_dmesg
_cleanup_test
exit 0
