#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bmap: what keeps a served file's blocks where the device maps them.
# ext4: a file open for writing anywhere (the fd EXT4_IOC_MOVE_EXT needs),
# or open at all elsewhere (another device on it), is refused at load;
# once served, neither e4defrag nor a move_ext can open it to move a
# block, and a writer let in by a hand-cleared flag makes the daemon stop
# the device before its open returns. xfs: a plain file is served, a
# reflinked one (shared extents) and a realtime one are refused; tmpfs and
# btrfs are refused. The immutable flag the tool set is cleared by del
# after a recover and after a killed daemon; one the user set is left. An
# active swap file is refused.
# Every refusal: one line, no device, the flag as it was.
. "$(dirname "$0")/test_common.sh"
_prep_test bmap_02
_need_shim

MOVE_EXT=$UBLK_REPO/.output/tests/move_ext
[ -x "$MOVE_EXT" ] || _fail "$MOVE_EXT not built (make unit)"
OBJ=$UBLK_BPF_OBJS/bmap.bpf.o
mnts=()
cleanup_bmap() {
	local m
	for m in "${mnts[@]}"; do
		mountpoint -q "$m" && umount "$m"
		rmdir "$m"
	done
	modprobe -r brd 2>/dev/null
}
trap 'cleanup_bmap' EXIT
new_mnt() { mnt=$(mktemp -d /tmp/bmap-mnt.XXXXXX); mnts+=("$mnt"); }
immutable() { lsattr "$1" 2>/dev/null | cut -d' ' -f1 | grep -q i; }
# The file's extents as FIEMAP gives them (logical:physical:length per line).
extents() { filefrag -v -b4096 "$1" | sed -n 's/^ *[0-9]*: *\([0-9]*\)\.\. *[0-9]*: *\([0-9]*\)\.\. *[0-9]*: *\([0-9]*\).*/\1:\2:\3/p'; }
# xfsprogs refuses file systems under 300 MB except under fstests.
mkxfs() { TEST_DIR=/tmp TEST_DEV=${!#} QA_CHECK_FS=1 mkfs.xfs -q -f "$@"; }

modprobe -r brd 2>/dev/null
modprobe brd rd_nr=4 rd_size=131072 || _skip "no brd module"

## ext4
mkfs.ext4 -q -F /dev/ram0 || _fail "mkfs.ext4"
new_mnt; ext4=$mnt
mount /dev/ram0 "$ext4" || _fail "mount ext4"
f=$ext4/disk.img
# Fragmented (interleaved with another file): e4defrag has work to do.
for i in $(seq 0 31); do
	dd if=/dev/urandom of="$f" bs=256k count=1 seek=$i conv=notrunc,fsync status=none
	dd if=/dev/zero of="$ext4/filler" bs=256k count=1 seek=$i conv=notrunc,fsync status=none
done
[ "$(stat -c %s "$f")" -eq $((8 << 20)) ] || _fail "disk.img size"
_log "disk.img: $(extents "$f" | wc -l) extents"

# A writable fd held across load (what EXT4_IOC_MOVE_EXT needs) is refused.
mkfifo "$UBLK_TMP/go"
"$MOVE_EXT" --wait "$f" "$ext4/donor" 16 <"$UBLK_TMP/go" >"$UBLK_TMP/move.out" 2>&1 &
mover=$!
exec 8>"$UBLK_TMP/go"
_wait_until 10 grep -q '^open$' "$UBLK_TMP/move.out" || _fail "move_ext did not open $f"
before=$(extents "$f")
_refused "open for writing by some process" load "$OBJ" --file "$f"
immutable "$f" && _fail "a refused load left $f immutable"
echo go >&8
exec 8>&-
wait $mover
_log "the held fd then: $(cat "$UBLK_TMP/move.out")"
rm -f "$ext4/donor"

# Open elsewhere, even read-only (a second device on it would clear the
# flag under the first at its end): refused.
exec 9<"$f"
_refused "open elsewhere" load "$OBJ" --file "$f"
immutable "$f" && _fail "a refused load left $f immutable"
exec 9<&-

# Served: no writable open, so neither move_ext nor e4defrag moves a block.
_new_load --require-bpf "$OBJ" --file "$f"
id=$UBLK_DEV_ID
before=$(extents "$f")
"$MOVE_EXT" "$f" "$ext4/donor" 16 >"$UBLK_TMP/move.out" 2>&1 &&
	_fail "EXT4_IOC_MOVE_EXT on a served file: $(cat "$UBLK_TMP/move.out")"
_log "move_ext on the served file: $(cat "$UBLK_TMP/move.out")"
e4defrag "$f" >"$UBLK_TMP/defrag.out" 2>&1
_log "e4defrag: $(grep -iE 'success|fail|error|permi' "$UBLK_TMP/defrag.out" | head -n 3 | tr '\n' ';')"
[ "$(extents "$f")" = "$before" ] || _fail "the served file's blocks moved"
_refused "open elsewhere" load "$OBJ" --file "$f"
_fio_verify /dev/ublkb$id --size=8M || _fail "fio verify failed"

# A writer let in (the flag cleared by hand) breaks the lease: the daemon
# stops the device before the writer's open returns.
chattr -i "$f" || _fail "chattr -i"
echo 5 >/proc/sys/fs/lease-break-time
start=$(date +%s)
( exec 7<>"$f"; [ -e /dev/ublkc$id ] && echo "device still there when the open returned" ) \
	>"$UBLK_TMP/open.out" 2>&1
_log "the writer's open returned after $(( $(date +%s) - start )) s"
[ -s "$UBLK_TMP/open.out" ] && _fail "$(cat "$UBLK_TMP/open.out")"
_forget_dev "$id"
_wait_until 10 test ! -e "${UBLK_BPF_RUN_DIR:-/run/ublk-bpf}/$id.json" ||
	_fail "device $id still has a state file after the lease broke"
_nothing_left "after the lease broke"
echo 45 >/proc/sys/fs/lease-break-time
immutable "$f" && _fail "$f still immutable after its device stopped"

# The flag the tool set is cleared by del after a recover, and after a
# daemon killed and never replaced.
_new_load --require-bpf --recovery "$OBJ" --file "$f"
id=$UBLK_DEV_ID
_kill_daemon "$id"
immutable "$f" || _fail "$f not immutable with its daemon killed"
_recover "$id"
grep -q '"made_immutable":\[0\]' "${UBLK_BPF_RUN_DIR:-/run/ublk-bpf}/$id.json" ||
	_fail "the recovered state file does not say the tool set the flag"
_fio_verify /dev/ublkb$id --size=4M || _fail "fio verify after recover failed"
_del_dev "$id"
immutable "$f" && _fail "$f still immutable after recover and del"
_new_load --require-bpf --recovery "$OBJ" --file "$f"
id=$UBLK_DEV_ID
_kill_daemon "$id"
_del_dev "$id"
immutable "$f" && _fail "$f still immutable after a killed daemon and del"
# One the user set is theirs.
chattr +i "$f" || _fail "chattr +i"
_new_load --require-bpf --recovery "$OBJ" --file "$f"
id=$UBLK_DEV_ID
_kill_daemon "$id"
_recover "$id"
_del_dev "$id"
immutable "$f" || _fail "del cleared the immutable flag the user had set"
chattr -i "$f"
_nothing_left "ext4"

# An active swap file (the kernel writes it where it mapped it, too).
dd if=/dev/zero of="$ext4/swap.img" bs=1M count=8 conv=fsync status=none
chmod 600 "$ext4/swap.img"
if mkswap -q "$ext4/swap.img" && swapon "$ext4/swap.img"; then
	_refused "is an active swap file" load "$OBJ" --file "$ext4/swap.img"
	swapoff "$ext4/swap.img"
	immutable "$ext4/swap.img" && _fail "a refused load left swap.img immutable"
else
	_log "no swap in this guest: the swap file case not run"
fi
rm -f "$ext4/swap.img"

## xfs: served; reflinked and realtime files refused
mkxfs -m reflink=1 /dev/ram1 || _fail "mkfs.xfs"
new_mnt; xfs=$mnt
mount /dev/ram1 "$xfs" || _fail "mount xfs"
dd if=/dev/urandom of="$xfs/disk.img" bs=1M count=8 conv=fsync status=none
_new_load --require-bpf "$OBJ" --file "$xfs/disk.img"
_fio_verify /dev/ublkb$UBLK_DEV_ID --size=4M || _fail "xfs: fio verify failed"
# Not guarded, as usage.md says: the served file as a reflink's source.
if cp --reflink=always "$xfs/disk.img" "$xfs/copy.img" 2>/dev/null; then
	_log "known limit: cp --reflink=always of the served file succeeds on this kernel"
else
	_log "cp --reflink=always of the served file is refused on this kernel"
fi
rm -f "$xfs/copy.img"
_del_dev "$UBLK_DEV_ID"
immutable "$xfs/disk.img" && _fail "xfs: still immutable after del"
cp --reflink=always "$xfs/disk.img" "$xfs/snap.img" || _fail "cp --reflink"
_refused "shared with another file" load "$OBJ" --file "$xfs/disk.img"
_refused "shared with another file" load "$OBJ" --file "$xfs/snap.img"
immutable "$xfs/disk.img" && _fail "a refused load left disk.img immutable"

mkxfs -r rtdev=/dev/ram3 /dev/ram2 || _fail "mkfs.xfs -r rtdev"
new_mnt; rt=$mnt
mount -o rtdev=/dev/ram3 /dev/ram2 "$rt" || _fail "mount xfs with rtdev"
xfs_io -f -c "chattr +r" "$rt/rt.img" || _fail "xfs_io chattr +r"
dd if=/dev/urandom of="$rt/rt.img" bs=1M count=4 conv=fsync,notrunc status=none || _fail "dd rt.img"
_refused "realtime file" load "$OBJ" --file "$rt/rt.img"
immutable "$rt/rt.img" && _fail "a refused load left rt.img immutable"

## tmpfs and btrfs: refused
new_mnt; tmp=$mnt
mount -t tmpfs -o size=16M tmpfs "$tmp" || _fail "mount tmpfs"
dd if=/dev/zero of="$tmp/disk.img" bs=1M count=4 status=none
_refused "on tmpfs: only files on ext4 or xfs" load "$OBJ" --file "$tmp/disk.img"
umount "$xfs" || _fail "umount xfs"
mkfs.btrfs -q -f /dev/ram1 >/dev/null 2>&1 || _fail "mkfs.btrfs"
mount /dev/ram1 "$xfs" || _fail "mount btrfs"
dd if=/dev/zero of="$xfs/disk.img" bs=1M count=4 conv=fsync status=none
_refused "on btrfs: only files on ext4 or xfs" load "$OBJ" --file "$xfs/disk.img"
_refused "on btrfs: only files on ext4 or xfs" add -t bmap --file "$xfs/disk.img"
immutable "$xfs/disk.img" && _fail "a refused load left the btrfs file immutable"

_check_dmesg
_cleanup_test
exit 0
