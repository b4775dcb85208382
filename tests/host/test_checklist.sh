#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# docs/hacking.md's checklists, followed in a copy of the tree: a new target
# with an io_uring twin (bpf/NAME.bpf.c, user/targets/NAME.c, one word in
# user/targets/table.c) and a new verb (user/cmd_NAME.c, one word in
# user/verbs.c). The copy must build, show both in help and completion, keep
# the layering rules, and differ from the tree in exactly those files.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
copy=$(mktemp -d /tmp/ublk-checklist.XXXXXX)
trap 'rm -rf "$copy"' EXIT
failed=0
fail() { echo "# FAIL: $*"; failed=1; }

# The sources, not the build.
(cd "$repo" && tar cf - --exclude=./.output --exclude=./.git .) | tar xf - -C "$copy"
cp -r "$copy" "$copy.orig" && trap 'rm -rf "$copy" "$copy.orig"' EXIT
cd "$copy" || exit 1

# The target: null's pair under a new name, and its entry in the man page.
sed 's/null/demo/g' bpf/null.bpf.c >bpf/demo.bpf.c
sed 's/null/demo/g; s/ublk_no_backing_init/ublk_no_backing_init/' user/targets/null.c >user/targets/demo.c
sed -i 's/X(bmap)$/X(bmap) X(demo)/' user/targets/table.c
# The verb.
cat >user/cmd_demo.c <<'C'
// SPDX-License-Identifier: GPL-2.0
/* `ublk-bpf demo`: a verb made by the checklist test. */
#include <stdio.h>

#include "cli.h"
#include "verb.h"

static int demo_parse(int argc, char **argv, void *opts)
{
	return ublk_parse_none(argc, argv, opts);
}

static int demo_run(void *opts)
{
	printf("demo ran\n");
	return 0;
}

static const struct option *demo_options(void)
{
	return ublk_sel_verb_longopts("demo");
}

const struct ublk_verb ublk_verb_demo = {
	.name = "demo",
	.synopsis = "demo",
	.help = "Prints 'demo ran'.",
	.options = demo_options,
	.opts_size = sizeof(struct ublk_sel_opts),
	.parse = demo_parse,
	.run = demo_run,
};
C
sed -i 's/X(features)$/X(features) X(demo)/' user/verbs.c
sed -i 's/^\.SS recover$/.SS demo\n.nf\n\\fBublk\\-bpf demo\\fR\n.fi\n.PP\nPrints "demo ran".\n&/' man/ublk-bpf.8
sed -i '0,/^\\fBublk\\-bpf features\\fR$/s//&\n\\fBublk\\-bpf demo\\fR/' man/ublk-bpf.8
sed -i '0,/^\.B null$/s//.B demo\nLike null.\n.TP\n&/' man/ublk-bpf.8

changed=$(diff -rq "$copy.orig" "$copy" | sed "s|$copy.orig|.|; s|$copy|.|" |
	  sed -n 's/^Only in \.\/\?\([^:]*\): \(.*\)/\1\/\2/p; s/^Files \.\/\([^ ]*\) and.*/\1/p' |
	  sed 's|^\./||; s|^/||' | sort | tr '\n' ' ')
want="bpf/demo.bpf.c man/ublk-bpf.8 user/cmd_demo.c user/targets/demo.c user/targets/table.c user/verbs.c "
echo "# files touched: $changed"
[ "$changed" = "$want" ] || fail "touched '$changed', the checklist names '$want'"

make -s WERROR=1 .output/bin/ublk-bpf .output/bpf/demo.bpf.o >make.log 2>&1 ||
	{ sed 's/^/# /' make.log; fail "the copy does not build"; }
prog=./.output/bin/ublk-bpf
[ "$($prog demo 2>&1)" = "demo ran" ] || fail "ublk-bpf demo: '$($prog demo 2>&1)'"
$prog help | grep -q '^  demo$' || fail "help does not list the verb"
$prog demo --help | grep -q '^usage: ublk-bpf demo' || fail "demo --help"
$prog complete "" | grep -qx demo || fail "completion lacks the verb"
$prog complete add -t "" | grep -qx demo || fail "completion lacks the target"
$prog help add | grep -q '^  demo ' || fail "add --help does not list the target"
llvm-objdump -h .output/bpf/demo.bpf.o | grep -q struct_ops || fail "demo.bpf.o has no struct_ops"
bash tests/host/test_layering.sh >/dev/null || fail "the new files break the layering rules"
bash tests/host/test_man.sh >man.log || { sed "s/^/# /" man.log; false; } || fail "the man page does not cover the new verb and target"
exit $failed
