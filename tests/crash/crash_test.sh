#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# crash_test.sh [TARGET...]: power cuts under ext4, inside the VM
# (`make crash-test`; the method: docs/crash-consistency.md).
#
# For each TARGET, one dm "log-writes" device logs, in one ordered log,
# every write, flush and FUA write that reaches the target's backing
# "files" (dm-linear slices of it). ext4 on the target's device takes
# fsync-heavy load; each fsync that returned is recorded with a mark in the
# log. Then crash_replay rebuilds the disk at each cut point (after every
# mark, after a sample of the flush and FUA entries, and before a sample of
# plain writes between flushes), and for each view of the device (a mirror:
# each leg alone) the check mounts a copy (ext4 replays its journal),
# compares every file whose fsync returned before the cut with its
# checksum, unmounts, and runs e2fsck -fn.
#
# TARGETs: bpf-loop bpf-stripe bpf-mirror bpf-raid10 uring-loop (the
# default: all five), and bpf-noflush, a broken loop that acknowledges
# flushes without syncing (tests/bpf/crash_noflush.bpf.c): it must fail.
# UBLK_TEST_CRASH_CUTS: cut points per target (default 104: at least 100);
# UBLK_TEST_CRASH_FILES: fsynced files per target (default 30);
# UBLK_TEST_CRASH_JOBS: checks run at once (default: one per CPU).
# Exit 0 when every target held every fsynced file at every cut and
# bpf-noflush (when asked for) did not.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# --- the check of one cut point, run by crash_replay --------------------
# crash_test.sh --check WORKDIR: $CRASH_IMAGE is the device at cut
# $CRASH_CUT, seen as $CRASH_VIEW. Appends one line to WORKDIR/results.
if [ "${1:-}" = --check ]; then
	w=$2 img=$CRASH_IMAGE cut=$CRASH_CUT view=$CRASH_VIEW why="" fsck=clean
	s=$w/slot$CRASH_SLOT	# this check's own files: checks run side by side
	mnt=$s/mnt
	mkdir -p "$mnt"
	# What must be there: the manifest's entries whose mark is before the cut.
	awk -v cut="$cut" 'NR == FNR { if ($1 < cut) done[$2] = 1; next } ($1 in done)' \
		"$w/marks" "$w/manifest" >"$s/expect"
	awk '$2 == "file" { print $5 "  " $3 }' "$s/expect" >"$s/expect.md5"
	prefix=$(awk '$2 == "prefix"' "$s/expect" | tail -n 1)
	n=$(wc -l <"$s/expect.md5")
	[ -n "${UBLK_TEST_CRASH_PROFILE:-}" ] && t0=$(date +%s%N)
	if ! mount -t ext4 -o loop "$img" "$mnt" 2>"$s/mount.err"; then
		why="mount failed: $(head -c 200 "$s/mount.err")"
	else
		if [ "$n" -gt 0 ] && ! (cd "$mnt" && md5sum -c --quiet "$s/expect.md5" >"$s/md5.out" 2>&1); then
			why="$(grep -c . "$s/md5.out") of $n fsynced files wrong or missing: $(head -n 3 "$s/md5.out" | tr '\n' ' ')"
		fi
		if [ -n "$prefix" ]; then
			n=$((n + 1))
			set -- $prefix
			got=$(head -c "$4" "$mnt/$3" 2>/dev/null | md5sum | cut -d' ' -f1)
			[ "$got" = "$5" ] || why="$why${why:+; }$3: its first $4 bytes (fsynced at mark $1) differ"
		fi
		umount "$mnt" || why="$why${why:+; }umount failed"
	fi
	[ -n "${UBLK_TEST_CRASH_PROFILE:-}" ] && t1=$(date +%s%N)
	if ! e2fsck -fn "$img" >"$s/fsck.out" 2>&1; then
		fsck=errors
		why="$why${why:+; }e2fsck -fn: $(grep -vE '^(Pass|e2fsck|/)' "$s/fsck.out" | head -n 2 | tr '\n' ' ')"
	fi
	echo "$cut $view $n $fsck ${why:+FAIL}" >>"$w/results"
	[ -n "${UBLK_TEST_CRASH_PROFILE:-}" ] &&
		echo "# cut $cut: mount+check+umount $(( (t1 - t0) / 1000000 )) ms, e2fsck $(( ($(date +%s%N) - t1) / 1000000 )) ms"
	if [ -n "$why" ]; then
		echo "# cut $cut ($view): $why"
		exit 1
	fi
	exit 0
fi

. "$here/../ublk/test_common.sh"
REPLAY=$UBLK_REPO/.output/tests/crash_replay
CUTS=${UBLK_TEST_CRASH_CUTS:-104}
NFILES=${UBLK_TEST_CRASH_FILES:-30}
JOBS=${UBLK_TEST_CRASH_JOBS:-$(nproc)}
M=$((1 << 20))

# Per target: how it is made, its backing regions (MiB) and the layout the
# replay rebuilds it with.
tgt_args() {
	case $1 in
	bpf-loop)    echo "load --require-bpf $UBLK_BPF_OBJS/loop.bpf.o" ;;
	bpf-stripe)  echo "load --require-bpf $UBLK_BPF_OBJS/stripe.bpf.o --chunk 16k" ;;
	bpf-mirror)  echo "load --require-bpf $UBLK_BPF_OBJS/mirror.bpf.o" ;;
	bpf-raid10)  echo "load --require-bpf $UBLK_BPF_OBJS/raid10.bpf.o --chunk 16k" ;;
	uring-loop)  echo "add -t loop" ;;
	bpf-noflush) echo "load --require-bpf $UBLK_REPO/.output/tests/bpf/crash_noflush.bpf.o" ;;
	*) return 1 ;;
	esac
}
tgt_layout() {	# LAYOUT CHUNK REGION_MIB...
	case $1 in
	bpf-loop|uring-loop|bpf-noflush) echo "loop 0 32" ;;
	bpf-stripe) echo "stripe 16384 16 16" ;;
	bpf-mirror) echo "mirror 0 32 32" ;;
	bpf-raid10) echo "raid10 16384 16 16 16 16" ;;
	esac
}

cleanup_target() {
	[ -n "${BG_PIDS:-}" ] && kill $BG_PIDS 2>/dev/null && wait $BG_PIDS 2>/dev/null
	BG_PIDS=
	mountpoint -q "$W/mnt" 2>/dev/null && umount "$W/mnt"
	[ -n "${DEV_ID:-}" ] && "$UBLK_PROG" del -n "$DEV_ID" >/dev/null 2>&1
	DEV_ID=
	for d in $(dmsetup ls 2>/dev/null | awk '/^crash-r[0-9]/ { print $1 }'); do
		dmsetup remove --noudevsync "$d"
	done
	dmsetup info crash-lw >/dev/null 2>&1 && dmsetup remove --noudevsync crash-lw
	for l in ${LOOPS:-}; do losetup -d "$l"; done
	LOOPS=
}

mark() { dmsetup message crash-lw 0 mark "$1" || echo "# mark $1 failed"; }

# dm_node NAME: /dev/dm-N of a dm device (devtmpfs makes it; no udev here).
dm_node() {
	local minor i
	minor=$(dmsetup info -c --noheadings -o minor "$1" | tr -d ' ')
	for i in $(seq 50); do [ -b "/dev/dm-$minor" ] && break; sleep 0.1; done
	echo "/dev/dm-$minor"
}

# The load: fsynced files (whole file, rename over a temporary, O_DIRECT),
# an append-only file fsynced after each append, each completion marked
# and recorded; meanwhile fio rewrites a file with fsyncs and a churn of
# small files comes and goes, none of it checked.
workload() {
	local mnt=$W/mnt i d sz md5 f applen=0
	mkdir -p "$mnt"/d0 "$mnt"/d1 "$mnt"/d2 "$mnt"/d3 "$mnt"/bg "$mnt"/churn
	sync
	fio --name=bg --directory="$mnt/bg" --size=8M --rw=randwrite --bs=4k --ioengine=psync \
	    --fsync=16 --time_based --runtime=3600 >"$W/fio.log" 2>&1 &
	BG_PIDS=$!
	(
		j=0
		while :; do
			j=$((j + 1))
			head -c $(( (j % 7 + 1) * 3000 )) /dev/urandom >"$mnt/churn/c$((j % 16))"
			[ $((j % 5)) -eq 0 ] && rm -f "$mnt/churn/c$(( (j * 7) % 16 ))"
			[ $((j % 9)) -eq 0 ] && sync -f "$mnt/churn"
			sleep 0.05
		done
	) &
	BG_PIDS="$BG_PIDS $!"
	: >"$W/applog"
	for ((i = 1; i <= NFILES; i++)); do
		d=d$((i % 4)) f=f$i
		sz=$(( (RANDOM % 48 + 1) * 4096 - RANDOM % 4096 ))
		[ $((i % 10)) -eq 0 ] && sz=$((1 * M + RANDOM))
		# O_DIRECT writes whole blocks
		[ $((i % 3)) -eq 2 ] && sz=$(( (sz + 4095) / 4096 * 4096 ))
		head -c "$sz" /dev/urandom >"$W/stage"
		md5=$(md5sum <"$W/stage" | cut -d' ' -f1)
		case $((i % 3)) in
		0)	cp "$W/stage" "$mnt/$d/$f" && sync "$mnt/$d/$f" "$mnt/$d" ;;
		1)	cp "$W/stage" "$mnt/$d/.$f.tmp" && sync -d "$mnt/$d/.$f.tmp" &&
			mv "$mnt/$d/.$f.tmp" "$mnt/$d/$f" && sync "$mnt/$d" ;;
		2)	dd if="$W/stage" of="$mnt/$d/$f" bs=64k oflag=direct conv=fsync status=none 2>/dev/null ||
			dd if="$W/stage" of="$mnt/$d/$f" bs=64k conv=fsync status=none
			sync "$mnt/$d" ;;
		esac || { echo "# writing $d/$f failed"; return 1; }
		mark "$f"
		echo "$f file $d/$f $sz $md5" >>"$W/manifest"
		if [ $((i % 4)) -eq 0 ]; then
			head -c $((RANDOM % 9000 + 1)) /dev/urandom >"$W/stage"
			cat "$W/stage" >>"$W/applog"
			cat "$W/stage" >>"$mnt/applog" && sync "$mnt/applog" "$mnt" ||
				{ echo "# appending failed"; return 1; }
			applen=$(stat -c %s "$W/applog")
			mark "a$i"
			echo "a$i prefix applog $applen $(md5sum <"$W/applog" | cut -d' ' -f1)" >>"$W/manifest"
		fi
	done
	kill $BG_PIDS 2>/dev/null
	wait $BG_PIDS 2>/dev/null
	BG_PIDS=
	mark end-of-load
}

# pick_cuts LIST: the cut points, ascending: after every mark, after an
# even sample of the flush and FUA entries, and before a sample of plain
# writes (a cut between flushes); at least $CUTS in all when the log has so
# many, and the end of the log.
pick_cuts() {
	local n_marks n_flush want_flush want_mid
	n_marks=$(awk '$2 ~ /M/' "$1" | wc -l)
	n_flush=$(awk '$2 ~ /[FU]/' "$1" | wc -l)
	want_mid=$((CUTS / 6))
	want_flush=$((CUTS - n_marks - want_mid))
	[ $want_flush -lt $((CUTS / 3)) ] && want_flush=$((CUTS / 3))
	{
		awk '$2 ~ /M/ { print $1 + 1 }' "$1"
		awk -v want="$want_flush" -v n="$n_flush" \
			'$2 ~ /[FU]/ { if (n <= want || int(k * want / n) != int((k + 1) * want / n)) print $1 + 1; k++ }' "$1"
		awk -v want="$want_mid" 'BEGIN { srand(18) } $2 == "-" || $2 == "m" { w[n++] = $1 }
			END { for (i = 0; i < want && n; i++) print w[int(rand() * n)] }' "$1"
		awk 'END { print NR }' "$1"
	} | sort -n -u
}

# run_target NAME: one target's workload and replay; prints its line.
run_target() {
	local t=$1 layout chunk regions=() off=0 sectors lw_dev args i r start t_load n_cuts
	local disk region_args=() checks nfiles fsck_ok failed
	args=$(tgt_args "$t") || { echo "# unknown target $t"; return 2; }
	read -r layout chunk _ <<<"$(tgt_layout "$t")"
	read -r -a regions <<<"$(tgt_layout "$t" | cut -d' ' -f3-)"
	start=$(date +%s)
	W=$(mktemp -d /tmp/crash.XXXXXX)
	mkdir -p "$W/mnt"
	: >"$W/manifest"
	: >"$W/results"
	disk=0
	for r in "${regions[@]}"; do
		region_args+=(--region "$((disk * M)):$((r * M))")
		disk=$((disk + r))
	done
	truncate -s $((disk * M)) "$W/data.img"
	truncate -s 1G "$W/log.img"
	LOOPS="$(losetup -f --show "$W/data.img") $(losetup -f --show "$W/log.img")" ||
		{ echo "# losetup failed"; return 1; }
	set -- $LOOPS
	dmsetup create crash-lw --noudevsync --table "0 $((disk * M / 512)) log-writes $1 $2" ||
		{ echo "# dmsetup create log-writes failed"; return 1; }
	lw_dev=$(dm_node crash-lw)
	local files=()
	off=0
	for i in "${!regions[@]}"; do
		sectors=$((regions[i] * M / 512))
		dmsetup create "crash-r$i" --noudevsync \
			--table "0 $sectors linear $lw_dev $off" || { echo "# dmsetup create crash-r$i failed"; return 1; }
		off=$((off + sectors))
		files+=(--file "$(dm_node "crash-r$i")")
	done
	# shellcheck disable=SC2086
	DEV_ID=$(_add_ublk_dev $args -q 2 -d 32 "${files[@]}") || { echo "# $t: ublk-bpf $args failed"; return 1; }
	mkfs.ext4 -q -F -b 4096 -E nodiscard "/dev/ublkb$DEV_ID" || { echo "# mkfs failed"; return 1; }
	mark mkfs
	mount -t ext4 "/dev/ublkb$DEV_ID" "$W/mnt" || { echo "# mount failed"; return 1; }
	workload || return 1
	umount "$W/mnt" || { echo "# umount failed"; return 1; }
	"$UBLK_PROG" del -n "$DEV_ID" || { echo "# del failed"; return 1; }
	DEV_ID=
	cleanup_target
	t_load=$(( $(date +%s) - start ))

	"$REPLAY" list "$W/log.img" >"$W/list" || { echo "# crash_replay list failed"; return 1; }
	awk '$2 ~ /M/ { print $1, $5 }' "$W/list" >"$W/marks"
	pick_cuts "$W/list" >"$W/cuts"
	n_cuts=$(wc -l <"$W/cuts")
	echo "# $t: log of $(wc -l <"$W/list") entries: $(awk '$2 ~ /F/' "$W/list" | wc -l) flush," \
	     "$(awk '$2 ~ /U/' "$W/list" | wc -l) FUA, $(awk '$2 ~ /M/' "$W/list" | wc -l) marks;" \
	     "workload $t_load s"
	"$REPLAY" replay "$W/log.img" --disk-size $((disk * M)) --layout "$layout" --chunk "$chunk" \
		"${region_args[@]}" --cuts "$W/cuts" --image "$W/cut.img" --jobs "$JOBS" --final "$W/data.img" \
		-- bash "$here/crash_test.sh" --check "$W" | sed 's/^/# /'
	r=${PIPESTATUS[0]}
	checks=$(wc -l <"$W/results")
	nfiles=$(awk '{ s += $3 } END { print s + 0 }' "$W/results")
	fsck_ok=$(awk '$4 == "clean"' "$W/results" | wc -l)
	failed=$(awk '$5 == "FAIL"' "$W/results" | wc -l)
	RESULT="$t: $n_cuts cut points, $checks checks, $nfiles files checked, fsck clean $fsck_ok/$checks"
	RESULT="$RESULT, failures $failed, $(( $(date +%s) - start )) s"
	# What a failure needs to be looked at again: the log's list, the cut
	# points, each check's line and the manifest.
	if [ "$failed" -ne 0 ] || [ "$r" -gt 1 ]; then
		mkdir -p "$UBLK_REPO/.output/crash/$t"
		cp "$W/list" "$W/cuts" "$W/results" "$W/manifest" "$W/marks" "$UBLK_REPO/.output/crash/$t/"
	fi
	rm -rf "$W"
	[ "$r" -le 1 ] || { echo "# $t: crash_replay failed (exit $r)"; return 1; }
	[ "$checks" -gt 0 ] || return 1
	[ "$failed" -eq 0 ]
}

[ "$(id -u)" -eq 0 ] || { echo "crash_test.sh: needs root (run it through tests/vm/run.sh)" >&2; exit 4; }
[ -x "$REPLAY" ] || { echo "crash_test.sh: $REPLAY not built (make crash-test)" >&2; exit 1; }
_load_ublk_module || { echo "crash_test.sh: cannot load ublk_drv" >&2; exit 1; }
_shim_loaded || echo "# the kfunc-shim is not loaded: the bpf-* targets will be refused"
modprobe loop && modprobe dm_mod && modprobe dm_log_writes ||
	{ echo "crash_test.sh: no loop, dm_mod or dm_log_writes module" >&2; exit 1; }
trap cleanup_target EXIT
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(bpf-loop bpf-stripe bpf-mirror bpf-raid10 uring-loop)
rc=0 summary=()
for t in "${targets[@]}"; do
	RESULT="$t: did not run"
	run_target "$t"
	trc=$?
	cleanup_target
	if [ "$t" = bpf-noflush ]; then
		# The broken target must lose fsynced data at some cut.
		if [ $trc -eq 1 ] && echo "$RESULT" | grep -qv 'failures 0,'; then
			RESULT="$RESULT (expected: it acknowledges flushes it never made)"
		else
			RESULT="$RESULT: NOT DETECTED"
			rc=1
		fi
	elif [ $trc -ne 0 ]; then
		rc=1
	fi
	echo "crash: $RESULT"
	summary+=("crash: $RESULT")
done
echo "# summary"
printf '%s\n' "${summary[@]}"
exit $rc
