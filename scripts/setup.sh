#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything ublk-bpf needs on a Debian 12 machine, idempotently:
#   1. Debian packages (toolchain, liburing, QEMU, fio, ...);
#   2. the newest Debian 6.12 kernel (image, headers, kbuild, source),
#      fetched with apt-get download and unpacked into a cache outside the
#      repository, laid out as <root>/boot and <root>/lib/modules so that
#      virtme-ng finds it too;
#   3. libbpf and bpftool built from that kernel's own tools/ tree (bookworm's
#      libbpf 1.1 cannot load a struct_ops type defined in a module).
# A second run finds everything cached and takes seconds.
#
# Result: $UBLK_BPF_CACHE/current.env names the kernel in use and its paths.
set -euo pipefail

CACHE=${UBLK_BPF_CACHE:-$HOME/.cache/ublk-bpf}
PACKAGES=(build-essential pkg-config clang llvm liburing-dev libelf-dev
	  zlib1g-dev libcap-dev libjansson-dev dwarves qemu-system-x86
	  busybox-static fio e2fsprogs kmod cpio xz-utils zstd util-linux procps
	  jq dmsetup bc nbd-server nbd-client linux-perf)

say() { echo "setup: $*" >&2; }
die() { echo "setup: error: $*" >&2; exit 1; }

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root to install them"
	say "installing Debian packages: ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# Prints "<debian version> <abi>" of the newest 6.12 kernel, e.g.
# "6.12.117-1~deb12u1 6.12.117+deb12-amd64"; empty when apt cannot tell.
resolve_kernel() {
	local ver abi
	ver=$(apt-cache policy linux-image-6.12-amd64 2>/dev/null |
	      awk '/Candidate:/ {print $2}')
	abi=$(apt-cache depends linux-image-6.12-amd64 2>/dev/null |
	      sed -n 's/.*Depends: linux-image-\(6\.12\..*-amd64\)$/\1/p' | head -n1)
	[ -n "$ver" ] && [ "$ver" != "(none)" ] && [ -n "$abi" ] && echo "$ver $abi"
}

fetch_kernel() {
	local ver=$1 abi=$2 base=${2%-amd64}
	local dir=$CACHE/kernel/$abi root=$CACHE/kernel/$abi/root
	[ -f "$dir/.unpacked" ] && return 0
	say "downloading Debian kernel $abi ($ver): image, headers, kbuild, source"
	rm -rf "$dir" && mkdir -p "$dir/deb" "$root"
	(cd "$dir/deb" && apt-get download -q \
		"linux-image-$abi-unsigned=$ver" "linux-headers-$abi=$ver" \
		"linux-headers-$base-common=$ver" "linux-kbuild-$base=$ver" \
		"linux-source-6.12=$ver" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) ||
		die "apt-get download of kernel $abi failed"
	say "unpacking kernel packages"
	local deb
	for deb in "$dir"/deb/*.deb; do dpkg -x "$deb" "$root"; done
	# The headers' Makefile includes the -common tree by absolute path.
	sed -i "s|^include /usr/src/|include $root/usr/src/|" \
		"$root/usr/src/linux-headers-$abi/Makefile"
	depmod -b "$root" "$abi"
	say "extracting the kernel source parts the build uses"
	mkdir -p "$dir/src"
	tar -C "$dir/src" --strip-components=1 -xf "$root/usr/src/linux-source-6.12.tar.xz" \
		linux-source-6.12/tools linux-source-6.12/kernel/bpf \
		linux-source-6.12/include linux-source-6.12/arch/x86/include \
		linux-source-6.12/scripts linux-source-6.12/Makefile \
		linux-source-6.12/drivers/block/ublk_drv.c
	rm -f "$root/usr/src/linux-source-6.12.tar.xz" "$dir"/deb/linux-source-*.deb
	touch "$dir/.unpacked"
}

# libbpf (static) and bpftool from the kernel's tools/, installed under
# $dir/tools/usr/{lib,include} and $dir/tools/sbin.
build_bpf_tools() {
	local dir=$1 src=$1/src out=$1/tools
	if [ ! -f "$out/usr/lib/libbpf.a" ]; then
		say "building libbpf from $(basename "$dir") tools/lib/bpf"
		make -s -C "$src/tools/lib/bpf" -j"$(nproc)" BUILD_STATIC_ONLY=1 \
			OBJDIR="$out/build/libbpf" DESTDIR="$out" prefix=/usr libdir_relative=lib \
			install >/dev/null
	fi
	if [ ! -x "$out/sbin/bpftool" ]; then
		say "building bpftool from $(basename "$dir") tools/bpf/bpftool"
		mkdir -p "$out/build/bpftool"
		make -s -C "$src/tools/bpf/bpftool" -j"$(nproc)" \
			OUTPUT="$out/build/bpftool/" \
			VMLINUX_BTF="$dir/root/usr/src/linux-headers-$(basename "$dir")/vmlinux" \
			>/dev/null 2>"$out/bpftool-build.log" ||
			{ cat "$out/bpftool-build.log" >&2; die "bpftool build failed"; }
		install -D -m755 "$out/build/bpftool/bpftool" "$out/sbin/bpftool"
	fi
}

write_env() {
	local ver=$1 abi=$2 dir=$CACHE/kernel/$2
	local tmp=$CACHE/current.env.tmp
	cat >"$tmp" <<ENV
# Written by scripts/setup.sh: the kernel the build and the VM use.
UBLK_KVER=$ver
UBLK_KABI=$abi
UBLK_KROOT=$dir/root
UBLK_KSRC=$dir/src
UBLK_KHEADERS=$dir/root/usr/src/linux-headers-$abi
UBLK_VMLINUZ=$dir/root/boot/vmlinuz-$abi
UBLK_LIBBPF_INCLUDE=$dir/tools/usr/include
UBLK_LIBBPF_A=$dir/tools/usr/lib/libbpf.a
UBLK_BPFTOOL=$dir/tools/sbin/bpftool
ENV
	mv "$tmp" "$CACHE/current.env"
}

main() {
	mkdir -p "$CACHE"
	install_packages
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
	if ! fetch_kernel "$ver" "$abi"; then
		die "could not fetch kernel $abi"
	fi
	build_bpf_tools "$CACHE/kernel/$abi"
	write_env "$ver" "$abi"
	say "ready: kernel $abi, cache $CACHE"
}

main "$@"
