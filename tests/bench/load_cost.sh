#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where `load`'s time goes, against `add` (run in the VM, icount and one
# vCPU for figures that repeat: tests/vm/run.sh --icount --smp 1
# tests/bench/load_cost.sh). For every BPF target of bpf/: `load` with
# UBLK_BPF_TIMING (its steps and each program's verifier statistics),
# then `add` of its twin where it has one; LOAD_COST_REPS runs each (3),
# each after udev settled (its work on the last device would count). Then
# one `load` of LOAD_COST_PROFILE (stripe) under strace (the bpf() calls
# and their time). Output: .output/bench/load_cost/*.txt; the summary on
# stdout. A measurement, not a test: it fails only when a device cannot be
# made.
. "$(dirname "$0")/../ublk/test_common.sh"
_prep_test load_cost
_need_shim
out=$UBLK_REPO/.output/bench/load_cost
mkdir -p "$out"
rm -f "$out"/*.txt
reps=${LOAD_COST_REPS:-3}
prof=${LOAD_COST_PROFILE:-stripe}

for f in a b c d; do _make_file "$UBLK_TMP/$f.img" 64M; done
files2=(--file "$UBLK_TMP/a.img" --file "$UBLK_TMP/b.img")
files4=("${files2[@]}" --file "$UBLK_TMP/c.img" --file "$UBLK_TMP/d.img")
# bmap wants a file of ext4 with every block written.
modprobe brd rd_nr=1 rd_size=$((96 * 1024)) || _fail "modprobe brd"
mkfs.ext4 -q -F /dev/ram0 && mkdir -p "$UBLK_TMP/mnt" && mount /dev/ram0 "$UBLK_TMP/mnt" ||
	_fail "ext4 on /dev/ram0"
dd if=/dev/zero of="$UBLK_TMP/mnt/e.img" bs=1M count=32 conv=fsync status=none

# target: the twin's add arguments ("" = none), then load's own.
declare -A args twin
args[null]="--size 64M";			twin[null]="-t null --size 64M"
args[loop]="${files2[*]:0:2}";			twin[loop]="-t loop ${args[loop]}"
args[stripe]="--chunk 64k ${files2[*]}";	twin[stripe]="-t stripe ${args[stripe]}"
args[mirror]="${files2[*]}";			twin[mirror]="-t mirror ${args[mirror]}"
args[raid10]="--chunk 64k ${files4[*]}";	twin[raid10]="-t raid10 ${args[raid10]}"
args[linear]="${files2[*]} --size 6M --set seg_file=1,0 --set seg_offset=1M,0 --set seg_len=3M,3M"
args[flakey]="--file $UBLK_TMP/a.img"
args[bmap]="--file $UBLK_TMP/mnt/e.img";	twin[bmap]="-t bmap ${args[bmap]}"

# _timed VERB ARGS...: makes the device with UBLK_BPF_TIMING, prints the
# wall ms, the steps and the verifier lines, deletes it.
_timed() {
	local start end id
	udevadm settle 2>/dev/null
	start=$(date +%s%N)
	# shellcheck disable=SC2068
	id=$(UBLK_BPF_TIMING=1 "$UBLK_PROG" $@ 2>"$UBLK_TMP/err" | sed -n 's/^dev id //p')
	end=$(date +%s%N)
	[ -n "$id" ] || _fail "$*: $(cat "$UBLK_TMP/err")"
	echo "total $(( (end - start) / 1000000 ))"
	sed -n 's/^ublk-bpf: //p' "$UBLK_TMP/err"
	"$UBLK_PROG" del -n "$id" || _fail "del -n $id"
}

for t in null loop stripe mirror raid10 linear flakey bmap; do
	for ((r = 1; r <= reps; r++)); do
		# shellcheck disable=SC2086
		_timed load --require-bpf "$UBLK_BPF_OBJS/$t.bpf.o" ${args[$t]} >"$out/$t.load.$r.txt"
		[ -n "${twin[$t]:-}" ] || continue
		# shellcheck disable=SC2086
		_timed add ${twin[$t]} >"$out/$t.add.$r.txt"
	done
	load_ms=$(cat "$out/$t".load.*.txt | awk '$1 == "total" { s += $2; n++ } END { printf "%d", s / n }')
	add_ms=$(cat "$out/$t".add.*.txt 2>/dev/null | awk '$1 == "total" { s += $2; n++ } END { if (n) printf "%d", s / n }')
	echo "# $t: load ${load_ms} ms, add ${add_ms:--} ms (mean of $reps)"
	grep -h '^verifier' "$out/$t.load.1.txt" | sed 's/^/#   /'
	grep -h '^timing' "$out/$t.load.1.txt" | tr '\n' ' ' | sed 's/^/#   /; s/$/\n/'
done

# The bpf() calls of one load, and their time. strace follows the daemon,
# which lives until the device is deleted.
# shellcheck disable=SC2086
strace -f -T -e trace=bpf -o "$out/strace.txt" "$UBLK_PROG" load --require-bpf \
	"$UBLK_BPF_OBJS/$prof.bpf.o" ${args[$prof]} >"$UBLK_TMP/id" 2>&1 &
strace_pid=$!
_wait_until 60 grep -q '^dev id ' "$UBLK_TMP/id" || _fail "load under strace: $(cat "$UBLK_TMP/id")"
"$UBLK_PROG" del -n "$(sed -n 's/^dev id //p' "$UBLK_TMP/id")"
wait $strace_pid
echo "# bpf() calls of one load $prof, by command: count, total ms"
sed -n 's/.*bpf(\(BPF_[A-Z_]*\),.*<\([0-9.]*\)>$/\1 \2/p' "$out/strace.txt" |
	awk '{ n[$1]++; s[$1] += $2 } END { for (c in n) printf "#   %-28s %4d %8.1f\n", c, n[c], s[c] * 1000 }' |
	sort -k4 -nr
umount "$UBLK_TMP/mnt"
rmmod brd
_cleanup_test
exit 0
