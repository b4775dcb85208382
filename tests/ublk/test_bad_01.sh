#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bad input that needs the kernel: one clear line on stderr, a non-zero
# exit, and nothing left behind (no device, no daemon, no state file).
. "$(dirname "$0")/test_common.sh"
_prep_test bad_01

_refused "cannot open backing file .*No such file" add -t loop --file "$UBLK_TMP/missing.img"
mkdir "$UBLK_TMP/dir"
_refused "not a regular file or block device" add -t loop --file "$UBLK_TMP/dir"
_refused "not a regular file or block device" add -t loop --file /dev/null
_make_file "$UBLK_TMP/odd.img" 1000
_refused "size 1000 is not a non-zero multiple of 512" add -t loop --file "$UBLK_TMP/odd.img"
_make_file "$UBLK_TMP/empty.img" 0
_refused "size 0 is not" add -t loop --file "$UBLK_TMP/empty.img"
_make_file "$UBLK_TMP/ok.img" 16M
_refused "needs 1 --file, got 0" add -t loop
_refused "needs 1 --file, got 2" add -t loop --file "$UBLK_TMP/ok.img" --file "$UBLK_TMP/ok.img"
_refused "takes no --file" add -t null --file "$UBLK_TMP/ok.img"
_refused "device 77 does not exist" del -n 77
_refused "device 77 does not exist" list -n 77

# An id that is taken: refused, and the first device is untouched.
_new_dev -t loop -n 9 --file "$UBLK_TMP/ok.img"
err=$("$UBLK_PROG" add -t null -n 9 2>&1 >/dev/null) && _fail "second add -n 9 succeeded"
echo "$err" | grep -q "device 9 already exists" || _fail "duplicate id: '$err'"
"$UBLK_PROG" list -n 9 | grep -q "LIVE .* loop" || _fail "device 9 hurt by the refused add"
_fio_verify /dev/ublkb9 --size=4M || _fail "device 9 does not work after the refused add"
_del_dev 9
_nothing_left "after del"

# Not root: refused by the control device's permissions.
if command -v setpriv >/dev/null; then
	err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$UBLK_PROG" add -t null 2>&1) &&
		_fail "add as an unprivileged user succeeded"
	echo "$err" | grep -q "permission denied" || _fail "not root: '$err'"
	_log "refused as expected: add as uid 65534 -> $err"
	_nothing_left "not root"
fi

# No driver at all: refused with a hint (only when we can unload it).
if modprobe -r ublk_drv 2>/dev/null; then
	_refused "ublk_drv module is not loaded" add -t null
	_load_ublk_module || _fail "cannot reload ublk_drv"
fi
_check_dmesg
_cleanup_test
exit 0
