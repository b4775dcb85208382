#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# raid10 target, on the io_uring path (add -t raid10) and the BPF path
# (load raid10.bpf.o): fio crc32c verify; the legs read directly hold every
# chunk where the raid10 mapping says (raid10_check, an independent oracle)
# and the two legs of each set are identical; ext4 round trip; and with one
# leg turned into a dm "error" device under the running device, every read
# still returns the data (served by the twin leg, counted in leg_stats),
# writes fail, and reads fail once both legs of a set fail.
. "$(dirname "$0")/test_common.sh"
_prep_test raid10_01

RAID10_CHECK=$UBLK_REPO/.output/tests/raid10_check

# _check_raid10 DEV CHUNK FILE...: the layout oracle, then leg identity
# (the two legs of each set hold the same bytes, as far as the device uses).
_check_raid10() {
	local dev=$1 chunk=$2 i used
	shift 2
	dd if="$dev" of="$UBLK_TMP/dev.img" bs=1M iflag=direct status=none || return 1
	"$RAID10_CHECK" "$UBLK_TMP/dev.img" "$chunk" 2 "$@" | sed 's/^/# /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || return 1
	used=$(( $(blockdev --getsize64 "$dev") / ($# / 2) ))
	for ((i = 1; i < $#; i += 2)); do
		cmp -s -n "$used" "${!i}" "${@:i+1:1}" ||
			{ echo "# legs ${!i} and ${@:i+1:1} differ"; return 1; }
	done
}

# _dm_leg NAME FILE: a linear dm device NAME over a loop device of FILE,
# that _dm_leg_fail can turn into an "error" device; its node (devtmpfs
# makes it, no udev runs here) in DM_DEV.
_dm_leg() {
	local loopdev sectors minor i
	loopdev=$(losetup -f --show "$2") || _fail "losetup $2"
	UBLK_LOOPS+=("$loopdev")
	sectors=$(blockdev --getsz "$loopdev")
	dmsetup create "$1" --noudevsync --table "0 $sectors linear $loopdev 0" ||
		_fail "dmsetup create $1"
	UBLK_DMS+=("$1")
	minor=$(dmsetup info -c --noheadings -o minor "$1" | tr -d ' ')
	DM_DEV=/dev/dm-$minor
	for i in $(seq 50); do [ -b "$DM_DEV" ] && break; sleep 0.1; done
	[ -b "$DM_DEV" ] || _fail "no $DM_DEV for dm device $1"
}

_dm_leg_fail() {
	local sectors
	sectors=$(dmsetup table "$1" | awk '{ print $2 }')
	dmsetup suspend --noudevsync "$1" &&
	dmsetup reload "$1" --table "0 $sectors error" &&
	dmsetup resume --noudevsync "$1" || _fail "cannot make $1 fail"
}

_dm_cleanup() {
	local d
	for d in "${UBLK_DMS[@]}"; do dmsetup remove --noudevsync "$d" 2>/dev/null; done
	for d in "${UBLK_LOOPS[@]}"; do losetup -d "$d" 2>/dev/null; done
	UBLK_DMS=() UBLK_LOOPS=()
}
UBLK_DMS=() UBLK_LOOPS=()
# The dm and loop devices go after the ublk devices over them, on any exit.
eval "$(declare -f _cleanup_test | sed '1s/_cleanup_test/_cleanup_test_common/')"
_cleanup_test() { _cleanup_test_common; _dm_cleanup; }

# _raid10 io_uring|bpf ARGS...: a new raid10 device on that path.
_raid10() {
	local path=$1
	shift
	if [ "$path" = bpf ]; then
		_new_load --require-bpf "$UBLK_BPF_OBJS/raid10.bpf.o" "$@"
	else
		_new_dev -t raid10 "$@"
	fi
}

paths=(io_uring)
_shim_loaded && paths+=(bpf)
f=("$UBLK_TMP/a0.img" "$UBLK_TMP/a1.img" "$UBLK_TMP/b0.img" "$UBLK_TMP/b1.img"
   "$UBLK_TMP/c0.img" "$UBLK_TMP/c1.img")
for p in "${paths[@]}"; do
	for l in "${f[@]:0:4}"; do _make_file "$l" 8M; done
	_raid10 "$p" -q 2 --chunk 64k --file "${f[0]}" --file "${f[1]}" --file "${f[2]}" --file "${f[3]}"
	id=$UBLK_DEV_ID
	[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((16 << 20)) ] || _fail "$p: size is not 2 sets x 8 MiB"
	_fio_verify /dev/ublkb$id --size=16M --bsrange=4k-256k || _fail "$p: fio verify failed"
	blkdiscard -o 1M -l 1M /dev/ublkb$id || _fail "$p: discard failed"
	_check_raid10 /dev/ublkb$id 65536 "${f[@]:0:4}" || _fail "$p: layout of 64k raid10 over 2 sets"
	_log "$p: 2 sets x 2 legs, 64k chunks: fio verify, layout and leg identity ok"
	_del_dev "$id"

	# Three sets, 4 KiB chunks, legs of unequal size: whole chunks of the smallest.
	for l in "${f[@]}"; do _make_file "$l" 1M; done
	truncate -s $(( (1 << 20) + 6144 )) "${f[5]}"
	_raid10 "$p" --chunk 4k --file "${f[0]}" --file "${f[1]}" --file "${f[2]}" --file "${f[3]}" \
		--file "${f[4]}" --file "${f[5]}"
	id=$UBLK_DEV_ID
	[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((3 << 20)) ] || _fail "$p: size is not 3 sets x 1 MiB"
	dd if=/dev/urandom of=/dev/ublkb$id bs=64k oflag=direct status=none 2>/dev/null
	_check_raid10 /dev/ublkb$id 4096 "${f[@]}" || _fail "$p: layout of 4k raid10 over 3 sets"
	_del_dev "$id"

	for l in "${f[@]:0:4}"; do _make_file "$l" 64M; done
	_raid10 "$p" --chunk 16k --file "${f[0]}" --file "${f[1]}" --file "${f[2]}" --file "${f[3]}"
	_fs_roundtrip /dev/ublkb$UBLK_DEV_ID || _fail "$p: ext4 round trip"
	_log "$p: ext4 round trip ok"
	_del_dev "$UBLK_DEV_ID"
done

# A leg that fails under the running device: dm-error behind a loop device.
modprobe loop && modprobe dm_mod || _skip "no loop or dm_mod module"
for p in "${paths[@]}"; do
	for l in "${f[@]:0:4}"; do _make_file "$l" 8M; done
	_dm_leg r10b1 "${f[3]}"
	b1=$DM_DEV
	_raid10 "$p" --chunk 64k --file "${f[0]}" --file "${f[1]}" --file "${f[2]}" --file "$b1"
	id=$UBLK_DEV_ID
	dd if=/dev/urandom of=/dev/ublkb$id bs=256k count=64 oflag=direct status=none || _fail "$p: write before the failure"
	sum=$(md5sum </dev/ublkb$id)
	_dm_leg_fail r10b1
	dd if="$b1" of=/dev/null bs=4k count=1 iflag=direct status=none 2>/dev/null &&
		_fail "$p: the dm error leg still reads"
	for i in 1 2; do
		got=$(dd if=/dev/ublkb$id bs=64k iflag=direct status=none | md5sum) ||
			_fail "$p: a read failed with one leg failing"
		[ "$got" = "$sum" ] || _fail "$p: data differs with one leg failing (pass $i)"
	done
	if [ "$p" = bpf ]; then
		over=$(bpftool map dump pinned "$UBLK_PIN_ROOT/$id/leg_stats" |
		       sed -n 's/.*"reads_taken_over": \([0-9]*\).*/\1/p' | paste -sd+ | bc)
		errs=$(bpftool map dump pinned "$UBLK_PIN_ROOT/$id/leg_stats" |
		       sed -n 's/.*"read_errors": \([0-9]*\).*/\1/p' | paste -sd+ | bc)
		_log "bpf: one leg failing: read_errors $errs, reads_taken_over $over"
		[ "${over:-0}" -gt 0 ] && [ "$over" -eq "$errs" ] ||
			_fail "bpf: failed reads ($errs) not all served by the twin ($over)"
	fi
	_log "$p: every read served with leg b1 failing"
	dd if=/dev/urandom of=/dev/ublkb$id bs=64k count=4 oflag=direct status=none 2>/dev/null &&
		_fail "$p: a write that one leg could not store succeeded"
	_del_dev "$id"
	_dm_cleanup

	# Both legs of set 1 failing: its chunks cannot be read; set 0's can.
	_dm_leg r10b0 "${f[2]}"
	b0=$DM_DEV
	_dm_leg r10b1 "${f[3]}"
	b1=$DM_DEV
	_raid10 "$p" --chunk 64k --file "${f[0]}" --file "${f[1]}" --file "$b0" --file "$b1"
	id=$UBLK_DEV_ID
	_dm_leg_fail r10b0
	_dm_leg_fail r10b1
	dd if=/dev/ublkb$id of=/dev/null bs=64k count=1 iflag=direct status=none ||
		_fail "$p: set 0 unreadable while set 1 fails"
	dd if=/dev/ublkb$id of=/dev/null bs=64k skip=1 count=1 iflag=direct status=none 2>/dev/null &&
		_fail "$p: a read succeeded with both legs of its set failing"
	_log "$p: with both legs of a set failing its reads fail, the other set's do not"
	_del_dev "$id"
	_dm_cleanup
done
_check_dmesg
_cleanup_test
exit 0
