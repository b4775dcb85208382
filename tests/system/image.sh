#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build, once, the Debian 12 system the system test installs our packages on:
# mmdebstrap from Debian's archive only (bookworm, -updates, -security), the
# older 6.12 kernel (image and headers) installed, everything the packages and
# the test need already in it (the guest has no network), grub in the MBR of
# a raw disk, and a unit that runs the test's guest script from a 9p folder
# at every boot. Prints the path of the cached base image (qcow2); callers
# put an overlay on it, the base stays untouched.
#
# Cached under $UBLK_BPF_CACHE/system/<key>/ where the key hashes this
# script, the guest files it copies in and the kernel versions: change any
# and the next run builds a new one (about 10 min, most of it the first boot
# under TCG that installs grub).
#
# Environment: SYSTEST_OLD_KERNEL (Debian version of the kernel the image
# boots first, default 6.12.117-1~deb12u1), SYSTEST_NEW_KERNEL (the point
# update, default the one scripts/setup.sh fetched), SYSTEST_MIRROR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/system/lib.sh
. "$here/lib.sh"

# The packages the guest needs offline: init, the old kernel with headers,
# what dkms and ublk-bpf depend on, and the test's tools.
packages=(systemd-sysv udev dbus kmod procps util-linux e2fsprogs fio less
	  grub-pc initramfs-tools "linux-image-$OLD_ABI" "linux-headers-$OLD_ABI"
	  dkms build-essential dwarves patch liburing2 libelf1 zlib1g)

# The root file system's key: what goes into it; the image's: that and how
# the disk is made.
rkey=$( { cat "$here/customize.sh" "$here/systest-launch" "$here/systest.service"
	  echo "${packages[*]} $OLD_KERNEL $MIRROR"; } | sha256sum | cut -c1-16)
key=$( { echo "$rkey"; cat "$0" "$here/lib.sh"; } | sha256sum | cut -c1-16)
dir=$SYS_CACHE/image-$key
base=$dir/base.qcow2
if [ -f "$base" ]; then
	echo "$base"
	exit 0
fi

say "building the Debian 12 image $key (kernel $OLD_ABI): mmdebstrap, then one boot that installs grub"
mkdir -p "$dir"
tmp=$dir/tmp
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

# Root file system as a tarball, kept so a failure later does not download
# and unpack it all again. As root, mmdebstrap's root mode keeps owners and
# device nodes, which tar and then mke2fs -d carry into the file system.
tarball=$SYS_CACHE/rootfs-$rkey.tar
if [ ! -f "$tarball" ]; then
	mmdebstrap --quiet --variant=apt --mode=root --components=main \
		--include="$(IFS=,; echo "${packages[*]}")" \
		--aptopt='APT::Install-Recommends "false"' \
		--customize-hook="$here/customize.sh \"\$1\" \"$here\"" \
		--format=tar bookworm "$SYS_CACHE/rootfs-partial.tar" \
		"deb $MIRROR/debian bookworm main" \
		"deb $MIRROR/debian bookworm-updates main" \
		"deb $MIRROR/debian-security bookworm-security main" >"$SYS_CACHE/mmdebstrap.log" 2>&1 ||
		{ tail -n 30 "$SYS_CACHE/mmdebstrap.log" >&2; rm -f "$SYS_CACHE/rootfs-partial.tar"; die "mmdebstrap failed (log: $SYS_CACHE/mmdebstrap.log)"; }
	mv "$SYS_CACHE/rootfs-partial.tar" "$tarball"
fi
rootfs=$tmp/rootfs
mkdir -p "$rootfs"
tar -C "$rootfs" --numeric-owner --xattrs -xf "$tarball"
cp "$rootfs/boot/vmlinuz-$OLD_ABI" "$rootfs/boot/initrd.img-$OLD_ABI" "$tmp/"

# One partition from 1 MiB on (room for grub's core image before it), an
# ext4 file system made from the folder, no loop device or mount needed.
part_mib=$((IMAGE_GIB * 1024 - 1))
mke2fs -q -t ext4 -L root -d "$rootfs" "$tmp/root.ext4" "${part_mib}M" >/dev/null
truncate -s "${IMAGE_GIB}G" "$tmp/disk.raw"
echo 'label: dos
start=2048, type=83, bootable' | sfdisk -q "$tmp/disk.raw"
dd if="$tmp/root.ext4" of="$tmp/disk.raw" bs=1M seek=1 conv=sparse,notrunc status=none
qemu-img convert -O qcow2 "$tmp/disk.raw" "$tmp/base.qcow2"
rm -f "$tmp/disk.raw" "$tmp/root.ext4"
rm -rf "$rootfs"

# First boot, straight into the kernel: install grub on the disk. The same
# unit and 9p folder every later boot uses.
ctl=$tmp/ctl
mkdir -p "$ctl"
cp "$here/guest.sh" "$ctl/guest.sh"
echo firstboot >"$ctl/plan"
with_vm_lock boot_qemu "$tmp/base.qcow2" "$ctl" "$dir/firstboot.console" 1800 \
	-kernel "$tmp/vmlinuz-$OLD_ABI" -initrd "$tmp/initrd.img-$OLD_ABI" \
	-append "root=/dev/vda1 ro $GUEST_CMDLINE"
grep -qx 'firstboot=ok' "$ctl/result" 2>/dev/null ||
	{ tail -n 40 "$dir/firstboot.console" >&2; die "first boot failed (console: $dir/firstboot.console)"; }
mv "$tmp/base.qcow2" "$base"
say "image ready: $base"
echo "$base"
