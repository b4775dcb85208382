#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# apply-patches.sh SRC OUT: the stock ublk_drv.c SRC with ublk_drv-hooks.patch
# and then every backports/*.patch, in name order, written to OUT. Each patch
# must apply exactly (no fuzz): a patch that needs fuzz was made for another
# driver source and could land in the wrong place. Exit 1, naming the patch,
# when one does not apply; OUT is then not written.
set -eu
src=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$out.tmp
cp "$src" "$tmp"
for p in "$here/ublk_drv-hooks.patch" "$here"/backports/*.patch; do
	[ -f "$p" ] || continue
	if ! patch --quiet --batch --forward --fuzz=0 --no-backup-if-mismatch \
		--reject-file=- "$tmp" "$p" >"$out.log" 2>&1; then
		cat "$out.log" >&2
		rm -f "$tmp" "$out.log"
		echo "kfunc-shim: $(basename "$p") does not apply to $src" >&2
		exit 1
	fi
done
rm -f "$out.log"
mv "$tmp" "$out"
