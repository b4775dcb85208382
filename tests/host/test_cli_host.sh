#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bad command lines, on the host (no kernel needed): one line on stderr that
# starts with "ublk-bpf:", a non-zero exit, and nothing on stdout.
prog=$(dirname "$0")/../../.output/bin/ublk-bpf
[ -x "$prog" ] || { echo "# $prog not built"; exit 1; }
failed=0

expect_refused() {
	local out err rc
	out=$("$prog" "$@" 2>/tmp/ublk-cli-err.$$); rc=$?
	err=$(cat /tmp/ublk-cli-err.$$); rm -f /tmp/ublk-cli-err.$$
	if [ $rc -eq 0 ] || [ -n "$out" ] || [ "$(echo "$err" | wc -l)" -ne 1 ] ||
	   [[ "$err" != ublk-bpf:* ]]; then
		echo "# FAIL: ublk-bpf $*: rc=$rc stdout='$out' stderr='$err'"
		failed=1
	else
		echo "# ok: ublk-bpf $* -> $err"
	fi
}

expect_refused
expect_refused frobnicate
expect_refused add
expect_refused add -t nosuch
expect_refused add -t
expect_refused add -t null --bogus
expect_refused add -t null -x
expect_refused add -t null stray
expect_refused add -t null -q 0
expect_refused add -t null -d 1025
expect_refused add -t null --size 1000
expect_refused add -t null -n -1
expect_refused del
expect_refused del -a -n 0
expect_refused list --all
expect_refused features extra
"$prog" help | grep -q '^usage: ublk-bpf' || { echo "# FAIL: help"; failed=1; }

# Without the driver every verb that needs it says so; on a host that has
# the driver loaded this part does not apply.
if [ ! -e /dev/ublk-control ]; then
	for verb in "add -t null" "del -n 0" "list" "features"; do
		# shellcheck disable=SC2086
		expect_refused $verb
	done
	"$prog" list 2>&1 | grep -q 'ublk_drv module is not loaded' ||
		{ echo "# FAIL: no hint to load ublk_drv"; failed=1; }
fi
exit $failed
