#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `serve NAME`: a configured device served in the foreground as systemd runs
# it. READY=1 reaches $NOTIFY_SOCKET once the device serves; the log says
# the device is live; a daemon killed with kill -9 costs no data: the next
# `serve` takes the QUIESCED device back and every block written before
# reads back verified; SIGTERM with a file system mounted on it (systemctl
# restart) leaves it for the next serve, which takes it back; SIGTERM stops
# and deletes it once nothing holds it (exit 0).
# A configuration root does not own, or one without a fixed id, is refused.
# With the kfunc-shim, the same for a BPF target (load, without --recovery:
# its default on the BPF path): still BPF after the take-back.
. "$(dirname "$0")/test_common.sh"
_prep_test serve_01

conf=$UBLK_TMP/conf
mkdir -p "$conf"
sock=$UBLK_TMP/notify.sock

# A stand-in for the service manager: every datagram to $sock, one a line.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", " ") + "\n")
' "$sock" "$UBLK_TMP/notes" </dev/null >/dev/null 2>&1 &
listener=$!
SERVE_PID=
# Nothing of ours outlives the test, whatever way it ends.
trap 'kill "$listener" $SERVE_PID 2>/dev/null' EXIT
_wait_until 5 test -S "$sock" || _fail "no notify socket"

# serve NAME in the background, as systemd would; sets SERVE_PID.
_serve() {
	NOTIFY_SOCKET=$sock "$UBLK_PROG" serve "$1" --config-dir "$conf" </dev/null \
		>>"$UBLK_TMP/serve.out" 2>>"$UBLK_TMP/serve.err" &
	SERVE_PID=$!
}

# _ready N: the Nth READY=1 arrived and the process is still serving.
_ready() {
	_wait_until 60 sh -c "[ \$(grep -c READY=1 '$UBLK_TMP/notes' 2>/dev/null) -ge $1 ]" ||
		_fail "no READY=1 #$1: $(cat "$UBLK_TMP/serve.err")"
	kill -0 "$SERVE_PID" || _fail "serve exited after READY"
}

# One round: serve, write verified data, kill -9, serve again (take-back),
# data still verifies, SIGTERM deletes. $1: name, $2: id, $3: path wanted.
_round() {
	local name=$1 id=$2 path=$3 n=$4
	_serve "$name"
	UBLK_DEVS+=("$id")
	_ready "$n"
	[ -b /dev/ublkb$id ] || _fail "no /dev/ublkb$id"
	[ "$(_dev_field "$id" path)" = "$path" ] || _fail "device $id: path $(_dev_field "$id" path), not $path"
	grep -q "device $id (/dev/ublkb$id) live: target" "$UBLK_TMP/serve.err" ||
		_fail "the log does not say device $id is live: $(cat "$UBLK_TMP/serve.err")"
	_fio_verify /dev/ublkb$id --size=16M || _fail "fio verify on a served device"
	kill -9 "$SERVE_PID"
	wait "$SERVE_PID" 2>/dev/null
	_wait_state "$id" QUIESCED 10
	_serve "$name"
	_ready $((n + 1))
	grep -q "device $id is waiting since its daemon died: taking it back" "$UBLK_TMP/serve.err" ||
		_fail "the second serve did not take device $id back: $(cat "$UBLK_TMP/serve.err")"
	[ "$(_dev_field "$id" path)" = "$path" ] || _fail "device $id: path $(_dev_field "$id" path) after the take-back"
	fio --name=verify --filename=/dev/ublkb$id --ioengine=io_uring --direct=1 --rw=randwrite \
	    --bs=4k --iodepth=16 --size=16M --verify=crc32c --verify_only=1 --verify_state_save=0 \
	    --output="$UBLK_TMP/fio2.log" && grep -q 'err= 0' "$UBLK_TMP/fio2.log" ||
		_fail "data written before kill -9 does not verify after the take-back: $(cat "$UBLK_TMP/fio2.log")"
	# SIGTERM (systemctl restart) while a file system is mounted on it:
	# left QUIESCED, taken back by the next serve, the file system unharmed.
	mkfs.ext4 -q /dev/ublkb$id && mkdir -p "$UBLK_TMP/m$id" && mount /dev/ublkb$id "$UBLK_TMP/m$id" ||
		_fail "ext4 on /dev/ublkb$id"
	head -c 4M /dev/urandom >"$UBLK_TMP/m$id/f" && sync "$UBLK_TMP/m$id/f" || _fail "writing to the mount"
	sum=$(md5sum <"$UBLK_TMP/m$id/f")
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID" || _fail "serve exited $? on SIGTERM with the device mounted"
	[ -e /dev/ublkc$id ] || { umount -l "$UBLK_TMP/m$id"; _fail "SIGTERM deleted device $id under its mounted file system"; }
	grep -q "device $id (/dev/ublkb$id) is in use: left QUIESCED" "$UBLK_TMP/serve.err" ||
		_fail "the log does not say device $id was left for the next serve"
	_serve "$name"
	_ready $((n + 2))
	echo 3 >/proc/sys/vm/drop_caches
	[ "$(md5sum <"$UBLK_TMP/m$id/f")" = "$sum" ] || _fail "the mounted file differs after the restart"
	umount "$UBLK_TMP/m$id" || _fail "umount after the restart"
	fsck.ext4 -n -f /dev/ublkb$id >"$UBLK_TMP/fsck.log" 2>&1 || _fail "fsck after the restart: $(cat "$UBLK_TMP/fsck.log")"
	# Nothing holds it now: SIGTERM stops and deletes it.
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID" || _fail "serve exited $? on SIGTERM"
	_forget_dev "$id"
	[ ! -e /dev/ublkc$id ] || _fail "SIGTERM left device $id"
	_log "$name: served, killed, taken back with data intact, restarted under a mount, stopped"
}

_make_file "$UBLK_TMP/a.img" 64M
printf '# io_uring loop\nadd -t loop -n 7 --recovery \\\n  --file "%s"\n' "$UBLK_TMP/a.img" >"$conf/disk.conf"
_round disk 7 io_uring 1
rounds=2
if _shim_loaded; then
	_make_file "$UBLK_TMP/b.img" 64M
	_make_file "$UBLK_TMP/c.img" 64M
	# No --recovery: load's default on the BPF path is enough for the take-back.
	echo "load $UBLK_BPF_OBJS/stripe.bpf.o -n 8 --file $UBLK_TMP/b.img --file $UBLK_TMP/c.img" \
		>"$conf/fast.conf"
	_round fast 8 bpf 4
	# Stopped without a take-back: this daemon loaded the program itself
	# (serve runs it in load's own process; it was closed twice: SEGV).
	_serve fast
	UBLK_DEVS+=(8)
	_ready 7
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID" || _fail "serve of a freshly loaded BPF device exited $? on SIGTERM"
	_forget_dev 8
	[ ! -e /dev/ublkc8 ] || _fail "SIGTERM left device 8"
fi

# add --show prints the node alone, as losetup --show does.
node=$("$UBLK_PROG" add -t null --size 16M --show) || _fail "add --show failed"
[[ "$node" =~ ^/dev/ublkb([0-9]+)$ ]] && [ -b "$node" ] || _fail "add --show printed '$node'"
"$UBLK_PROG" del -n "${BASH_REMATCH[1]}" || _fail "del of the --show device"

# Refusals: one line, nothing made.
echo "add -t loop --file $UBLK_TMP/a.img" >"$conf/noid.conf"
_refused "needs a fixed id" serve noid --config-dir "$conf"
chmod o+w "$conf/disk.conf"
_refused "writable by no one else" serve disk --config-dir "$conf"
_refused "not a device name" serve ../disk --config-dir "$conf"
_refused "No such file" serve nosuch --config-dir "$conf"
echo "frob -t null -n 9" >"$conf/bad.conf"
_refused "must start with add or load" serve bad --config-dir "$conf"

kill "$listener"
_nothing_left "serve"
_check_dmesg
_cleanup_test
exit 0
