#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# man/ublk-bpf.8 against the tool: every verb has a ".SS VERB" section;
# every option `ublk-bpf complete VERB --` offers is defined (a .TP item)
# in that section, in COMMON OPTIONS, in the section of a verb its
# "test_man: also VERB" comment names, or (a target's) under TARGETS; no
# verb section defines an option its verb lacks; every
# target, every exit status `help` states and every environment variable
# the sources read is in the page. UBLK_BPF_PROG and UBLK_BPF_MAN test
# another tool or page (the installed ones, say).
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
prog=${UBLK_BPF_PROG:-$repo/.output/bin/ublk-bpf}
page=${UBLK_BPF_MAN:-$repo/man/ublk-bpf.8}
[ -x "$prog" ] || { echo "# $prog not built"; exit 1; }
[ -f "$page" ] || { echo "# no $page"; exit 1; }
failed=0
fail() { echo "# FAIL: $*"; failed=1; }

# The page as plain text, one roff line a line: escapes and fonts gone.
text=$(sed -e 's/\\-/-/g; s/\\f[BIRP]//g; s/\\(em/--/g; s/\\&//g' "$page")

# The lines of section "$1" (.SS or .SH NAME) up to the next one.
section() {
	echo "$text" | awk -v want="$1" '
		/^\.S[SH] / { name = $0; sub(/^\.S[SH] /, "", name); gsub(/"/, "", name)
			      on = (name == want); next }
		on'
}
# The long options named in text on stdin, one a line.
long_opts() { grep -oE -- '--[a-z][a-z_-]*[a-z]' | sort -u; }
has_word() { grep -qE -- "(^|[^a-z_-])$1([^a-z_-]|\$)"; }

# The option lines (.TP items) of a section.
defined() { section "$1" | awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }'; }

common=$(defined "COMMON OPTIONS")
# A target's options are defined under TARGETS.
target_text=$(section TARGETS)
verbs=$("$prog" complete "" | grep -vx help)
[ -n "$verbs" ] || fail "ublk-bpf complete lists no verbs"
for verb in $verbs; do
	sec=$(section "$verb")
	[ -n "$sec" ] || { fail "no '.SS $verb' section"; continue; }
	section SYNOPSIS | grep -q "^ublk-bpf $verb" || fail "SYNOPSIS lacks $verb"
	own=$(defined "$verb")
	inherited=""
	for a in $(echo "$sec" | sed -n 's/^\.\\" test_man: also //p'); do
		inherited+=$(defined "$a")$'\n'
	done
	opts=$("$prog" complete "$verb" -- | grep '^--')
	for opt in $opts; do
		for where in "$own" "$common" "$inherited" "$target_text"; do
			echo "$where" | has_word "$opt" && continue 2
		done
		fail "$verb $opt: not defined in the man page's $verb section"
	done
	# The other way: the options the section defines, it takes.
	for opt in $(echo "$own" | long_opts); do
		echo "$opts" | grep -qx -- "$opt" ||
			fail "the $verb section defines $opt, which '$verb' does not take"
	done
done
section "help" | grep -q -- "--version" || fail "--version undocumented"

# Targets: each is a .B NAME under TARGETS.
targets=$("$prog" complete add -t "")
[ -n "$targets" ] || fail "ublk-bpf complete add -t lists no targets"
for t in $targets; do
	section TARGETS | grep -qx "\.B $t" || fail "target $t not under TARGETS"
done

# Exit statuses: "Exit status: 0 done, 1 failed, 2 bad command line."
statuses=$("$prog" help | sed -n 's/^Exit status: //p' | grep -oE '(^|, )[0-9]+' | tr -dc '0-9\n')
[ -n "$statuses" ] || fail "help states no exit status"
for s in $statuses; do
	section "EXIT STATUS" | grep -qx "\.B $s" || fail "exit status $s not under EXIT STATUS"
done

# Environment: every variable the tool reads.
# shellcheck disable=SC2013  # variable names: one word each
for v in $(grep -rhoE 'getenv\("[A-Z_]+"\)' "$repo"/user | sed 's/getenv("\(.*\)")/\1/' | sort -u); do
	section ENVIRONMENT | grep -qx "\.B $v" || fail "$v not under ENVIRONMENT"
done

if command -v groff >/dev/null; then
	warn=$(groff -man -ww -z "$page" 2>&1)
	[ -z "$warn" ] || fail "groff warns: $warn"
fi
[ $failed -eq 0 ] && echo "# man page covers $(echo "$verbs" | wc -w) verbs, $(echo "$targets" | wc -w) targets"
exit $failed
