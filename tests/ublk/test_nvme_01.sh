#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The NVMe driver written as a BPF program (bpf/nvme.bpf.c, issue 22) on
# QEMU's NVMe controller (tests/vm/run.sh --nvme SIZE; SKIP without one):
# - load --pci refuses, one line and nothing changed: a bad address, a
#   device that is no NVMe controller, one nvme holds (naming the unbind
#   command), an object without the setup program;
# - on a controller no driver holds: the device has the namespace's size,
#   fio verify passes (4k and 64k, QD16), blkdiscard and blkdiscard -z
#   (write zeroes reads back zero), ext4 round trip; the kfunc-shim's
#   counters show every IO served by BPF, none redirected;
# - the program is replaced twice under fio verify (the pinned link
#   moved to a fresh load): verify passes;
# - a second load sets the controller up again; unbound from ublk_bpf_pci
#   under IO: fio ends with errors, no hang, del works, no WARN/BUG.
. "$(dirname "$0")/test_common.sh"
_prep_test nvme_01
_need_shim

PCI=/sys/bus/pci
OBJ=$UBLK_BPF_OBJS/nvme.bpf.o
REPLACE=$UBLK_REPO/.output/tests/shim/nvme_replace

bdf=
for d in "$PCI"/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0010 ] && { bdf=$(basename "$d"); break; }
done
[ -n "$bdf" ] || _skip "no QEMU NVMe controller (tests/vm/run.sh --nvme SIZE)"
[ -d "$PCI/drivers/ublk_bpf_pci" ] || _fail "the kfunc-shim has no ublk_bpf_pci driver"
[ -x "$REPLACE" ] || _fail "$REPLACE not built (make shim-tests)"
driver_of() { basename "$(readlink "$PCI/devices/$bdf/driver" 2>/dev/null)" 2>/dev/null; }
# Hand the controller back to nvme whatever happens.
give_back() {
	echo >"$PCI/devices/$bdf/driver_override"
	[ -e "$PCI/devices/$bdf/driver" ] && echo "$bdf" >"$PCI/devices/$bdf/driver/unbind"
	echo "$bdf" >"$PCI/drivers_probe"
}
trap give_back EXIT

# nvme holds it: refused, nothing written
echo >"$PCI/devices/$bdf/driver_override"
[ -e "$PCI/devices/$bdf/driver" ] && echo "$bdf" >"$PCI/devices/$bdf/driver/unbind"
modprobe nvme && echo "$bdf" >"$PCI/drivers_probe"
_wait_until 20 test "$(driver_of)" = nvme || _fail "nvme did not take $bdf"
_refused "driven by nvme; to hand it over: echo $bdf > /sys/bus/pci/drivers/nvme/unbind" \
	load "$OBJ" --pci "$bdf"
[ "$(driver_of)" = nvme ] && [ "$(cat "$PCI/devices/$bdf/driver_override")" = "(null)" ] ||
	_fail "a refused load changed $bdf: driver '$(driver_of)', override '$(cat "$PCI/devices/$bdf/driver_override")'"
_refused "--pci '0000:00:zz.0': not a PCI address" load "$OBJ" --pci 0000:00:zz.0
_refused "--pci 0000:00:00.0: not an NVMe controller" load "$OBJ" --pci 0000:00:00.0
_refused "--pci 0000:7f:1f.7: no such PCI device" load "$OBJ" --pci 7f:1f.7
_refused "which controller\? --pci" load "$OBJ"
_refused "no syscall program nvme_setup" load "$UBLK_REPO/.output/tests/bpf/nvme_nosetup.bpf.o" --pci "$bdf"
_refused "at most 4 queues" load "$OBJ" --pci "$bdf" -q 5
_refused "--pci is for the nvme target only" load "$UBLK_BPF_OBJS/null.bpf.o" --pci "$bdf"
[ "$(driver_of)" = nvme ] || _fail "a refused load unbound $bdf from nvme"

# no driver: load binds it to ublk_bpf_pci and sets it up
echo "$bdf" >"$PCI/drivers/nvme/unbind"
_new_load "$OBJ" --pci "$bdf" -q 2 -d 32
id=$UBLK_DEV_ID dev=/dev/ublkb$id
[ "$(driver_of)" = ublk_bpf_pci ] || _fail "$bdf is bound to '$(driver_of)' after load"
size=$(blockdev --getsize64 "$dev")
[ "$size" -eq $((64 << 20)) ] || _fail "$dev has $size bytes, the namespace 64 MiB"
[ "$(cat /sys/block/ublkb$id/queue/max_sectors_kb)" -le 128 ] || _fail "max_sectors_kb above 128"
[ "$(cat /sys/block/ublkb$id/queue/discard_max_bytes)" -gt 0 ] || _fail "no discard on $dev"
_log "$dev: $size bytes, write cache '$(cat /sys/block/ublkb$id/queue/write_cache)'"

_fio_verify "$dev" || _fail "fio verify 4k QD16"
_fio_verify "$dev" --bs=64k || _fail "fio verify 64k QD16"
blkdiscard "$dev" || _fail "blkdiscard"
dd if=/dev/urandom of="$dev" bs=1M count=2 oflag=direct status=none || _fail "dd"
blkdiscard -z -o 0 -l 2M "$dev" || _fail "blkdiscard -z (write zeroes)"
cmp -n 2097152 "$dev" /dev/zero || _fail "write zeroes did not zero the first 2 MiB"
_fs_roundtrip "$dev" -b 4096 || _fail "ext4 (4 KiB blocks) round trip"
# 1 KiB blocks (mkfs's choice at this size): the journal merges
# requests of sub-page buffers that share a page; checked at the end
fs1k=ok
_fs_roundtrip "$dev" -b 1024 || fs1k="failed: $(_tgt_stat "$id" io_errors) IO errors, nvme_stats $("$UBLK_PROG" stats -n "$id" --json | grep -o '"nvme_stats":{[^}]*}')"
_log "ext4 with 1 KiB blocks: $fs1k"

# the program replaced under fio verify, twice
lbs_shift=9
while [ $((1 << lbs_shift)) -lt "$(cat /sys/block/ublkb$id/queue/logical_block_size)" ]; do
	lbs_shift=$((lbs_shift + 1))
done
fio --name=replace --filename="$dev" --ioengine=io_uring --direct=1 --rw=randwrite --bs=4k \
    --iodepth=16 --size=64M --verify=crc32c --verify_state_save=0 --do_verify=1 \
    --verify_fatal=1 --output="$UBLK_TMP/replace.log" &
fio=$!
for i in 1 2; do
	sleep 0.5
	kill -0 $fio 2>/dev/null || _fail "fio ended before replace $i: make it longer"
	"$REPLACE" "$OBJ" "$id" 1 "$lbs_shift" >/dev/null ||
		_fail "replace $i failed"
done
wait $fio || { cat "$UBLK_TMP/replace.log"; _fail "fio verify across the replaces"; }
grep -q 'err= 0' "$UBLK_TMP/replace.log" || _fail "fio errors across the replaces"

bpf=$(_shim_stat "$id" io_bpf) redir=$(_shim_stat "$id" io_redirected) failed=$(_shim_stat "$id" io_failed)
reads=$(_tgt_stat "$id" read_ios) writes=$(_tgt_stat "$id" write_ios) disc=$(_tgt_stat "$id" discard_ios)
_log "stats: io_bpf $bpf io_redirected $redir io_failed $failed read_ios $reads write_ios $writes discard_ios $disc"
[ "${bpf:-0}" -gt 10000 ] && [ "${redir:-1}" -eq 0 ] &&
	{ [ "${failed:-1}" -eq 0 ] || [ "$fs1k" != ok ]; } ||
	_fail "the kfunc-shim's counters: io_bpf $bpf io_redirected $redir io_failed $failed"
[ "${reads:-0}" -gt 0 ] && [ "${writes:-0}" -gt 0 ] && [ "${disc:-0}" -gt 0 ] ||
	_fail "the program's counters: read_ios $reads write_ios $writes discard_ios $disc"
_del_dev "$id"

# a second load sets the same controller up again; unbind it under IO
_new_load "$OBJ" --pci "$bdf"
id=$UBLK_DEV_ID dev=/dev/ublkb$id
echo 5000 >/sys/block/ublkb$id/queue/io_timeout
fio --name=unbind --filename="$dev" --ioengine=io_uring --direct=1 --rw=randrw --bs=4k \
    --iodepth=32 --runtime=30 --time_based --output="$UBLK_TMP/unbind.log" &
FIO_PID=$!
sleep 2
kill -0 $FIO_PID || _fail "fio ended early: $(cat "$UBLK_TMP/unbind.log")"
timeout 20 sh -c "echo $bdf >$PCI/drivers/ublk_bpf_pci/unbind" || _fail "unbind hung or failed"
_wait_fio_gone 20 "the unbind"
grep -qE 'err=[ ]*-?[1-9]' "$UBLK_TMP/unbind.log" || _fail "fio saw no error after the unbind"
_log "after the unbind: io_failed $(_shim_stat "$id" io_failed)"
_del_dev "$id"
# the block layer's own messages of the 1 KiB case are expected there
[ "$fs1k" = ok ] || _fail "ext4 with 1 KiB blocks $fs1k"
_check_dmesg
_cleanup_test
exit 0
