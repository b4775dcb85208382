#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A one-node Ceph cluster for the rbd tests, from Debian's own packages
# (ceph-mon, ceph-osd, ceph-mgr), on 127.0.0.1 only:
#
#   ceph_cluster.sh start DIR [--cephx]   mon.a, one memstore osd.0, mgr.x,
#                                         pool "rbd" of size 1, image rbd/img
#   ceph_cluster.sh stop DIR              every daemon of DIR, then DIR
#   ceph_cluster.sh osd-stop DIR [ID]     osd.ID (default 0) only, cleanly
#   ceph_cluster.sh osd-start DIR [ID]    osd.ID again; returns once every
#                                         OSD of the map is up
#   ceph_cluster.sh add-osds DIR          two more memstore OSDs (osd.1,
#                                         osd.2) and pool "rep2" of size 2,
#                                         min_size 1, on the running cluster
#   ceph_cluster.sh mon-stop DIR          mon.a only (the cluster is gone
#                                         for good with osd-stop too)
#   ceph_cluster.sh status DIR            0 when the mon answers
#
# DIR/ceph.conf is the client's configuration (--conf); with --cephx the
# cluster requires cephx and DIR/keyring holds client.admin's key (ceph.conf
# names it). The OSD keeps its objects in memory (memstore): nothing
# touches a disk; a clean stop writes them to DIR/osd (no fast shutdown)
# and osd-start reads them back. The facts behind the configuration
# (memstore, chooseleaf type 0, pool size 1, no auth) are those of
# ceph/go-ceph's micro-osd.sh recipe; the script is our own. Each wait is
# bounded by START_TIMEOUT (default 300 s).
set -euo pipefail

cmd=${1:-} dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
	echo "usage: $0 start|stop|osd-stop|osd-start|add-osds|mon-stop|status DIR [--cephx|ID]" >&2
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
# Only what the tests need: no dashboard, no prometheus.
mgr initial modules =
[osd]
osd objectstore = memstore
# A stop must unmount the store: memstore writes its objects out then.
osd fast shutdown = false
# A client killed with -9 lets go of its watch (and so of the image's
# exclusive lock) after this long: recover takes the image back sooner.
# krbd pings its watch less often than 5 s: its watch breaks again and
# again (watch error -107), so the benchmark, which maps
# krbd, sets CEPH_WATCH_TIMEOUT=30 (Ceph's default).
osd client watch timeout = ${CEPH_WATCH_TIMEOUT:-5}
memstore device bytes = 1073741824
osd class load list = *
# It joins the CRUSH map itself, under root=default.
osd crush update on start = true
osd class default list = *
[osd.0]
osd data = $dir/osd
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
	# Every key the cluster needs, made here and imported by the mon's
	# mkfs: no `ceph auth` round trips (each ceph CLI call is a Python
	# start, seconds under TCG).
	: >"$dir/keyring"
	if [ $cephx -eq 1 ]; then
		key() { ceph-authtool "$dir/keyring" --gen-key -n "$@" >/dev/null; }
		key mon. --cap mon 'allow *'
		key client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *'
		key osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' --cap mgr 'allow profile osd'
		key mgr.x --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *'
	fi
	ceph-mon -c "$conf" --id a --mkfs --keyring "$dir/keyring"
	setsid ceph-mon -c "$conf" --id a
	wait_for "$timeout" "mon.a" cli mon stat
	say "mon up after $((SECONDS - t0)) s"
	# The OSD's uuid in the map too: a restarted OSD checks it is the same
	# one. It puts itself in the CRUSH map as it boots.
	osd_uuid=$(cat /proc/sys/kernel/random/uuid)
	cli osd create "$osd_uuid" >/dev/null
	ceph-osd -c "$conf" --id 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>"$dir/log/osd.mkfs.log" ||
		die "ceph-osd --mkfs failed: $(tail -n 3 "$dir/log/osd.mkfs.log")"
	setsid ceph-osd -c "$conf" --id 0 2>/dev/null
	# The pool does not wait for the OSD; rbd create waits for its PGs.
	cli osd pool create rbd 8 8 >/dev/null 2>&1
	timeout "$timeout" rbd -c "$conf" create rbd/img --size 256M --image-feature layering,exclusive-lock
	say "osd up, pool rbd and image rbd/img ready after $((SECONDS - t0)) s"
	# The mgr is not on the IO path (it keeps `ceph -s` quiet): started
	# last, so it does not compete with the rest for the CPU.
	setsid ceph-mgr -c "$conf" --id x
}

# osd_up: every OSD of the map is up.
osd_up() {
	local st n
	st=$(cli osd stat -f json) || return 1
	n=$(sed -n 's/.*"num_osds":\([0-9]*\).*/\1/p' <<<"$st")
	grep -q "\"num_up_osds\":$n[,}]" <<<"$st"
}

# mon_cmds JSON...: monitor commands (ceph CLI JSON, "inbuf" for its -i
# input; {"prefix":"wait-up","n":N} polls until N OSDs are up) in one
# Python start: each ceph CLI call is one, seconds under TCG. The python3
# the ceph CLI runs on, which has the rados module.
mon_cmds() {
	/usr/bin/python3 - "$conf" "$timeout" "$@" <<'PY'
import json, sys, time, rados
conf, limit = sys.argv[1], int(sys.argv[2])
c = rados.Rados(conffile=conf)
c.connect(timeout=limit)
for arg in sys.argv[3:]:
    cmd = json.loads(arg)
    if cmd["prefix"] == "wait-up":
        end = time.time() + limit
        while True:
            r, out, _ = c.mon_command(json.dumps({"prefix": "osd stat", "format": "json"}), b"")
            if r == 0 and json.loads(out)["num_up_osds"] == cmd["n"]:
                break
            if time.time() > end:
                sys.exit("%d OSDs not up after %d s" % (cmd["n"], limit))
            time.sleep(0.5)
        continue
    inbuf = cmd.pop("inbuf", "").encode()
    r, _, outs = c.mon_command(json.dumps(cmd), inbuf)
    if r != 0:
        sys.exit("%s: %s (%d)" % (cmd["prefix"], outs, r))
PY
}

# add_osds: osd.1 and osd.2 (memstore, like osd.0) and pool rep2 of size 2,
# min_size 1: an OSD may go while the other copy serves. Pool rbd (size 1)
# is left as it is; CRUSH spreads its PGs over the three OSDs too.
add_osds() {
	local t0=$SECONDS id secret uuids=() cmds=()
	grep -q '^\[osd\.1\]' "$conf" && { say "osd.1 and osd.2 are there already"; return 0; }
	for id in 1 2; do
		uuids[id]=$(cat /proc/sys/kernel/random/uuid)
		mkdir -p "$dir/osd$id"
		printf "[osd.%s]\\nosd data = %s\\n" \
			"$id" "$dir/osd$id" >>"$conf"
		secret=
		if grep -q '^auth cluster required = cephx' "$conf"; then
			ceph-authtool "$dir/keyring" --gen-key -n "osd.$id" >/dev/null
			secret=$(ceph-authtool "$dir/keyring" -p -n "osd.$id")
			secret=",\"inbuf\":\"{\\\"cephx_secret\\\":\\\"$secret\\\"}\""
		fi
		cmds+=("{\"prefix\":\"osd new\",\"uuid\":\"${uuids[id]}\",\"id\":$id$secret}")
	done
	mon_cmds "${cmds[@]}" || die "osd new failed"
	for id in 1 2; do
		ceph-osd -c "$conf" --id $id --mkfs --osd-uuid "${uuids[id]}" >/dev/null 2>"$dir/log/osd$id.mkfs.log" ||
			die "ceph-osd --mkfs of osd.$id failed: $(tail -n 3 "$dir/log/osd$id.mkfs.log")"
		setsid ceph-osd -c "$conf" --id $id 2>/dev/null
	done
	# The pool once all three are up: its PGs are made where they stay.
	mon_cmds '{"prefix":"wait-up","n":3}' \
		'{"prefix":"osd pool create","pool":"rep2","pg_num":8,"pgp_num":8}' \
		'{"prefix":"osd pool set","pool":"rep2","var":"pg_autoscale_mode","val":"off"}' \
		'{"prefix":"osd pool set","pool":"rep2","var":"size","val":"2"}' \
		'{"prefix":"osd pool set","pool":"rep2","var":"min_size","val":"1"}' \
		'{"prefix":"osd pool application enable","pool":"rep2","app":"rbd"}' ||
		die "pool rep2 not made"
	say "osd.1, osd.2 up, pool rep2 (size 2, min_size 1) ready after $((SECONDS - t0)) s"
}

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
	for pidf in "$dir"/run/osd.*.pid; do
		[ -f "$pidf" ] && kill_daemon "$(basename "$pidf" .pid)"
	done
	kill_daemon mgr.x
	kill_daemon mon.a
	rm -rf "$dir" ;;
osd-stop) kill_daemon "osd.${3:-0}" ;;
mon-stop) kill_daemon mon.a ;;
osd-start)
	setsid ceph-osd -c "$conf" --id "${3:-0}"
	wait_for "$timeout" "osd.${3:-0}" osd_up ;;
add-osds) add_osds ;;
status) cli mon stat >/dev/null 2>&1 ;;
*) die "unknown command $cmd" ;;
esac
