#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# VM tests of the kfunc-shim module through shim_test and the BPF programs
# of this folder (kselftest style: TAP lines, exit 0 pass, 1 fail, 4 skip).
# Run as root in a VM booting the stock kernel, e.g.
#   tests/vm/run.sh --module shim tests/shim/test_shim.sh
# SHIM_TESTS="name ..." runs only the named tests.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=$REPO/.output/tests/shim
KO=${UBLK_BPF_SHIM_KO:-$REPO/.output/kfunc-shim/ublk_drv.ko}
# SHIM_TEST_BIN: another build of shim_test (to show a test fails without
# what it guards)
SHIM=${SHIM_TEST_BIN:-$OUT/shim_test}
. "$REPO/tests/ublk/test_common.sh"
. "$REPO/tests/lib/tap.sh"
. "$HERE/pci_nvme_tests.sh"
. "$HERE/nvme_io_tests.sh"
TMP=$(mktemp -d /tmp/shim-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

[ "$(id -u)" -eq 0 ] || { echo "# SKIP: needs root"; exit 4; }
[ -x "$SHIM" ] || { echo "# SKIP: $SHIM not built (make -C tests/shim)"; exit 4; }
if [ ! -e /sys/module/ublk_drv/parameters/bpf_abi_version ]; then
	modprobe -r ublk_drv 2>/dev/null
	insmod "$KO" || { echo "# SKIP: cannot load $KO"; exit 4; }
fi

# get KEY FILE: the value of a "KEY=value" line of shim_test's output
get() { sed -n "s/^$1=//p" "$2" | tail -n1; }

# expect FILE KEY OP VALUE: compare a counter, print it on failure
expect() {
	local v
	v=$(get "$2" "$1")
	[ -n "$v" ] && [ "$v" "$3" "$4" ] && return 0
	echo "# $2=$v, expected $3 $4"
	return 1
}

# expect_sum FILE KEY1 KEY2 OP VALUE: compare the sum of two counters
expect_sum() {
	local a b
	a=$(get "$2" "$1")
	b=$(get "$3" "$1")
	[ -n "$a" ] && [ -n "$b" ] && [ $((a + b)) "$4" "$5" ] && return 0
	echo "# $2=$a + $3=$b, expected $4 $5"
	return 1
}

klog_mark() { echo "shim-test: $1" >/dev/kmsg; }

# no WARN/BUG/oops since the last mark
klog_clean() {
	local hits
	hits=$(_klog_hits "shim-test: $1")
	[ -z "$hits" ] || { echo "$hits" | sed 's/^/# /'; return 1; }
}

run_test() {
	local name=$1 rc
	shift
	if [ -n "${SHIM_TESTS:-}" ] && [[ " $SHIM_TESTS " != *" $name "* ]]; then
		return
	fi
	klog_mark "$name"
	"$@"
	rc=$?
	# every status but 0 fails: a test says SKIP in a comment and passes
	if [ $rc -ne 0 ]; then
		tap_result 1 "$name" "exit $rc"
	elif klog_clean "$name"; then
		tap_result 0 "$name"
	else
		tap_result 1 "$name" "kernel log"
	fi
}

# shim_test with its output in $TMP/out, shown on failure
shim() {
	"$SHIM" "$@" >"$TMP/out" 2>&1
	local rc=$?
	[ $rc -eq 0 ] || { sed 's/^/#   /' "$TMP/out"; echo "# shim_test exit $rc"; }
	return $rc
}

mkfile() { rm -f "$1"; truncate -s "$2" "$1"; }

# random_loop_dev MB: a loop device over MB MiB of random data ($TMP/lo.img)
random_loop_dev() {
	modprobe loop 2>/dev/null
	mkfile "$TMP/lo.img" "$1M"
	dd if=/dev/urandom of="$TMP/lo.img" bs=1M count="$1" conv=notrunc 2>/dev/null
	losetup -f --show "$TMP/lo.img"
}

# within SECS CMD...: CMD's status, or 1 when it still runs after SECS
# seconds; then it is left behind, not waited for: an IO that never ends
# (an uninterruptible task) must fail the test, not stall the suite
within() {
	local secs=$1 pid i
	shift
	"$@" &
	pid=$!
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 $pid 2>/dev/null || { wait $pid; return; }
		sleep 0.1
	done
	echo "# $1 still running after ${secs}s: an IO hangs"
	return 1
}

fio_verify() {
	fio --name=verify --filename="$UBLK_DEV" --direct=1 --ioengine=libaio \
		--iodepth=16 --rw=randwrite --bs=4k-128k --size=${1:-16M} \
		--verify=crc32c --verify_state_save=0 --verify_fatal=1 --do_verify=1 \
		--randrepeat=0 --output=/dev/null
}
# verify while writing, for SECONDS
fio_timed() {
	fio --name=timed --filename="$UBLK_DEV" --direct=1 --ioengine=libaio \
		--iodepth=16 --rw=randwrite --bs=4k-64k --size=32M \
		--time_based --runtime="$1" --verify=crc32c --verify_state_save=0 --verify_backlog=32 \
		--verify_fatal=1 --randrepeat=0 --output=/dev/null
}
# read_zeros BYTES [FROM]: O_DIRECT reads of BYTES of $UBLK_DEV from byte
# FROM (default 0) into a buffer full of 0xa5 must leave only zeros: no byte
# stays unwritten
read_zeros() {
	python3 - "$UBLK_DEV" "$1" "${2:-0}" <<'EOF'
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 1 << 20)
start = int(sys.argv[3])
for off in range(start, start + int(sys.argv[2]), len(buf)):
    buf[:] = b'\xa5' * len(buf)
    n = os.preadv(fd, [buf], off)
    if n != len(buf) or buf[:] != bytes(len(buf)):
        sys.exit('# read_zeros: stale bytes in the %d bytes read at %d' % (n, off))
EOF
}
# same_as FILE: the first FILE-size bytes of $UBLK_DEV, read with O_DIRECT,
# are FILE's
same_as() {
	dd if="$UBLK_DEV" of="$1.dev" bs=1M count=$(($(stat -c %s "$1") >> 20)) iflag=direct 2>/dev/null &&
	cmp "$1.dev" "$1"
}
export -f fio_verify fio_timed read_zeros same_as
# for the commands shim_test runs
export SHIM OUT

# --- must not load ---------------------------------------------------------

t_verifier_leak() {
	shim -F "Unreleased reference" "$OUT/bad_leak.bpf.o"
}

t_verifier_sleepable() {
	shim -F "attach to unsupported member queue_io_cmd" "$OUT/bad_sleepable.bpf.o"
}

t_kfunc_filter() {
	shim -F "calling kernel function ublk_bpf_get_io_tag is not allowed" \
		"$OUT/bad_other_ops.bpf.o"
}

# --- in-kernel IO ----------------------------------------------------------

# READs return zeros: the module zero-fills what no aio read, even over a
# reader's buffer that holds other bytes
t_null_min() {
	shim "$OUT/null_min.bpf.o" -- bash -c '
		dd if=/dev/urandom of=$UBLK_DEV bs=64k count=32 oflag=direct 2>/dev/null &&
		cmp -n 2097152 $UBLK_DEV /dev/zero && read_zeros 2097152' &&
	expect "$TMP/out" io_bpf -gt 0 && expect "$TMP/out" io_redirected -eq 0 &&
	expect "$TMP/out" srv_ios -eq 0 && expect "$TMP/out" zero_filled_bytes -gt 0 &&
	expect "$TMP/out" ops_name = null_min
}

# UBLK_F_NO_AUTO_PART_SCAN (backports/0104): START_DEV reads no partition
# table of a device with the bit, BLKRRPART does later; without the bit the
# partition is there from the start
t_no_part_scan() {
	mkfile "$TMP/p.img" 16M
	printf 'label: dos\n,8M\n' | sfdisk -q "$TMP/p.img" >/dev/null || return 1
	shim -f "$TMP/p.img" -c 0=1 -x 0x40000 "$OUT/shim_targets.bpf.o" -- bash -c '
		sleep 1
		[ ! -e ${UBLK_DEV}p1 ] || { echo "# ${UBLK_DEV}p1 after START_DEV"; exit 1; }
		blockdev --rereadpt $UBLK_DEV || exit 1
		for i in $(seq 20); do [ -e ${UBLK_DEV}p1 ] && exit 0; sleep 0.1; done
		echo "# no ${UBLK_DEV}p1 after BLKRRPART"; exit 1' &&
	shim -f "$TMP/p.img" -c 0=1 "$OUT/shim_targets.bpf.o" -- bash -c '
		for i in $(seq 20); do [ -e ${UBLK_DEV}p1 ] && exit 0; sleep 0.1; done
		echo "# no ${UBLK_DEV}p1 without the bit"; exit 1'
}

# MODE_* of shim_targets.h
NULL=0 LOOP=1 LOOP_QUEUED=2 STRIPE=3 DAEMON=4 REDIRECT_ODD=5 RETRY=6 BAD_DIR=7
DOUBLE=8 LOSE=9 BUSY=10 RESUBMIT=11

loop_mode() {
	local mode=$1
	shift
	mkfile "$TMP/a.img" 64M
	shim -f "$TMP/a.img" -c 0=$mode "$@" "$OUT/shim_targets.bpf.o" -- bash -c '
		fio_verify 16M &&
		cmp -n 33554432 $UBLK_DEV '"$TMP/a.img"
}

# a tmpfs file: every aio runs in the stage that submitted it (memory only),
# the worker only gets what the spare-CPU rule sends it (t_spread)
t_loop_continue() {
	loop_mode $LOOP && expect "$TMP/out" io_bpf -gt 0 &&
	expect "$TMP/out" srv_ios -eq 0 && expect "$TMP/out" aio_submitted -gt 0 &&
	expect "$TMP/out" aio_inline -gt 0 &&
	expect "$TMP/out" aio_fallback -eq "$(get aio_spread "$TMP/out")" &&
	expect "$TMP/out" io_failed -eq 0 && expect "$TMP/out" prog_attach -eq 1 &&
	expect "$TMP/out" prog_detach -eq 1
}

t_loop_queued() {
	loop_mode $LOOP_QUEUED && expect "$TMP/out" io_bpf -gt 0 &&
	expect "$TMP/out" srv_ios -eq 0 && expect "$TMP/out" double_complete -eq 0
}

t_loop_daemon() {
	loop_mode $DAEMON && expect "$TMP/out" prog_daemon -gt 0 &&
	expect "$TMP/out" io_bpf -gt 0 && expect "$TMP/out" srv_ios -eq 0
}

t_redirect() {
	loop_mode $REDIRECT_ODD && expect "$TMP/out" io_bpf -gt 0 &&
	expect "$TMP/out" srv_ios -gt 0 && expect "$TMP/out" io_redirected -gt 0
}

t_retry() {
	loop_mode $RETRY -r && expect "$TMP/out" io_retried -eq 1 &&
	expect "$TMP/out" srv_ios -eq 1 && expect "$TMP/out" io_bpf -gt 0
}

# O_DIRECT on a block device: the aio starts with IOCB_NOWAIT from the
# stage and completes through ->ki_complete()
t_loop_async() {
	local dev
	modprobe loop 2>/dev/null
	mkfile "$TMP/lo.img" 64M
	dev=$(losetup --direct-io=on -f --show "$TMP/lo.img") || {
		echo "# SKIP: no loop device"; return 0; }
	shim -d -f "$dev" -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c '
		fio_verify 16M && cmp -n 33554432 $UBLK_DEV '"$dev"
	local rc=$?
	losetup -d "$dev"
	[ $rc -eq 0 ] && expect "$TMP/out" aio_submitted -gt 0 &&
	expect "$TMP/out" aio_inline -gt 0 && expect "$TMP/out" io_failed -eq 0
}

# The spare-CPU rule (ublk_bpf_aio_spread(), module parameter bpf_spread, on
# by default) on a tmpfs file, whose aios are copies. A submitter at QD1
# keeps them in its own stage: only the probes go to the worker, one in 64
# at first, fewer as they find the submitter waiting (one in 4096 after six:
# about 25 in 80k aios; the bound allows one in 1024). One at QD32 spreads
# its copies to the worker on the other CPU: more than a third go there
# (59-85% seen) where the spread pays, and where it does not (a host with
# fewer free cores than the guest has vCPUs) the rule must have measured
# that and ended spreads (aio_spread_lost); the data is right either way.
# Two at QD32 on two CPUs leave none to spare: their copies stay inline,
# and the rule does not even try (a spread or two as fio starts its jobs;
# ten lost ones are seen when it ignores spare CPU). A
# worker made slower than the submitter (bpf_spread_test_delay_us=300)
# loses every spread: the rule ends them (aio_spread_lost) and the worker
# gets fewer than one copy in eight. Each load runs 3 s, so a blip of other
# work is a small share of it.
# the worker's delay per spread copy, for tests (0: none)
SPREAD_DELAY=/sys/module/ublk_drv/parameters/bpf_spread_test_delay_us

t_spread() {
	local rc was param=/sys/module/ublk_drv/parameters/bpf_spread
	if [ "$(nproc)" -lt 2 ]; then
		echo "# SKIP: one CPU, the rule is off"; return 0
	fi
	# on by default: the module as loaded must say so
	was=$(cat $param) || return 1
	[ "$was" = Y ] || { echo "# bpf_spread is '$was' as loaded, expected Y"; return 1; }
	t_spread_on
	rc=$?
	echo "$was" >$param
	echo 0 >$SPREAD_DELAY
	return $rc
}

# spread_fio DEPTH JOBS: 3 s of 4k random reads on $UBLK_DEV
spread_fio() {
	fio --name=spread --filename="$UBLK_DEV" --direct=1 --ioengine=io_uring \
		--iodepth="$1" --numjobs="$2" --rw=randread --bs=4k --size=32M \
		--time_based --runtime=3 --output=/dev/null
}
export -f spread_fio

t_spread_on() {
	local rc n s l
	mkfile "$TMP/a.img" 64M
	shim -f "$TMP/a.img" -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c 'spread_fio 1 1' ||
		return 1
	aio_counters
	n=$(get aio_submitted "$TMP/out") s=$(get aio_spread "$TMP/out")
	[ "$s" -le $((n / 1024 + 16)) ] && [ "$s" -ge 3 ] || {
		echo "# QD1: $s of $n aios went to the worker, expected the probes, backing off: 3-$((n / 1024 + 16))"
		return 1; }
	shim -f "$TMP/a.img" -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c '
		spread_fio 32 1 && fio_verify 16M && cmp -n 33554432 $UBLK_DEV '"$TMP/a.img"
	rc=$?
	aio_counters
	[ $rc -eq 0 ] && expect "$TMP/out" io_failed -eq 0 || return 1
	n=$(get aio_submitted "$TMP/out") s=$(get aio_spread "$TMP/out")
	l=$(get aio_spread_lost "$TMP/out")
	[ $((s * 3)) -gt "$n" ] || [ "$l" -gt 0 ] || {
		echo "# QD32: $s of $n aios went to the worker, and no spread was found to lose"
		return 1; }
	echo 300 >$SPREAD_DELAY || return 1
	shim -f "$TMP/a.img" -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c 'spread_fio 32 1' ||
		return 1
	echo 0 >$SPREAD_DELAY
	aio_counters
	n=$(get aio_submitted "$TMP/out") s=$(get aio_spread "$TMP/out")
	l=$(get aio_spread_lost "$TMP/out")
	[ "$l" -gt 0 ] && [ $((s * 8)) -lt "$n" ] || {
		echo "# QD32, worker 300 us slower: $l spreads ended as lost, $s of $n aios went to it"
		return 1; }
	[ "$(nproc)" -eq 2 ] || return 0
	shim -f "$TMP/a.img" -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c 'spread_fio 32 2' ||
		return 1
	aio_counters
	n=$(get aio_submitted "$TMP/out") s=$(get aio_spread "$TMP/out")
	l=$(get aio_spread_lost "$TMP/out")
	[ $((s * 8)) -lt "$n" ] && [ "$l" -le 2 ] || {
		echo "# two at QD32: $s of $n aios went to the worker, $l spreads lost, with no CPU to spare"
		return 1; }
}

# two_writers: two fio jobs writing 4k blocks of 16 MiB each of $UBLK_DEV
# at random, at QD32, verified
two_writers() {
	fio --name=two_writers --filename="$UBLK_DEV" --direct=1 --ioengine=io_uring \
		--iodepth=32 --numjobs=2 --size=16M --offset_increment=16M \
		--rw=randwrite --bs=4k --verify=crc32c --verify_state_save=0 \
		--verify_fatal=1 --do_verify=1 --randrepeat=0 --output=/dev/null
}
export -f two_writers

# Writes to one tmpfs file from two CPUs at once: the stage that finds
# another being the file's writer queues its write for it and goes back to
# its submitter (ublk_bpf_aio_write_memory(), counted in aio_combined);
# every byte is where it belongs. One submitter at QD1 never meets another
# writer: nothing combined.
t_combine() {
	if [ "$(nproc)" -lt 2 ]; then
		echo "# SKIP: one CPU, no second writer"; return 0
	fi
	mkfile "$TMP/a.img" 64M
	shim -f "$TMP/a.img" -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c '
		two_writers && cmp -n 33554432 $UBLK_DEV '"$TMP/a.img" || return 1
	aio_counters
	expect "$TMP/out" io_failed -eq 0 && expect "$TMP/out" aio_combined -gt 0 ||
		return 1
	shim -f "$TMP/a.img" -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c '
		fio --name=alone --filename=$UBLK_DEV --direct=1 --ioengine=io_uring \
			--iodepth=1 --rw=randwrite --bs=4k --size=16M --output=/dev/null' ||
		return 1
	expect "$TMP/out" aio_combined -eq 0
}

# Overwrites of a tmpfs file are copied straight into its page cache
# (ublk_bpf_aio_write_in_place(), counted in aio_in_place_bytes) by both
# CPUs at once, with no writer to combine them, and move the file's mtime.
# A file of fallocate()d pages, not yet written, takes ->write_iter(): an
# in-place copy into a page that is not up to date would read back as
# zeros.
t_in_place() {
	local before after w
	if [ "$(nproc)" -lt 2 ]; then
		echo "# SKIP: one CPU, no second writer"; return 0
	fi
	mkfile "$TMP/a.img" 64M
	dd if=/dev/urandom of="$TMP/a.img" bs=1M count=64 conv=notrunc status=none
	before=$(stat -c %Y "$TMP/a.img")
	sleep 1.1
	shim -f "$TMP/a.img" -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c '
		two_writers && cmp -n 33554432 $UBLK_DEV '"$TMP/a.img" || return 1
	aio_counters
	after=$(stat -c %Y "$TMP/a.img")
	w=$(get aio_in_place_bytes "$TMP/out")
	# fio writes each block of 2 x 16M once (and more, for its headers)
	[ "${w:-0}" -ge $((32 << 20)) ] || {
		echo "# $w bytes written in place of the 32 MiB overwritten"; return 1; }
	expect "$TMP/out" io_failed -eq 0 && expect "$TMP/out" aio_combined -eq 0 ||
		return 1
	[ "$after" -gt "$before" ] || {
		echo "# the file's mtime did not move ($before, $after)"; return 1; }
	rm -f "$TMP/a.img"
	fallocate -l 64M "$TMP/a.img"
	shim -f "$TMP/a.img" -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c '
		fio --name=fallocated --filename=$UBLK_DEV --direct=1 --ioengine=io_uring \
			--iodepth=8 --size=16M --rw=randwrite --bs=4k --verify=crc32c \
			--verify_state_save=0 --verify_fatal=1 --do_verify=1 \
			--output=/dev/null &&
		cmp -n 16777216 $UBLK_DEV '"$TMP/a.img" || return 1
	expect "$TMP/out" io_failed -eq 0 && expect "$TMP/out" aio_in_place_bytes -eq 0
}

# --- the fallback worker ---------------------------------------------------

# which path the aios took, as a TAP comment
aio_counters() {
	grep -E "^(aio_|zero_filled)" "$TMP/out" | tr '\n' ' ' | sed 's/^/# /'
	echo
}

# ext4 on a loop device, mounted on $TMP/mnt, with FILE_MB of random data in
# $TMP/mnt/a.img, not in the page cache; $TMP/fsdev is the loop device
ext4_file() {
	local dev
	modprobe loop 2>/dev/null
	modprobe ext4 2>/dev/null
	mkfile "$TMP/fs.img" 96M
	dev=$(losetup -f --show "$TMP/fs.img") || { echo "# no loop device"; return 1; }
	echo "$dev" >"$TMP/fsdev"
	mkdir -p "$TMP/mnt"
	mkfs.ext4 -q -F "$dev" && mount -t ext4 "$dev" "$TMP/mnt" || {
		echo "# cannot make ext4 on $dev"; losetup -d "$dev"; return 1; }
	dd if=/dev/urandom of="$TMP/mnt/a.img" bs=1M count=$1 2>/dev/null &&
	sync && echo 3 >/proc/sys/vm/drop_caches
}

ext4_gone() {
	umount "$TMP/mnt"
	losetup -d "$(cat "$TMP/fsdev")"
}

# A buffered file whose pages are not cached: the IOCB_NOWAIT read returns
# -EAGAIN (or stops short) and the worker reads it, blocking. The device is
# twice the file: each of the 256 reads of the second half stops at the end
# of the file, the worker confirms it and the rest reads as zeros; so more
# than 256 retries means some data reads would have blocked too.
t_fallback_eagain() {
	local rc
	ext4_file 16 || return 1
	shim -f "$TMP/mnt/a.img" -s $((32 << 20)) -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c '
		dd if=$UBLK_DEV of='"$TMP"'/dev.img bs=64k count=512 iflag=direct 2>/dev/null'
	rc=$?
	[ $rc -eq 0 ] && cmp -n $((16 << 20)) "$TMP/dev.img" "$TMP/mnt/a.img" &&
	cmp -i $((16 << 20)):0 -n $((16 << 20)) "$TMP/dev.img" /dev/zero || rc=1
	ext4_gone
	aio_counters
	# the spare-CPU rule's probes go to the worker without a first try
	[ $rc -eq 0 ] && expect_sum "$TMP/out" aio_eagain aio_spread -gt 256 &&
	expect "$TMP/out" aio_fallback -gt 256 &&
	expect "$TMP/out" zero_filled_bytes -ge $((16 << 20)) &&
	expect "$TMP/out" io_failed -eq 0
}

# The same buffered file once cached: reads run inline (IOCB_NOWAIT hits
# the page cache); ext4 cannot write buffered without blocking (no
# FOP_BUFFER_WASYNC), so writes take the worker; the data must come out
# right either way.
t_buffered() {
	local rc
	ext4_file 32 || return 1
	cat "$TMP/mnt/a.img" >/dev/null
	shim -f "$TMP/mnt/a.img" -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c '
		dd if=$UBLK_DEV of=/dev/null bs=4k count=1024 iflag=direct 2>/dev/null &&
		fio_verify 16M && cmp -n 33554432 $UBLK_DEV '"$TMP/mnt/a.img"
	rc=$?
	ext4_gone
	aio_counters
	[ $rc -eq 0 ] && expect_sum "$TMP/out" aio_inline aio_spread -ge 1024 &&
	expect "$TMP/out" aio_fallback -gt 0 && expect "$TMP/out" io_failed -eq 0
}

# A block device opened without O_DIRECT (its page cache): uncached reads
# fall back, writes and cached reads run inline
t_fallback_blkdev() {
	local dev rc
	dev=$(random_loop_dev 32) || { echo "# SKIP: no loop device"; return 0; }
	blockdev --flushbufs "$dev"
	shim -f "$dev" -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c '
		cmp -n 16777216 $UBLK_DEV '"$dev"' && fio_verify 8M &&
		cmp -n 33554432 $UBLK_DEV '"$dev"
	rc=$?
	losetup -d "$dev"
	aio_counters
	[ $rc -eq 0 ] && expect "$TMP/out" aio_eagain -gt 0 &&
	expect "$TMP/out" aio_inline -gt 0 && expect "$TMP/out" io_failed -eq 0
}

# A lower device out of tags fails a REQ_NOWAIT bio with -EAGAIN through
# ->ki_complete(), after submission returned: the worker starts it again.
# A loop device with direct IO and only 4 requests, 16 IOs in flight.
t_fallback_busy_lower() {
	local dev rc q
	dev=$(random_loop_dev 32) || { echo "# SKIP: no loop device"; return 0; }
	losetup --direct-io=on "$dev"
	q=/sys/block/${dev#/dev/}/queue
	echo none >$q/scheduler 2>/dev/null
	echo 4 >$q/nr_requests || { losetup -d "$dev"; echo "# cannot set nr_requests"; return 1; }
	shim -d -f "$dev" -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c '
		fio_verify 16M && cmp -n 33554432 $UBLK_DEV '"$dev"
	rc=$?
	losetup -d "$dev"
	aio_counters
	[ $rc -eq 0 ] && expect "$TMP/out" aio_eagain -gt 0 &&
	expect "$TMP/out" aio_inline -gt 0 && expect "$TMP/out" io_failed -eq 0
}

t_stripe() {
	mkfile "$TMP/a.img" 32M
	mkfile "$TMP/b.img" 32M
	shim -f "$TMP/a.img" -f "$TMP/b.img" -s $((64 << 20)) \
		-c 0=$STRIPE -c 1=65536 -c 2=2 "$OUT/shim_targets.bpf.o" -- bash -c '
		fio_verify 32M &&
		dd if=$UBLK_DEV of='"$TMP"'/dev.img bs=1M count=64 iflag=direct 2>/dev/null' &&
	expect "$TMP/out" io_bpf -gt 0 && expect "$TMP/out" srv_ios -eq 0 || return 1
	# chunk i of the device is chunk i/2 of file i%2
	python3 - "$TMP/dev.img" "$TMP/a.img" "$TMP/b.img" <<'EOF'
import sys
dev = open(sys.argv[1], 'rb').read()
files = [open(f, 'rb').read() for f in sys.argv[2:]]
c = 65536
for i in range(len(dev) // c):
    f = files[i % 2]
    j = i // 2
    if dev[i*c:(i+1)*c] != f[j*c:(j+1)*c]:
        sys.exit('chunk %d differs' % i)
EOF
}

# a READ past the end of the backing file reads zeros (short read), also
# into a buffer that holds other bytes
t_short_read() {
	mkfile "$TMP/a.img" 1M
	dd if=/dev/urandom of="$TMP/a.img" bs=1M count=1 conv=notrunc 2>/dev/null
	shim -f "$TMP/a.img" -s $((4 << 20)) -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c '
		dd if=$UBLK_DEV of='"$TMP"'/dev.img bs=512k count=8 iflag=direct 2>/dev/null &&
		read_zeros 3145728 1048576' &&
	expect "$TMP/out" zero_filled_bytes -ge $((3 << 20)) || return 1
	cmp -n 1048576 "$TMP/dev.img" "$TMP/a.img" &&
	cmp -i 1048576:0 -n 3145728 "$TMP/dev.img" /dev/zero
}

# discard and write-zeroes become fallocate() on the backing file, here a
# loop device (tmpfs files cannot ZERO_RANGE), flush becomes fdatasync()
t_discard_zeroes_flush() {
	local dev rc
	dev=$(random_loop_dev 16) || { echo "# SKIP: no loop device"; return 0; }
	shim -f "$dev" -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c '
		blkdiscard -o 0 -l 1048576 $UBLK_DEV &&
		blkdiscard -z -o 1048576 -l 1048576 $UBLK_DEV &&
		dd if=/dev/urandom of=$UBLK_DEV bs=4k count=1 seek=1024 oflag=direct,sync 2>/dev/null &&
		blockdev --flushbufs $UBLK_DEV &&
		cmp -n 2097152 $UBLK_DEV /dev/zero'
	rc=$?
	losetup -d "$dev"
	[ $rc -eq 0 ] && expect "$TMP/out" io_failed -eq 0 &&
	expect "$TMP/out" srv_ios -eq 0 && expect "$TMP/out" refused -eq 0
}

t_dir_refused() {
	loop_mode $BAD_DIR && expect "$TMP/out" dir_refused -gt 0 &&
	expect "$TMP/out" prog_eperm -gt 0 && expect "$TMP/out" io_failed -eq 0
}

t_double_complete() {
	shim -c 0=$DOUBLE "$OUT/shim_targets.bpf.o" -- bash -c '
		dd if=$UBLK_DEV of=/dev/null bs=4k count=64 iflag=direct 2>/dev/null' &&
	expect "$TMP/out" double_complete -gt 0 && expect "$TMP/out" prog_ealready -gt 0 &&
	expect "$TMP/out" io_failed -eq 0
}

# a READ the program never completes fails at the block layer timeout (2 s
# here); if it is never failed the test fails, it does not hang
t_lost_io() {
	within "${SHIM_HANG_S:-90}" shim -c 0=$LOSE "$OUT/shim_targets.bpf.o" -- bash -c '
		echo 2000 >/sys/block/$(basename $UBLK_DEV)/queue/io_timeout
		! dd if=$UBLK_DEV of=/dev/null bs=512 count=1 skip=800 iflag=direct 2>/dev/null &&
		dd if=$UBLK_DEV of=/dev/null bs=4k count=16 iflag=direct 2>/dev/null' &&
	expect "$TMP/out" io_timeout -eq 1 && expect "$TMP/out" prog_lost -eq 1
}

# an IO whose aio_complete() submits a new aio on every completion
# (RESUBMIT: fsyncs, for 20 s, never completing the IO) is not kept alive
# past its timeout (2 s here): from the timeout on, its aios are refused
# (aio_timed_out) and the READ fails in time
t_timeout_resubmit() {
	mkfile "$TMP/a.img" 16M
	within "${SHIM_HANG_S:-90}" shim -f "$TMP/a.img" -c 0=$RESUBMIT "$OUT/shim_targets.bpf.o" -- bash -c '
		echo 2000 >/sys/block/$(basename $UBLK_DEV)/queue/io_timeout
		t0=$SECONDS
		if dd if=$UBLK_DEV of=/dev/null bs=512 count=1 skip=800 iflag=direct 2>/dev/null; then
			echo "# the held READ succeeded"; exit 1
		fi
		[ $((SECONDS - t0)) -lt 12 ] || {
			echo "# the held READ failed after $((SECONDS - t0)) s, its timeout is 2 s"; exit 1; }
		dd if=$UBLK_DEV of=/dev/null bs=4k count=16 iflag=direct 2>/dev/null' || return 1
	grep -E "^(io_timeout|aio_timed_out|prog_resubmit|prog_alloc_null)=" "$TMP/out" | tr '\n' ' ' | sed 's/^/# /'
	echo
	expect "$TMP/out" io_timeout -eq 1 && expect "$TMP/out" aio_timed_out -ge 1 &&
	expect "$TMP/out" prog_resubmit -gt 0 && expect "$TMP/out" prog_alloc_null -ge 1
}

# -EBUSY before anything started: the IO is retried, not failed
t_busy_retry() {
	shim -c 0=$BUSY "$OUT/shim_targets.bpf.o" -- bash -c '
		dd if=$UBLK_DEV of=/dev/null bs=4k count=16 iflag=direct 2>/dev/null' &&
	expect "$TMP/out" io_requeued -ge 5 && expect "$TMP/out" io_failed -eq 0
}

# unregister the program: its device goes on through the ublk server; then
# register it again; then both under IO. LOOP_QUEUED keeps IOs owned by the
# program while their aio runs, so unregistering has IOs to take back.
t_unreg_rereg() {
	mkfile "$TMP/a.img" 64M
	shim -f "$TMP/a.img" -c 0=$LOOP_QUEUED "$OUT/shim_targets.bpf.o" -- bash -c '
		fio_verify 8M || exit 1
		kill -USR1 $UBLK_SHIM_PID; sleep 1
		fio_verify 8M || exit 1
		kill -USR2 $UBLK_SHIM_PID; sleep 1
		fio_verify 8M || exit 1
		fio_timed 8 & f=$!
		sleep 2; kill -USR1 $UBLK_SHIM_PID
		sleep 2; kill -USR2 $UBLK_SHIM_PID
		sleep 2; kill -USR1 $UBLK_SHIM_PID
		wait $f && cmp -n 33554432 $UBLK_DEV '"$TMP/a.img" || return 1
	grep -E "^(io_|srv_|prog_(attach|detach))" "$TMP/out" | tr '\n' ' ' | sed 's/^/# /'
	echo
	expect "$TMP/out" srv_ios -gt 0 && expect "$TMP/out" io_bpf -gt 0 &&
	expect "$TMP/out" prog_attach -eq 3 && expect "$TMP/out" prog_detach -eq 3 &&
	expect "$TMP/out" io_failed -eq 0
}

# Only a device's owner chooses its program. Registering needs CAP_SYS_ADMIN
# (as does updating a link), not only the CAP_BPF and CAP_PERFMON a BPF
# token can delegate: shim_test -N drops it from the effective set for the
# link's creation (or update) only. (It loads the program with it: libbpf
# finds a module's BTF with BPF_BTF_GET_FD_BY_ID, which needs it in 6.12;
# a task handed that fd would not.)
t_reg_needs_admin() {
	local id=$((0x7e000000 + RANDOM))
	shim -R $id "$OUT/null_min.bpf.o" -- true || {
		echo "# ops $id not registered with CAP_SYS_ADMIN"; return 1; }
	if "$SHIM" -R $id -N "$OUT/null_min.bpf.o" -- true >"$TMP/out" 2>&1; then
		echo "# ops $id registered without CAP_SYS_ADMIN"; return 1
	fi
	grep -q "cannot register its ublk_bpf_ops: Operation not permitted" "$TMP/out" || {
		sed 's/^/#   /' "$TMP/out"; return 1; }
	shim -R $id -U "$OUT/null_min.bpf.o" -- true || {
		echo "# ops $id not updated with CAP_SYS_ADMIN"; return 1; }
	if "$SHIM" -R $id -U -N "$OUT/null_min.bpf.o" -- true >"$TMP/out" 2>&1; then
		echo "# ops $id updated without CAP_SYS_ADMIN"; return 1
	fi
	grep -q "cannot update the struct_ops link: Operation not permitted" "$TMP/out" || {
		sed 's/^/#   /' "$TMP/out"; return 1; }
}

# An ops id is a name, not a credential: while the owner's program holds
# it, a second registration is refused; once the owner's program is
# unregistered, another registrant of the id (null_min, which reads zeros)
# does not take the device, whose IO goes on through its ublk server (the
# file's data); the owner binds it again (SIGUSR2: it registers, then
# UBLK_U_CMD_BPF_BIND)
t_no_adoption() {
	mkfile "$TMP/a.img" 16M
	dd if=/dev/urandom of="$TMP/a.img" bs=1M count=16 conv=notrunc 2>/dev/null
	shim -f "$TMP/a.img" -c 0=$LOOP "$OUT/shim_targets.bpf.o" -- bash -c '
		other() { "$SHIM" -R $UBLK_OPS_ID "$OUT/null_min.bpf.o" -- "$@"; }
		same_as '"$TMP/a.img"' || exit 1
		if other true >/dev/null 2>&1; then
			echo "# a second registration of ops $UBLK_OPS_ID was accepted"; exit 1
		fi
		kill -USR1 $UBLK_SHIM_PID; sleep 1
		other bash -c "same_as '"$TMP/a.img"'" || {
			echo "# the device read what another registrant of ops $UBLK_OPS_ID returned"
			exit 1; }
		kill -USR2 $UBLK_SHIM_PID; sleep 1
		same_as '"$TMP/a.img"' && fio_verify 8M' || return 1
	grep -E "^(io_bpf|io_redirected|srv_ios|prog_(attach|detach))=" "$TMP/out" | tr '\n' ' ' | sed 's/^/# /'
	echo
	expect "$TMP/out" srv_ios -gt 0 && expect "$TMP/out" prog_attach -eq 2 &&
	expect "$TMP/out" ops_name = shim_targets && expect "$TMP/out" io_failed -eq 0
}

# replace the program under IO through a link update: IO never detours
# through the ublk server, the IOs the old program kept go to the new one
t_replace() {
	mkfile "$TMP/a.img" 64M
	shim -f "$TMP/a.img" -c 0=$LOOP_QUEUED "$OUT/shim_targets.bpf.o" -- bash -c '
		fio_timed 8 & f=$!
		sleep 2; kill -HUP $UBLK_SHIM_PID
		sleep 2; kill -HUP $UBLK_SHIM_PID
		wait $f && cmp -n 33554432 $UBLK_DEV '"$TMP/a.img" || return 1
	grep -q "struct_ops replaced" "$TMP/out" &&
	expect "$TMP/out" srv_ios -eq 0 && expect "$TMP/out" io_failed -eq 0 &&
	expect "$TMP/out" prog_attach -eq 1 && expect "$TMP/out" prog_queue -gt 0 &&
	expect "$TMP/out" double_complete -eq 0 && expect "$TMP/out" ops_name = shim_targets
}

# replace the program while aios are in flight (O_DIRECT on a loop device
# behind dm-delay: each aio takes 10 ms and ends in ->ki_complete()): the
# IOs the old program kept are requeued once their aios are done
# (io_requeued), and the new program never sees the old one's IOs (it
# would complete them: double_complete)
t_replace_async() {
	local lo dm rc
	modprobe loop 2>/dev/null
	modprobe dm-delay 2>/dev/null
	mkfile "$TMP/lo.img" 64M
	lo=$(losetup --direct-io=on -f --show "$TMP/lo.img") || {
		echo "# SKIP: no loop device"; return 0; }
	dmsetup create shim_delay --noudevsync \
		--table "0 $(blockdev --getsz "$lo") delay $lo 0 10" || {
		losetup -d "$lo"; echo "# SKIP: no dm-delay"; return 0; }
	dm=/dev/mapper/shim_delay
	[ -e $dm ] || dm=/dev/dm-$(dmsetup info -c --noheadings -o minor shim_delay | tr -d ' ')
	shim -d -f "$dm" -c 0=$LOOP_QUEUED "$OUT/shim_targets.bpf.o" -- bash -c '
		fio_timed 6 & f=$!
		sleep 2; kill -HUP $UBLK_SHIM_PID
		sleep 2; kill -HUP $UBLK_SHIM_PID
		wait $f && cmp -n 33554432 $UBLK_DEV '"$lo"
	rc=$?
	dmsetup remove shim_delay
	losetup -d "$lo"
	grep -E "^(io_|double|aio_|prog_aio)" "$TMP/out" | tr '\n' ' ' | sed 's/^/# /'
	echo
	[ $rc -eq 0 ] && grep -q "struct_ops replaced" "$TMP/out" &&
	expect "$TMP/out" io_requeued -gt 0 && expect "$TMP/out" double_complete -eq 0 &&
	expect "$TMP/out" srv_ios -eq 0 && expect "$TMP/out" io_failed -eq 0
}

# BPF devices get a BLK_MQ_F_BLOCKING tag set (the hook patch): ->queue_rq()
# runs under SRCU, where the stage may start file IO that sleeps. Under RCU
# that would go unseen on this kernel (preemptible RCU, no
# CONFIG_DEBUG_ATOMIC_SLEEP), so the flag itself is checked (blk-mq debugfs).
t_blocking_tag_set() {
	shim "$OUT/null_min.bpf.o" -- bash -c '
		f=/sys/kernel/debug/block/${UBLK_DEV#/dev/}/hctx0/flags
		grep -qw BLOCKING $f || { echo "# $f: $(cat $f)"; exit 1; }'
}

# IOs the program keeps and never completes are taken back when it is
# unregistered: requeued, then served by the ublk server
t_unreg_requeue() {
	mkfile "$TMP/a.img" 16M
	dd if=/dev/urandom of="$TMP/a.img" bs=1M count=16 conv=notrunc 2>/dev/null
	shim -f "$TMP/a.img" -c 0=$LOOP_QUEUED -c 5=1024 "$OUT/shim_targets.bpf.o" -- bash -c '
		dd if=$UBLK_DEV of='"$TMP"'/dev.img bs=64k count=16 skip=8 iflag=direct 2>/dev/null & d=$!
		sleep 2
		kill -0 $d 2>/dev/null || { echo "# dd completed while held"; exit 1; }
		kill -USR1 $UBLK_SHIM_PID
		wait $d' || return 1
	expect "$TMP/out" io_requeued -ge 1 && expect "$TMP/out" srv_ios -ge 1 &&
	expect "$TMP/out" io_failed -eq 0 &&
	cmp -n 1048576 "$TMP/dev.img" <(dd if="$TMP/a.img" bs=64k skip=8 count=16 2>/dev/null)
}

# shim_test (its output in $TMP/out) was killed: the kernel stops its
# device once the server is gone; delete it
server_gone() {
	local id
	sleep 2
	id=$(get dev_id "$TMP/out")
	[ -n "$id" ] || return 1
	for _ in $(seq 20); do
		[ -e "/dev/ublkb$id" ] || break
		sleep 1
	done
	[ ! -e "/dev/ublkb$id" ] || { echo "# /dev/ublkb$id still there"; return 1; }
	# shim_test died before DEL_DEV: delete with the ublk-bpf tool
	if [ -x "$REPO/.output/bin/ublk-bpf" ]; then
		"$REPO/.output/bin/ublk-bpf" del -n "$id" || return 1
		[ ! -e "/dev/ublkc$id" ] || { echo "# /dev/ublkc$id still there"; return 1; }
	fi
	return 0
}

# the server dies with IO in flight: every IO ends, the device goes away
t_kill_server() {
	mkfile "$TMP/a.img" 64M
	# IOs the dead server had taken end only at the block timeout (the
	# stock driver's rule): 5 s instead of 30, so the device goes in time.
	"$SHIM" -f "$TMP/a.img" -c 0=$REDIRECT_ODD "$OUT/shim_targets.bpf.o" -- bash -c '
		echo 5000 >/sys/block/${UBLK_DEV#/dev/}/queue/io_timeout || exit 1
		fio_verify 48M >/dev/null 2>&1 & sleep 3; kill -9 $UBLK_SHIM_PID; wait' \
		>"$TMP/out" 2>&1
	server_gone
}

# the server dies while the program keeps an IO it never completes: the dying
# shim_test also unregisters the program, which takes the IO back (requeue);
# it must end at once, not only at the block layer timeout (30 s)
t_kill_server_held() {
	local i
	mkfile "$TMP/a.img" 16M
	rm -f "$TMP/dd.rc"
	"$SHIM" -f "$TMP/a.img" -c 0=$LOOP_QUEUED -c 5=1024 "$OUT/shim_targets.bpf.o" -- bash -c '
		dd if=$UBLK_DEV of=/dev/null bs=64k count=1 skip=8 iflag=direct 2>/dev/null & d=$!
		sleep 2
		kill -0 $d 2>/dev/null || { echo "# dd completed while held"; exit 1; }
		kill -9 $UBLK_SHIM_PID
		wait $d
		echo $? >'"$TMP"'/dd.rc' >"$TMP/out" 2>&1
	for ((i = 0; i < 100; i++)); do
		[ -s "$TMP/dd.rc" ] && break
		sleep 0.1
	done
	[ -s "$TMP/dd.rc" ] || {
		sed 's/^/#   /' "$TMP/out"
		echo "# the kept IO did not end within 10s of the kill"
		return 1
	}
	server_gone
}

# shim_test deletes its device whichever way it ends: a step after ADD_DEV
# that fails (the kernel refuses the program: exit() from die()), and
# SIGTERM while CMD runs (passed on to CMD, then the usual end; 128 + 15)
t_cleanup() {
	local id rc
	"$SHIM" "$OUT/bad_leak.bpf.o" -- true >"$TMP/out" 2>&1
	rc=$?
	id=$(get dev_id "$TMP/out")
	[ $rc -ne 0 ] && [ -n "$id" ] || { sed 's/^/#   /' "$TMP/out"
		echo "# exit $rc, dev_id '$id': expected a failure after ADD_DEV"; return 1; }
	[ ! -e "/dev/ublkc$id" ] || { echo "# /dev/ublkc$id left by a failed set-up"; return 1; }
	"$SHIM" "$OUT/null_min.bpf.o" -- bash -c 'kill -TERM $UBLK_SHIM_PID; sleep 30' \
		>"$TMP/out" 2>&1
	rc=$?
	id=$(get dev_id "$TMP/out")
	[ $rc -eq 143 ] && [ -n "$id" ] || { sed 's/^/#   /' "$TMP/out"
		echo "# exit $rc after SIGTERM, expected 143"; return 1; }
	[ ! -e "/dev/ublkc$id" ] || { echo "# /dev/ublkc$id left after SIGTERM"; return 1; }
}

# backports 0001 and 0002: START_DEV on a stopped device (started or not),
# or on one whose server died before it, fails with EBUSY at once; without
# the fixes it adds a disk over cancelled commands and hangs in its
# partition scan
t_start_after_stop() {
	within 30 "$OUT/restart_test" >"$TMP/out" 2>&1 || { sed 's/^/#   /' "$TMP/out"; return 1; }
	sed 's/^/# /' "$TMP/out"
}

# backport 0105 (test_generic_06 with kublk as the server, without kublk):
# a server that holds START_DEV's partition read does not keep START_DEV
# from returning, and once it is killed the disk goes within 10 s (without
# 0105 START_DEV waits, and the dying server's io-wq worker inside it keeps
# its rings, so nothing is cancelled), DEL_DEV works; no task in D state
t_held_read() {
	local d
	within 40 "$OUT/held_read_test" >"$TMP/out" 2>&1 || { sed 's/^/#   /' "$TMP/out"; return 1; }
	sed 's/^/# /' "$TMP/out"
	d=$(grep -l '^State:.*D' /proc/[0-9]*/status 2>/dev/null)
	[ -z "$d" ] || { echo "# tasks in D state: $d"; return 1; }
}

# Controllers (backports/0201 + ublk_bpf_tagctrl.c): two devices joined to
# one controller share its tag set -- the module counts two devices and
# blk-mq two queues on the set, marked shared (BLK_MQ_F_TAG_QUEUE_SHARED) --
# and run IO at once, 2 x 32 IOs on 32 tags; REMOVE_CTRL is -EBUSY while
# they are bound and works once both are deleted; a device of another depth
# or an unknown id cannot join
t_ctrl_shared_tags() {
	local c="$OUT/shim_ctrl" id a rc=0
	"$c" create 1 32 >"$TMP/ctrl" || { sed 's/^/#   /' "$TMP/ctrl"; return 1; }
	id=$(get ctrl "$TMP/ctrl")
	if "$SHIM" -C "$id" -q 16 "$OUT/null_min.bpf.o" -- true >"$TMP/out" 2>&1 ||
	   ! grep -q "JOIN_CTRL $id: Invalid argument" "$TMP/out"; then
		sed 's/^/#   /' "$TMP/out"
		echo "# a depth-16 device joined a depth-32 controller"; rc=1
	fi
	if "$SHIM" -C 999 -q 32 "$OUT/null_min.bpf.o" -- true >"$TMP/out" 2>&1 ||
	   ! grep -q "JOIN_CTRL 999: No such file" "$TMP/out"; then
		echo "# a device joined controller 999, which does not exist"; rc=1
	fi
	rm -f "$TMP/a.dev" "$TMP/go"
	"$SHIM" -C "$id" -q 32 "$OUT/null_min.bpf.o" -- bash -c '
		echo $UBLK_DEV >'"$TMP"'/a.dev
		while [ ! -e '"$TMP"'/go ]; do sleep 0.1; done' >"$TMP/a.out" 2>&1 &
	a=$!
	for ((i = 0; i < 200; i++)); do
		[ -s "$TMP/a.dev" ] && break
		sleep 0.1
	done
	shim -C "$id" -q 32 "$OUT/null_min.bpf.o" -- bash -c '
		'"$c"' info '"$id"' >'"$TMP"'/info.both
		fio --direct=1 --ioengine=libaio --iodepth=32 --rw=randrw --bs=4k \
		    --size=64M --time_based --runtime=3 --group_reporting \
		    --name=a --filename=$(cat '"$TMP"'/a.dev) \
		    --name=b --filename=$UBLK_DEV >'"$TMP"'/fio.log 2>&1
		echo fio=$? >>'"$TMP"'/info.both
		'"$c"' remove '"$id"' >>'"$TMP"'/info.both
		touch '"$TMP"'/go' || rc=1
	touch "$TMP/go"
	wait $a || { sed 's/^/#   /' "$TMP/a.out"; echo "# device A failed"; rc=1; }
	expect "$TMP/info.both" nr_devs -eq 2 && expect "$TMP/info.both" nr_queues -eq 2 &&
	expect "$TMP/info.both" shared -eq 1 && expect "$TMP/info.both" queue_depth -eq 32 &&
	expect "$TMP/info.both" fio -eq 0 && expect "$TMP/info.both" remove -eq -16 || {
		sed 's/^/#   /' "$TMP/fio.log" | tail -5; rc=1; }
	expect "$TMP/a.out" io_bpf -gt 0 && expect "$TMP/out" io_bpf -gt 0 || rc=1
	"$c" info "$id" >"$TMP/info.none"
	expect "$TMP/info.none" nr_devs -eq 0 && expect "$TMP/info.none" nr_queues -eq 0 || rc=1
	"$c" remove "$id" >"$TMP/rm"
	expect "$TMP/rm" remove -eq 0 || rc=1
	"$c" info "$id" >"$TMP/info.gone"
	expect "$TMP/info.gone" info -eq -2 || rc=1
	return $rc
}

t_abi_version() {
	[ "$(cat /sys/module/ublk_drv/parameters/bpf_abi_version)" = 1 ]
}

# GET_FEATURES reports UBLK_F_BPF and UBLK_F_BPF_CTRL (controllers);
# UBLK_F_USER_COPY is refused with UBLK_F_BPF
t_features_flags() {
	shim "$OUT/null_min.bpf.o" -- true || return 1
	[ $(( $(get features "$TMP/out") >> 62 & 3 )) -eq 3 ] ||
		{ echo "# features=$(get features "$TMP/out")"; return 1; }
	! "$SHIM" -x 0x80 "$OUT/null_min.bpf.o" -- true >"$TMP/out" 2>&1 &&
	grep -q "ADD_DEV: Invalid argument" "$TMP/out"
}

# after use, the module unloads and loads again
t_rmmod() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rmmod ublk_drv 2>/dev/null && break
		sleep 1
	done
	grep -q '^ublk_drv ' /proc/modules && { echo "# ublk_drv still loaded"; return 1; }
	insmod "$KO" && [ -e /dev/ublk-control ]
}

tap_start
run_test verifier_leak t_verifier_leak
run_test verifier_sleepable t_verifier_sleepable
run_test kfunc_filter t_kfunc_filter
run_test abi_version t_abi_version
run_test features_flags t_features_flags
run_test null_min t_null_min
run_test loop_continue t_loop_continue
run_test loop_queued t_loop_queued
run_test loop_daemon t_loop_daemon
run_test loop_async t_loop_async
run_test spread t_spread
run_test combine t_combine
run_test in_place t_in_place
run_test fallback_eagain t_fallback_eagain
run_test buffered t_buffered
run_test fallback_blkdev t_fallback_blkdev
run_test fallback_busy_lower t_fallback_busy_lower
run_test redirect t_redirect
run_test retry t_retry
run_test stripe t_stripe
run_test short_read t_short_read
run_test discard_zeroes_flush t_discard_zeroes_flush
run_test dir_refused t_dir_refused
run_test double_complete t_double_complete
run_test lost_io t_lost_io
run_test busy_retry t_busy_retry
run_test timeout_resubmit t_timeout_resubmit
run_test unreg_rereg t_unreg_rereg
run_test reg_needs_admin t_reg_needs_admin
run_test no_adoption t_no_adoption
run_test unreg_requeue t_unreg_requeue
run_test replace t_replace
run_test replace_async t_replace_async
run_test blocking_tag_set t_blocking_tag_set
run_test kill_server t_kill_server
run_test kill_server_held t_kill_server_held
run_test cleanup t_cleanup
run_test no_part_scan t_no_part_scan
run_test start_after_stop t_start_after_stop
run_test held_read t_held_read
run_test ctrl_shared_tags t_ctrl_shared_tags
run_test pci_nvme t_pci_nvme
run_test nvme_io t_nvme_io
run_test rmmod t_rmmod

tap_end "# shim: "
