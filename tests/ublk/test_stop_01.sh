#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# del --safe (UBLK_U_CMD_TRY_STOP_DEV, kfunc-shim backport 0003): a device
# whose disk is open (held by a process, or mounted) is refused in one line
# and keeps serving; once let go, del --safe deletes it; with -a the unused
# devices go and the busy one stays. On a driver without
# UBLK_F_SAFE_STOP_DEV (stock 6.12), --safe is refused and nothing changes.
. "$(dirname "$0")/test_common.sh"
_prep_test stop_01

if ! _shim_loaded; then
	_new_dev -t null --size 64M
	_refused "no UBLK_F_SAFE_STOP_DEV" del -n "$UBLK_DEV_ID" --safe
	[ -b /dev/ublkb$UBLK_DEV_ID ] || _fail "del --safe on a stock driver removed the device"
	_del_dev "$UBLK_DEV_ID"
	_check_dmesg
	_cleanup_test
	exit 0
fi
# held open by a process: refused, still serving; let go: deleted.
_new_dev -t null --size 64M
id=$UBLK_DEV_ID
exec 3</dev/ublkb$id
_log "ublkb$id held open by the test's shell"
# held_fail WHY: let go of the device first, or the cleanup's del waits on it
held_fail() { exec 3<&-; _fail "$@"; }
err=$("$UBLK_PROG" del -n "$id" --safe 2>&1 3<&-) && held_fail "del --safe of an open device succeeded"
echo "$err" | grep -q "device $id is in use" || held_fail "del --safe said '$err'"
[ "$(echo "$err" | wc -l)" -eq 1 ] || held_fail "more than one line: $err"
[ "$(_dev_field "$id" state)" = LIVE ] || held_fail "device $id is $(_dev_field "$id" state) after a refused del --safe"
dd if=/dev/ublkb$id of=/dev/null bs=4k count=16 iflag=direct status=none || held_fail "device $id no longer serves"
exec 3<&-
"$UBLK_PROG" del -n "$id" --safe || _fail "del --safe of an unused device failed"
_forget_dev "$id"
_log "del --safe: refused while open, done once closed"
_wait_until 5 eval "[ ! -e /dev/ublkc$id ]" || _fail "/dev/ublkc$id left after del --safe"

# mounted: refused; -a --safe takes the unused device and leaves this one.
# (loop: a file system needs its bytes kept)
_make_file "$UBLK_TMP/m.img" 64M
_new_dev -t loop --file "$UBLK_TMP/m.img"
busy=$UBLK_DEV_ID
_new_dev -t null --size 64M
free=$UBLK_DEV_ID
mkfs.ext4 -q /dev/ublkb$busy || _fail "mkfs on ublkb$busy"
mkdir -p "$UBLK_TMP/mnt"
mount /dev/ublkb$busy "$UBLK_TMP/mnt" || _fail "mount ublkb$busy"
echo data >"$UBLK_TMP/mnt/f"
"$UBLK_PROG" del -a --safe 2>"$UBLK_TMP/err" && { umount "$UBLK_TMP/mnt"; _fail "del -a --safe with a mounted device exited 0"; }
grep -q "device $busy is in use" "$UBLK_TMP/err" || { umount "$UBLK_TMP/mnt"; _fail "del -a --safe said '$(cat "$UBLK_TMP/err")'"; }
_wait_until 5 eval "[ ! -e /dev/ublkc$free ]" || { umount "$UBLK_TMP/mnt"; _fail "the unused device $free was not deleted"; }
_forget_dev "$free"
[ "$(cat "$UBLK_TMP/mnt/f")" = data ] || { umount "$UBLK_TMP/mnt"; _fail "the mounted file system lost its file"; }
sync "$UBLK_TMP/mnt/f" || { umount "$UBLK_TMP/mnt"; _fail "sync on the mounted device failed"; }
umount "$UBLK_TMP/mnt" || _fail "umount"
"$UBLK_PROG" del -n "$busy" --safe || _fail "del --safe after umount failed"
_forget_dev "$busy"
_nothing_left "stop_01"
_check_dmesg
_cleanup_test
exit 0
