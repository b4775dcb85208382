#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once per kernel and init script) the VM's initramfs: busybox, the
# modules needed to mount the host's root over 9p (with what they depend on,
# from the kernel's modules.dep: Debian's 6.12 has virtio built in, its 6.1
# has it as modules, the virtio console too), and initramfs-init.
# Prints the path of the cached image. UBLK_VM_KENV: an env file naming
# another kernel (tests/vm/run.sh --kernel) over the cache's current.env.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${UBLK_BPF_CACHE:-$HOME/.cache/ublk-bpf}
# shellcheck source=/dev/null
. "$cache/current.env"
# shellcheck source=/dev/null
[ -n "${UBLK_VM_KENV:-}" ] && . "$UBLK_VM_KENV"

mods=$UBLK_KROOT/lib/modules/$UBLK_KABI
wanted=(virtio_pci virtio_console 9pnet_virtio 9p overlay)
key=$( { cat "$here/initramfs-init" "$0"; echo "$UBLK_KABI"; } | sha256sum | cut -c1-16)
image=$(dirname "$UBLK_KROOT")/initramfs-$key.cpio.gz
if [ ! -f "$image" ]; then
	declare -A seen=()
	order=()
	# add PATH: PATH (relative to $mods) after the modules it needs.
	add() {
		local m=$1 d
		[ -n "${seen[$m]:-}" ] && return 0
		seen[$m]=1
		for d in $(sed -n "s|^$m: *||p" "$mods/modules.dep"); do add "$d"; done
		order+=("$m")
	}
	for w in "${wanted[@]}"; do
		p=$(grep -E "(^|/)$w\.ko(\.xz|\.zst|\.gz)?:" "$mods/modules.dep" | cut -d: -f1 | head -n1 || true)
		if [ -n "$p" ]; then
			add "$p"
		elif ! grep -qE "(^|/)$w\.ko" "$mods/modules.builtin"; then
			echo "initramfs.sh: $UBLK_KABI has no module $w" >&2
			exit 1
		fi
	done
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp"/{bin,proc,sys,dev,modules}
	cp /bin/busybox "$tmp/bin/busybox"
	for cmd in sh mount mkdir insmod switch_root cat sleep echo; do
		ln -s busybox "$tmp/bin/$cmd"
	done
	for m in "${order[@]}"; do
		name=$(basename "$m"); name=${name%%.ko*}
		case "$m" in
		*.xz) xz -dc "$mods/$m" ;;
		*.zst) zstd -qdc "$mods/$m" ;;
		*.gz) gzip -dc "$mods/$m" ;;
		*) cat "$mods/$m" ;;
		esac >"$tmp/modules/$name.ko"
		echo "$name" >>"$tmp/modules/order"
	done
	install -m755 "$here/initramfs-init" "$tmp/init"
	(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$image.tmp"
	mv "$image.tmp" "$image"
fi
echo "$image"
