#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rbd target under faults, fio crc32c verify running throughout, zero
# errors each time:
# - the OSD stopped and started again under IO: the IOs wait (librbd
#   resends; no OSD timeout) and resume;
# - the daemon killed with kill -9 (--reissue), `recover` taking the device
#   back: the new daemon opens the image again, breaking the dead one's
#   exclusive lock once the OSD drops its watch (5 s in the test cluster).
# (test_rbd_04 stops the shared cluster.)
. "$(dirname "$0")/test_common.sh"
. "$(dirname "$0")/rbd_cluster.sh"
_prep_test rbd_03
_ceph_up
_rbd_image t03 64M

# _fio_bg: writes with crc32c, then a verify pass, in the background.
_fio_bg() {
	fio --name=rbd --filename=/dev/ublkb$1 --ioengine=io_uring --direct=1 \
	    --rw=randwrite --bs=4k --iodepth=16 --size=8M --verify=crc32c \
	    --verify_state_save=0 --verify_fatal=1 >"$UBLK_TMP/fio.log" 2>&1 &
	FIO_PID=$!
}
# _fio_ok WHAT: the background fio ended with zero errors.
_fio_ok() {
	wait $FIO_PID || _fail "fio failed across $1: $(grep -E 'err=|verify|error' "$UBLK_TMP/fio.log" | head -n 5)"
	grep -q 'err= 0' "$UBLK_TMP/fio.log" || _fail "fio saw errors across $1: $(grep 'err=' "$UBLK_TMP/fio.log")"
	_log "fio across $1: $(grep -E '^ *(write|read):' "$UBLK_TMP/fio.log" | tr -s ' ' | tr '\n' ';')"
}

_rbd_dev t03 -d 32 --reissue
id=$UBLK_DEV_ID

_fio_bg "$id"
sleep 2
kill -0 $FIO_PID || _fail "fio ended before the OSD stopped: $(tail -n 5 "$UBLK_TMP/fio.log")"
"$CEPH_SCRIPT" osd-stop "$CEPH_DIR" || _fail "osd-stop failed"
sleep 3
kill -0 $FIO_PID || _fail "fio ended while the OSD was down: $(tail -n 5 "$UBLK_TMP/fio.log")"
start=$SECONDS
"$CEPH_SCRIPT" osd-start "$CEPH_DIR" 2>/dev/null || _fail "osd-start failed"
_log "osd.0 back in $((SECONDS - start)) s"
_fio_ok "an OSD restart"

_fio_bg "$id"
sleep 2
kill -0 $FIO_PID || _fail "fio ended before the kill: $(tail -n 5 "$UBLK_TMP/fio.log")"
_kill_and_recover "$id"
_fio_ok "kill -9 and recover"

_del_dev "$id"
_rbd rm rbd/t03 >/dev/null 2>&1
_nothing_left "rbd_03"
_ceph_down_if_last
_check_dmesg
_cleanup_test
exit 0
