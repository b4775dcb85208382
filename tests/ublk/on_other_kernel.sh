#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What works on a kernel other than the 6.12 the suite is written for, in
# one VM boot (make check-6.1):
#   tests/vm/run.sh --kernel 6.1 tests/ublk/on_other_kernel.sh
#   tests/vm/run.sh --kernel 6.12 --module stock tests/ublk/on_other_kernel.sh --figures
# A TAP stream: the kernel and `ublk-bpf features`; a smoke pass over the
# verbs (every io_uring target added and fio-verified, `load` falling back
# to the io_uring path, what needs BPF refused in one line); fio IOPS of the
# loop target over a tmpfs file (4k randread/randwrite, QD 1 and 32; lines
# "# figure NAME IOPS"); then the existing VM tests of the io_uring path
# (tests/ublk/run_all.sh under UBLK_TEST_FILTER, default below: those that
# need the kfunc-shim skip). --figures: the kernel and the figures only;
# --tests: the kernel and the VM tests only.
# UBLK_TEST_FIGURE_SECS: seconds of each fio run (default 8).
shopt -s lastpipe	# tap_merge at a pipe's end counts in this shell
cd "$(dirname "$0")" || exit 1
. ./test_common.sh
. ../lib/tap.sh
figures_only=0 tests_only=0
case "${1:-}" in
--figures) figures_only=1 ;;
--tests) tests_only=1 ;;
"") ;;
*) echo "usage: $0 [--figures | --tests]" >&2; exit 2 ;;
esac
subset='test_(null|loop|stripe|mirror|raid10|linear|recover|nbd|fs|bad|bmap|rundir)_[0-9]+|test_kublk_01'
prog=$UBLK_PROG

tap_start
_prep_test on_other_kernel
echo "# kernel $(uname -r), ublk_drv $(modinfo -F filename ublk_drv 2>/dev/null)"
out=$("$prog" features 2>&1); rc=$?
echo "$out" | sed 's/^/# features: /'
tap_result $rc kernel/features

# step NAME CMD...: one TAP line for CMD's exit status, its output as comments.
step() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1); rc=$?
	[ -n "$out" ] && echo "$out" | sed 's/^/# /'
	tap_result $rc "$name"
}

# smoke_add TARGET ARGS...: add, fio verify (null and fault_inject keep no
# data: plain random IO there), del.
smoke_add() {
	local id
	id=$(_add_ublk_dev add -t "$@") || return 1
	UBLK_DEVS+=("$id")
	case "$1" in
	null|fault_inject)
		fio --name=io --filename="/dev/ublkb$id" --ioengine=io_uring --direct=1 \
		    --rw=randrw --bs=4k --iodepth=16 --size=16M --output="$UBLK_TMP/fio.log" &&
			grep -q 'err= 0' "$UBLK_TMP/fio.log" || { cat "$UBLK_TMP/fio.log"; return 1; } ;;
	*) _fio_verify "/dev/ublkb$id" --size=16M || return 1 ;;
	esac
	_del_dev "$id"
}

# load_fallback: `load loop.bpf.o` serves on the io_uring path, one warning line.
load_fallback() {
	local out id
	out=$("$prog" load "$UBLK_BPF_OBJS/loop.bpf.o" --file "$UBLK_TMP/a.img" 2>"$UBLK_TMP/err") || return 1
	id=$(echo "$out" | sed -n '1s/^dev id \([0-9]*\)$/\1/p')
	[ -n "$id" ] || return 1
	UBLK_DEVS+=("$id")
	echo "stderr: $(cat "$UBLK_TMP/err")"
	# One line says so (tmpfs of 6.1 adds one: no O_DIRECT there).
	[ "$(grep -c 'io_uring path' "$UBLK_TMP/err")" -eq 1 ] || return 1
	_fio_verify "/dev/ublkb$id" --size=16M || return 1
	_del_dev "$id"
}

# refused PATTERN ARGS...: fails with one line matching PATTERN.
refused() {
	local pattern=$1 err rc
	shift
	err=$("$prog" "$@" 2>&1 >/dev/null); rc=$?
	echo "stderr: $err"
	[ $rc -ne 0 ] && [ "$(echo "$err" | wc -l)" -eq 1 ] && echo "$err" | grep -qE -- "$pattern"
}

# recover_kill9: a --reissue loop device whose daemon is killed with -9
# while fio writes; `recover` brings it back, fio verifies.
recover_kill9() {
	local id pid fio_pid
	id=$(_add_ublk_dev add -t loop --reissue --file "$UBLK_TMP/b.img") || return 1
	UBLK_DEVS+=("$id")
	fio --name=r --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 --rw=randwrite \
	    --bs=4k --iodepth=16 --size=32M --verify=crc32c --verify_state_save=0 \
	    --verify_fatal=1 >"$UBLK_TMP/rfio.log" 2>&1 &
	fio_pid=$!
	sleep 2
	pid=$(_dev_field "$id" pid)
	[ -n "$pid" ] || return 1
	kill -9 "$pid"
	_wait_state "$id" QUIESCED 30 || { echo "state $(_dev_field "$id" state)"; return 1; }
	echo "daemon $pid killed: QUIESCED"
	"$prog" recover -n "$id" || return 1
	_wait_state "$id" LIVE 10 || return 1
	wait $fio_pid || { tail -n 5 "$UBLK_TMP/rfio.log"; return 1; }
	grep -q 'err= 0' "$UBLK_TMP/rfio.log" || return 1
	echo "recovered, fio verified"
	_del_dev "$id"
}

if [ $figures_only -eq 0 ] && [ $tests_only -eq 0 ]; then
	for f in a b c d e f; do _make_file "$UBLK_TMP/$f.img" 64M; done
	step smoke/add_null smoke_add null --size 1G
	step smoke/add_loop smoke_add loop --file "$UBLK_TMP/a.img"
	step smoke/add_stripe smoke_add stripe --file "$UBLK_TMP/a.img" --file "$UBLK_TMP/b.img"
	step smoke/add_mirror smoke_add mirror --file "$UBLK_TMP/a.img" --file "$UBLK_TMP/b.img"
	step smoke/add_raid10 smoke_add raid10 --file "$UBLK_TMP/a.img" --file "$UBLK_TMP/b.img" \
		--file "$UBLK_TMP/c.img" --file "$UBLK_TMP/d.img"
	step smoke/add_fault_inject smoke_add fault_inject --size 1G
	step smoke/load_loop_fallback load_fallback
	step smoke/load_require_bpf_refused refused 'require-bpf' load "$UBLK_BPF_OBJS/loop.bpf.o" \
		--require-bpf --file "$UBLK_TMP/a.img"
	step smoke/load_linear_refused refused 'no io_uring twin' load "$UBLK_BPF_OBJS/linear.bpf.o" \
		--file "$UBLK_TMP/a.img"
	step smoke/recover_kill9 recover_kill9
	# A step that failed half-way may have left its device.
	"$prog" del -a >/dev/null 2>&1
	_cleanup_test
	UBLK_TMP=$(mktemp -d /tmp/ublk-test.XXXXXX)
fi

# The figures: loop over a 256 MiB tmpfs file (written first, so reads hit
# data), one queue of depth 64, fio's io_uring engine; served with O_DIRECT
# where tmpfs takes it (6.6 on) and through the page cache (--buffered):
# 6.1's tmpfs has no O_DIRECT, so there both rows are the page cache's.
secs=${UBLK_TEST_FIGURE_SECS:-8}
[ $tests_only -eq 0 ] && head -c 256M /dev/zero >"$UBLK_TMP/perf.img"
[ $tests_only -eq 0 ] && for mode in default buffered; do
	args=()
	[ $mode = buffered ] && args=(--buffered)
	if ! id=$(_add_ublk_dev add -t loop -q 1 -d 64 "${args[@]}" --file "$UBLK_TMP/perf.img"); then
		tap_result 1 "figures/loop_tmpfs_$mode" "add -t loop failed"
		continue
	fi
	UBLK_DEVS+=("$id")
	rc=0
	for rw in randread randwrite; do
		for qd in 1 32; do
			fio --name=p --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 --rw=$rw \
			    --bs=4k --iodepth=$qd --time_based --runtime="$secs" --ramp_time=1 \
			    --output-format=json --output="$UBLK_TMP/p.json" >/dev/null 2>&1 || rc=1
			iops=$(jq -r ".jobs[0].${rw#rand}.iops | floor" "$UBLK_TMP/p.json" 2>/dev/null)
			echo "# figure loop_tmpfs_${mode}_${rw}4k_qd$qd ${iops:-?}"
		done
	done
	_del_dev "$id" >/dev/null
	tap_result $rc "figures/loop_tmpfs_$mode" "$(uname -r), ${secs}s each"
done
_cleanup_test

if [ $figures_only -eq 0 ]; then
	echo "# the VM tests of the io_uring path (UBLK_TEST_FILTER=${UBLK_TEST_FILTER:-$subset})"
	UBLK_TEST_FILTER=${UBLK_TEST_FILTER:-$subset} bash ./run_all.sh | tap_merge vm/
fi
tap_end
