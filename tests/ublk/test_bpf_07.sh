#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `load --set NAME=VALUE` writes the object's const volatile variables
# before load: the loaded program holds the values (bpftool reads them back
# from the pinned .rodata), and a set offset moves where the data lands.
. "$(dirname "$0")/test_common.sh"
_prep_test bpf_07
_need_shim
objs=$UBLK_REPO/.output/tests/bpf

_new_load "$objs/params.bpf.o" --size 16M --set p_u64=1G --set p_s8=-128 \
	--set p_u16=0xffff --set p_label=hello --set p_table=7,8 --set p_mode=MODE_SAFE \
	--set p_bool=true --set p_s64=-5
id=$UBLK_DEV_ID
ro=$(bpftool map dump pinned "$UBLK_PIN_ROOT/$id/config")
for want in '"p_u64": 1073741824' '"p_s8": -128' '"p_u16": 65535' '"p_label": "hello"' \
	    '"p_mode": "MODE_SAFE"' '"p_bool": true' '"p_s64": -5' '"p_u32": 42' \
	    '"p_table": \[7,8,0,0\]'; do
	echo "$ro" | tr -d ' \n' | grep -qF -- "$(echo "$want" | tr -d ' \\')" ||
		_fail "the loaded .rodata lacks $want: $ro"
done
_del_dev "$id"

# --set file_offset=1M: device byte 0 is file byte 1 MiB.
_make_file "$UBLK_TMP/a.img" 32M
head -c 64k /dev/urandom >"$UBLK_TMP/data"
_new_load "$objs/shifted.bpf.o" --file "$UBLK_TMP/a.img" --size 16M --set file_offset=1M
id=$UBLK_DEV_ID
dd if="$UBLK_TMP/data" of=/dev/ublkb$id bs=64k count=1 oflag=direct status=none ||
	_fail "write to the device failed"
cmp -s "$UBLK_TMP/data" <(dd if="$UBLK_TMP/a.img" bs=64k skip=16 count=1 status=none) ||
	_fail "the data is not at file offset 1 MiB"
cmp -s "$UBLK_TMP/data" <(dd if="$UBLK_TMP/a.img" bs=64k count=1 status=none) &&
	_fail "the data is at file offset 0"
_del_dev "$id"
_nothing_left "after del"
_check_dmesg
_cleanup_test
exit 0
