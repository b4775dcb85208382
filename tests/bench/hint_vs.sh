#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hint_vs.sh: what the IO pattern hint buys the loop target (a benchmark,
# not a test). On the host it boots the VM (tests/vm/run.sh, kfunc-shim,
# TCG wall clock) and runs itself inside; the table lands in
# .output/bench/hint.md.
# Inside the VM: ext4 on a memory-backed null_blk disk (a real block
# device that counts what it reads), one file on it, served by
# `add -t loop --buffered -q 1`, with the hint followed (posix_fadvise on a
# change) and with --no-hint, one device after the other, same fio jobs,
# the page cache dropped before each. Each job reads a fixed amount, less
# than the file, so that what readahead brings in beyond it is waste (a job
# that reads the whole file ends with it cached either way). Per job: fio's
# IOPS and MiB/s, the bytes the backing disk read per byte fio read
# (readahead included) and per disk read request.
set -uo pipefail

if [ "${1:-}" != --in-vm ]; then
	cd "$(dirname "$0")/../.." || exit 1
	mkdir -p .output/bench
	out=$PWD/.output/bench/hint.md
	exec tests/vm/run.sh --module shim --timeout 900 "$PWD/tests/bench/hint_vs.sh" --in-vm "$out"
fi
out=$2
. "$(dirname "$0")/../ublk/test_common.sh"
_prep_test hint_bench
mnt=$UBLK_TMP/mnt
trap '"$UBLK_PROG" del -a >/dev/null 2>&1; umount "$mnt" 2>/dev/null; modprobe -r null_blk; _cleanup_test' EXIT
rounds=${HINT_BENCH_ROUNDS:-2}
file_mb=${HINT_BENCH_FILE_MB:-512}

modprobe -r null_blk 2>/dev/null
modprobe null_blk nr_devices=1 gb=1 queue_mode=2 memory_backed=1 irqmode=0 \
	submit_queues=1 || _fail "modprobe null_blk"
disk=nullb0
mkfs.ext4 -q -F /dev/$disk || _fail "mkfs.ext4"
mkdir -p "$mnt"
mount /dev/$disk "$mnt" || _fail "mount"
dd if=/dev/zero of="$mnt/backing" bs=1M count="$file_mb" oflag=direct status=none || _fail "dd"

# The backing disk's reads so far: "REQUESTS SECTORS".
disk_reads() { awk '{print $1, $3}' /sys/block/$disk/stat; }

# run MODE JOB FIO_ARGS...: one device, one fio job; prints a table row.
run() {
	local mode=$1 job=$2 id fio_out iops bw read_kib disk_kib rq0 sec0 rq1 sec1
	shift 2
	local extra=()
	[ "$mode" = off ] && extra=(--no-hint)
	id=$(_add_ublk_dev add -t loop --buffered -q 1 --file "$mnt/backing" "${extra[@]}") ||
		_fail "add ($mode)"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	read -r rq0 sec0 <<<"$(disk_reads)"
	fio_out=$(fio --name="$job" --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 \
		  --runtime=60 --output-format=terse --terse-version=3 \
		  "$@") || _fail "fio $job ($mode)"
	read -r rq1 sec1 <<<"$(disk_reads)"
	# terse v3: read kB field 6, bandwidth KiB/s 7, IOPS 8
	read_kib=$(echo "$fio_out" | awk -F';' '{print $6}')
	bw=$(echo "$fio_out" | awk -F';' '{print $7}')
	iops=$(echo "$fio_out" | awk -F';' '{print $8}')
	disk_kib=$(( (sec1 - sec0) / 2 ))
	"$UBLK_PROG" stats -n "$id" >"$UBLK_TMP/stats"
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$job" "$mode" "$iops" \
		"$((bw / 1024))" "$((read_kib / 1024))" "$((disk_kib / 1024))" \
		"$(awk -v d="$disk_kib" -v r="$read_kib" 'BEGIN { printf "%.2f", r ? d / r : 0 }')" \
		"$(awk -v n="$((rq1 - rq0))" -v d="$disk_kib" 'BEGIN { printf "%.0f", n ? d / n : 0 }')"
	grep -E "hint_(sequential|random):" "$UBLK_TMP/stats" | tr -s ' ' | sed 's/^/# /' >&2
	"$UBLK_PROG" del -n "$id" || _fail "del"
}

{
	echo "loop --buffered -q 1 over a ${file_mb} MiB file on ext4 on null_blk (memory backed),"
	echo "fio io_uring direct=1 QD16 on the ublk disk, page cache dropped first, $rounds rounds;"
	echo "hint on: the loop target follows the IO pattern hint with posix_fadvise; off: --no-hint."
	echo
	echo "| job | hint | IOPS | MiB/s | fio read MiB | disk read MiB | disk/fio | KiB per disk read |"
	echo "|---|---|---|---|---|---|---|---|"
	for ((r = 0; r < rounds; r++)); do
		for mode in on off; do
			run "$mode" randread-4k-64M --rw=randread --bs=4k --iodepth=16 --io_size=64M
		done
		for mode in on off; do
			run "$mode" randread-16k-128M --rw=randread --bs=16k --iodepth=16 --io_size=128M
		done
		for mode in on off; do
			run "$mode" seqread-4k-256M --rw=read --bs=4k --iodepth=16 --io_size=256M
		done
	done
} | tee "$out"
_check_dmesg
exit 0
