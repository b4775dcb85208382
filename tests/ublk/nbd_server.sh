#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A real NBD server (Debian's nbd-server, from the host's root that the
# guest sees) for the nbd tests, on 127.0.0.1 or a unix socket in $UBLK_TMP;
# and a hostile one (nbd_hostile.py: stalls, trickles, floods, lies).
# Sourced after test_common.sh.

NBD_PORT=10809
NBD_PID=
HOSTILE_PID=
HOSTILE_SOCK=
# A test that fails half-way leaves no server behind for the next one.
trap '_nbd_kill; _hostile_kill' EXIT

# _hostile_start ARGS...: nbd_hostile.py ARGS on $UBLK_TMP/hostile.sock
# (HOSTILE_SOCK), listening when this returns.
_hostile_start() {
	local i
	command -v python3 >/dev/null || _skip "no python3"
	HOSTILE_SOCK=$UBLK_TMP/hostile.sock
	rm -f "$UBLK_TMP/hostile.pid"
	python3 "$UBLK_TESTS_DIR/nbd_hostile.py" --unix "$HOSTILE_SOCK" \
		--pidfile "$UBLK_TMP/hostile.pid" "$@" 2>"$UBLK_TMP/hostile.log" &
	HOSTILE_PID=$!
	for i in $(seq 100); do
		[ -s "$UBLK_TMP/hostile.pid" ] && return 0
		kill -0 "$HOSTILE_PID" 2>/dev/null || break
		sleep 0.1
	done
	_fail "nbd_hostile.py $* did not start: $(cat "$UBLK_TMP/hostile.log")"
}

# _nbd_wait_serving DEV: the server is back; a queue retries it at most
# once a second, so the first reads may still fail: within a few seconds
# every queue serves again.
_nbd_wait_serving() {
	local i
	for i in $(seq 20); do
		dd if="$1" of=/dev/null bs=4k count=1 iflag=direct status=none 2>/dev/null && break
		sleep 0.5
	done
	sleep 1.2
}

_hostile_kill() {
	[ -n "$HOSTILE_PID" ] || return 0
	kill -9 "$HOSTILE_PID" 2>/dev/null
	wait "$HOSTILE_PID" 2>/dev/null
	HOSTILE_PID=
}

# _nbd_start FILE tcp|unix [EXPORT]: serves FILE as EXPORT (default "disk").
_nbd_start() {
	local file=$1 how=$2 name=${3:-disk} conf=$UBLK_TMP/nbd-server.conf i
	command -v nbd-server >/dev/null || _skip "no nbd-server (apt-get install nbd-server)"
	ip link set lo up 2>/dev/null
	if [ "$how" = unix ]; then
		printf '[generic]\n unixsock = %s/nbd.sock\n' "$UBLK_TMP" >"$conf"
	else
		printf '[generic]\n listenaddr = 127.0.0.1\n port = %s\n' "$NBD_PORT" >"$conf"
	fi
	printf '[%s]\n exportname = %s\n flush = true\n fua = true\n trim = true\n' \
		"$name" "$file" >>"$conf"
	rm -f "$UBLK_TMP/nbd.pid"
	nbd-server -C "$conf" -p "$UBLK_TMP/nbd.pid" 2>"$UBLK_TMP/nbd-server.log" ||
		_fail "nbd-server did not start: $(cat "$UBLK_TMP/nbd-server.log")"
	for i in $(seq 50); do
		[ -s "$UBLK_TMP/nbd.pid" ] && break
		sleep 0.1
	done
	NBD_PID=$(cat "$UBLK_TMP/nbd.pid" 2>/dev/null)
	[ -n "$NBD_PID" ] || _fail "nbd-server wrote no pid"
	_nbd_wait_greeting "$how" || _fail "nbd-server does not greet within 30 s"
}

# _nbd_wait_greeting tcp|unix: the server answers a connection with its
# greeting. Under TCG its first connection (a fork paging in code over 9p)
# can take seconds: wait for it here, not in the handshake under test.
_nbd_wait_greeting() {
	python3 - "$1" "$UBLK_TMP/nbd.sock" "$NBD_PORT" <<'PY'
import socket, sys, time
how, path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
end = time.time() + 30
while time.time() < end:
    try:
        s = socket.socket(socket.AF_UNIX if how == "unix" else socket.AF_INET)
        s.settimeout(max(end - time.time(), 0.1))
        s.connect(path if how == "unix" else ("127.0.0.1", port))
        if s.recv(8, socket.MSG_WAITALL) == b"NBDMAGIC":
            sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(1)
PY
}

# _nbd_kill: the server and the children serving each connection, at once.
_nbd_kill() {
	[ -n "$NBD_PID" ] || return 0
	kill -9 $(pgrep -P "$NBD_PID") "$NBD_PID" 2>/dev/null
	for i in $(seq 50); do kill -0 "$NBD_PID" 2>/dev/null || break; sleep 0.1; done
	NBD_PID=
}
