#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvme-tcp target against the kernel's own NVMe/TCP target (nvmet-tcp),
# configured through configfs on 127.0.0.1:4420: a subsystem open to any
# host with two file-backed namespaces of different sizes. Namespace 1 on
# 2 queues (2 I/O connections): its size from Identify, fio crc32c verify
# with 4k-512k blocks (in-capsule writes up to the target's IOCCSZ, R2T and
# H2CData above), the bytes land in the namespace's file; an idle spell of
# 3 KATOs with --kato 1, after which IO still works (keep-alive). Namespace
# 2 by --nsid. Discard (DSM deallocate) and write zeroes (Write Zeroes) on
# namespace 1: advertised, and exactly their range reads back zeroes from
# the device and the file (namespace files on an ext4: nvmet punches a hole
# for DSM and zeroes a range for Write Zeroes; tmpfs has no ZERO_RANGE).
# mkfs + mount on namespace 1. --all: one add, a device per namespace. A
# bad NQN, port or nsid, --all with --nsid: refused in one line, nothing left.
. "$(dirname "$0")/test_common.sh"
_prep_test nvmet_01

. "$(dirname "$0")/nvmet_target.sh"
NQN=nqn.2026-12.org.ublk-bpf:test-nvmet-01

_nvmet_setup "$NQN"
_nvmet_fs 128M
img1=$NVMET_DIR/ns1.img
img2=$NVMET_DIR/ns2.img
_make_file "$img1" 64M
_make_file "$img2" 48M
_nvmet_ns 1 "$img1"
_nvmet_ns 2 "$img2"
_nvmet_port_up

_refused "refuses queue 0 of subsystem 'nqn.2026-12.org.ublk-bpf:nosuch'" \
	add -t nvme-tcp --traddr 127.0.0.1 --subnqn nqn.2026-12.org.ublk-bpf:nosuch
_refused "cannot connect to 127.0.0.1:4421" \
	add -t nvme-tcp --traddr 127.0.0.1 --trsvcid 4421 --subnqn "$NQN"
_refused "has no active namespace 9" add -t nvme-tcp --traddr 127.0.0.1 --subnqn "$NQN" --nsid 9
_refused "makes a device per namespace: no --nsid" \
	add -t nvme-tcp --traddr 127.0.0.1 --subnqn "$NQN" --all --nsid 1

_new_dev -t nvme-tcp --traddr 127.0.0.1 --subnqn "$NQN" -q 2 -d 64 --kato 1
id=$UBLK_DEV_ID
[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((64 << 20)) ] || _fail "size is not namespace 1's 64 MiB"
_log "write cache: $(cat /sys/block/ublkb$id/queue/write_cache), max IO: $(cat /sys/block/ublkb$id/queue/max_hw_sectors_kb) KiB"
_fio_verify /dev/ublkb$id --size=32M --bsrange=4k-512k --numjobs=2 --offset_increment=32M ||
	_fail "fio verify over nvme-tcp failed"
head -c 1M /dev/urandom >"$UBLK_TMP/pattern"
dd if="$UBLK_TMP/pattern" of=/dev/ublkb$id bs=1M seek=5 oflag=direct conv=fsync status=none ||
	_fail "dd to the device failed"
cmp -s "$UBLK_TMP/pattern" <(dd if="$img1" bs=1M skip=5 count=1 status=none) ||
	_fail "namespace 1's file does not hold what was written"
# Idle past the keep-alive timeout: without Keep Alive the target drops the controller.
sleep 3.5
dd if=/dev/ublkb$id of="$UBLK_TMP/back" bs=1M skip=5 count=1 iflag=direct status=none ||
	_fail "IO failed after an idle spell of 3 KATOs (keep-alive)"
cmp -s "$UBLK_TMP/pattern" "$UBLK_TMP/back" || _fail "read back after the idle spell differs"
dmesg | tac | sed "/ublk-test: start nvmet_01\$/q" | grep -q "keep-alive timer.*expired" && _fail "nvmet's keep-alive timer expired"

# _zeroes_check MIB OFF_KIB LEN_KIB WHAT [ARGS]: the pattern twice at MIB,
# `blkdiscard ARGS` of LEN_KIB at OFF_KIB into it: zeroes there only.
_zeroes_check() {
	local mib=$1 off=$2 len=$3 what=$4
	shift 4
	cat "$UBLK_TMP/pattern" "$UBLK_TMP/pattern" >"$UBLK_TMP/want"
	dd if="$UBLK_TMP/want" of=/dev/ublkb$id bs=1M seek="$mib" oflag=direct conv=fsync status=none ||
		_fail "dd before $what failed"
	blkdiscard "$@" -o $(((mib << 20) + (off << 10))) -l $((len << 10)) /dev/ublkb$id ||
		_fail "$what of namespace 1 failed"
	dd if=/dev/zero of="$UBLK_TMP/want" bs=1k seek="$off" count="$len" conv=notrunc status=none
	cmp -s "$UBLK_TMP/want" <(dd if=/dev/ublkb$id bs=1M skip="$mib" count=2 iflag=direct status=none) ||
		_fail "after $what the device does not read back zeroes in the range and data around it"
	cmp -s "$UBLK_TMP/want" <(dd if="$img1" bs=1M skip="$mib" count=2 status=none) ||
		_fail "after $what namespace 1's file does not hold zeroes in the range and data around it"
}
qd=/sys/block/ublkb$id/queue
_log "discard max $(cat $qd/discard_max_bytes) B, write zeroes max $(cat $qd/write_zeroes_max_bytes) B"
[ "$(cat $qd/discard_max_bytes)" -gt 0 ] || _fail "discard is not advertised"
[ "$(cat $qd/write_zeroes_max_bytes)" -gt 0 ] || _fail "write zeroes is not advertised"
_zeroes_check 8 256 512 "blkdiscard"
_zeroes_check 12 4 1016 "blkdiscard -z" -z
_fs_roundtrip /dev/ublkb$id || _fail "mkfs + mount on namespace 1 failed"

_new_dev -t nvme-tcp --traddr 127.0.0.1 --subnqn "$NQN" --nsid 2
id2=$UBLK_DEV_ID
[ "$(blockdev --getsize64 /dev/ublkb$id2)" -eq $((48 << 20)) ] || _fail "size is not namespace 2's 48 MiB"
dd if="$UBLK_TMP/pattern" of=/dev/ublkb$id2 bs=64k seek=3 oflag=direct conv=fsync status=none ||
	_fail "dd to namespace 2 failed"
cmp -s "$UBLK_TMP/pattern" <(dd if="$img2" bs=64k skip=3 count=16 status=none) ||
	_fail "namespace 2's file does not hold what was written"
_del_dev "$id2"
_del_dev "$id"

# --all: one add, a device per active namespace (1 then 2), each its own size
# and data: namespace 2's pattern from above reads back on the second.
out=$("$UBLK_PROG" add -t nvme-tcp --traddr 127.0.0.1 --subnqn "$NQN" --all) ||
	_fail "add --all failed"
mapfile -t all_ids < <(echo "$out" | sed -n 's/^dev id \([0-9]*\)$/\1/p')
UBLK_DEVS+=("${all_ids[@]}")
[ "${#all_ids[@]}" -eq 2 ] || _fail "add --all made ${#all_ids[@]} devices, not 2: '$out'"
[ "$(blockdev --getsize64 /dev/ublkb${all_ids[0]})" -eq $((64 << 20)) ] &&
[ "$(blockdev --getsize64 /dev/ublkb${all_ids[1]})" -eq $((48 << 20)) ] ||
	_fail "add --all: sizes are not namespace 1's and 2's"
cmp -s "$UBLK_TMP/pattern" <(dd if=/dev/ublkb${all_ids[1]} bs=64k skip=3 count=16 iflag=direct status=none) ||
	_fail "add --all: the second device does not read namespace 2"
_del_dev "${all_ids[0]}"
_del_dev "${all_ids[1]}"
_nothing_left "nvmet_01"
_check_dmesg
_cleanup_test
exit 0
