#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# UBLK_F_UPDATE_SIZE (kfunc-shim/backports/0102): `resize`. A null device
# and a loop device (io_uring and BPF) grow while live; the disk's size
# follows and the new range is served (loop: written through the device,
# read back from the file). Bad sizes are refused in one line.
. "$(dirname "$0")/test_common.sh"
_prep_test backport_02
_need_shim

"$UBLK_PROG" features | grep -q UPDATE_SIZE || _fail "features lacks UPDATE_SIZE"

size_is() {
	local got
	got=$(blockdev --getsize64 /dev/ublkb$1)
	[ "$got" = "$2" ] || _fail "device $1: $got bytes, not $2"
}

_new_dev -t null --size 64M
id=$UBLK_DEV_ID
"$UBLK_PROG" resize -n "$id" --size 128M || _fail "resize -n $id --size 128M failed"
size_is "$id" $((128 << 20))
dd if=/dev/ublkb$id of=/dev/null bs=1M skip=100 count=1 iflag=direct 2>/dev/null ||
	_fail "read past the old end failed"
"$UBLK_PROG" resize -n "$id" --size 32M || _fail "shrinking failed"
size_is "$id" $((32 << 20))
_refused "multiple of 512" resize -n "$id" --size 1000
_refused "does not exist|no such device|not exist" resize -n 999 --size 1M
_del_dev "$id"

for verb in add load; do
	_make_file "$UBLK_TMP/a.img" 64M
	if [ $verb = add ]; then _new_dev -t loop "$UBLK_TMP/a.img"; else _new_load --require-bpf "$UBLK_BPF_OBJS/loop.bpf.o" "$UBLK_TMP/a.img"; fi
	id=$UBLK_DEV_ID
	truncate -s 128M "$UBLK_TMP/a.img"
	"$UBLK_PROG" resize -n "$id" --size 128M || _fail "$verb loop: resize failed"
	size_is "$id" $((128 << 20))
	head -c 1M /dev/urandom >"$UBLK_TMP/r.bin"
	dd if="$UBLK_TMP/r.bin" of=/dev/ublkb$id bs=1M seek=100 oflag=direct 2>/dev/null ||
		_fail "$verb loop: write past the old end failed"
	cmp "$UBLK_TMP/r.bin" <(dd if="$UBLK_TMP/a.img" bs=1M skip=100 count=1 2>/dev/null) ||
		_fail "$verb loop: the file does not hold what was written past the old end"
	_del_dev "$id"
done

_nothing_left "resize"
_check_dmesg
_cleanup_test
exit 0
