#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nbd target refusals: no server, unknown export, a silent peer that is no
# NBD server, and bad options each fail `add` with one line and leave no
# device, daemon or state behind.
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
	_refused "127.0.0.1:10820 (went silent|does not speak)" add -t nbd --host 127.0.0.1 --port 10820
	kill $py 2>/dev/null
	wait $py 2>/dev/null
fi
_check_dmesg
_cleanup_test
exit 0
