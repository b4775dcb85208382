#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# stripe target (io_uring path): fio crc32c verify, then the backing files
# read directly hold exactly the chunks the stripe mapping says, for 2 files
# with 64 KiB chunks and 3 files of unequal size with 4 KiB chunks.
. "$(dirname "$0")/test_common.sh"
_prep_test stripe_01

f=("$UBLK_TMP/a.img" "$UBLK_TMP/b.img" "$UBLK_TMP/c.img")
_make_file "${f[0]}" 8M
_make_file "${f[1]}" 8M
_new_dev -t stripe --chunk 64k -q 2 --file "${f[0]}" --file "${f[1]}"
id=$UBLK_DEV_ID
[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((16 << 20)) ] || _fail "size is not 2 x 8 MiB"
_fio_verify /dev/ublkb$id --size=16M --bsrange=4k-256k || _fail "fio verify failed"
_check_stripe_layout /dev/ublkb$id 65536 "${f[0]}" "${f[1]}" || _fail "layout of 64k stripe"
_del_dev "$id"

# Unequal files: the device uses as many whole chunks of each as the smallest has.
_make_file "${f[0]}" 1M
_make_file "${f[1]}" 1M
truncate -s $(( (1 << 20) + 6144 )) "${f[2]}"
_new_dev -t stripe --chunk 4k --file "${f[0]}" --file "${f[1]}" --file "${f[2]}"
id=$UBLK_DEV_ID
[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((3 << 20)) ] || _fail "size is not 3 x 1 MiB"
dd if=/dev/urandom of=/dev/ublkb$id bs=64k oflag=direct status=none 2>/dev/null
_check_stripe_layout /dev/ublkb$id 4096 "${f[@]}" || _fail "layout of 4k stripe over 3 files"
_del_dev "$id"
_check_dmesg
_cleanup_test
exit 0
