#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# DKMS's build of ublk-bpf's ublk_drv.ko (dkms.conf runs it in DKMS's copy of
# /usr/src/ublk-bpf-VERSION):
#   dkms-make.sh check RELEASE        say which ublk_drv.c, or refuse (PRE_BUILD)
#   dkms-make.sh build RELEASE KDIR   build build/ublk_drv.ko (MAKE)
# The module is drivers/block/ublk_drv.c of exactly the kernel's Debian
# release (the version of its linux-headers package) with the hook patch:
# the copy this package carries for that release, else the one in an
# installed linux-source-6.12 of that very version. Nothing else: a module
# built from another release's driver could load and misbehave, so that
# kernel is refused with one line and keeps its stock driver.
set -eu
cmd=$1 krel=$2
here=$(cd "$(dirname "$0")" && pwd)
linux_source=${UBLK_BPF_LINUX_SOURCE:-/usr/src/linux-source-6.12.tar.xz}

refuse() {
	echo "ublk-bpf-dkms: not building ublk_drv for $krel: $*" >&2
	exit 1
}

pkg_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true
}

# Sets src (a file, or "linux-source") and kver.
find_source() {
	kver=$(pkg_version "linux-headers-$krel")
	[ -n "$kver" ] ||
		refuse "its headers are not Debian's linux-headers-$krel package, so its ublk_drv.c cannot be told"
	src=$here/ublk-drv/$kver/ublk_drv.c
	[ -f "$src" ] && return 0
	if [ "$(pkg_version linux-source-6.12)" = "$kver" ] && [ -f "$linux_source" ]; then
		src=linux-source
		return 0
	fi
	carried=$(cd "$here/ublk-drv" 2>/dev/null && ls | tr '\n' ' ' | sed 's/ $//')
	refuse "this ublk-bpf-dkms carries ublk_drv.c of ${carried:-no release} but not of $kver; install linux-source-6.12=$kver or a ublk-bpf-dkms that carries it"
}

find_source
case $cmd in
check)
	if [ "$src" = linux-source ]; then
		echo "ublk-bpf-dkms: $krel: ublk_drv.c from linux-source-6.12 $kver" >&2
	else
		echo "ublk-bpf-dkms: $krel: ublk_drv.c of Debian linux $kver" >&2
	fi
	;;
build)
	kdir=$3
	mkdir -p "$here/build"
	if [ "$src" = linux-source ]; then
		tar -xJOf "$linux_source" linux-source-6.12/drivers/block/ublk_drv.c \
			>"$here/build/ublk_drv.c"
		src=$here/build/ublk_drv.c
	fi
	# ENV_FILE: not the developer's ~/.cache set-up, only what we pass.
	make -j"$(nproc)" -C "$here/kfunc-shim" KDIR="$kdir" UBLK_SRC="$src" O="$here/build" \
		ENV_FILE=/dev/null
	;;
*)
	echo "usage: dkms-make.sh check RELEASE | build RELEASE KDIR" >&2
	exit 2
	;;
esac
