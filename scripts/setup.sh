#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sets up what ublk-bpf needs on a Debian 12 machine, idempotently, in two
# parts:
#
#   scripts/setup.sh [--dry-run] build   what `make` needs:
#       the build's Debian packages; the source of a Debian 6.12 kernel (its
#       ublk uAPI, its ublk_drv.c for the shim, and its tools/, from which
#       libbpf and bpftool are built: bookworm's libbpf 1.1 cannot load a
#       struct_ops type defined in a module); that kernel's headers (kbuild
#       tree and vmlinux BTF), downloaded only when they are not installed.
#   scripts/setup.sh [--dry-run] rig     build, plus what `make demo`,
#       `make check` and `make bench` need: QEMU, fio, test tools, and the
#       kernel image the VM boots.
#   scripts/setup.sh [--dry-run] deb     build, plus what `make deb` needs:
#       dpkg-dev, debhelper, dh-dkms.
#   scripts/setup.sh [--dry-run] [all]   the same as rig.
#
# The kernel: the running one when it is a Debian 6.12 whose headers are
# installed and whose source apt still offers; else the newest 6.12
# (linux-image-6.12-amd64's candidate). Kernel packages are fetched with
# apt-get download and unpacked into a cache outside the repository
# (root/boot, root/lib/modules, as virtme-ng wants them), never installed.
# --dry-run prints what would be installed and downloaded, and changes
# nothing. A second run finds everything cached and takes seconds.
#
# Result: $UBLK_BPF_CACHE/current.env names the kernel in use and its paths;
# it is rewritten only when its content changes (the build depends on it).
set -euo pipefail

CACHE=${UBLK_BPF_CACHE:-$HOME/.cache/ublk-bpf}
# The build: compilers, libraries the tool links, pahole for the module's
# BTF, patch for the shim's hook patch, xz for the kernel source, clang's
# libFuzzer and sanitizer runtimes for make fuzz and make check, librbd's
# headers for the rbd target (the tool loads librbd1 only when rbd is used).
BUILD_PACKAGES=(build-essential pkg-config clang llvm liburing-dev libelf-dev
		zlib1g-dev libcap-dev libjansson-dev dwarves patch xz-utils libclang-rt-dev
		librbd-dev)
# make deb: the package build.
DEB_PACKAGES=(dpkg-dev debhelper dh-dkms)
# The VM rig and the tests and benchmarks inside it; the rbd tests' one-node
# Ceph cluster (tests/ublk/ceph_cluster.sh) and rbd-nbd for the rbd bench;
# nvme-cli for the kernel's nvme-tcp host in the nvme-tcp bench; fdisk for
# sfdisk (Debian 12's util-linux no longer has it), which the partition
# tests and the system test's image use.
RIG_PACKAGES=(qemu-system-x86 busybox-static fio e2fsprogs xfsprogs btrfs-progs kmod cpio zstd
	      util-linux fdisk procps jq dmsetup bc nbd-server nbd-client linux-perf
	      ceph-mon ceph-osd ceph-mgr ceph-common rbd-nbd nvme-cli)
DRY_RUN=0

say() { echo "setup: $*" >&2; }
die() { echo "setup: error: $*" >&2; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

install_packages() {
	local what=$1 missing=() p
	shift
	for p in "$@"; do
		installed "$p" || missing+=("$p")
	done
	if [ $DRY_RUN -eq 1 ]; then
		echo "$what packages: $*"
		echo "$what packages missing here (would be installed): ${missing[*]:-none}"
		return 0
	fi
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root to install them"
	say "installing Debian packages: ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# Prints "<debian version> <abi>" of the kernel to build for, e.g.
# "6.12.117-1~deb12u1 6.12.117+deb12-amd64"; empty when apt cannot tell.
resolve_kernel() {
	local ver abi run
	run=$(uname -r)
	# The running kernel, when its headers are installed and its source can
	# be fetched: the shim then loads on this very machine.
	if [[ $run == 6.12.*-amd64 ]] && [ -f "/usr/src/linux-headers-$run/Makefile" ]; then
		ver=$(dpkg-query -W -f='${Version}' "linux-headers-$run" 2>/dev/null || true)
		if [ -n "$ver" ] && apt-cache madison linux-source-6.12 2>/dev/null |
				awk '{print $3}' | grep -qxF "$ver"; then
			echo "$ver $run"
			return 0
		fi
	fi
	ver=$(apt-cache policy linux-image-6.12-amd64 2>/dev/null |
	      awk '/Candidate:/ {print $2}')
	abi=$(apt-cache depends linux-image-6.12-amd64 2>/dev/null |
	      sed -n 's/.*Depends: linux-image-\(6\.12\..*-amd64\)$/\1/p' | head -n1)
	[ -n "$ver" ] && [ "$ver" != "(none)" ] && [ -n "$abi" ] && echo "$ver $abi"
}

# The kbuild tree of kernel @abi: the installed headers when they are there,
# else the ones this script unpacks into the cache.
headers_dir() {
	local abi=$1
	if [ -f "/usr/src/linux-headers-$abi/Makefile" ] && [ -f "/usr/src/linux-headers-$abi/vmlinux" ]; then
		echo "/usr/src/linux-headers-$abi"
	else
		echo "$CACHE/kernel/$abi/root/usr/src/linux-headers-$abi"
	fi
}

# apt-get download PACKAGE=VERSION... into @dir/deb, quietly.
download() {
	local dir=$1
	shift
	mkdir -p "$dir/deb"
	(cd "$dir/deb" && apt-get download -q "$@" 2>&1 |
		grep -v '^W: Download is performed unsandboxed' >&2) ||
		die "apt-get download of $* failed"
}

# The build's part of the kernel: its source (the parts the build uses, in
# $dir/src) and, unless installed, its headers (in $dir/root/usr/src).
# A cache made before the split (.unpacked) holds both parts already.
fetch_build_parts() {
	local ver=$1 abi=$2 base=${2%-amd64}
	local dir=$CACHE/kernel/$abi root=$CACHE/kernel/$abi/root pkgs=()
	[ -f "$dir/.build" ] || [ -f "$dir/.unpacked" ] && return 0
	[ -f "$dir/src/drivers/block/ublk_drv.c" ] || pkgs+=("linux-source-6.12=$ver")
	[ "$(headers_dir "$abi")" = "/usr/src/linux-headers-$abi" ] ||
		pkgs+=("linux-headers-$abi=$ver" "linux-headers-$base-common=$ver"
		       "linux-kbuild-$base=$ver")
	if [ $DRY_RUN -eq 1 ]; then
		echo "kernel packages to download for the build: ${pkgs[*]:-none (cached)}"
		return 0
	fi
	if [ ${#pkgs[@]} -gt 0 ]; then
		say "downloading Debian kernel $abi ($ver) for the build: ${pkgs[*]}"
		download "$dir" "${pkgs[@]}"
	fi
	mkdir -p "$root"
	local deb
	for deb in "$dir"/deb/linux-headers-*.deb "$dir"/deb/linux-kbuild-*.deb; do
		[ -f "$deb" ] && dpkg -x "$deb" "$root"
	done
	# The headers' Makefile includes the -common tree by absolute path.
	[ -f "$root/usr/src/linux-headers-$abi/Makefile" ] &&
		sed -i "s|^include /usr/src/|include $root/usr/src/|" \
			"$root/usr/src/linux-headers-$abi/Makefile"
	if [ ! -f "$dir/src/drivers/block/ublk_drv.c" ]; then
		say "extracting the kernel source parts the build uses"
		local tmp=$dir/source.tmp
		rm -rf "$tmp" "$dir/src" && mkdir -p "$tmp" "$dir/src"
		dpkg -x "$dir"/deb/linux-source-6.12_*.deb "$tmp"
		tar -C "$dir/src" --strip-components=1 -xf "$tmp/usr/src/linux-source-6.12.tar.xz" \
			linux-source-6.12/tools linux-source-6.12/kernel/bpf \
			linux-source-6.12/include linux-source-6.12/arch/x86/include \
			linux-source-6.12/scripts linux-source-6.12/Makefile \
			linux-source-6.12/drivers/block/ublk_drv.c
		rm -rf "$tmp" "$dir"/deb/linux-source-*.deb
	fi
	touch "$dir/.build"
}

# The rig's part: the image the VM boots, with its module tree.
fetch_rig_parts() {
	local ver=$1 abi=$2
	local dir=$CACHE/kernel/$abi root=$CACHE/kernel/$abi/root
	[ -f "$dir/.rig" ] || [ -f "$dir/.unpacked" ] && return 0
	if [ $DRY_RUN -eq 1 ]; then
		echo "kernel packages to download for the rig: linux-image-$abi-unsigned=$ver"
		return 0
	fi
	if ! ls "$dir"/deb/linux-image-*.deb >/dev/null 2>&1; then
		say "downloading Debian kernel $abi ($ver) for the VM: linux-image-$abi-unsigned"
		download "$dir" "linux-image-$abi-unsigned=$ver"
	fi
	mkdir -p "$root"
	dpkg -x "$dir"/deb/linux-image-*.deb "$root"
	depmod -b "$root" "$abi"
	touch "$dir/.rig"
}

# libbpf (static) and bpftool from the kernel's tools/, installed under
# $dir/tools/usr/{lib,include} and $dir/tools/sbin.
build_bpf_tools() {
	local dir=$1 src=$1/src out=$1/tools abi
	abi=$(basename "$dir")
	if [ $DRY_RUN -eq 1 ]; then
		[ -f "$out/usr/lib/libbpf.a" ] && [ -x "$out/sbin/bpftool" ] ||
			echo "would build libbpf and bpftool from the $abi source"
		return 0
	fi
	if [ ! -f "$out/usr/lib/libbpf.a" ]; then
		say "building libbpf from $abi tools/lib/bpf"
		make -s -C "$src/tools/lib/bpf" -j"$(nproc)" BUILD_STATIC_ONLY=1 \
			OBJDIR="$out/build/libbpf" DESTDIR="$out" prefix=/usr libdir_relative=lib \
			install >/dev/null
	fi
	if [ ! -x "$out/sbin/bpftool" ]; then
		say "building bpftool from $abi tools/bpf/bpftool"
		mkdir -p "$out/build/bpftool"
		make -s -C "$src/tools/bpf/bpftool" -j"$(nproc)" \
			OUTPUT="$out/build/bpftool/" VMLINUX_BTF="$(headers_dir "$abi")/vmlinux" \
			>/dev/null 2>"$out/bpftool-build.log" ||
			{ cat "$out/bpftool-build.log" >&2; die "bpftool build failed"; }
		install -D -m755 "$out/build/bpftool/bpftool" "$out/sbin/bpftool"
	fi
}

write_env() {
	local ver=$1 abi=$2 dir=$CACHE/kernel/$2
	local tmp=$CACHE/current.env.tmp
	[ $DRY_RUN -eq 1 ] && return 0
	cat >"$tmp" <<ENV
# Written by scripts/setup.sh: the kernel the build and the VM use.
UBLK_KVER=$ver
UBLK_KABI=$abi
UBLK_KROOT=$dir/root
UBLK_KSRC=$dir/src
UBLK_KHEADERS=$(headers_dir "$abi")
UBLK_VMLINUZ=$dir/root/boot/vmlinuz-$abi
UBLK_LIBBPF_INCLUDE=$dir/tools/usr/include
UBLK_LIBBPF_A=$dir/tools/usr/lib/libbpf.a
UBLK_BPFTOOL=$dir/tools/sbin/bpftool
ENV
	# Unchanged content keeps its date: the build depends on this file.
	if cmp -s "$tmp" "$CACHE/current.env"; then
		rm -f "$tmp"
	else
		mv "$tmp" "$CACHE/current.env"
	fi
}

usage() { echo "usage: scripts/setup.sh [--dry-run] [build|deb|rig|all]" >&2; exit 2; }

main() {
	local part=all
	while [ $# -gt 0 ]; do
		case $1 in
		--dry-run) DRY_RUN=1 ;;
		build|deb|rig|all) part=$1 ;;
		*) usage ;;
		esac
		shift
	done
	[ $DRY_RUN -eq 1 ] || mkdir -p "$CACHE"
	install_packages build "${BUILD_PACKAGES[@]}"
	[ "$part" = deb ] && install_packages deb "${DEB_PACKAGES[@]}"
	[ "$part" = build ] || [ "$part" = deb ] || install_packages rig "${RIG_PACKAGES[@]}"
	local resolved ver abi
	resolved=$(resolve_kernel || true)
	if [ -z "$resolved" ] && [ -f "$CACHE/current.env" ]; then
		# shellcheck source=/dev/null
		. "$CACHE/current.env"
		resolved="$UBLK_KVER $UBLK_KABI"
		say "apt cannot resolve linux-image-6.12-amd64; using cached $UBLK_KABI"
	fi
	[ -n "$resolved" ] || die "cannot resolve the Debian 6.12 kernel (is bookworm-security in apt sources? run apt-get update)"
	read -r ver abi <<<"$resolved"
	[ $DRY_RUN -eq 1 ] && echo "kernel: $abi ($ver), cache $CACHE"
	fetch_build_parts "$ver" "$abi"
	[ "$part" = build ] || [ "$part" = deb ] || fetch_rig_parts "$ver" "$abi"
	build_bpf_tools "$CACHE/kernel/$abi"
	write_env "$ver" "$abi"
	[ $DRY_RUN -eq 1 ] || say "ready ($part): kernel $abi, cache $CACHE"
}

main "$@"
