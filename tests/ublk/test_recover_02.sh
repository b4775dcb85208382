#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Recovery's edges on the io_uring path: --recovery without --reissue (the
# IO the dead daemon held fails, the device comes back), a recover whose
# backing file vanished (one clear line, the device stays removable), the
# refusals (no --recovery, a live device, no state file, a missing device),
# and the upgrade path: ext4 mounted on the device, the daemon told to go
# with SIGQUIT while a writer runs, `recover`, the writer goes on, fsck -n
# is clean.
. "$(dirname "$0")/test_common.sh"
_prep_test recover_02
run_dir=${UBLK_BPF_RUN_DIR:-/run/ublk-bpf}

# --recovery alone: a write held by the dead daemon fails, the device lives on.
_new_dev -t fault_inject -q 1 -d 4 --recovery --delay-us 2000000
id=$UBLK_DEV_ID
_wait_part_scan "$id"
dd if=/dev/zero of=/dev/ublkb$id bs=4k count=1 oflag=direct 2>/dev/null &
dd_pid=$!
sleep 0.5
kill -9 "$(_dev_field "$id" pid)"
_wait_state "$id" QUIESCED 10
for ((i = 0; i < 50; i++)); do kill -0 $dd_pid 2>/dev/null || break; sleep 0.1; done
kill -0 $dd_pid 2>/dev/null && _fail "--recovery: the write the dead daemon held is still pending"
wait $dd_pid && _fail "--recovery: the write the dead daemon held succeeded"
"$UBLK_PROG" recover -n "$id" >/dev/null || _fail "recover of fault_inject failed"
_wait_state "$id" LIVE 5
dd if=/dev/zero of=/dev/ublkb$id bs=4k count=1 oflag=direct 2>/dev/null ||
	_fail "--recovery: a write after recover failed"
_refused "device $id is LIVE, served by pid" recover -n "$id"
_del_dev "$id"

_refused "device 77 does not exist" recover -n 77
_new_dev -t null
_refused "was not made with --recovery" recover -n "$UBLK_DEV_ID"
_del_dev "$UBLK_DEV_ID"

# The backing file vanished, then the state file.
_make_file "$UBLK_TMP/b.img" 64M
_new_dev -t loop --recovery --file "$UBLK_TMP/b.img"
id=$UBLK_DEV_ID
kill -9 "$(_dev_field "$id" pid)"
_wait_state "$id" QUIESCED 10
"$UBLK_PROG" list -n "$id" --json |
	grep -q "\"daemon\":\"none\",\"recoverable\":true,\"note\":\"no daemon (IO waits; recoverable: ublk-bpf recover -n $id)\"" ||
	_fail "list does not tell the daemon is gone: $("$UBLK_PROG" list -n "$id" --json)"
mv "$UBLK_TMP/b.img" "$UBLK_TMP/b.moved"
_refused "b.img" recover -n "$id"
[ "$(_dev_field "$id" state)" = QUIESCED ] || _fail "a failed recover changed the device"
mv "$run_dir/$id.json" "$UBLK_TMP/state.json"
_refused "no state file" recover -n "$id"
"$UBLK_PROG" list -n "$id" | grep -q "QUIESCED.*no state file: cannot recover, del removes it" ||
	_fail "list does not tell the state file is missing: $("$UBLK_PROG" list -n "$id")"
echo '{"id":' >"$run_dir/$id.json"
_refused "state file .* is damaged" recover -n "$id"
"$UBLK_PROG" list -n "$id" --json | grep -q '"note":"damaged state file"' ||
	_fail "list does not tell the state file is damaged"
mv "$UBLK_TMP/b.moved" "$UBLK_TMP/b.img"
mv "$UBLK_TMP/state.json" "$run_dir/$id.json"
"$UBLK_PROG" recover -n "$id" >/dev/null || _fail "recover once the file is back failed"
_wait_state "$id" LIVE 5
kill -9 "$(_dev_field "$id" pid)"
_wait_state "$id" QUIESCED 10
timeout 30 "$UBLK_PROG" del -n "$id" || _fail "del of a QUIESCED device failed or hung"
_forget_dev "$id"
_nothing_left "del of a QUIESCED device"

# Upgrade: restart the daemon of a device with a mounted file system.
_make_file "$UBLK_TMP/fs.img" 128M
_new_dev -t loop -q 2 --reissue --file "$UBLK_TMP/fs.img"
id=$UBLK_DEV_ID
mkfs.ext4 -q -F /dev/ublkb$id || _fail "mkfs.ext4"
mkdir "$UBLK_TMP/mnt"
mount /dev/ublkb$id "$UBLK_TMP/mnt" || _fail "mount"
(
	for ((n = 0; n < 400; n++)); do
		dd if=/dev/urandom of="$UBLK_TMP/mnt/f$((n % 20))" bs=64k count=4 conv=fsync 2>/dev/null || exit 1
	done
) &
writer=$!
sleep 1
old=$(_dev_field "$id" pid)
kill -QUIT "$old"
_wait_state "$id" QUIESCED 10
"$UBLK_PROG" recover -n "$id" >/dev/null || _fail "recover after SIGQUIT failed"
_wait_state "$id" LIVE 5
wait $writer || _fail "the writer on the mounted file system failed across the upgrade"
sha=$(cat "$UBLK_TMP"/mnt/f* | sha256sum)
umount "$UBLK_TMP/mnt" || _fail "umount"
fsck.ext4 -n -f /dev/ublkb$id >"$UBLK_TMP/fsck.log" 2>&1 || _fail "fsck -n: $(tail -n 3 "$UBLK_TMP/fsck.log")"
mount /dev/ublkb$id "$UBLK_TMP/mnt" || _fail "mount again"
[ "$(cat "$UBLK_TMP"/mnt/f* | sha256sum)" = "$sha" ] || _fail "files differ after remount"
umount "$UBLK_TMP/mnt"
_log "upgrade: daemon $old replaced by $(_dev_field "$id" pid) under a mounted ext4, fsck clean"
_del_dev "$id"
_nothing_left "recover_02"
_check_dmesg
_cleanup_test
exit 0
