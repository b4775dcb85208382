#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/ublk-bpf.bash-completion, sourced into this shell with the tool on
# PATH: what COMPREPLY holds after <TAB> on a few command lines. With
# UBLK_BPF_PROG and UBLK_BPF_COMPLETION it tests an installed pair.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
prog=${UBLK_BPF_PROG:-$repo/.output/bin/ublk-bpf}
script=${UBLK_BPF_COMPLETION:-$repo/scripts/ublk-bpf.bash-completion}
[ -x "$prog" ] || { echo "# $prog not built"; exit 1; }
failed=0
fail() { echo "# FAIL: $*"; failed=1; }

# The completion calls the tool by the name typed, found on PATH.
bin=$(mktemp -d /tmp/ublk-completion.XXXXXX)
trap 'rm -rf "$bin"' EXIT
ln -s "$(readlink -f "$prog")" "$bin/ublk-bpf"
PATH=$bin:$PATH
# shellcheck source=/dev/null
. "$script"
complete -p ublk-bpf >/dev/null 2>&1 || fail "the script registers no completion for ublk-bpf"

# tab WORD... : COMPREPLY after <TAB> on "ublk-bpf WORD...", sorted, one line.
tab() {
	COMP_WORDS=(ublk-bpf "$@")
	COMP_CWORD=$#
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_ublk_bpf ublk-bpf "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() {	# expect WANT WORD...
	local want=$1 got
	shift
	got=$(tab "$@")
	[ "$got" = "$want" ] || fail "ublk-bpf $*<TAB>: '$got', expected '$want'"
}

expect "add" ad
expect "del" d
targets=$("$prog" complete add -t "" | sort | tr '\n' ' ' | sed 's/ $//')
[ "$(echo "$targets" | wc -w)" -ge 8 ] || fail "only targets '$targets'"
expect "$targets" add -t ""
expect "$targets" add --type ""
expect "stripe" add -t str
expect "--json" list --js
expect "--watch" stats -n 0 --wa
expect "--help --number --run-dir" recover --
# A word the tool has nothing for: files (here, in an empty folder).
(cd "$bin" && touch disk.img && expect "disk.img" add -t loop --file di) || failed=1
# load's OBJ: the objects installed beside the tool, by name.
objdir=$(dirname "$(dirname "$(readlink -f "$prog")")")/lib/ublk-bpf
if [ -d "$objdir" ]; then
	(cd "$bin" && expect "stripe" load stri) || failed=1
else
	echo "# no $objdir: load NAME<TAB> not checked"
fi
[ $failed -eq 0 ] && echo "# completion: verbs, targets, options, files, object names"
exit $failed
