#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# docs/writing-a-target.md, the guard part, runs as written: its target is
# built, loaded, checked with fio, its maps read and changed live.
. "$(dirname "$0")/test_guide_lib.sh"
_guide_start guide_01
_guide_run guard.bpf.c "A target from scratch: guard"
_guide_want '^base +u64 +0$' 'LIVE .* guard +bpf-only ' 'err= 0' \
	    '^device byte 0 is file byte 1 MiB$' '"refused": 0' '^  map guarded$' \
	    '^    io_bpf +[1-9]' '^write to sector 0 refused$' '^write to 1 MiB went through$' \
	    '^    refused +1$'
_guide_end
