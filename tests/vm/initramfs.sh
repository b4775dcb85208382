#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once per kernel and init script) the VM's initramfs: busybox, the
# modules needed to mount the host's root over 9p, and initramfs-init.
# Prints the path of the cached image.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${UBLK_BPF_CACHE:-$HOME/.cache/ublk-bpf}
# shellcheck source=/dev/null
. "$cache/current.env"

modules=(fs/netfs/netfs net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p fs/overlayfs/overlay)
key=$( { cat "$here/initramfs-init" "$0"; echo "$UBLK_KABI"; } | sha256sum | cut -c1-16)
image=$cache/kernel/$UBLK_KABI/initramfs-$key.cpio.gz
if [ ! -f "$image" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp"/{bin,proc,sys,dev,modules}
	cp /bin/busybox "$tmp/bin/busybox"
	for cmd in sh mount mkdir insmod switch_root cat sleep echo; do
		ln -s busybox "$tmp/bin/$cmd"
	done
	for m in "${modules[@]}"; do
		xz -dc "$UBLK_KROOT/lib/modules/$UBLK_KABI/kernel/$m.ko.xz" >"$tmp/modules/$(basename "$m").ko"
	done
	install -m755 "$here/initramfs-init" "$tmp/init"
	(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$image.tmp"
	mv "$image.tmp" "$image"
fi
echo "$image"
