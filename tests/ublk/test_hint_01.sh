#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The IO pattern hint on both paths: a sequential fio job is served mostly
# with the hint SEQUENTIAL and a random one mostly RANDOM, as counted by
# `stats`: the io_uring server's counters (add -t loop), and on the BPF path
# the shim's counters and the loop program's map, which counts what the
# kfunc ublk_bpf_get_io_pattern() returned. The queue's current hint is
# shown per queue on the io_uring path. `--no-hint` needs `--buffered`.
. "$(dirname "$0")/test_common.sh"
_prep_test hint_01

_make_file "$UBLK_TMP/a.img" 64M

# counts ID WHERE: "SEQUENTIAL RANDOM" as `stats --json` counts them in
# WHERE: io_uring (the server), shim (the module), target (the BPF map).
counts() {
	local json
	json=$("$UBLK_PROG" stats -n "$1" --json) || return 1
	case $2 in
	io_uring) echo "$json" | sed -n 's/.*"io_uring":{"hint_sequential":\([0-9]*\),"hint_random":\([0-9]*\).*/\1 \2/p' ;;
	shim) echo "$json" | sed -n 's/.*"io_hint_sequential":\([0-9]*\),"io_hint_random":\([0-9]*\).*/\1 \2/p' ;;
	target) echo "$json" | sed -n 's/.*"hint_sequential":\([0-9]*\),"hint_random":\([0-9]*\),"lat_us_log2".*/\1 \2/p' ;;
	esac
}

# job ID KIND: a fio job of KIND (sequential or random), 2048 reads of 4k.
job() {
	local rw=read
	[ "$2" = random ] && rw=randread
	fio --name="$2" --filename=/dev/ublkb$1 --ioengine=io_uring --direct=1 --rw=$rw \
	    --bs=4k --iodepth=4 --size=64M --io_size=8M --output="$UBLK_TMP/fio.log" ||
		_fail "fio $2 on device $1"
}

# expect ID KIND WHERE...: run a KIND job; at least 90% of the reads each
# WHERE counted during it got the hint KIND, and at least 1000 were counted.
expect() {
	local id=$1 kind=$2 w seq rnd seq0 rnd0 want total
	shift 2
	declare -A before
	for w in "$@"; do before[$w]=$(counts "$id" "$w"); done
	job "$id" "$kind"
	for w in "$@"; do
		read -r seq0 rnd0 <<<"${before[$w]}"
		read -r seq rnd <<<"$(counts "$id" "$w")"
		[ -n "$seq" ] && [ -n "$seq0" ] || _fail "$w: no hint counters in stats: $("$UBLK_PROG" stats -n "$id" --json)"
		seq=$((seq - seq0)) rnd=$((rnd - rnd0))
		want=$seq
		[ "$kind" = random ] && want=$rnd
		total=$((seq + rnd))
		_log "$kind job, $w: $seq sequential, $rnd random"
		[ "$total" -ge 1000 ] || _fail "$kind job, $w: only $total reads counted"
		[ $((want * 100)) -ge $((total * 90)) ] ||
			_fail "$kind job, $w: $want of $total reads got the hint $kind"
	done
}

# The io_uring path.
_new_dev -t loop -q 1 --file "$UBLK_TMP/a.img"
id=$UBLK_DEV_ID
expect "$id" sequential io_uring
"$UBLK_PROG" stats -n "$id" | grep -q "queue 0: hint sequential" ||
	_fail "stats after a sequential job: $("$UBLK_PROG" stats -n "$id")"
expect "$id" random io_uring
"$UBLK_PROG" stats -n "$id" | grep -q "queue 0: hint random" ||
	_fail "stats after a random job: $("$UBLK_PROG" stats -n "$id")"
_del_dev "$id"
_refused "target loop: --no-hint only applies with --buffered" \
	add -t loop --file "$UBLK_TMP/a.img" --no-hint

# The BPF path: the module's classification, and the kfunc's value in the map.
if _shim_loaded; then
	_new_load --require-bpf "$UBLK_BPF_OBJS/loop.bpf.o" -q 1 --file "$UBLK_TMP/a.img"
	id=$UBLK_DEV_ID
	expect "$id" sequential shim target
	expect "$id" random shim target
	_del_dev "$id"
else
	_log "stock ublk_drv: the BPF path is not checked"
fi
_check_dmesg
_cleanup_test
exit 0
