#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# loop target: discard punches holes and write-zeroes zeroes (both read back
# as zeroes, and the file really loses its blocks), flush and FUA writes
# pass, and --buffered serves the same data through the page cache.
. "$(dirname "$0")/test_common.sh"
_prep_test loop_03

_make_file "$UBLK_TMP/backing.img" 32M
_new_dev -t loop --file "$UBLK_TMP/backing.img"
id=$UBLK_DEV_ID
dev=/dev/ublkb$id

dd if=/dev/urandom of=$dev bs=1M count=32 oflag=direct status=none || _fail "fill failed"
sync
blocks_full=$(stat -c %b "$UBLK_TMP/backing.img")
blkdiscard -o 0 -l 16M $dev || _fail "blkdiscard failed"
blkdiscard -z -o 16M -l 4M $dev || _fail "blkdiscard -z (write zeroes) failed"
cmp -n $((20 << 20)) $dev /dev/zero || _fail "discarded/zeroed range does not read back as zeroes"
cmp -n $((20 << 20)) "$UBLK_TMP/backing.img" /dev/zero || _fail "backing file not zero where discarded"
blocks_after=$(stat -c %b "$UBLK_TMP/backing.img")
_log "backing file blocks: $blocks_full before discard, $blocks_after after"
[ "$blocks_after" -lt "$blocks_full" ] || _fail "discard did not free blocks of the backing file"

# Flushes (fsync) and FUA (sync) writes, checked with crc32c.
_fio_verify $dev --fsync=4 --size=8M --offset=20M || _fail "fio with fsync failed"
_fio_verify $dev --sync=1 --size=4M --offset=28M || _fail "fio with O_SYNC (FUA) failed"
dev_sum=$(md5sum <$dev)
_del_dev "$id"

_new_dev -t loop --buffered --file "$UBLK_TMP/backing.img"
id=$UBLK_DEV_ID
[ "$(md5sum </dev/ublkb$id)" = "$dev_sum" ] || _fail "--buffered device reads different data"
_fio_verify /dev/ublkb$id --size=8M || _fail "fio verify on --buffered failed"
_del_dev "$id"
_check_dmesg
_cleanup_test
exit 0
