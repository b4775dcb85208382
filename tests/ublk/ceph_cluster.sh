#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A one-node Ceph cluster for the rbd tests, from Debian's own packages
# (ceph-mon, ceph-osd, ceph-mgr), on 127.0.0.1 only:
#
#   ceph_cluster.sh start DIR [--cephx]   mon.a, mgr.x, one memstore osd.0,
#                                         pool "rbd" of size 1, image rbd/img
#   ceph_cluster.sh stop DIR              every daemon of DIR, then DIR
#   ceph_cluster.sh osd-stop DIR          osd.0 only (its memstore data is
#   ceph_cluster.sh osd-start DIR         kept by a clean stop? no: see below)
#   ceph_cluster.sh status DIR            0 when the mon answers
#
# DIR/ceph.conf is the client's configuration (--conf); with --cephx the
# cluster requires cephx and DIR/keyring holds client.admin's key.
# The OSD stores in memory (memstore): nothing touches a disk, and a stop
# with SIGTERM makes it write its store to DIR/osd so that osd-start finds
# its objects again (memstore saves on umount and loads on mount).
# The facts behind the configuration (memstore, chooseleaf type 0, pool
# size 1, no auth) are those of ceph/go-ceph's micro-osd.sh recipe; the
# script is our own. START_TIMEOUT (default 300 s) bounds each wait.
set -euo pipefail

cmd=${1:-} dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
	echo "usage: $0 start|stop|osd-stop|osd-start|status DIR [--cephx]" >&2
	exit 2
}
cephx=0
[ "${3:-}" = --cephx ] && cephx=1
timeout=${START_TIMEOUT:-300}
conf=$dir/ceph.conf

say() { echo "ceph_cluster: $*" >&2; }
die() { say "error: $*"; exit 1; }
# ceph CLI against this cluster, bounded: a cluster that is not there fails.
cli() { timeout "$timeout" ceph -c "$conf" --connect-timeout 30 "$@"; }
# _wait_for SECONDS WHAT CMD...: polls CMD once a second.
wait_for() {
	local n=$1 what=$2 i
	shift 2
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 1
	done
	die "$what not up after $n s (logs in $dir/log)"
}

write_conf() {
	local auth=none fsid
	fsid=$(cat /proc/sys/kernel/random/uuid)
	[ $cephx -eq 1 ] && auth=cephx
	cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:6789
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = $auth
auth service required = $auth
auth client required = $auth
keyring = $dir/keyring
run dir = $dir/run
log file = $dir/log/\$name.log
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
# One host, one OSD: replicas are placed across OSDs, and one copy is enough.
osd crush chooseleaf type = 0
osd pool default size = 1
osd pool default min size = 1
# A small test: no warnings about too few OSDs or PGs to hold up.
mon warn on pool no redundancy = false
mon allow pool delete = true
mon allow pool size one = true
ms bind msgr2 = false
[mon.a]
mon data = $dir/mon
mon addr = v1:127.0.0.1:6789
mon data avail crit = 0
[mgr.x]
mgr data = $dir/mgr
keyring = $dir/mgr/keyring
# Only what the tests need: no dashboard, no prometheus.
mgr initial modules =
[osd.0]
osd data = $dir/osd
keyring = $dir/osd/keyring
osd objectstore = memstore
# A stop must unmount the store: memstore writes its objects out then.
osd fast shutdown = false
# A client killed with -9 lets go of its watch (and so of the image's
# exclusive lock) after this long: recover takes the image back sooner.
osd client watch timeout = 5
memstore device bytes = 1073741824
osd class load list = *
osd class default list = *
EOF
}

start() {
	local t0=$SECONDS osd_uuid
	command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null &&
		command -v ceph >/dev/null && command -v rbd >/dev/null ||
		die "needs ceph-mon, ceph-osd, ceph-common (ceph, rbd): apt-get install ceph-mon ceph-osd ceph-mgr ceph-common"
	# A VM may boot with the loopback down: the mon finds itself by its address.
	ip link set lo up 2>/dev/null || true
	mkdir -p "$dir"/{mon,mgr,osd,run,log}
	write_conf
	if [ $cephx -eq 1 ]; then
		ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
		ceph-authtool "$dir/keyring" --gen-key -n client.admin \
			--cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
		ceph-mon -c "$conf" --id a --mkfs --keyring "$dir/keyring"
	else
		: >"$dir/keyring"
		ceph-mon -c "$conf" --id a --mkfs --keyring /dev/null
	fi
	setsid ceph-mon -c "$conf" --id a
	wait_for "$timeout" "mon.a" cli mon stat
	say "mon up after $((SECONDS - t0)) s"
	# The OSD's uuid in the map too: a restarted OSD checks it is the same one.
	osd_uuid=$(cat /proc/sys/kernel/random/uuid)
	cli osd create "$osd_uuid" >/dev/null
	cli osd crush add osd.0 1 root=default >/dev/null 2>&1
	if [ $cephx -eq 1 ]; then
		cli auth get-or-create osd.0 mon 'allow profile osd' osd 'allow *' \
			mgr 'allow profile osd' -o "$dir/osd/keyring"
		cli auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' \
			mds 'allow *' -o "$dir/mgr/keyring"
	fi
	ceph-osd -c "$conf" --id 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>"$dir/log/osd.mkfs.log" ||
		die "ceph-osd --mkfs failed: $(tail -n 3 "$dir/log/osd.mkfs.log")"
	setsid ceph-osd -c "$conf" --id 0
	# The mgr is not on the IO path; it only keeps `ceph -s` quiet.
	setsid ceph-mgr -c "$conf" --id x
	wait_for "$timeout" "osd.0" osd_up
	say "osd up after $((SECONDS - t0)) s"
	cli osd pool create rbd 8 8 >/dev/null 2>&1
	cli osd pool set rbd size 1 --yes-i-really-mean-it >/dev/null 2>&1 || true
	timeout "$timeout" rbd -c "$conf" pool init rbd
	timeout "$timeout" rbd -c "$conf" create rbd/img --size 256M --image-feature layering,exclusive-lock
	say "pool rbd and image rbd/img ready after $((SECONDS - t0)) s"
}

osd_up() { cli osd stat -f json | grep -q '"num_up_osds":1'; }

# kill_daemon NAME: SIGTERM, then wait for it to be gone (SIGKILL after 30 s).
kill_daemon() {
	local pidf=$dir/run/$1.pid pid i
	[ -f "$pidf" ] || return 0
	pid=$(cat "$pidf")
	kill "$pid" 2>/dev/null || { rm -f "$pidf"; return 0; }
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$pidf"
}

case "$cmd" in
start) start ;;
stop)
	[ -f "$conf" ] || exit 0
	kill_daemon osd.0
	kill_daemon mgr.x
	kill_daemon mon.a
	rm -rf "$dir" ;;
osd-stop) kill_daemon osd.0 ;;
osd-start)
	setsid ceph-osd -c "$conf" --id 0
	wait_for "$timeout" "osd.0" osd_up ;;
status) cli mon stat >/dev/null 2>&1 ;;
*) die "unknown command $cmd" ;;
esac
