#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: the Debian packages ublk-bpf and ublk-bpf-dkms, into .output/deb/.
# Builds from a copy of the tree (what git tracks or would add, as it is in
# the working tree) under .output/deb/build/, with dpkg-buildpackage and
# debhelper + dh-dkms; the carried ublk_drv.c copies come from Debian's
# linux-source-6.12 packages (scripts/ublk-drv-sources.sh). The log of the
# package build is .output/deb/build.log.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$repo/.output/deb
version=$(cat "$repo/VERSION")
src=$out/build/ublk-bpf-$version
export UBLK_BPF_CACHE=${UBLK_BPF_CACHE:-$HOME/.cache/ublk-bpf}

say() { echo "deb: $*" >&2; }
die() { echo "deb: error: $*" >&2; exit 1; }

command -v dpkg-buildpackage >/dev/null && command -v dh_dkms >/dev/null ||
	die "needs dpkg-dev, debhelper and dh-dkms (apt-get install dpkg-dev debhelper dh-dkms)"
[ -f "$UBLK_BPF_CACHE/current.env" ] || die "no libbpf/kernel set-up: run 'make setup' first"

rm -rf "$out/build"
mkdir -p "$src"
# The tree as git sees it, not the build output or other ignored files.
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar --null -T - -cf -) | tar -C "$src" -xf -

# The version is the project's VERSION; the changelog is made for it.
cat >"$src/debian/changelog" <<CHANGELOG
ublk-bpf ($version) unstable; urgency=medium

  * Built by make deb from $(cd "$repo" && git describe --always --dirty 2>/dev/null || echo "a tree without git").

 -- ublk-bpf developers <ublk-bpf@localhost>  $(date -R)
CHANGELOG

"$repo/scripts/ublk-drv-sources.sh" "$src/debian/ublk-drv"

(cd "$src" && dpkg-checkbuilddeps) ||
	die "missing build dependencies (above): apt-get install them"
say "building ublk-bpf $version (log: $out/build.log)"
if ! (cd "$src" && dpkg-buildpackage -b -us -uc -j2) >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	die "dpkg-buildpackage failed (log: $out/build.log)"
fi
rm -f "$out"/*.deb
mv "$out"/build/*.deb "$out/"
say "packages in $out:"
ls -1 "$out"/*.deb >&2
