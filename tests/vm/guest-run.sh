#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-run.sh REPO RUN OUT: the guest side both runners share (guest-init
# for the embedded QEMU runner, vng --exec for virtme-ng). Mounts what the
# tests need that the runner did not (bpffs, debugfs, a fresh /tmp), takes
# the environment tests/vm/run.sh wrote into the run folder RUN, runs the
# command stored there with its output on OUT, and leaves its exit status
# and the kernel log in RUN.
repo=$1 run=$2 out=$3

mnt() {	# mnt FSTYPE DIR [OPTS]: mount unless something is mounted there
	mountpoint -q "$2" && return 0
	mkdir -p "$2"
	mount -t "$1" ${3:+-o "$3"} "$1" "$2"
}
mnt bpf /sys/fs/bpf
mnt debugfs /sys/kernel/debug
mnt configfs /sys/kernel/config 2>/dev/null
mnt tmpfs /run mode=0755
mnt tmpfs /dev/shm
# A fresh /tmp (a tmpfs: the tests want its NOWAIT-capable files, not the
# host's through 9p), even when the repository or the caller's folder lives
# under the host's /tmp: those are bound aside first, then back in place.
fresh_tmp() {
	local keep=() p i=0
	for p in "$repo" "$(cat "$run/cwd")"; do
		case "$p" in
		/tmp/*) [ "${keep[0]:-}" ] && case "$p/" in "${keep[0]}"/*) continue ;; esac
			keep+=("$p") ;;
		esac
	done
	for p in "${keep[@]}"; do
		mkdir -p "/run/ublk-keep/$i" && mount --bind "$p" "/run/ublk-keep/$i"
		i=$((i + 1))
	done
	mount -t tmpfs -o mode=1777 tmpfs /tmp
	i=0
	for p in "${keep[@]}"; do
		mkdir -p "$p" && mount --bind "/run/ublk-keep/$i" "$p"
		i=$((i + 1))
	done
}
fresh_tmp
# Report a stuck task within the test's own time, not after two minutes.
echo 30 >/proc/sys/kernel/hung_task_timeout_secs

set -a
# shellcheck source=/dev/null
. "$run/env"
set +a
cd "$(cat "$run/cwd")" 2>/dev/null || cd "$repo" || exit 1
echo "guest-run: running command" >/dev/kmsg
: >"$run/started"
bash "$run/cmd" </dev/null >"$out" 2>&1
echo $? >"$run/rc"
dmesg >"$run/dmesg" 2>/dev/null
sync
