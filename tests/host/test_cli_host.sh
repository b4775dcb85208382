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
# kublk's command line: its refusals are parse-time, driver or not.
expect_refused add -t null -z
expect_refused add -t null -r 2
expect_refused add -t stripe --chunk_size 1000 a b
expect_refused load x.bpf.o -g
expect_refused list -a -n 0
expect_refused recover -n 1 -t null
expect_refused recover -t null -r 1
expect_refused upgrade
expect_refused upgrade -a
expect_refused resize -n 1
expect_refused resize --size 1M
expect_refused resize -n 1 --size 1000
expect_refused add -t null --fail-io --reissue
# ctrl: an action, and each action's own options only.
expect_refused ctrl
expect_refused ctrl frob
expect_refused ctrl add
expect_refused ctrl add -q 2
expect_refused ctrl add -q 0 -d 32
expect_refused ctrl add -q 2 -d 1025
expect_refused ctrl add --id x -q 2 -d 32
expect_refused ctrl add --id 1048576 -q 2 -d 32
expect_refused ctrl add -q 2 -d 32 -n 1
expect_refused ctrl del
expect_refused ctrl del -n -1
expect_refused ctrl del -n 1 --json
expect_refused ctrl list -n 1
expect_refused ctrl list stray
# nvme-tcp's own options: bad values refused while parsing, driver or not.
expect_refused add -t nvme-tcp --traddr 127.0.0.1 --subnqn n --nsid 0
expect_refused add -t nvme-tcp --traddr 127.0.0.1 --subnqn n --trsvcid 65536
expect_refused add -t nvme-tcp --traddr 127.0.0.1 --subnqn n --kato 0
expect_refused add -t nvme-tcp --traddr 127.0.0.1 --subnqn "$(printf 'n%.0s' $(seq 256))"
expect_refused add -t null --subnqn n
"$prog" help | grep -q '^usage: ublk-bpf' || { echo "# FAIL: help"; failed=1; }
# The verb table drives help, each verb's --help and completion: every verb
# the completion offers has its own help, exit 0, on stdout.
"$prog" --version | grep -qE '^ublk-bpf [0-9]+\.[0-9]+' || { echo "# FAIL: --version"; failed=1; }
verbs=$("$prog" complete "")
[ "$(echo "$verbs" | wc -l)" -ge 8 ] || { echo "# FAIL: complete lists '$verbs'"; failed=1; }
for verb in $verbs; do
	[ "$verb" = help ] && continue
	for form in "$verb --help" "help $verb" "$verb -n 0 --help"; do
		# shellcheck disable=SC2086
		out=$("$prog" $form 2>&1) || { echo "# FAIL: ublk-bpf $form: exit $?"; failed=1; }
		echo "$out" | grep -q "^usage: ublk-bpf $verb" ||
			{ echo "# FAIL: ublk-bpf $form: no usage line"; failed=1; }
	done
	"$prog" help | grep -q "^  $verb" || { echo "# FAIL: help does not list $verb"; failed=1; }
	for opt in $("$prog" complete "$verb" --); do
		[ "$opt" = --help ] && continue
		"$prog" help "$verb" | grep -q -- "$opt\b" ||
			{ [ "$verb" = load ] && "$prog" help add | grep -q -- "$opt\b"; } ||
			{ "$prog" help "$verb" | grep -q 'TARGET OPTIONS' && "$prog" help | grep -q -- "$opt\b"; } ||
			{ echo "# FAIL: ublk-bpf help $verb does not explain $opt"; failed=1; }
	done
done
"$prog" complete add -t "" | grep -qx stripe || { echo "# FAIL: complete add -t"; failed=1; }
expect_refused help nosuch
# Options are matched whole, and a refusal names what was typed.
expect_refused load x.bpf.o --help-p
expect_refused add -t null --buff
"$prog" add -t null --buff 2>&1 | grep -q "'--buff'" || { echo "# FAIL: --buff not named"; failed=1; }
"$prog" stats -n 0 --watch=1 2>&1 | grep -q 'unknown option' && { echo "# FAIL: stats --watch=1"; failed=1; }

# load --set and --help-params are checked against the object's BTF before
# the driver is asked anything: the same refusals with or without it.
objs=$(dirname "$0")/../../.output/tests/bpf
params=$objs/params.bpf.o
expect_refused_like() {	# PATTERN ARGS...: expect_refused, with that message
	local pattern=$1 err
	shift
	expect_refused "$@"
	err=$("$prog" "$@" 2>&1 >/dev/null)
	echo "$err" | grep -qE -- "$pattern" || { echo "# FAIL: ublk-bpf $*: '$err' !~ /$pattern/"; failed=1; }
}
expect_refused_like "no such variable" load "$params" --set nosuch=1
expect_refused_like "--ctrl \\(a controller id\\)" add -t null --ctrl 1048576
expect_refused_like "--ctrl \\(a controller id\\)" add -t null --ctrl x
expect_refused_like "wants NAME=VALUE" load "$params" --set p_u32
expect_refused_like "out of range for s8" load "$params" --set p_s8=-129
expect_refused_like "out of range for u8" load "$params" --set p_u8=256
expect_refused_like "out of range for u8" load "$params" --set p_u8=-1
expect_refused_like "out of range for u32" load "$params" --set p_u32=4G
expect_refused_like "u16 wants a number" load "$params" --set p_u16=lots
expect_refused_like "a bool is true or false" load "$params" --set p_bool=maybe
expect_refused_like "or one of its names, got 'MODE_NONE'" load "$params" --set p_mode=MODE_NONE
expect_refused_like "too long: char\\[8\\] holds at most 7" load "$params" --set p_label=abcdefgh
expect_refused_like "more than 4 items" load "$params" --set p_table=1,2,3,4,5
expect_refused_like "an empty list" load "$params" --set p_table=
expect_refused_like "that is a map, not a variable" load "$params" --set p_map=1
expect_refused_like "not 'const volatile' \\(it is in .bss\\)" load "$params" --set p_counter=1
expect_refused_like "not 'const volatile' \\(it is in .rodata\\)" load "$params" --set p_plain_const=1
expect_refused_like "the tool fills 'config' itself" load "$params" --set config=1
expect_refused_like "expected one ublk_bpf_ops instance, found 2" load "$objs/two_ops.bpf.o"
expect_refused_like "add: --set is an option of load only" add -t null --set p_u32=1
# Crafted objects: BTF that claims more than the sections hold is refused
# before anything is written through it.
patch=$(dirname "$0")/../../.output/tests/btf_patch
crafted=$(mktemp -d)
"$patch" "$params" "$crafted/big.bpf.o" array p_table 4096 &&
	expect_refused_like "its BTF type has 16384 bytes but its entry in .rodata 16" \
		load "$crafted/big.bpf.o" --set p_table=1,2
"$patch" "$params" "$crafted/id.bpf.o" member ublk_bpf_ops id 100000 &&
	expect_refused_like "is not a ublk_bpf_ops" load "$crafted/id.bpf.o" --size 1M
"$patch" "$params" "$crafted/name.bpf.o" member ublk_bpf_ops name 4096 &&
	expect_refused_like "is not a ublk_bpf_ops" load "$crafted/name.bpf.o" --size 1M
# A chain of modifiers that loops back on itself (found by tests/fuzz/fuzz_btf):
# refused, and --help-params ends, rather than following it forever.
if "$patch" "$params" "$crafted/loop.bpf.o" loop p_u32; then
	err=$(timeout 20 "$prog" load "$crafted/loop.bpf.o" --set p_u32=1 2>&1 >/dev/null); rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && echo "$err" | grep -q "its BTF type refers to itself" ||
		{ echo "# FAIL: --set through a looping BTF type: rc=$rc '$err'"; failed=1; }
	help=$(timeout 20 "$prog" load "$crafted/loop.bpf.o" --help-params 2>&1); rc=$?
	[ $rc -eq 0 ] && ! echo "$help" | grep -q '^p_u32 ' && echo "$help" | grep -q '^p_s8 ' ||
		{ echo "# FAIL: --help-params over a looping BTF type: rc=$rc"; failed=1; }
else
	echo "# FAIL: btf_patch loop"; failed=1
fi
# An entry whose offset wraps past 4 GiB when its size is added (found by
# tests/fuzz/fuzz_btf): refused, never read or written through.
if "$patch" "$params" "$crafted/wrap.bpf.o" offset p_u32 0xfffffffe; then
	expect_refused_like "p_u32: its entry .* lies outside its section .rodata" \
		load "$crafted/wrap.bpf.o" --set p_u32=1
	help=$("$prog" load "$crafted/wrap.bpf.o" --help-params 2>&1); rc=$?
	[ $rc -eq 0 ] && ! echo "$help" | grep -q '^p_u32 ' && echo "$help" | grep -q '^p_s8 ' ||
		{ echo "# FAIL: --help-params over an entry outside its section: rc=$rc"; failed=1; }
else
	echo "# FAIL: btf_patch offset"; failed=1
fi
rm -rf "$crafted"
help=$("$prog" load "$params" --help-params)
for want in 'p_s8 +s8 +-1$' 'p_u32 +u32 +42$' 'p_label +char\[8\] +"dflt"$' 'p_table +u32\[4\] +1,2,0,0$' \
	    'p_bool +bool +false$' 'p_mode +enum params_mode +0$' '^config +struct'; do
	echo "$help" | grep -qE -- "$want" || { echo "# FAIL: --help-params lacks /$want/"; failed=1; }
done
echo "$help" | grep -qE 'p_counter|p_plain_const|p_map' && { echo "# FAIL: --help-params lists what cannot be set"; failed=1; }

# Without the driver every verb that needs it says so; on a host that has
# the driver loaded this part does not apply.
if [ ! -e /dev/ublk-control ]; then
	for verb in "add -t null" "del -n 0" "list" "features" "ctrl list"; do
		# shellcheck disable=SC2086
		expect_refused $verb
	done
	"$prog" list 2>&1 | grep -q 'ublk_drv module is not loaded' ||
		{ echo "# FAIL: no hint to load ublk_drv"; failed=1; }
fi
exit $failed
