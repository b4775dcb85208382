#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --run-dir DIR: add, load, list, stats and del keep and read device state in
# DIR, which wins over $UBLK_BPF_RUN_DIR, and nothing lands anywhere else.
. "$(dirname "$0")/test_common.sh"
_prep_test rundir_01

dir=$UBLK_TMP/state
envdir=$UBLK_TMP/env-state
default=/run/ublk-bpf
before=$(ls "$default" 2>/dev/null | wc -l)
export UBLK_BPF_RUN_DIR=$envdir

out=$("$UBLK_PROG" add -t null --size 16M --run-dir "$dir") || _fail "add --run-dir failed"
id=${out#dev id }
[ -b /dev/ublkb$id ] || _fail "/dev/ublkb$id missing: '$out'"
UBLK_DEVS+=("$id")
[ -f "$dir/$id.json" ] || _fail "no $dir/$id.json"
[ ! -e "$envdir" ] || _fail "--run-dir lost to \$UBLK_BPF_RUN_DIR: $(ls "$envdir")"
[ "$(ls "$default" 2>/dev/null | wc -l)" -eq "$before" ] || _fail "state written to $default"
_log "state in $(ls "$dir")"

# list reads the target from the state file: only with the same --run-dir.
"$UBLK_PROG" list -n "$id" --json --run-dir "$dir" | grep -q '"target":"null"' ||
	_fail "list --run-dir does not see the target"
"$UBLK_PROG" list -n "$id" --json | grep -q '"target":"null"' &&
	_fail "list without --run-dir read a state file it should not find"

# list --json is JSON whatever the state file holds: a target with a quote,
# a backslash and a control character, then one of bytes that are not UTF-8
# (kept as {"hex":...} in the state file, printed with U+FFFD).
cp "$dir/$id.json" "$UBLK_TMP/good.json"
jq -c '.target = "q\"b\\\u0001"' "$UBLK_TMP/good.json" >"$dir/$id.json"
out=$("$UBLK_PROG" list -n "$id" --json --run-dir "$dir")
[ "$(echo "$out" | jq -r '.[0].target')" = "$(printf 'q"b\\\001')" ] ||
	_fail "list --json of a target with a quote: '$out'"
jq -c '.target = {"hex":"71ff22"}' "$UBLK_TMP/good.json" >"$dir/$id.json"
out=$("$UBLK_PROG" list -n "$id" --json --run-dir "$dir")
[ "$(echo "$out" | jq -r '.[0].target')" = "$(printf 'q\357\277\275"')" ] ||
	_fail "list --json of a target that is not UTF-8: '$out'"
echo "$out" | jq -e '.[0].note == ""' >/dev/null || _fail "a hex target read as damaged: '$out'"
cp "$UBLK_TMP/good.json" "$dir/$id.json"

if _shim_loaded; then
	out=$("$UBLK_PROG" load "$UBLK_BPF_OBJS/null.bpf.o" --size 16M --run-dir "$dir") ||
		_fail "load --run-dir failed"
	id2=${out#dev id }
	UBLK_DEVS+=("$id2")
	[ -f "$dir/$id2.json" ] || _fail "load: no $dir/$id2.json"
	out=$("$UBLK_PROG" stats -n "$id2" --json --run-dir "$dir") || _fail "stats --run-dir failed"
	echo "$out" | jq -e ".id == $id2 and .twin == true" >/dev/null ||
		_fail "stats --json does not parse or lacks its keys: '$out'"
	"$UBLK_PROG" del -n "$id2" --run-dir "$dir" || _fail "del -n $id2 --run-dir failed"
	_forget_dev "$id2"
	[ ! -e "$dir/$id2.json" ] || _fail "del left $dir/$id2.json"
fi

"$UBLK_PROG" del -a --run-dir "$dir" || _fail "del -a --run-dir failed"
_forget_dev "$id"
for i in $(seq 50); do [ -e /dev/ublkb$id ] || break; sleep 0.1; done
[ -z "$(ls -A "$dir")" ] || _fail "left in $dir: $(ls -A "$dir")"
[ ! -e "$envdir" ] || _fail "something written to \$UBLK_BPF_RUN_DIR"
[ "$(ls "$default" 2>/dev/null | wc -l)" -eq "$before" ] || _fail "state left in $default"
_refused "run-dir .* is not a folder" list --run-dir /dev/null
UBLK_BPF_RUN_DIR=$dir _nothing_left "del -a --run-dir"
unset UBLK_BPF_RUN_DIR
_check_dmesg
_cleanup_test
exit 0
