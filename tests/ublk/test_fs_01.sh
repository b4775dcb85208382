#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ext4 on every file-backed target (io_uring path): mkfs, mount, write,
# umount, mount again, same bytes, fsck clean.
. "$(dirname "$0")/test_common.sh"
_prep_test fs_01

for l in a b c; do _make_file "$UBLK_TMP/$l.img" 64M; done
for spec in "loop --file $UBLK_TMP/a.img" \
	    "stripe --chunk 16k --file $UBLK_TMP/a.img --file $UBLK_TMP/b.img" \
	    "mirror --file $UBLK_TMP/a.img --file $UBLK_TMP/b.img --file $UBLK_TMP/c.img"; do
	# shellcheck disable=SC2086
	_new_dev -t $spec
	_fs_roundtrip /dev/ublkb$UBLK_DEV_ID || _fail "ext4 round trip on ${spec%% *}"
	_log "ext4 round trip on ${spec%% *}: ok"
	_del_dev "$UBLK_DEV_ID"
done
_check_dmesg
_cleanup_test
exit 0
