#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the rbd tests after test_common.sh: one Ceph cluster
# (ceph_cluster.sh, cephx on) shared by every test_rbd_NN.sh of a run. The
# first test starts it in $CEPH_DIR, the others find it answering and use
# it; the last test file of the group stops it. Its daemons run in sessions
# of their own, so the runner's clean-up of a test leaves them alone.

CEPH_DIR=${CEPH_DIR:-/tmp/ublk-ceph}
CEPH_CONF=$CEPH_DIR/ceph.conf
CEPH_SCRIPT=$UBLK_TESTS_DIR/ceph_cluster.sh

# _ceph_need: skip, saying why, where the packages are missing.
_ceph_need() {
	local p
	for p in ceph-mon ceph-osd ceph rbd; do
		command -v $p >/dev/null || _skip "no $p: apt-get install ceph-mon ceph-osd ceph-mgr ceph-common"
	done
	ldconfig -p | grep -q 'librbd\.so\.1 ' || _skip "no librbd1"
}

# _ceph_up: the shared cluster, started unless it answers; logs how long.
_ceph_up() {
	local start=$SECONDS
	_ceph_need
	if [ -f "$CEPH_CONF" ] && "$CEPH_SCRIPT" status "$CEPH_DIR"; then
		_log "ceph: the cluster of an earlier test answers"
		return 0
	fi
	"$CEPH_SCRIPT" stop "$CEPH_DIR" >/dev/null 2>&1
	"$CEPH_SCRIPT" start "$CEPH_DIR" --cephx 2>&1 | grep '^ceph_cluster' | sed 's/^/# /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || _fail "the ceph cluster did not start: $(tail -n 3 "$CEPH_DIR"/log/*.log 2>/dev/null)"
	_log "ceph: cluster up in $((SECONDS - start)) s"
}

# _ceph_down_if_last: the last rbd test file of the group stops the cluster.
_ceph_down_if_last() {
	local last
	last=$(cd "$UBLK_TESTS_DIR" && ls test_rbd_[0-9][0-9].sh | tail -n 1)
	[ "$(basename "$0")" = "$last" ] && "$CEPH_SCRIPT" stop "$CEPH_DIR"
	return 0
}

# _rbd ARGS...: the rbd CLI on the shared cluster.
_rbd() { timeout 120 rbd -c "$CEPH_CONF" "$@"; }

# _rbd_image NAME SIZE: a fresh image (exclusive-lock, as rbd's default has).
_rbd_image() {
	_rbd rm "rbd/$1" >/dev/null 2>&1
	_rbd create "rbd/$1" --size "$2" --image-feature layering,exclusive-lock ||
		_fail "rbd create rbd/$1 failed"
}

# _rbd_dev IMAGE [ARGS...]: a device of rbd/IMAGE; sets UBLK_DEV_ID.
_rbd_dev() {
	local img=$1
	shift
	_new_dev -t rbd --conf "$CEPH_CONF" --pool rbd --image "$img" "$@"
}

# _syslog_to FILE: what the daemons log (they log to syslog once live) lands
# in FILE: a reader on /dev/log, where the VM has no syslog daemon.
_syslog_to() {
	rm -f /dev/log
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
f = open(sys.argv[1], "a", buffering=1)
while True:
    f.write(s.recv(4096).decode(errors="replace") + "\n")
' "$1" &
	SYSLOG_PID=$!
	_wait_until 5 test -S /dev/log || _fail "no /dev/log reader"
}

# _syslog_stop: the reader gone, and its socket.
_syslog_stop() {
	[ -n "${SYSLOG_PID:-}" ] && kill "$SYSLOG_PID" 2>/dev/null
	rm -f /dev/log
	SYSLOG_PID=
}
