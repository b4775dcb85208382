#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, run in the VM by `make demo`: a BPF stripe device over two
# backing files, written and verified with fio (crc32c), its layout checked
# by reading the files directly, its maps shown with bpftool and
# `ublk-bpf stats`, then deleted.
. "$(dirname "$0")/ublk/test_common.sh"
_prep_test demo
trap '_cleanup_test' EXIT

step() { printf '\n== %s\n' "$*"; }

step "the ublk driver: stock 6.12 kernel, kfunc-shim ublk_drv.ko"
"$UBLK_PROG" features || _fail "features failed"

step "ublk-bpf load stripe.bpf.o over two 64 MiB files, 64 KiB chunks"
truncate -s 64M "$UBLK_TMP/a.img" "$UBLK_TMP/b.img"
_new_load "$UBLK_BPF_OBJS/stripe.bpf.o" --chunk 64k -q 2 \
	--file "$UBLK_TMP/a.img" --file "$UBLK_TMP/b.img"
id=$UBLK_DEV_ID
echo "-> /dev/ublkb$id"
"$UBLK_PROG" list

step "fio: 64 MiB of random writes (4k-256k) with crc32c, read back and verified"
fio --name=demo --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 \
    --rw=randwrite --bsrange=4k-256k --iodepth=32 --size=64M --verify=crc32c --verify_state_save=0 \
    --do_verify=1 --verify_fatal=1 --group_reporting --eta=never \
    --output="$UBLK_TMP/fio.log" || _fail "fio verify failed: $(cat "$UBLK_TMP/fio.log")"
grep -E 'IOPS|err=' "$UBLK_TMP/fio.log"

step "the backing files, read directly, hold each chunk where the stripe puts it"
_check_stripe_layout /dev/ublkb$id 65536 "$UBLK_TMP/a.img" "$UBLK_TMP/b.img" ||
	_fail "stripe layout differs"

step "bpftool map dump pinned /sys/fs/bpf/ublk/$id/config"
bpftool map dump pinned "$UBLK_PIN_ROOT/$id/config"
step "bpftool map dump pinned /sys/fs/bpf/ublk/$id/stats (one value per CPU)"
bpftool map dump pinned "$UBLK_PIN_ROOT/$id/stats"
step "ublk-bpf stats -n $id (summed over CPUs, and the kfunc-shim's counters)"
"$UBLK_PROG" stats -n "$id" || echo "(no BPF stats: the device runs on the io_uring path)"

step "ublk-bpf del -n $id"
_del_dev "$id"
"$UBLK_PROG" list
ls "$UBLK_PIN_ROOT" 2>/dev/null
_check_dmesg
echo
echo "demo: OK"
