#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# docs/writing-a-target.md runs as written: its C block becomes the file it
# names, its shell blocks run in order (set -e) in a scratch folder, and
# what they print shows each step did what the guide says.
. "$(dirname "$0")/test_common.sh"
_prep_test guide_01
_need_shim
command -v clang >/dev/null || _skip "no clang to build the guide's target"
work=$UBLK_TMP/guide
mkdir -p "$work"
awk -v dir="$work" -v script="$work/guide.sh" '
/^```c file=/ { f = dir "/" substr($0, index($0, "file=") + 5); mode = "c"; printf "" > f; next }
/^```sh$/ { mode = "sh"; next }
/^```/ && mode != "" { mode = ""; next }
mode == "c" { print > f }
mode == "sh" { print >> script }' "$UBLK_REPO/docs/writing-a-target.md"
[ -s "$work/guard.bpf.c" ] && [ -s "$work/guide.sh" ] || _fail "no code blocks found in the guide"

(cd "$work" && REPO=$UBLK_REPO bash -e -o pipefail guide.sh) >"$work/out" 2>&1
rc=$?
sed 's/^/# guide| /' "$work/out"
if [ $rc -ne 0 ]; then
	"$UBLK_PROG" del -a >/dev/null 2>&1
	_fail "the guide's commands failed (exit $rc)"
fi
for want in '^base +u64 +0$' 'LIVE .* guard +bpf-only ' 'err= 0' \
	    '^device byte 0 is file byte 1 MiB$' '"refused": 0' '^  map guarded$' \
	    '^    io_bpf +[1-9]' '^write to sector 0 refused$' '^write to 1 MiB went through$' \
	    '^    refused +1$'; do
	grep -qE -- "$want" "$work/out" || _fail "the guide's output lacks /$want/"
done
_nothing_left "after the guide"
_check_dmesg
_cleanup_test
exit 0
