#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Mutation check of the kfunc-shim's guarantee tests: each patch in
# tests/shim/mutants/ removes the code behind one guarantee (its header says
# which, and which shim tests must catch it, on its "Tests:" line). Every
# guarantee's test must fail on its mutant and pass on the real module.
#
#   tests/shim/mutants.sh [--build] [NAME...]
#
# Builds every mutant (or the NAMEd ones) on the host: a copy of kfunc-shim/
# with the patch applied, into .output/mut/NAME/. --build stops there.
# Otherwise boots the VM once (tests/vm/run.sh, which takes the host's VM
# lock itself: do not wrap this in flock) and in it loads each
# mutant's module and runs its tests (tests/shim/test_shim.sh with
# SHIM_TESTS), then the real module on all of them. A mutant that leaves
# its module impossible to unload ends that boot; the rest run in another.
# Prints a TAP line per mutant and a table; exit 0 only when every mutant
# was caught and the real module passed its tests.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
MUT=$REPO/.output/mut
REAL_KO=$REPO/.output/kfunc-shim/ublk_drv.ko
# lost_io waits this long for its lost READ to fail (90 s in make check)
HANG_S=15
# seconds each test may take, at most (a hang is a failure too; the
# slowest test takes about 12 s on the real module)
TEST_LIMIT=60

die() { echo "mutants: $*" >&2; exit 2; }

# --- in the VM ------------------------------------------------------------

# oopsed NAME: the kernel oopsed since mutant NAME started
oopsed() {
	dmesg | sed -n "/mutants: start $1\$/,\$p" | grep -qE 'Oops|BUG:|general protection'
}

# unload [NAME]: kill what mutant NAME's tests left behind, delete its
# devices, unload the module; false when the module stays (45 s: a lost IO
# that only the block timeout ends takes 30; 5 s after an oops since NAME
# started, which no wait mends)
unload() {
	local pid dev end=$((SECONDS + 45))
	[ -n "${1:-}" ] && oopsed "$1" && end=$((SECONDS + 5))
	for pid in $(pgrep -x shim_test); do kill -9 "$pid" 2>/dev/null; done
	while [ $SECONDS -lt $end ]; do
		for dev in /dev/ublkc*; do
			[ -e "$dev" ] && timeout 10 "$REPO/.output/bin/ublk-bpf" del -n "${dev#/dev/ublkc}" \
				</dev/null >/dev/null 2>&1
		done
		grep -q '^ublk_drv ' /proc/modules || return 0
		rmmod ublk_drv 2>/dev/null && return 0
		sleep 1
	done
	return 1
}

# run_tests NAME TESTS: test_shim.sh on the named tests, against $ko. A test
# task the mutant's oops left in D state outlives timeout's SIGKILL: give up
# on it (status OOPS_RC) 10 s after the oops, and guest() powers off for a
# fresh boot, instead of waiting for the VM's own time-out.
OOPS_RC=99
run_tests() {
	local pid stuck=0

	SHIM_TESTS="$2" SHIM_HANG_S=$HANG_S UBLK_BPF_SHIM_KO=$ko \
		timeout -k 5 $((TEST_LIMIT * $(wc -w <<<"$2"))) \
		bash "$HERE/test_shim.sh" </dev/null 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		oopsed "$1" && stuck=$((stuck + 1))
		if [ $stuck -ge 10 ]; then
			echo "# the kernel oopsed and the test is stuck: given up"
			return $OOPS_RC
		fi
	done
	wait "$pid"
}

# power_off: end this boot at once (the host boots another for the rest)
power_off() {
	echo 1 >/proc/sys/kernel/sysrq
	echo o >/proc/sysrq-trigger
	exit 3
}

# guest PLAN RESULTS: run each line "NAME KO TESTS..." of PLAN;
# append "NAME RC SECONDS" to RESULTS, the TAP output to RESULTS.d/NAME
guest() {
	local plan=$1 results=$2 name ko tests rc t0 prev=""
	mkdir -p "$results.d"
	while read -r name ko tests; do
		# after an oops even del and rmmod can hang in D state, where no
		# timeout ends them
		if [ -n "$prev" ] && oopsed "$prev"; then
			echo "# $prev oopsed the kernel: next boot"
			power_off
		fi
		if ! unload "$prev"; then
			# a wedged device can block even sync: power off now
			echo "# ublk_drv cannot be unloaded before $name: next boot"
			power_off
		fi
		# no ublk_drv was loaded: this one is the module under test
		if ! insmod "$ko" </dev/null; then
			echo "$name noload 0" >>"$results"
			continue
		fi
		echo "# $name: $tests"
		echo "mutants: start $name" >/dev/kmsg
		prev=$name
		t0=$(date +%s)
		run_tests "$name" "$tests" >"$results.d/$name"
		rc=$?
		sed 's/^/#   /' "$results.d/$name"
		# the repository is mounted cache=none: no sync (it can hang)
		echo "$name $rc $(( $(date +%s) - t0 ))" >>"$results"
	done <"$plan"
	[ -n "$prev" ] && oopsed "$prev" && power_off
	unload "$prev"
}

if [ "${1:-}" = --guest ]; then
	guest "$2" "$3"
	exit 0
fi

# --- on the host ------------------------------------------------------------

build_only=0
if [ "${1:-}" = --build ]; then
	build_only=1
	shift
fi
for name in "$@"; do
	[ -f "$HERE/mutants/$name.patch" ] || die "no mutant $name (tests/shim/mutants/$name.patch)"
done
if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for p in "$HERE"/mutants/*.patch; do
		n=${p##*/}
		names+=("${n%.patch}")
	done
fi

tests_of() { sed -n 's/^Tests: //p' "$HERE/mutants/$1.patch"; }

# build_mutant NAME: .output/mut/NAME/build/ublk_drv.ko from a patched copy;
# cp -a keeps the times of untouched files, so rebuilds are incremental
build_mutant() {
	local name=$1 src=$MUT/$1/src ko=$MUT/$1/build/ublk_drv.ko
	[ -f "$ko" ] && [ -z "$(find "$REPO/kfunc-shim" "$HERE/mutants/$name.patch" -newer "$ko")" ] &&
		return 0
	rm -rf "$src"
	mkdir -p "$src"
	cp -a "$REPO/kfunc-shim" "$src/"
	# exactly as written: no fuzz, and never reversed (--batch alone would
	# apply a patch that looks reversed backwards)
	patch -d "$src" -p1 --batch --forward --fuzz=0 --quiet --no-backup-if-mismatch \
		<"$HERE/mutants/$name.patch" >"$MUT/$name/patch.log" 2>&1 ||
		{ cat "$MUT/$name/patch.log" >&2; echo "mutants: $name.patch does not apply" >&2; return 1; }
	make -C "$src/kfunc-shim" REPO_DIR="$REPO" O="$MUT/$name/build" \
		>"$MUT/$name/build.log" 2>&1 ||
		{ tail -n 20 "$MUT/$name/build.log" >&2; echo "mutants: $name does not build" >&2; return 1; }
}

make -C "$REPO/kfunc-shim" >/dev/null || die "the real module does not build"
make -C "$REPO" shim-tests >/dev/null || die "the shim tests do not build"
for name in "${names[@]}"; do
	[ -n "$(tests_of "$name")" ] || die "$name.patch has no 'Tests:' line"
	mkdir -p "$MUT/$name"
	build_mutant "$name" || exit 1
	echo "# built $name"
done
[ $build_only -eq 1 ] && exit 0

# The plan: every mutant, then the real module on the union of their tests.
results=$MUT/results
rm -rf "$results" "$results.d"
all_tests=$(for name in "${names[@]}"; do tests_of "$name"; done | tr ' ' '\n' | sort -u | tr '\n' ' ')
nr_results() { [ -f "$results" ] && wc -l <"$results" || echo 0; }
vm_start=$SECONDS
boot=0
while :; do
	plan=$MUT/plan
	: >"$plan"
	for name in "${names[@]}"; do
		grep -q "^$name " "$results" 2>/dev/null && continue
		echo "$name $MUT/$name/build/ublk_drv.ko $(tests_of "$name")" >>"$plan"
	done
	grep -q "^real " "$results" 2>/dev/null || echo "real $REAL_KO $all_tests" >>"$plan"
	[ -s "$plan" ] || break
	boot=$((boot + 1))
	before=$(nr_results)
	echo "# VM boot $boot: $(cut -d' ' -f1 "$plan" | tr '\n' ' ')"
	UBLK_VM_LOG=$MUT/kernel.log.$boot "$REPO/tests/vm/run.sh" --module shim --nvme 64M --timeout 780 \
		bash "$HERE/mutants.sh" --guest "$plan" "$results"
	# a mutant whose tests started but never reported took the VM down
	# (a crash, or a hang past the VM's time-out): caught
	while read -r name _; do
		[ -f "$results.d/$name" ] && ! grep -q "^$name " "$results" &&
			echo "$name vmdied 0" >>"$results"
	done <"$plan"
	[ "$(nr_results)" -gt "$before" ] ||
		{ echo "# VM boot $boot made no progress"; break; }
done

# --- the table ---------------------------------------------------------------

# verdict NAME: PASS, FAIL (the failed tests) or the harness's word
verdict() {
	local name=$1 rc
	rc=$(awk -v n="$name" '$1 == n { print $2 }' "$results" 2>/dev/null)
	case "$rc" in
	"") echo "not run" ;;
	0) echo PASS ;;
	4) echo SKIP ;;
	124|137) echo "FAIL (hung: killed)" ;;
	99) echo "FAIL (oops: test stuck)" ;;
	vmdied) echo "FAIL (VM died)" ;;
	noload) echo "not loaded" ;;
	*) echo "FAIL ($(sed -n 's/^not ok [0-9]* \([a-z0-9_]*\).*/\1/p' "$results.d/$name" | tr '\n' ' ' | sed 's/ $//'))" ;;
	esac
}

# real_verdict TESTS: PASS when each test has an "ok" line in the real run
real_verdict() {
	local t bad=""
	for t in $1; do
		grep -qE "^ok [0-9]+ $t( |$)" "$results.d/real" 2>/dev/null || bad="$bad $t"
	done
	if [ -z "$bad" ]; then echo PASS; else echo "FAIL (${bad# })"; fi
}

nr=0 bad=0
printf '\n%-20s %-22s %-34s %-5s %s\n' mutant tests "on the mutant (must FAIL)" secs "on the real module (must PASS)"
for name in "${names[@]}"; do
	nr=$((nr + 1))
	tests=$(tests_of "$name")
	v=$(verdict "$name")
	r=$(real_verdict "$tests")
	printf '%-20s %-22s %-34s %-5s %s\n' "$name" "$tests" "$v" \
		"$(awk -v n="$name" '$1 == n { print $3 }' "$results" 2>/dev/null)" "$r"
	if [[ $v == FAIL* ]] && [ "$r" = PASS ]; then
		tap="ok $nr $name"
	else
		tap="not ok $nr $name"
		bad=$((bad + 1))
	fi
	taps+=("$tap")
done
echo
printf '%s\n' "${taps[@]}"
echo "1..$nr"
echo "# real module, all tests: $(verdict real); logs: $MUT/results.d/, kernel: $MUT/kernel.log.*"
echo "# VM: $boot boot(s), $((SECONDS - vm_start)) s"
[ "$(verdict real)" = PASS ] || bad=$((bad + 1))
[ $bad -eq 0 ] || { echo "# $bad of $nr mutants survived or the real module failed"; exit 1; }
exit 0
