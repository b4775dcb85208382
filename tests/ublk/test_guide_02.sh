#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# docs/writing-a-target.md, the zeroes part, runs as written: a target that
# completes its reads itself (ublk_bpf_complete_io, no aio, no file) reads
# as zeroes, refuses a write, and counts both.
. "$(dirname "$0")/test_guide_lib.sh"
_guide_start guide_02
_guide_run zeroes.bpf.c "A target that completes its IOs itself: zeroes"
_guide_want 'LIVE .* zeroes +bpf-only ' '^16 MiB of zeroes$' '^write refused$' \
	    '^    read_ios +[1-9]' '^    io_errors +[1-9]' '^    completed_in_kernel +[1-9]'
_guide_end
