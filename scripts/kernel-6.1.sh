#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/kernel-6.1.sh [--dry-run]: the kernel Debian 12 boots by default
# (6.1, linux-image-amd64's candidate from bookworm / bookworm-security), for
# the VM (tests/vm/run.sh --kernel 6.1). Idempotent; a second run takes
# seconds.
#
# Debian builds its 6.1 without ublk (CONFIG_BLK_DEV_UBLK is not set), so
# the driver comes from that same kernel's own source: its unmodified
# drivers/block/ublk_drv.c, built out of tree against its headers, and put
# into the cached module tree (lib/modules/ABI/extra), where `modprobe
# ublk_drv` in the guest finds it. Nothing is installed on this machine:
# the packages are fetched with apt-get download (Debian's archive only),
# unpacked with dpkg-deb -x into
#   $UBLK_BPF_CACHE/kernel-6.1/<debian version>/
#       root/      boot/vmlinuz-ABI, lib/modules/ABI (+ extra/ublk_drv.ko)
#       headers/   the kbuild tree the module is built against
#       ublk_drv/  the driver's source and build
#       kernel.env what tests/vm/run.sh --kernel 6.1 reads
# and $UBLK_BPF_CACHE/kernel-6.1/current.env points at the newest.
set -euo pipefail

CACHE=${UBLK_BPF_CACHE:-$HOME/.cache/ublk-bpf}
DRY_RUN=0
case "${1:-}" in
--dry-run) DRY_RUN=1 ;;
"") ;;
*) echo "usage: scripts/kernel-6.1.sh [--dry-run]" >&2; exit 2 ;;
esac

say() { echo "kernel-6.1: $*" >&2; }
die() { echo "kernel-6.1: error: $*" >&2; exit 1; }

# Debian 12's default kernel: the metapackage's candidate and the ABI it
# depends on (e.g. 6.1.192-3, 6.1.0-57-amd64).
ver=$(apt-cache policy linux-image-amd64 2>/dev/null | awk '/Candidate:/ {print $2}')
abi=$(apt-cache depends linux-image-amd64 2>/dev/null |
      sed -n 's/.*Depends: linux-image-\(6\.1\.[0-9]*-[0-9]*-amd64\)$/\1/p' | head -n1)
if [ -z "$ver" ] || [ "$ver" = "(none)" ] || [ -z "$abi" ]; then
	# apt has no lists (or another default): the newest one cached.
	[ -f "$CACHE/kernel-6.1/current.env" ] ||
		die "cannot resolve Debian 12's linux-image-amd64 (6.1): apt-get update?"
	say "apt cannot resolve linux-image-amd64 as a 6.1; using the cached kernel"
	exit 0
fi
dir=$CACHE/kernel-6.1/$ver
base=${abi%-amd64}		# 6.1.0-57
series=$(echo "$ver" | cut -d. -f1,2)	# 6.1
pkgs=("linux-image-$abi-unsigned=$ver" "linux-headers-$abi=$ver" "linux-headers-$base-common=$ver"
      "linux-kbuild-$series=$ver" "linux-source-$series=$ver")
if [ $DRY_RUN -eq 1 ]; then
	echo "kernel: $abi ($ver), cache $dir"
	[ -f "$dir/.done" ] && echo "cached" || echo "would download: ${pkgs[*]}"
	exit 0
fi

if [ ! -f "$dir/.done" ]; then
	mkdir -p "$dir/deb"
	if ! ls "$dir"/deb/linux-source-*.deb >/dev/null 2>&1; then
		say "downloading Debian's $abi ($ver): ${pkgs[*]}"
		(cd "$dir/deb" && apt-get download -q "${pkgs[@]}" 2>&1 |
			grep -v '^W: Download is performed unsandboxed' >&2) ||
			die "apt-get download failed"
	fi
	rm -rf "$dir/root" "$dir/headers" "$dir/ublk_drv"
	mkdir -p "$dir/root" "$dir/headers" "$dir/ublk_drv"
	dpkg-deb -x "$dir"/deb/linux-image-*.deb "$dir/root"
	for deb in "$dir"/deb/linux-headers-*.deb "$dir"/deb/linux-kbuild-*.deb; do
		dpkg-deb -x "$deb" "$dir/headers"
	done
	hdr=$dir/headers/usr/src/linux-headers-$abi
	# The headers' Makefile includes the -common tree by absolute path.
	sed -i "s|^include /usr/src/|include $dir/headers/usr/src/|" "$hdr/Makefile"
	# Only the driver's own file of the source tarball.
	say "extracting drivers/block/ublk_drv.c of linux-source-$series"
	dpkg-deb --fsys-tarfile "$dir"/deb/linux-source-*.deb |
		tar -xO "./usr/src/linux-source-$series.tar.xz" |
		tar -xJ -C "$dir/ublk_drv" --strip-components=3 \
			"linux-source-$series/drivers/block/ublk_drv.c"
	grep -q '^# CONFIG_BLK_DEV_UBLK is not set' "$dir/root/boot/config-$abi" ||
		say "note: $abi has CONFIG_BLK_DEV_UBLK set; its own ublk_drv is replaced by the one built here"
	echo 'obj-m := ublk_drv.o' >"$dir/ublk_drv/Kbuild"
	say "building ublk_drv.ko for $abi"
	make -s -C "$hdr" M="$dir/ublk_drv" modules >"$dir/ublk_drv/build.log" 2>&1 ||
		{ cat "$dir/ublk_drv/build.log" >&2; die "ublk_drv build failed"; }
	install -D -m644 "$dir/ublk_drv/ublk_drv.ko" "$dir/root/lib/modules/$abi/extra/ublk_drv.ko"
	depmod -b "$dir/root" "$abi"
	rm -f "$dir"/deb/*.deb
	touch "$dir/.done"
fi

cat >"$dir/kernel.env" <<ENV
# Written by scripts/kernel-6.1.sh: Debian 12's default kernel, for the VM.
UBLK_KVER=$ver
UBLK_KABI=$abi
UBLK_KROOT=$dir/root
UBLK_VMLINUZ=$dir/root/boot/vmlinuz-$abi
ENV
cp "$dir/kernel.env" "$CACHE/kernel-6.1/current.env"
say "ready: $abi ($ver) in $dir"
