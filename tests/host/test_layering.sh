#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The layering of user/ (docs/hacking.md), checked from the #include lines:
#   main.c -> verbs (cmd_*.c, verbs.c, cli*.c) -> target table and core;
#   targets (user/targets/) -> core helpers only: never the CLI, the verbs,
#   the table, or another target's private files;
#   the core never reaches up to the verbs or the targets;
#   no two files of user/ need each other (no circle among modules, where a
#   module is NAME.c with its NAME.h).
cd "$(dirname "$0")/../.." || exit 1
failed=0
fail() { echo "# FAIL: $*"; failed=1; }

includes() { sed -n 's/^#include "\([^"]*\)".*/\1/p' "$1"; }

# What a target may include: the server's interface, core helpers, the
# shared headers of include/, and its own private files (NAME_*.h).
target_ok="ublk.h log.h values.h params.h net.h pci.h"
for f in user/targets/*.c user/targets/*.h; do
	name=$(basename "$f"); name=${name%.*}; own=${name%%_*}
	[ "$name" = table ] || [ "$name" = targets ] && continue
	for h in $(includes "$f"); do
		[ -f "include/$h" ] && continue
		case " $target_ok " in *" $h "*) continue ;; esac
		[ -f "user/targets/$h" ] && [ "${h%%_*}" = "$own" ] || [ "${h%.h}" = "$own" ] && continue
		fail "$f includes $h: a target knows only ublk.h, core helpers ($target_ok) and its own files"
	done
done

# The core: everything flat in user/ but the verbs, the CLI and main.
upper="verb.h commands.h cli.h cli_kublk.h targets.h"
for f in user/*.c user/*.h; do
	case "$(basename "$f")" in
	main.c|verbs.c|verb.h|commands.h|cmd_*|cli*) continue ;;
	esac
	for h in $(includes "$f"); do
		case " $upper " in *" $h "*) fail "$f (core) includes $h (a verb's or the table's)" ;; esac
	done
done

# Module graph: an edge A B when A.c or A.h includes B.h of another module.
edges=$(for f in user/*.[ch] user/targets/*.[ch]; do
	a=$(basename "$f"); a=${a%.*}
	for h in $(includes "$f"); do
		b=${h%.h}
		[ "$b" != "$a" ] && { [ -f "user/$b.c" ] || [ -f "user/targets/$b.c" ]; } && echo "$a $b"
	done
done | sort -u)
if ! echo "$edges" | tsort >/dev/null 2>/tmp/ublk-layering.$$; then
	fail "a circle among modules: $(tr '\n' ' ' </tmp/ublk-layering.$$)"
fi
rm -f /tmp/ublk-layering.$$
echo "# $(echo "$edges" | wc -l) module dependencies, $(ls user/*.c user/targets/*.c | wc -l) files"
exit $failed
