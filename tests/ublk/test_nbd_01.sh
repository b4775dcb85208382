#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nbd target against a real nbd-server: the size and the discard/flush
# support come from the server; fio crc32c verify on 2 queues (2
# connections) over TCP; mkfs.ext4 + mount + file round trip over a unix
# socket; the data lands in the server's file.
. "$(dirname "$0")/test_common.sh"
. "$(dirname "$0")/nbd_server.sh"
_prep_test nbd_01

img=$UBLK_TMP/export.img
_make_file "$img" 64M
_nbd_start "$img" tcp
_new_dev -t nbd --host 127.0.0.1 --port "$NBD_PORT" --export disk -q 2 -d 64
id=$UBLK_DEV_ID
[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((64 << 20)) ] || _fail "size is not the export's 64 MiB"
[ "$(cat /sys/block/ublkb$id/queue/discard_max_bytes)" -gt 0 ] || _fail "trim offered but no discard"
grep -q "write back" /sys/block/ublkb$id/queue/write_cache || _fail "flush offered but no write cache"
_fio_verify /dev/ublkb$id --size=32M --bsrange=4k-512k --numjobs=2 --offset_increment=32M ||
	_fail "fio verify over TCP failed"
# What the device holds is what the server's file holds.
head -c 1M /dev/urandom >"$UBLK_TMP/pattern"
dd if="$UBLK_TMP/pattern" of=/dev/ublkb$id bs=1M seek=5 oflag=direct conv=fsync status=none ||
	_fail "dd to the device failed"
cmp -s "$UBLK_TMP/pattern" <(dd if="$img" bs=1M skip=5 count=1 status=none) ||
	_fail "the server's file does not hold what was written"
# NBD_CMD_TRIM: the server may drop the data; it must not fail.
blkdiscard -o $((5 << 20)) -l $((1 << 20)) /dev/ublkb$id || _fail "blkdiscard failed"
_del_dev "$id"
_nbd_kill

_nbd_start "$img" unix
_new_dev -t nbd --unix "$UBLK_TMP/nbd.sock" --export disk
id=$UBLK_DEV_ID
_fs_roundtrip /dev/ublkb$id || _fail "ext4 round trip over a unix socket failed"
_del_dev "$id"
_nbd_kill
_nothing_left "nbd_01"
_check_dmesg
_cleanup_test
exit 0
