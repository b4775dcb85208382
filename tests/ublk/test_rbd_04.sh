#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rbd target on a cluster gone for longer than --io-timeout: the monitor
# stopped (IO still flows: the OSD serves) and then the OSD, for good,
# under a device with --io-timeout 8. A
# direct write and a direct read each wait (librbd resends) and then fail
# with ETIMEDOUT, not sooner than the limit and not much later; the daemon logs
# one line for the outage; `del` ends, the daemon exits within a few limits
# (closing the image waits on the cluster too) and nothing is left. (test_rbd_03: an
# OSD restart shorter than the default limit is survived with zero errors.)
# It stops what is left of the shared cluster, of no use after it
# (test_rbd_05 starts another).
. "$(dirname "$0")/test_common.sh"
. "$(dirname "$0")/rbd_cluster.sh"
_prep_test rbd_04
_ceph_up
_rbd_image t04 16M
limit=8

_syslog_to "$UBLK_TMP/syslog"
_rbd_dev t04 -d 16 --io-timeout $limit
id=$UBLK_DEV_ID
_fio_verify /dev/ublkb$id --size=4M || _fail "fio before the outage failed"

"$CEPH_SCRIPT" mon-stop "$CEPH_DIR" || _fail "mon-stop failed"
# The monitor alone gone: the OSD still serves the client, which has the maps.
start=$SECONDS
timeout 20 dd if=/dev/zero of=/dev/ublkb$id bs=4k count=1 seek=3 oflag=direct status=none ||
	_fail "a write with the monitor alone gone failed after $((SECONDS - start)) s"
_log "the monitor alone gone: a write done in $((SECONDS - start)) s"
"$CEPH_SCRIPT" osd-stop "$CEPH_DIR" || _fail "osd-stop failed"
start=$SECONDS
# Bounded well past the limit: a device that waits forever fails here.
timeout $((limit * 5)) dd if=/dev/zero of=/dev/ublkb$id bs=4k count=1 seek=7 \
	oflag=direct status=none 2>"$UBLK_TMP/dd-w.err" &
wpid=$!
timeout $((limit * 5)) dd if=/dev/ublkb$id of=/dev/null bs=4k count=1 skip=1000 \
	iflag=direct status=none 2>"$UBLK_TMP/dd-r.err" &
rpid=$!
wait $wpid; wrc=$?
wait $rpid; rrc=$?
took=$((SECONDS - start))
[ $wrc -eq 124 ] || [ $rrc -eq 124 ] && _fail "an IO still waited after $((limit * 5)) s (--io-timeout $limit)"
[ $wrc -ne 0 ] || _fail "the write succeeded with no cluster"
[ $rrc -ne 0 ] || _fail "the read succeeded with no cluster"
# The IO fails with librados' ETIMEDOUT, which the block layer passes on.
grep -q "Connection timed out" "$UBLK_TMP/dd-w.err" || _fail "the write: $(cat "$UBLK_TMP/dd-w.err")"
grep -q "Connection timed out" "$UBLK_TMP/dd-r.err" || _fail "the read: $(cat "$UBLK_TMP/dd-r.err")"
[ $took -ge $((limit - 1)) ] || _fail "the IOs failed after $took s, before the limit of $limit s"
_log "write and read failed after $took s (--io-timeout $limit)"

_wait_until 10 grep -q "no answer from the cluster" "$UBLK_TMP/syslog" ||
	_fail "no log line for the outage: $(tail -n 5 "$UBLK_TMP/syslog")"
n=$(grep -c "no answer from the cluster" "$UBLK_TMP/syslog")
[ "$n" -eq 1 ] || _fail "$n log lines for one outage, not one"
_log "logged: $(grep -o 'rbd: .*no answer.*' "$UBLK_TMP/syslog")"

start=$SECONDS
timeout $((limit * 5)) "$UBLK_PROG" del -n "$id" || _fail "del with the cluster gone failed or hung"
_log "del with the cluster gone took $((SECONDS - start)) s"
# The device is gone; its daemon still closes the image, whose lock release
# and unwatch each wait on the cluster up to the limit: bounded, not at once.
start=$SECONDS
_wait_until $((limit * 5)) sh -c '! pgrep -f "ublk-bpf (add|load)" >/dev/null' ||
	_fail "the daemon still runs $((limit * 5)) s after del"
_log "the daemon exited $((SECONDS - start)) s after del"
_syslog_stop
_nothing_left "rbd_04"
"$CEPH_SCRIPT" stop "$CEPH_DIR"
_check_dmesg
_cleanup_test
exit 0
