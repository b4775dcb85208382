#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# klog-check.sh [FILE]: exit 1 (printing the lines) when a kernel log, read
# from FILE or from dmesg, reports a WARN, BUG, oops, hung task, lockdep or
# memory-safety splat; 0 when it is clean.
pattern='WARNING:|BUG:|Oops|kernel BUG|general protection fault|Call Trace:|blocked for more than|hung_task|INFO: task .* blocked|possible circular locking|refcount_t:|UBSAN:|KASAN:|list_add corruption|list_del corruption|double free|use-after-free|Kernel panic'
if [ $# -gt 0 ]; then
	hits=$(grep -aE "$pattern" "$1")
else
	hits=$(dmesg | grep -aE "$pattern")
fi
[ -z "$hits" ] && exit 0
echo "$hits" | head -n 40 >&2
exit 1
