#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nbd target refusals: no server, unknown export, a silent peer that is no
# NBD server, bad options, and hostile servers (nbd_hostile.py: a greeting
# trickled a byte a second, endless NBD_REP_INFO, an export of 2^64-1
# bytes, block sizes of 1000 or 8192, connections that see different
# sizes) each fail `add` with one line, in bounded time, and leave no
# device, daemon or state behind. A daemon stuck in a handshake ends at
# SIGTERM at once.
. "$(dirname "$0")/test_common.sh"
. "$(dirname "$0")/nbd_server.sh"
_prep_test nbd_02

ip link set lo up 2>/dev/null
_refused "cannot connect to 127.0.0.1:10819: Connection refused" \
	add -t nbd --host 127.0.0.1 --port 10819
_refused "cannot connect to $UBLK_TMP/none.sock" add -t nbd --unix "$UBLK_TMP/none.sock"
_make_file "$UBLK_TMP/export.img" 16M
_nbd_start "$UBLK_TMP/export.img" tcp
_refused "has no export 'nope'" add -t nbd --host 127.0.0.1 --export nope
_refused "needs one of --host HOST or --unix PATH" add -t nbd
_refused "needs one of --host HOST or --unix PATH" add -t nbd --host 127.0.0.1 --unix /x
_refused "takes no --file, --size" add -t nbd --host 127.0.0.1 --export disk --size 1M
_refused "port must be a number" add -t nbd --host 127.0.0.1 --port 70000
_refused "is for the nbd target only" add -t null --host 127.0.0.1
_nbd_kill
# Something that accepts and never speaks NBD: refused once the handshake times out.
if command -v python3 >/dev/null; then
	python3 -c 'import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 10820)); s.listen(4); c=s.accept(); time.sleep(40)' &
	py=$!
	sleep 1
	_refused "127.0.0.1:10820 (did not complete the handshake within 10.0 s|does not speak)" \
		add -t nbd --host 127.0.0.1 --port 10820
	kill $py 2>/dev/null
	wait $py 2>/dev/null
fi
_refused "--size must be a non-zero multiple of 512 bytes up to 9223372036854771712" \
	add -t null --size 16777215T
_refused "--timeout \(seconds\) must be a number from 1 to 86400" \
	add -t nbd --unix "$UBLK_TMP/none.sock" --timeout 0

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# _refused_within SECONDS PATTERN ARGS...: _refused, and in time.
_refused_within() {
	local max=$1 t0
	shift
	t0=$(ms)
	_refused "$@"
	t0=$(( $(ms) - t0 ))
	_log "refused after $t0 ms"
	[ "$t0" -le $((max * 1000)) ] || _fail "refused only after $t0 ms (at most $max s): ${*:2}"
}
_hostile_start --trickle 1
# 18 bytes of greeting take 18 s: the deadline (10 s) comes first.
_refused_within 14 "hostile.sock did not complete the handshake within 10.0 s" \
	add -t nbd --unix "$HOSTILE_SOCK"
_hostile_kill
_hostile_start --flood
_refused_within 5 "sent more than 32 replies to NBD_OPT_GO" add -t nbd --unix "$HOSTILE_SOCK"
_hostile_kill
_hostile_start --size 18446744073709551615
_refused "holds 18446744073709551615 bytes: more than a block device addresses" \
	add -t nbd --unix "$HOSTILE_SOCK"
_hostile_kill
for b in 1000,4096,1048576 8192,8192,1048576 512,512,256; do
	_hostile_start --block "$b"
	_refused "block sizes for export '' \(minimum ${b%%,*}, preferred [0-9]*, maximum ${b##*,}\) are unusable" \
		add -t nbd --unix "$HOSTILE_SOCK"
	_hostile_kill
done
_hostile_start --size $((64 << 20)) --size-step 4096
_refused "connection 2 of 2 sees another export than the first connection: 67112960 bytes" \
	add -t nbd --unix "$HOSTILE_SOCK" -q 2
_hostile_kill

# SIGTERM to a daemon stuck in a handshake: it gives up at once.
_hostile_start --trickle 1
"$UBLK_PROG" add -t nbd --unix "$HOSTILE_SOCK" >/dev/null 2>"$UBLK_TMP/add.err" &
add=$!
_wait_until 5 pgrep -P $add >/dev/null || _fail "add forked no daemon"
sleep 1
t0=$(ms)
kill -TERM "$(pgrep -P $add)"
wait $add && _fail "add succeeded after SIGTERM"
t0=$(( $(ms) - t0 ))
_log "the daemon in a handshake ended $t0 ms after SIGTERM: $(cat "$UBLK_TMP/add.err")"
[ "$t0" -le 2000 ] || _fail "SIGTERM took $t0 ms to end a daemon in a handshake"
grep -q "handshake given up, the daemon is asked to end" "$UBLK_TMP/add.err" ||
	_fail "add said '$(cat "$UBLK_TMP/add.err")'"
_hostile_kill
_nothing_left "SIGTERM in a handshake"
_check_dmesg
_cleanup_test
exit 0
