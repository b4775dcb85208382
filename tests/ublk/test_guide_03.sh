#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# docs/writing-a-target.md, the twin and configuration parts, run as
# written: a program named "loop" gets the loop twin, which serves the IOs
# it redirects (fio verify passes, both counters move) and, with --no-bpf,
# the whole device; the stripe twin's --chunk reaches the program's config;
# linear lists its --set variables.
. "$(dirname "$0")/test_guide_lib.sh"
_guide_start guide_03
# The loop page the guide shows is the real one.
shown=$(awk '/^## The project.s helpers/ { inside = 1; next } /^## / { inside = 0 }
	inside && /^```c$/ { block = 1; next } block && /^```/ { exit } block' \
	"$UBLK_REPO/docs/writing-a-target.md")
[ -n "$shown" ] && [[ "$(cat "$UBLK_REPO/bpf/loop.bpf.c")" == *"$shown"* ]] ||
	_fail "the guide's loop page is not bpf/loop.bpf.c's"
_guide_run reads_here.bpf.c "A target with an io_uring twin" "Configuring a target"
_guide_want 'LIVE .* loop +bpf ' 'err= 0' '^    read_ios +[1-9]' '^    write_ios +[1-9]' \
	    '^    redirected +[1-9]' '^    io_redirected +[1-9]' 'LIVE .* loop +io_uring ' \
	    '^the twin reads the file as the program wrote it$' \
	    '"nr_files": 2' '"chunk_shift": 14' '^seg_len +'
_guide_end
