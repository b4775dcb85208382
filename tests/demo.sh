#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, run in the VM by `make demo`: a loop device over a backing
# file, written and verified with fio (crc32c), its listing, the backing file
# compared with the device, then deleted. (The BPF stripe demo replaces this
# once the BPF targets exist.)
. "$(dirname "$0")/ublk/test_common.sh"
_prep_test demo
trap '_cleanup_test' EXIT

step() { printf '\n== %s\n' "$*"; }

step "ublk driver features"
"$UBLK_PROG" features || _fail "features failed"

step "create a 128 MiB backing file and a loop device over it"
truncate -s 128M "$UBLK_TMP/backing.img"
_new_dev -t loop -q 2 -d 64 --file "$UBLK_TMP/backing.img"
id=$UBLK_DEV_ID
echo "ublk-bpf add -t loop -q 2 -d 64 --file backing.img -> /dev/ublkb$id"
"$UBLK_PROG" list

step "fio: 64 MiB of 4k random writes with crc32c, then read back and verified"
fio --name=demo --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 \
    --rw=randwrite --bs=4k --iodepth=32 --size=64M --verify=crc32c \
    --do_verify=1 --verify_fatal=1 --group_reporting --eta=never --output="$UBLK_TMP/fio.log" ||
	_fail "fio verify failed: $(cat "$UBLK_TMP/fio.log")"
grep -E 'IOPS|err=' "$UBLK_TMP/fio.log"

step "the backing file holds exactly what the device returns"
dev_sum=$(md5sum </dev/ublkb$id | cut -d' ' -f1)
file_sum=$(md5sum <"$UBLK_TMP/backing.img" | cut -d' ' -f1)
echo "device $dev_sum, backing file $file_sum"
[ "$dev_sum" = "$file_sum" ] || _fail "backing file differs from the device"

step "delete the device"
_del_dev "$id"
"$UBLK_PROG" list
_check_dmesg
echo
echo "demo: OK"
