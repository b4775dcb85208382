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

# _add_ublk_dev ARGS...: runs `ublk-bpf add ARGS`, prints the new id.
_add_ublk_dev() {
	local out id
	out=$("$UBLK_PROG" add "$@") || return 1
	id=$(echo "$out" | sed -n '1s/^dev id \([0-9]*\)$/\1/p')
	[ -n "$id" ] || { echo "# add printed '$out'" >&2; return 1; }
	[ -b "/dev/ublkb$id" ] || { echo "# /dev/ublkb$id missing after add" >&2; return 1; }
	echo "$id"
}

# _new_dev ARGS...: like _add_ublk_dev, but failing the test and recording
# the device for cleanup. Sets UBLK_DEV_ID.
_new_dev() {
	UBLK_DEV_ID=$(_add_ublk_dev "$@") || _fail "ublk-bpf add $* failed"
	UBLK_DEVS+=("$UBLK_DEV_ID")
}

# _del_dev ID: delete and check the device is really gone.
_del_dev() {
	local id=$1 i
	"$UBLK_PROG" del -n "$id" || _fail "del -n $id failed"
	UBLK_DEVS=("${UBLK_DEVS[@]/$id}")
	for i in $(seq 50); do
		[ -e "/dev/ublkb$id" ] || [ -e "/dev/ublkc$id" ] || break
		sleep 0.1
	done
	[ ! -e "/dev/ublkb$id" ] || _fail "/dev/ublkb$id still exists after del"
	[ ! -e "/dev/ublkc$id" ] || _fail "/dev/ublkc$id still exists after del"
	"$UBLK_PROG" list -n "$id" >/dev/null 2>&1 && _fail "device $id still listed after del"
	return 0
}

# _check_dmesg: fail on a WARN/BUG/oops since _prep_test.
_check_dmesg() {
	local hits
	hits=$(dmesg | sed -n "/ublk-test: start $UBLK_TEST_NAME\$/,\$p" |
	       grep -aE 'WARNING:|BUG:|Oops|general protection fault|Call Trace:|blocked for more than|refcount_t:|UBSAN:|KASAN:|list_(add|del) corruption')
	[ -z "$hits" ] || _fail "kernel log: $(echo "$hits" | head -n 5)"
}

# _make_file PATH SIZE: a backing file of SIZE (truncate syntax).
_make_file() {
	truncate -s "$2" "$1" || _fail "cannot create $1"
}

# _fio_verify DEV [FIO ARGS...]: random writes with crc32c, then read back.
_fio_verify() {
	local dev=$1
	shift
	fio --name=verify --filename="$dev" --ioengine=io_uring --direct=1 \
	    --rw=randwrite --bs=4k --iodepth=16 --size="$UBLK_FIO_SIZE" \
	    --verify=crc32c --do_verify=1 --verify_fatal=1 "$@" \
	    --output="$UBLK_TMP/fio.log" || { cat "$UBLK_TMP/fio.log"; return 1; }
	grep -q 'err= 0' "$UBLK_TMP/fio.log"
}

# _fs_roundtrip DEV: mkfs.ext4, mount, write 8 MiB of random data, umount,
# mount again: the file reads back identical and fsck finds nothing.
_fs_roundtrip() {
	local dev=$1 mnt=$UBLK_TMP/mnt
	mkdir -p "$mnt"
	head -c 8M /dev/urandom >"$UBLK_TMP/fsdata"
	mkfs.ext4 -q -F "$dev" || { echo "# mkfs.ext4 $dev failed"; return 1; }
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
