#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Crash consistency, the short form of `make crash-test`
# (docs/crash-consistency.md): power cuts under ext4 on the BPF loop,
# replayed from a dm-log-writes log at a few cut points, every fsynced file
# there and e2fsck clean; and the broken loop that acknowledges flushes
# without making them (tests/bpf/crash_noflush.bpf.c) caught.
# Written as a VM test of tests/ublk (kselftest exit codes) but not yet
# seen passing in the VM: once it has (tests/vm/run.sh tests/crash/short.sh,
# about 75 s), it becomes tests/ublk/test_crash_01.sh and make check runs it.
. "$(dirname "$0")/../ublk/test_common.sh"
_prep_test crash_01
_need_shim
modprobe dm_log_writes 2>/dev/null || _skip "no dm_log_writes module"
[ -x "$UBLK_REPO/.output/tests/crash_replay" ] || _fail "crash_replay not built (make unit)"

UBLK_TEST_CRASH_FILES=4 UBLK_TEST_CRASH_CUTS=8 \
	bash "$UBLK_REPO/tests/crash/crash_test.sh" bpf-loop >"$UBLK_TMP/loop.out" 2>&1
rc=$?
grep '^crash:' "$UBLK_TMP/loop.out" | sed 's/^/# /' | head -n 1
[ $rc -eq 0 ] || { cat "$UBLK_TMP/loop.out"; _fail "bpf-loop lost fsynced data at a power cut"; }
UBLK_TEST_CRASH_FILES=2 UBLK_TEST_CRASH_CUTS=4 \
	bash "$UBLK_REPO/tests/crash/crash_test.sh" bpf-noflush >"$UBLK_TMP/noflush.out" 2>&1
rc=$?
grep '^crash:' "$UBLK_TMP/noflush.out" | sed 's/^/# /' | head -n 1
[ $rc -eq 0 ] || { tail -n 20 "$UBLK_TMP/noflush.out"; _fail "the loop that drops flushes was not caught"; }
_check_dmesg
_cleanup_test
exit 0
