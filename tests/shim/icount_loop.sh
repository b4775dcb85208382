#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# icount_loop.sh: BPF loop against the loop driver (direct IO) on the same
# tmpfs file, scheduler none on both; 4k random read and write at QD1 and
# QD32. Run in the VM in icount mode, where guest time is instructions:
#   tests/vm/run.sh --icount --module shim tests/shim/icount_loop.sh
# (UBLK_BPF_SHIM_KO=... picks the module.) Prints per path and job: IOPS,
# guest ns per IO (= instructions per IO in icount mode) and context
# switches per IO from /proc/stat. An ad-hoc measurement of the kfunc-shim's
# aio path; `make bench` is the benchmark.
. "$(dirname "$0")/../ublk/test_common.sh"
runtime=${MEASURE_RUNTIME:-2}
# RW:QD, 4k each
jobs=${MEASURE_JOBS:-randread:1 randread:32 randwrite:1 randwrite:32}

_prep_test icount_loop
_need_shim
trap 'losetup -D 2>/dev/null; _cleanup_test' EXIT

ctxt() { awk '/^ctxt/ {print $2}' /proc/stat; }

file=$UBLK_TMP/a.img
truncate -s 256M "$file"
dd if=/dev/zero of="$file" bs=1M count=256 conv=notrunc status=none
_new_load --require-bpf "$UBLK_BPF_OBJS/loop.bpf.o" --file "$file"
bpf=/dev/ublkb$UBLK_DEV_ID
modprobe loop || _fail "modprobe loop"
kern=$(losetup --direct-io=on -f --show "$file") || _fail "losetup"
for d in "$bpf" "$kern"; do
	echo none >"/sys/block/${d#/dev/}/queue/scheduler" || _fail "scheduler of $d"
done

for job in $jobs; do
	for path in bpf loop; do
		dev=$bpf
		[ $path = loop ] && dev=$kern
		c0=$(ctxt)
		json=$(fio --name=m --filename="$dev" --ioengine=io_uring --direct=1 \
			--time_based --runtime="$runtime" --size=128M --bs=4k \
			--rw="${job%:*}" --iodepth="${job#*:}" \
			--output-format=json 2>/dev/null) || _fail "fio $job on $dev"
		c1=$(ctxt)
		ios=$(echo "$json" | jq '[.jobs[0].read.total_ios, .jobs[0].write.total_ios] | add')
		iops=$(echo "$json" | jq '[.jobs[0].read.iops, .jobs[0].write.iops] | add | floor')
		awk -v p=$path -v j="$job" -v n="$ios" -v i="$iops" -v c=$((c1 - c0)) \
			'BEGIN { printf "%-6s %-17s %8d IOPS %8.0f ns/IO %6.2f ctxsw/IO\n", p, j, i, 1e9 / i, c / n }'
	done
done
"$UBLK_PROG" stats -n "$UBLK_DEV_ID" | grep -E "aio_|io_bpf" | tr '\n' ' '
echo
_check_dmesg
