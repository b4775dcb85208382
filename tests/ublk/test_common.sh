#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers of the VM tests (kselftest style: exit 0 pass, 1 fail,
# 4 skip). They run as root inside a VM booting the stock Debian 6.12
# kernel, under tests/vm/run.sh or virtme-ng alike: nothing here depends on
# which runner started them.

UBLK_SKIP=4
UBLK_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
UBLK_REPO=$(cd "$UBLK_TESTS_DIR/../.." && pwd)
UBLK_PROG=${UBLK_PROG:-$UBLK_REPO/.output/bin/ublk-bpf}
UBLK_FIO_SIZE=${UBLK_FIO_SIZE:-32M}

_log() { echo "# $*"; }

_fail() {
	echo "# FAIL: $*" >&2
	_cleanup_test
	exit 1
}

_skip() {
	echo "# SKIP: $*"
	_cleanup_test
	exit $UBLK_SKIP
}

# The ublk driver this run asks for: UBLK_BPF_MODULE=shim (kfunc-shim's
# ublk_drv.ko, the default once built) or stock (Debian's).
_load_ublk_module() {
	local want=${UBLK_BPF_MODULE:-} ko=${UBLK_BPF_SHIM_KO:-$UBLK_REPO/.output/kfunc-shim/ublk_drv.ko}

	[ -z "$want" ] && { want=stock; [ -f "$ko" ] && want=shim; }
	if [ "$want" = shim ]; then
		if ! grep -q '^ublk_drv ' /proc/modules || [ ! -e /sys/module/ublk_drv/parameters/bpf_abi_version ]; then
			modprobe -r ublk_drv 2>/dev/null
			insmod "$ko" || return 1
		fi
	else
		modprobe ublk_drv || return 1
	fi
	[ -e /dev/ublk-control ]
}

# _prep_test NAME: a scratch folder in $UBLK_TMP, the driver loaded, and a
# mark in the kernel log so _check_dmesg reads only this test's lines.
_prep_test() {
	UBLK_TEST_NAME=$1
	[ "$(id -u)" -eq 0 ] || _skip "needs root"
	[ -x "$UBLK_PROG" ] || _fail "$UBLK_PROG not built (make)"
	_load_ublk_module || _skip "cannot load the ublk_drv module"
	UBLK_TMP=$(mktemp -d /tmp/ublk-test.XXXXXX)
	UBLK_DEVS=()
	echo "ublk-test: start $UBLK_TEST_NAME" >/dev/kmsg
}

_cleanup_test() {
	local id
	for id in "${UBLK_DEVS[@]}"; do
		"$UBLK_PROG" del -n "$id" >/dev/null 2>&1
	done
	UBLK_DEVS=()
	[ -n "${UBLK_TMP:-}" ] && rm -rf "$UBLK_TMP"
	UBLK_TMP=
}

# _add_ublk_dev [add|load] ARGS...: runs `ublk-bpf add ARGS` (or load),
# prints the new id.
_add_ublk_dev() {
	local out id verb=add
	case "$1" in add|load) verb=$1; shift ;; esac
	out=$("$UBLK_PROG" $verb "$@") || return 1
	id=$(echo "$out" | sed -n '1s/^dev id \([0-9]*\)$/\1/p')
	[ -n "$id" ] || { echo "# add printed '$out'" >&2; return 1; }
	[ -b "/dev/ublkb$id" ] || { echo "# /dev/ublkb$id missing after add" >&2; return 1; }
	echo "$id"
}

# _new_dev ARGS...: like _add_ublk_dev, but failing the test and recording
# the device for cleanup. Sets UBLK_DEV_ID.
_new_dev() {
	UBLK_DEV_ID=$(_add_ublk_dev add "$@") || _fail "ublk-bpf add $* failed"
	UBLK_DEVS+=("$UBLK_DEV_ID")
}

# _new_load ARGS...: _new_dev for `ublk-bpf load ARGS`.
_new_load() {
	UBLK_DEV_ID=$(_add_ublk_dev load "$@") || _fail "ublk-bpf load $* failed"
	UBLK_DEVS+=("$UBLK_DEV_ID")
}

# _wait_part_scan ID: until ublkbID's partition scan is over. The driver
# scans after START_DEV returns (kfunc-shim backport 0105, upstream since
# 6.19), holding the disk's open_mutex: an open waits for it. A test that
# times an IO against a slow server (fault_inject) waits here first, or its
# IO waits in open() behind the scan's read.
_wait_part_scan() {
	timeout 30 sh -c ": </dev/ublkb$1" 2>/dev/null ||
		_fail "ublkb$1: no open within 30 s (the partition scan hangs)"
}

# _forget_dev ID: no longer delete device ID at cleanup.
_forget_dev() {
	local keep=() d
	for d in "${UBLK_DEVS[@]}"; do [ "$d" = "$1" ] || keep+=("$d"); done
	UBLK_DEVS=("${keep[@]}")
}

# _del_dev ID: delete and check the device is really gone.
_del_dev() {
	local id=$1 i
	"$UBLK_PROG" del -n "$id" || _fail "del -n $id failed"
	_forget_dev "$id"
	for i in $(seq 50); do
		[ -e "/dev/ublkb$id" ] || [ -e "/dev/ublkc$id" ] || break
		sleep 0.1
	done
	[ ! -e "/dev/ublkb$id" ] || _fail "/dev/ublkb$id still exists after del"
	[ ! -e "/dev/ublkc$id" ] || _fail "/dev/ublkc$id still exists after del"
	"$UBLK_PROG" list -n "$id" >/dev/null 2>&1 && _fail "device $id still listed after del"
	return 0
}

# _klog_hits MARK: the kernel log's WARN/BUG/oops/hung-task lines since the
# line MARK (tests/vm/klog-check.sh holds the one pattern); empty when clean.
_klog_hits() {
	dmesg | sed -n "/$1\$/,\$p" | "$UBLK_REPO/tests/vm/klog-check.sh" /dev/stdin 2>&1 >/dev/null
}

# _check_dmesg: fail on a WARN/BUG/oops since _prep_test.
_check_dmesg() {
	local hits
	hits=$(_klog_hits "ublk-test: start $UBLK_TEST_NAME")
	[ -z "$hits" ] || _fail "kernel log: $(echo "$hits" | head -n 5)"
}

# _make_file PATH SIZE: a backing file of SIZE (truncate syntax).
_make_file() {
	truncate -s "$2" "$1" || _fail "cannot create $1"
}

# _wait_until SECONDS CMD...: polls CMD every 0.1 s; false if it never succeeds.
_wait_until() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}

# _fio_verify DEV [FIO ARGS...]: random writes with crc32c, then read back.
_fio_verify() {
	local dev=$1
	shift
	fio --name=verify --filename="$dev" --ioengine=io_uring --direct=1 \
	    --rw=randwrite --bs=4k --iodepth=16 --size="$UBLK_FIO_SIZE" \
	    --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 "$@" \
	    --output="$UBLK_TMP/fio.log" || { cat "$UBLK_TMP/fio.log"; return 1; }
	grep -q 'err= 0' "$UBLK_TMP/fio.log"
}

# _fs_roundtrip DEV [MKFS OPTIONS]: mkfs.ext4, mount, write 8 MiB of random
# data, umount, mount again: the file reads back identical and fsck finds
# nothing.
_fs_roundtrip() {
	local dev=$1 mnt=$UBLK_TMP/mnt
	shift
	mkdir -p "$mnt"
	head -c 8M /dev/urandom >"$UBLK_TMP/fsdata"
	mkfs.ext4 -q -F "$@" "$dev" || { echo "# mkfs.ext4 $dev failed"; return 1; }
	mount "$dev" "$mnt" || { echo "# mount $dev failed"; return 1; }
	cp "$UBLK_TMP/fsdata" "$mnt/data" && umount "$mnt" || { umount "$mnt"; return 1; }
	mount "$dev" "$mnt" || { echo "# second mount of $dev failed"; return 1; }
	cmp -s "$UBLK_TMP/fsdata" "$mnt/data" || { umount "$mnt"; echo "# file differs after remount"; return 1; }
	umount "$mnt" || return 1
	fsck.ext4 -n -f "$dev" >/dev/null 2>&1 || { echo "# fsck.ext4 $dev found errors"; return 1; }
}

# _check_stripe_layout DEV CHUNK FILE...: every chunk of DEV sits where the
# stripe mapping puts it (chunk k in file k % N at (k / N) * CHUNK).
_check_stripe_layout() {
	local dev=$1 chunk=$2
	shift 2
	dd if="$dev" of="$UBLK_TMP/dev.img" bs=1M iflag=direct status=none || return 1
	"$UBLK_REPO/.output/tests/stripe_check" "$UBLK_TMP/dev.img" "$chunk" "$@" | sed 's/^/# /'
	[ "${PIPESTATUS[0]}" -eq 0 ]
}

UBLK_BPF_OBJS=${UBLK_BPF_OBJS:-$UBLK_REPO/.output/bpf}
UBLK_PIN_ROOT=${UBLK_BPF_PIN_ROOT:-/sys/fs/bpf/ublk}

_shim_loaded() {
	[ -e /sys/module/ublk_drv/parameters/bpf_abi_version ]
}

# _need_shim: skip the test unless the kfunc-shim is the loaded ublk_drv.
_need_shim() {
	_shim_loaded || _skip "the kfunc-shim ublk_drv is not loaded (UBLK_BPF_MODULE=$UBLK_BPF_MODULE)"
}

# _use_module stock|shim: swap the ublk driver (no device may exist).
_use_module() {
	modprobe -r ublk_drv 2>/dev/null || rmmod ublk_drv 2>/dev/null
	grep -q '^ublk_drv ' /proc/modules && return 1
	UBLK_BPF_MODULE=$1 _load_ublk_module
}

# _tgt_stat ID FIELD: a counter of `ublk-bpf stats --json` (target's first).
_tgt_stat() {
	"$UBLK_PROG" stats -n "$1" --json | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" | head -n1
}

# _shim_stat ID FIELD: a counter of the kfunc-shim for the device.
_shim_stat() {
	"$UBLK_PROG" stats -n "$1" --json | sed -n "s/.*\"shim\":{.*\"$2\":\([0-9]*\).*/\1/p"
}

# _nothing_left WHAT: no device, daemon, state file or pin is left behind.
_nothing_left() {
	local run_dir=${UBLK_BPF_RUN_DIR:-/run/ublk-bpf}
	ls /dev/ublkb* /dev/ublkc* >/dev/null 2>&1 && _fail "$1: device left behind: $(ls /dev/ublk[bc]*)"
	pgrep -f "ublk-bpf (add|load)" >/dev/null && _fail "$1: daemon left behind"
	ls "$run_dir"/*.json >/dev/null 2>&1 && _fail "$1: state file left behind"
	ls -d "$UBLK_PIN_ROOT"/* >/dev/null 2>&1 && _fail "$1: pins left behind: $(ls "$UBLK_PIN_ROOT")"
	return 0
}

# _refused "PATTERN" ARGS...: ublk-bpf ARGS fails with one line matching
# PATTERN on stderr and, when the test holds no device, leaves nothing behind.
_refused() {
	local pattern=$1 err rc
	shift
	err=$("$UBLK_PROG" "$@" 2>&1 >/dev/null); rc=$?
	[ $rc -ne 0 ] || _fail "ublk-bpf $* succeeded"
	echo "$err" | grep -qE -- "$pattern" || _fail "ublk-bpf $*: expected /$pattern/, got '$err'"
	[ "$(echo "$err" | wc -l)" -eq 1 ] || _fail "ublk-bpf $*: more than one line: '$err'"
	_log "refused as expected: $* -> $err"
	[ ${#UBLK_DEVS[@]} -gt 0 ] || _nothing_left "$*"
}

# _busy_dev add|load ARGS...: a new device with fio running random IO on it
# (60 s at most). Sets UBLK_DEV_ID, DAEMON_PID and FIO_PID.
_busy_dev() {
	local verb=$1
	shift
	if [ "$verb" = load ]; then _new_load "$@"; else _new_dev "$@"; fi
	# The stock 6.12 driver fails the IO a dead server had taken only at
	# the block timeout (30 s): shorten it, so nothing looks hung.
	echo 5000 >/sys/block/ublkb$UBLK_DEV_ID/queue/io_timeout ||
		_fail "cannot set io_timeout of ublkb$UBLK_DEV_ID"
	DAEMON_PID=$("$UBLK_PROG" list -n "$UBLK_DEV_ID" --json | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
	[ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" || _fail "no daemon pid for device $UBLK_DEV_ID"
	fio --name=busy --filename=/dev/ublkb$UBLK_DEV_ID --ioengine=io_uring --direct=1 \
	    --rw=randrw --bs=4k --iodepth=64 --numjobs=2 --runtime=60 --time_based \
	    >"$UBLK_TMP/fio.log" 2>&1 &
	FIO_PID=$!
	sleep 2
	kill -0 $FIO_PID || _fail "fio ended early: $(cat "$UBLK_TMP/fio.log")"
}

# _dev_field ID FIELD: a field of `list --json` for device ID.
_dev_field() {
	"$UBLK_PROG" list -n "$1" --json 2>/dev/null | sed -n "s/.*\"$2\":\"\{0,1\}\([A-Za-z0-9_]*\).*/\1/p"
}

# _wait_state ID STATE SECONDS: device ID reaches STATE within SECONDS.
_wait_state() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(_dev_field "$1" state)" = "$2" ] && return 0
		sleep 0.1
	done
	_fail "device $1 is $(_dev_field "$1" state), not $2, $3 s on"
}

# _wait_fio_gone SECONDS WHY: fio must end within SECONDS; prints how long.
_wait_fio_gone() {
	local start i
	start=$(date +%s)
	for ((i = 0; i < $1 * 5; i++)); do kill -0 $FIO_PID 2>/dev/null || break; sleep 0.2; done
	kill -0 $FIO_PID 2>/dev/null && { kill -9 $FIO_PID; _fail "fio still running $1 s after $2"; }
	wait $FIO_PID
	_log "fio ended $(( $(date +%s) - start )) s after $2"
}

# _kill_daemon ID: kill -9 the device's daemon; the driver sees it go.
_kill_daemon() {
	local pid
	pid=$(_dev_field "$1" pid)
	[ -n "$pid" ] && kill -0 "$pid" || _fail "device $1 has no daemon"
	kill -9 "$pid"
	_wait_state "$1" QUIESCED 10
}

# _recover ID: `recover` starts a new daemon that takes the device back.
_recover() {
	local out
	out=$("$UBLK_PROG" recover -n "$1") || _fail "recover -n $1 failed"
	[ "$out" = "dev id $1" ] || _fail "recover printed '$out'"
	_wait_state "$1" LIVE 5
}

# _kill_recover_halfway ID: kill -9 the daemon, then kill `recover` (and any
# daemon it forked) half-way; a device left QUIESCED or LIVE must be taken
# back by the next `recover`.
_kill_recover_halfway() {
	local rec st
	_kill_daemon "$1"
	"$UBLK_PROG" recover -n "$1" >/dev/null 2>&1 &
	rec=$!
	sleep 0.05
	pkill -9 -f "ublk-bpf (add|load|recover)"
	wait $rec
	sleep 0.5
	st=$(_dev_field "$1" state)
	_log "after a killed recover: $st"
	if [ "$st" = LIVE ] && kill -0 "$(_dev_field "$1" pid)" 2>/dev/null; then
		_kill_daemon "$1"
	elif [ "$st" = LIVE ]; then
		# Its daemon died LIVE: a driver before 6.5 (Debian 12's 6.1)
		# sees that only in its monitor work, every 5 s.
		_wait_state "$1" QUIESCED 10
	fi
	_recover "$1"
}

# _kill_and_recover ID: kill -9 the daemon, see QUIESCED, recover, see LIVE
# under a new pid; prints how long IO waited.
_kill_and_recover() {
	local id=$1 old new start
	old=$(_dev_field "$id" pid)
	start=$(date +%s%N)
	_kill_daemon "$id"
	_recover "$id"
	new=$(_dev_field "$id" pid)
	[ "$new" != "$old" ] && kill -0 "$new" || _fail "device $id: pid $new after recover (was $old)"
	_log "kill -9 of pid $old, recovered by pid $new in $(( ($(date +%s%N) - start) / 1000000 )) ms"
}
