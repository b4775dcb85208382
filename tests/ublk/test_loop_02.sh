#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# loop target: mkfs.ext4, mount, write a file, umount, delete the device,
# serve the same backing file again: the file is there, byte for byte.
. "$(dirname "$0")/test_common.sh"
_prep_test loop_02

_make_file "$UBLK_TMP/backing.img" 128M
_new_dev -t loop --file "$UBLK_TMP/backing.img"
id=$UBLK_DEV_ID
mkfs.ext4 -q -F /dev/ublkb$id || _fail "mkfs.ext4 failed"
mkdir "$UBLK_TMP/mnt"
mount /dev/ublkb$id "$UBLK_TMP/mnt" || _fail "mount failed"
head -c 8M /dev/urandom >"$UBLK_TMP/data"
cp "$UBLK_TMP/data" "$UBLK_TMP/mnt/data"
umount "$UBLK_TMP/mnt" || _fail "umount failed"
_del_dev "$id"

_new_dev -t loop --file "$UBLK_TMP/backing.img"
id=$UBLK_DEV_ID
mount /dev/ublkb$id "$UBLK_TMP/mnt" || _fail "mount after re-create failed"
cmp "$UBLK_TMP/data" "$UBLK_TMP/mnt/data" || { umount "$UBLK_TMP/mnt"; _fail "file differs after remount"; }
umount "$UBLK_TMP/mnt"
fsck.ext4 -n -f /dev/ublkb$id >/dev/null 2>&1 || _fail "fsck.ext4 found errors"
_del_dev "$id"
_check_dmesg
_cleanup_test
exit 0
