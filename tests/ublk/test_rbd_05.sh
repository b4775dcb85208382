#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rbd target on a replicated pool: three memstore OSDs (ceph_cluster.sh
# add-osds: osd.1 and osd.2 join the shared cluster) and pool rep2 of size
# 2, min_size 1. fio crc32c verify runs on an image of rep2 while one of
# the two OSDs of the image's header (its watch, its exclusive lock), which
# holds one copy of a share of the data too, is stopped: after peering the
# other copies serve, IO goes on while that OSD is down (counted in the
# device's stat) and fio ends with zero errors; the OSD is started again,
# the device deleted, nothing left. With a pool of size 1 the IOs to that
# OSD's PGs wait until it is back, and the test fails.
# The last rbd test: it stops the shared cluster.
. "$(dirname "$0")/test_common.sh"
. "$(dirname "$0")/rbd_cluster.sh"
_prep_test rbd_05
_ceph_up
start=$SECONDS
"$CEPH_SCRIPT" add-osds "$CEPH_DIR" 2>&1 | sed 's/^/# /'
[ "${PIPESTATUS[0]}" -eq 0 ] || _fail "add-osds failed: $(tail -n 3 "$CEPH_DIR"/log/osd.[12].log 2>/dev/null)"
_log "ceph: osd.1, osd.2 and pool rep2 in $((SECONDS - start)) s"

# 256 KiB objects: the 4 MiB that fio writes are 16 objects over the PGs.
_rbd rm rep2/t05 >/dev/null 2>&1
_rbd create rep2/t05 --size 16M --object-size 256K --image-feature layering,exclusive-lock ||
	_fail "rbd create rep2/t05 failed"
iid=$(_rbd info rep2/t05 --format json | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
[ -n "$iid" ] || _fail "no id for rep2/t05"
map=$(timeout 120 ceph -c "$CEPH_CONF" osd map rep2 "rbd_header.$iid" -f json)
primary=$(sed -n 's/.*"acting_primary":\([0-9]*\).*/\1/p' <<<"$map")
acting=$(sed -n 's/.*"acting":\[\([0-9,]*\)\].*/\1/p' <<<"$map")
# One of the header's two OSDs, the primary unless that is osd.0: osd.0
# holds the rbd pool of the other tests too, and takes long to come back.
victim=$primary
[ "$victim" = 0 ] && victim=$(tr , '\n' <<<"$acting" | grep -vx 0 | head -n 1)
# (A pool of size 1 has one: then osd.1, which holds some of the data.)
victim=${victim:-1}
[[ "$victim" =~ ^[12]$ ]] || _fail "no OSD to stop among the header's: $map"
_log "header of rep2/t05 on OSDs [$acting], primary osd.$primary: osd.$victim to stop"

_new_dev -t rbd --conf "$CEPH_CONF" --pool rep2 --image t05 -d 16
id=$UBLK_DEV_ID
# _ios: reads and writes the device has completed.
_ios() { awk '{ print $1 + $5 }' /sys/block/ublkb$id/stat; }
# _moved: 200 IOs since $before, more than the 16 in flight, had they all
# waited for the OSD. fio has more than that left (2048 IOs, 2 s in); its
# end is no sign: IOs that wait fail at --io-timeout (60 s) and end it.
_moved() { [ "$(_ios)" -ge $((before + 200)) ]; }
fio --name=rep2 --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 \
    --rw=randwrite --bs=4k --iodepth=16 --size=4M --verify=crc32c \
    --verify_state_save=0 --verify_fatal=1 >"$UBLK_TMP/fio.log" 2>&1 &
fio_pid=$!
sleep 2
kill -0 $fio_pid || _fail "fio ended before the OSD stopped: $(tail -n 5 "$UBLK_TMP/fio.log")"
"$CEPH_SCRIPT" osd-stop "$CEPH_DIR" "$victim" || _fail "osd-stop $victim failed"
down=$SECONDS before=$(_ios)
_wait_until 40 _moved ||
	{
		"$CEPH_SCRIPT" osd-start "$CEPH_DIR" "$victim" >/dev/null 2>&1
		_fail "$(($(_ios) - before)) IOs in 40 s with osd.$victim down"
	}
_log "osd.$victim down: $(($(_ios) - before)) IOs done in $((SECONDS - down)) s"
sleep 2
kill -0 $fio_pid 2>/dev/null && _log "fio still running with osd.$victim down"
start=$SECONDS
"$CEPH_SCRIPT" osd-start "$CEPH_DIR" "$victim" 2>/dev/null || _fail "osd-start $victim failed"
_log "osd.$victim back in $((SECONDS - start)) s, down $((SECONDS - down)) s"
wait $fio_pid || _fail "fio failed across the OSD loss: $(grep -E 'err=|verify|error' "$UBLK_TMP/fio.log" | head -n 5)"
grep -q 'err= 0' "$UBLK_TMP/fio.log" || _fail "fio saw errors: $(grep 'err=' "$UBLK_TMP/fio.log")"
_log "fio across the OSD loss: $(grep -E '^ *(write|read):' "$UBLK_TMP/fio.log" | tr -s ' ' | tr '\n' ';')"

_log "RSS MiB: $(ps -C ceph-osd,ceph-mon,ceph-mgr -o comm=,rss= | awk '{ printf "%s %d, ", $1, $2 / 1024 }')$(awk '/MemAvailable/ { printf "MemAvailable %d", $2 / 1024 }' /proc/meminfo)"
_del_dev "$id"
_rbd rm rep2/t05 >/dev/null 2>&1
_nothing_left "rbd_05"
_ceph_down_if_last
_check_dmesg
_cleanup_test
exit 0
