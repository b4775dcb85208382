#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ublk-drv-sources.sh OUTDIR: put drivers/block/ublk_drv.c of each Debian
# linux release listed in debian/kernels into OUTDIR/<version>/ublk_drv.c,
# for the ublk-bpf-dkms package (`make deb`). Each comes from Debian's
# linux-source-6.12 package of that version (apt-get download, ~150 MB,
# once: the file is cached in $UBLK_BPF_CACHE/ublk-drv/<version>/) and is
# kept only when the shim's patches (kfunc-shim/apply-patches.sh) apply to it
# exactly (no fuzz). Kernel sources are never committed; the package carries them as
# built.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${UBLK_BPF_CACHE:-$HOME/.cache/ublk-bpf}/ublk-drv
out=${1:?usage: ublk-drv-sources.sh OUTDIR}

say() { echo "ublk-drv-sources: $*" >&2; }

fetch() {
	local ver=$1 dir=$cache/$1 tmp
	[ -f "$dir/ublk_drv.c" ] && return 0
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" RETURN
	say "fetching linux-source-6.12=$ver for its ublk_drv.c"
	(cd "$tmp" && apt-get download -q "linux-source-6.12=$ver" 2>&1 |
		grep -v '^W: Download is performed unsandboxed' >&2) || return 1
	mkdir -p "$dir"
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-6.12_*.deb |
		tar -xO ./usr/src/linux-source-6.12.tar.xz |
		xz -dc | tar -xO linux-source-6.12/drivers/block/ublk_drv.c >"$dir/ublk_drv.c.tmp"
	[ -s "$dir/ublk_drv.c.tmp" ] || return 1
	mv "$dir/ublk_drv.c.tmp" "$dir/ublk_drv.c"
}

mkdir -p "$out"
kept=0
while read -r ver _; do
	case $ver in ''|'#'*) continue ;; esac
	if ! fetch "$ver"; then
		say "error: cannot get ublk_drv.c of linux $ver (is bookworm-security in apt's sources?)"
		exit 1
	fi
	if ! "$repo/kfunc-shim/apply-patches.sh" "$cache/$ver/ublk_drv.c" "$out/.probe.c" >/dev/null 2>&1; then
		say "linux $ver: the shim's patches do not apply: not carried (that kernel is refused)"
		continue
	fi
	rm -f "$out/.probe.c"
	install -D -m 0644 "$cache/$ver/ublk_drv.c" "$out/$ver/ublk_drv.c"
	kept=$((kept + 1))
done <"$repo/debian/kernels"
[ $kept -gt 0 ] || { say "error: no release's ublk_drv.c takes the hook patch"; exit 1; }
say "$kept releases carried: $(cd "$out" && ls | tr '\n' ' ')"
