#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rbd target against a one-node Ceph cluster (cephx): size and object size
# come from the image; fio crc32c verify at queue depth 32; what is written
# is in the image (rbd export); discard and write-zeroes reach librbd;
# mkfs.ext4 + mount + file round trip; a snapshot serves as a read-only
# device that holds the data of the moment it was taken; with the
# kfunc-shim, `load rbd.bpf.o` redirects every IO to the rbd twin. A
# persistent device (`serve NAME`, /etc/ublk-bpf/NAME.conf) of rbd options
# (--conf, --id, --keyring, --pool, --image): live, fio verify, SIGTERM
# deletes it (exit 0).
. "$(dirname "$0")/test_common.sh"
. "$(dirname "$0")/rbd_cluster.sh"
_prep_test rbd_01
_ceph_up

_rbd_image t01 64M
_rbd_dev t01 -d 64
id=$UBLK_DEV_ID
[ "$(blockdev --getsize64 /dev/ublkb$id)" -eq $((64 << 20)) ] || _fail "size is not the image's 64 MiB"
[ "$(cat /sys/block/ublkb$id/queue/optimal_io_size)" -eq $((4 << 20)) ] ||
	_fail "optimal IO size is not the 4 MiB object"
grep -q "write back" /sys/block/ublkb$id/queue/write_cache || _fail "no write cache: flush would not reach librbd"
_fio_verify /dev/ublkb$id --size=16M --bsrange=4k-512k --iodepth=32 || _fail "fio verify failed"

# What the device holds is what the image holds.
head -c 1M /dev/urandom >"$UBLK_TMP/pattern"
dd if="$UBLK_TMP/pattern" of=/dev/ublkb$id bs=1M seek=5 oflag=direct conv=fsync status=none ||
	_fail "dd to the device failed"
head -c 4M /dev/urandom | dd of=/dev/ublkb$id bs=1M seek=8 oflag=direct conv=fsync status=none
blkdiscard -z -o $((8 << 20)) -l $((4 << 20)) /dev/ublkb$id || _fail "write-zeroes (blkdiscard -z) failed"
blkdiscard -o $((16 << 20)) -l $((4 << 20)) /dev/ublkb$id || _fail "discard failed"
sha_dev=$(dd if=/dev/ublkb$id bs=1M count=64 iflag=direct status=none | sha256sum)
_rbd export rbd/t01 "$UBLK_TMP/export.img" >/dev/null 2>&1 || _fail "rbd export failed"
cmp -s "$UBLK_TMP/pattern" <(dd if="$UBLK_TMP/export.img" bs=1M skip=5 count=1 status=none) ||
	_fail "the image does not hold what was written"
cmp -s <(head -c 4M /dev/zero) <(dd if="$UBLK_TMP/export.img" bs=1M skip=8 count=4 status=none) ||
	_fail "write-zeroes left data in the image"

# A snapshot: read-only, and it keeps what the image held when taken.
_rbd snap create rbd/t01@s1 >/dev/null 2>&1 || _fail "rbd snap create failed"
dd if=/dev/urandom of=/dev/ublkb$id bs=1M seek=5 count=1 oflag=direct conv=fsync status=none
_rbd_dev t01 --snap s1
snap=$UBLK_DEV_ID
[ "$(cat /sys/block/ublkb$snap/ro)" = 1 ] || _fail "the snapshot's device is not read-only"
dd if=/dev/zero of=/dev/ublkb$snap bs=4k count=1 oflag=direct status=none 2>/dev/null &&
	_fail "a write to the snapshot's device succeeded"
[ "$(dd if=/dev/ublkb$snap bs=1M count=64 iflag=direct status=none | sha256sum)" = "$sha_dev" ] ||
	_fail "the snapshot's device does not hold the data of the snapshot"
_del_dev "$snap"

_fs_roundtrip /dev/ublkb$id || _fail "ext4 round trip failed"
_del_dev "$id"

# `load rbd.bpf.o` (with the kfunc-shim): the program redirects every IO to
# the rbd twin; fio verify passes and the redirects are counted.
if _shim_loaded; then
	_new_load "$UBLK_BPF_OBJS/rbd.bpf.o" --conf "$CEPH_CONF" --pool rbd --image t01
	id=$UBLK_DEV_ID
	"$UBLK_PROG" list -n "$id" --json | grep -q '"target":"rbd".*"path":"bpf"' ||
		_fail "not listed as rbd on the BPF path: $("$UBLK_PROG" list -n "$id" --json)"
	_fio_verify /dev/ublkb$id --size=8M --iodepth=32 || _fail "fio verify through the BPF redirect failed"
	red=$(_tgt_stat "$id" redirected)
	[ -n "$red" ] && [ "$red" -gt 0 ] || _fail "no redirected IO counted ($red)"
	_log "load rbd.bpf.o: $red IOs redirected to the rbd twin"
	_del_dev "$id"
else
	_log "no kfunc-shim: load rbd.bpf.o not tried"
fi
# Persistent configuration: the key from --keyring, not from the ceph.conf.
mkdir -p "$UBLK_TMP/conf"
grep -v '^[[:space:]]*keyring' "$CEPH_CONF" >"$UBLK_TMP/noring.conf"
cat >"$UBLK_TMP/conf/img.conf" <<EOF
# an rbd image as /dev/ublkb77
add -t rbd -n 77 --conf "$UBLK_TMP/noring.conf" --id admin \\
    --keyring "$CEPH_DIR/keyring" --pool rbd --image t01 -d 32
EOF
"$UBLK_PROG" serve img --config-dir "$UBLK_TMP/conf" </dev/null 2>"$UBLK_TMP/serve.err" &
spid=$!
UBLK_DEVS+=(77)
_wait_until 60 test -b /dev/ublkb77 || _fail "serve made no /dev/ublkb77: $(cat "$UBLK_TMP/serve.err")"
_wait_until 10 grep -q "device 77 (/dev/ublkb77) live: target rbd" "$UBLK_TMP/serve.err" ||
	_fail "serve does not say device 77 is live: $(cat "$UBLK_TMP/serve.err")"
_fio_verify /dev/ublkb77 --size=4M || _fail "fio verify on the served rbd device"
kill -TERM $spid
wait $spid || _fail "serve exited $? after SIGTERM: $(cat "$UBLK_TMP/serve.err")"
[ -e /dev/ublkb77 ] && _fail "SIGTERM left /dev/ublkb77"
_log "serve img: rbd device 77 from img.conf, verified, gone on SIGTERM"

_rbd snap purge rbd/t01 >/dev/null 2>&1
_rbd rm rbd/t01 >/dev/null 2>&1
_nothing_left "rbd_01"
_ceph_down_if_last
_check_dmesg
_cleanup_test
exit 0
