#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rbd target refusals and a resize by another client. No monitor at the
# address, no pool, no image, no snapshot, a wrong key, a missing keyring,
# more than one queue: each one line, a non-zero exit, and nothing left
# (no device, no daemon, no state). A resize of the image by the rbd CLI
# while the device serves: on a driver with UPDATE_SIZE (the kfunc-shim) the
# device follows, grown then shrunk, with one log line each; on a stock
# driver the daemon logs it and the device keeps its size.
. "$(dirname "$0")/test_common.sh"
. "$(dirname "$0")/rbd_cluster.sh"
_prep_test rbd_02
_ceph_up
_rbd_image t02 32M

base=(add -t rbd --conf "$CEPH_CONF" --pool rbd)
sed 's/6789/6799/g' "$CEPH_CONF" >"$UBLK_TMP/nomon.conf"
_refused "cannot connect.*Connection timed out" add -t rbd --conf "$UBLK_TMP/nomon.conf" \
	--pool rbd --image t02 --timeout 3
_refused "pool nope: no such pool" "${base[@]}" --pool nope --image t02
_refused "image rbd/nope: no such image" "${base[@]}" --image nope
_refused "image rbd/t02@nope: no such image or snapshot" "${base[@]}" --image t02 --snap nope
# client.admin with a key of its own: not the cluster's.
ceph-authtool --create-keyring "$UBLK_TMP/bad.keyring" --gen-key -n client.admin >/dev/null
_refused "cannot connect.*Permission denied.*--keyring" "${base[@]}" --image t02 \
	--keyring "$UBLK_TMP/bad.keyring"
_refused "cannot read --keyring" "${base[@]}" --image t02 --keyring "$UBLK_TMP/none"
_refused "cannot read --conf" add -t rbd --conf "$UBLK_TMP/none.conf" --pool rbd --image t02
_refused "one queue" "${base[@]}" --image t02 -q 2
_refused "needs --pool POOL and --image" add -t rbd --conf "$CEPH_CONF" --pool rbd
_refused "takes no --file" "${base[@]}" --image t02 --size 1G
_nothing_left "rbd_02 refusals"
pgrep -f "ublk-bpf add" >/dev/null && _fail "a daemon is left"

# Resized by another client: followed where the driver can, else logged.
_syslog_to "$UBLK_TMP/syslog"
_rbd_dev t02
id=$UBLK_DEV_ID
_rbd resize rbd/t02 --size 48M >/dev/null 2>&1 || _fail "rbd resize failed"
if "$UBLK_PROG" features | grep -q UPDATE_SIZE; then
	_wait_until 20 grep -q "device $id $((32 << 20)) -> $((48 << 20)) bytes" "$UBLK_TMP/syslog" ||
		_fail "no log line for the grow: $(cat "$UBLK_TMP/syslog")"
	[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((48 << 20)) ] ||
		_fail "the device did not grow: $(blockdev --getsize64 /dev/ublkb$id) bytes"
	# The new range is served: verify across the old end.
	_fio_verify /dev/ublkb$id --offset=28M --size=20M || _fail "fio across the old end failed"
	_rbd resize rbd/t02 --size 24M --allow-shrink >/dev/null 2>&1 || _fail "rbd shrink failed"
	_wait_until 20 grep -q "device $id $((48 << 20)) -> $((24 << 20)) bytes" "$UBLK_TMP/syslog" ||
		_fail "no log line for the shrink: $(cat "$UBLK_TMP/syslog")"
	[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((24 << 20)) ] ||
		_fail "the device did not shrink: $(blockdev --getsize64 /dev/ublkb$id) bytes"
	_log "followed: $(grep -o 'rbd: image.*' "$UBLK_TMP/syslog" | tr '\n' ' ')"
else
	_wait_until 20 grep -q "resized by another client to $((48 << 20)) bytes" "$UBLK_TMP/syslog" ||
		_fail "no log line for the resize: $(cat "$UBLK_TMP/syslog")"
	_log "logged: $(grep -o 'rbd: image.*' "$UBLK_TMP/syslog" | head -n 1)"
	[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((32 << 20)) ] || _fail "the device's size changed"
fi
_fio_verify /dev/ublkb$id --size=8M || _fail "fio after the resize failed"
_del_dev "$id"
_syslog_stop
_rbd rm rbd/t02 >/dev/null 2>&1
_nothing_left "rbd_02"
_ceph_down_if_last
_check_dmesg
_cleanup_test
exit 0
