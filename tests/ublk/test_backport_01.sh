#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# UBLK_F_USER_RECOVERY_FAIL_IO (kfunc-shim/backports/0101): --fail-io. The
# daemon killed, the device goes FAIL_IO and a read fails at once with EIO
# instead of waiting; `recover` makes it LIVE and reads work again; killed
# again, IO still fails once START_USER_RECOVERY reset the queues. A BPF
# device (load null) keeps completing the IO its program serves meanwhile.
. "$(dirname "$0")/test_common.sh"
_prep_test backport_01
_need_shim

"$UBLK_PROG" features | grep -q USER_RECOVERY_FAIL_IO || _fail "features lacks USER_RECOVERY_FAIL_IO"
_refused "--reissue or --fail-io" add -t null --fail-io --reissue

read1() { timeout 10 dd if=/dev/ublkb$1 of=/dev/null bs=4k count=1 iflag=direct 2>"$UBLK_TMP/dd.err"; }

_new_dev -t null --size 64M --fail-io
id=$UBLK_DEV_ID
read1 "$id" || _fail "read on a live FAIL_IO device failed"
kill -9 "$(_dev_field "$id" pid)"
_wait_state "$id" FAIL_IO 10
start=$(date +%s%N)
read1 "$id"; rc=$?
[ $rc -eq 124 ] && _fail "a read waited without a daemon (FAIL_IO should fail it)"
[ $rc -ne 0 ] || _fail "a read succeeded without a daemon"
_log "read without a daemon: rc $rc in $(( ($(date +%s%N) - start) / 1000000 )) ms: $(head -n1 "$UBLK_TMP/dd.err")"
_recover "$id"
read1 "$id" || _fail "read after recover failed"

# Between START_USER_RECOVERY and END the queues have no command and no
# daemon: IO still fails (shim_test -S sends START alone), and del ends it.
kill -9 "$(_dev_field "$id" pid)"
_wait_state "$id" FAIL_IO 10
"$UBLK_REPO/.output/tests/shim/shim_test" -S "$id" >/dev/null || _fail "START_USER_RECOVERY of device $id failed"
read1 "$id"; rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] || _fail "a read between START and END_USER_RECOVERY: rc $rc, not a failure"
_del_dev "$id"

# BPF: the program completes reads itself, with or without a daemon.
_new_load --require-bpf "$UBLK_BPF_OBJS/null.bpf.o" --size 64M --fail-io
id=$UBLK_DEV_ID
kill -9 "$(_dev_field "$id" pid)"
_wait_state "$id" FAIL_IO 10
read1 "$id" || _fail "BPF null: a read the program serves failed without a daemon"
_recover "$id"
read1 "$id" || _fail "BPF null: read after recover failed"
_del_dev "$id"

_nothing_left "fail-io"
_check_dmesg
_cleanup_test
exit 0
