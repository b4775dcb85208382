#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own NVMe/TCP target (nvmet-tcp) for the nvme-tcp tests,
# configured through configfs on 127.0.0.1:4420: one subsystem open to any
# host, file-backed namespaces, one port. Sourced after test_common.sh.

NVMET_CFS=/sys/kernel/config/nvmet
NVMET_PORT=$NVMET_CFS/ports/1

# _nvmet_setup NQN: the modules, lo and configfs up, subsystem NQN made
# (skips the test when the kernel has no nvmet-tcp); undone at exit.
_nvmet_setup() {
	NVMET_NQN=$1
	NVMET_SUB=$NVMET_CFS/subsystems/$1
	modprobe nvmet 2>/dev/null && modprobe nvmet-tcp 2>/dev/null ||
		_skip "the kernel has no nvmet or nvmet-tcp module"
	ip link set lo up || _fail "cannot bring up the loopback interface"
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config ||
		_skip "cannot mount configfs"
	trap '_nvmet_teardown' EXIT
	mkdir "$NVMET_SUB" && echo 1 >"$NVMET_SUB/attr_allow_any_host" ||
		_fail "cannot create the nvmet subsystem"
}

# _nvmet_fs SIZE: NVMET_DIR, a fresh ext4 of SIZE loop-mounted for namespace
# files: nvmet's file backend serves DSM deallocate by punching a hole and
# Write Zeroes by FALLOC_FL_ZERO_RANGE, and the guest's tmpfs /tmp has no
# ZERO_RANGE. Unmounted at exit, after the target lets go of the files.
_nvmet_fs() {
	modprobe loop 2>/dev/null
	modprobe ext4 2>/dev/null
	NVMET_FS_IMG=$(mktemp /tmp/nvmet-fs.XXXXXX) && truncate -s "$1" "$NVMET_FS_IMG" &&
	NVMET_LOOP=$(losetup -f --show "$NVMET_FS_IMG") || _fail "no loop device for an ext4"
	NVMET_DIR=$(mktemp -d /tmp/nvmet-dir.XXXXXX) && mkfs.ext4 -q -F "$NVMET_LOOP" &&
	mount -t ext4 "$NVMET_LOOP" "$NVMET_DIR" || _fail "cannot mount an ext4 for the namespaces"
}

# _nvmet_ns N FILE: namespace N backed by FILE (buffered: /tmp may not do O_DIRECT).
_nvmet_ns() {
	mkdir "$NVMET_SUB/namespaces/$1" &&
	echo -n "$2" >"$NVMET_SUB/namespaces/$1/device_path" &&
	echo 1 >"$NVMET_SUB/namespaces/$1/buffered_io" &&
	echo 1 >"$NVMET_SUB/namespaces/$1/enable" || _fail "cannot add namespace $1"
}

# _nvmet_port_up: the TCP port on 127.0.0.1:4420, exporting the subsystem.
_nvmet_port_up() {
	mkdir "$NVMET_PORT" && echo tcp >"$NVMET_PORT/addr_trtype" &&
	echo ipv4 >"$NVMET_PORT/addr_adrfam" && echo 127.0.0.1 >"$NVMET_PORT/addr_traddr" &&
	echo 4420 >"$NVMET_PORT/addr_trsvcid" &&
	ln -s "$NVMET_SUB" "$NVMET_PORT/subsystems/$NVMET_NQN" || _fail "cannot create the nvmet port"
}

# _nvmet_port_down: the port gone; the target drops its controllers on it.
_nvmet_port_down() {
	rm -f "$NVMET_PORT/subsystems/$NVMET_NQN" 2>/dev/null
	rmdir "$NVMET_PORT" 2>/dev/null
}

# Undo the target's configuration however the test ends.
_nvmet_teardown() {
	local ns
	[ -n "${NVMET_SUB:-}" ] || return 0
	_nvmet_port_down
	for ns in "$NVMET_SUB"/namespaces/*; do
		[ -d "$ns" ] || continue
		echo 0 >"$ns/enable" 2>/dev/null
		rmdir "$ns" 2>/dev/null
	done
	rmdir "$NVMET_SUB" 2>/dev/null
	[ -n "${NVMET_DIR:-}" ] && umount "$NVMET_DIR" 2>/dev/null && rmdir "$NVMET_DIR"
	[ -n "${NVMET_LOOP:-}" ] && losetup -d "$NVMET_LOOP"
	[ -n "${NVMET_FS_IMG:-}" ] && rm -f "$NVMET_FS_IMG"
	return 0
}

# _nvmet_two_ns NQN SIZE: subsystem NQN with namespaces 1 and 2 on files of
# SIZE ($img1, $img2), the port up.
_nvmet_two_ns() {
	img1=$UBLK_TMP/ns1.img
	img2=$UBLK_TMP/ns2.img
	_make_file "$img1" "$2"
	_make_file "$img2" "$2"
	_nvmet_setup "$1"
	_nvmet_ns 1 "$img1"
	_nvmet_ns 2 "$img2"
	_nvmet_port_up
}

# _nvmet_shim_ctrl Q D: $ctrl, a kfunc-shim controller of Q x D tags,
# removed at exit (unless $_ctrl_removed) before the target goes.
_nvmet_shim_ctrl() {
	ctrl=$("$UBLK_PROG" ctrl add -q "$1" -d "$2")
	[[ "$ctrl" =~ ^[0-9]+$ ]] || _fail "ctrl add: cannot create a controller of $1 x $2 tags: '$ctrl'"
	_ctrl_removed=
	trap '_cleanup_test; _ctrl_gone; _nvmet_teardown' EXIT
}
_ctrl_gone() { [ -n "${_ctrl_removed:-}" ] || "$UBLK_PROG" ctrl del -n "$ctrl" >/dev/null 2>&1; }
