#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What the test_guide_NN.sh share: docs/writing-a-target.md runs as
# written, one part per test. _guide_run FILE HEADING... takes the code
# blocks under each `## HEADING` (to the next `## `): a C block becomes
# the file it names (FILE must be one), the shell blocks run in order
# (set -e) in a scratch folder, with REPO and PATH set as the guide's
# "Build it" sets them. What they print lands in $guide_out, for
# _guide_want to check each step did what the guide says.
. "$(dirname "${BASH_SOURCE[0]}")/test_common.sh"

# _guide_start NAME: a test of the guide; its targets need the shim and clang.
_guide_start() {
	_prep_test "$1"
	_need_shim
	command -v clang >/dev/null || _skip "no clang to build the guide's targets"
}

# _guide_end: the guide's commands deleted what they made, and warned of nothing.
_guide_end() {
	_nothing_left "after the guide"
	_check_dmesg
	_cleanup_test
	exit 0
}

_guide_run() {
	local work=$UBLK_TMP/guide file=$1 h rc

	shift
	mkdir -p "$work"
	: >"$work/guide.sh"
	for h in "$@"; do
		awk -v dir="$work" -v script="$work/guide.sh" -v want="## $h" '
		/^```/ && block != "" { block = ""; next }
		/^```c file=/ && inside { f = dir "/" substr($0, index($0, "file=") + 5); block = "c"; printf "" > f; next }
		/^```sh$/ && inside { block = "sh"; next }
		/^```/ { block = "other"; next }
		block == "" && /^## / { inside = ($0 == want); found += inside; next }
		block == "c" { print > f }
		block == "sh" { print >> script }
		END { exit found ? 0 : 1 }' "$UBLK_REPO/docs/writing-a-target.md" ||
			_fail "the guide has no part '## $h'"
	done
	[ -s "$work/guide.sh" ] || _fail "no shell blocks under '$*' in the guide"
	[ -s "$work/$file" ] || _fail "the guide's $file block is gone"
	(cd "$work" && REPO=$UBLK_REPO PATH="$UBLK_REPO/.output/bin:$PATH" \
		bash -e -o pipefail guide.sh) >"$work/out" 2>&1
	rc=$?
	sed 's/^/# guide| /' "$work/out"
	guide_out=$work/out
	if [ $rc -ne 0 ]; then
		"$UBLK_PROG" del -a >/dev/null 2>&1
		_fail "the guide's commands failed (exit $rc)"
	fi
}

# _guide_want PATTERN...: each (grep -E) matches a line the part printed.
_guide_want() {
	local want

	for want in "$@"; do
		grep -qE -- "$want" "$guide_out" || _fail "the guide's output lacks /$want/"
	done
}
