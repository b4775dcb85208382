#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make system-test: ublk-bpf's Debian packages on an installed Debian 12
# system, booted by QEMU (TCG) from its own disk with grub and systemd.
#
#   tests/system/run.sh [--boots N] [PHASE...]
#
# Phases, in order (default: all; each runs alone on the disk the earlier
# ones left in .output/system/):
#   image    the cached Debian 12 base image (image.sh; built once)
#   install  a fresh disk over the base; apt installs .output/deb/*.deb
#            (make deb), DKMS builds the shim for the running kernel; a
#            BPF stripe and an io_uring loop device, ext4 on each in fstab
#   reboots  N boots (default 10, SYSTEST_BOOTS), each checked (devices on
#            their paths and paths of service, mounts, fsck -n, every
#            fsync'd file, the journal, the last shutdown's order) and
#            ended by a reboot under fio write load
#   kupdate  install the newer 6.12 point release: DKMS builds for it; boot
#            it: the BPF path still active
#   remove   apt purge ublk-bpf-dkms; boot: the stock driver is back, the
#            BPF device falls back to io_uring, its data intact
# Prints one line per boot and the figures at the end; exit status 0 when
# every boot passed. Every boot takes the host's VM lock (tests/vm/run.sh's)
# for as long as QEMU runs.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/system/lib.sh
. "$here/lib.sh"

boots=${SYSTEST_BOOTS:-10}
phases=()
while [ $# -gt 0 ]; do
	case $1 in
	--boots) boots=${2:?}; shift 2 ;;
	image|install|reboots|kupdate|remove) phases+=("$1"); shift ;;
	*) echo "usage: $0 [--boots N] [image|install|reboots|kupdate|remove]..." >&2; exit 2 ;;
	esac
done
[ ${#phases[@]} -gt 0 ] || phases=(image install reboots kupdate remove)
case $boots in ''|*[!0-9]*) die "--boots takes a number" ;; esac

out=$repo/.output/system
ctl=$out/ctl
disk=$out/disk.qcow2
mkdir -p "$out"
BOOT_TIMEOUT=${SYSTEST_BOOT_TIMEOUT:-1200}
# A shutdown slower than this counts as a wedge (systemd's own stop
# time-outs are 60-90 s: hitting one means something hung).
SHUTDOWN_MAX=${SYSTEST_SHUTDOWN_MAX:-60}

# What the phases left: the last one done, and the number of boots so far.
phase_done() { cat "$out/phase" 2>/dev/null || echo none; }
set_phase() { echo "$1" >"$out/phase"; }
need_phase() {
	local have
	have=$(phase_done)
	for p in "$@"; do [ "$have" = "$p" ] && return 0; done
	die "this phase needs the disk after: $* (it is after: $have); run the phases before it"
}

prepare_ctl() {
	mkdir -p "$ctl"
	cp "$here/guest.sh" "$here/serve-standin" "$ctl/"
}

# boot PLAN: one boot of the disk doing PLAN; appends its figures to
# $out/boots.tsv and prints one line. Returns 1 when the boot failed.
boot() {
	local plan=$1 n t0 t_start="" t_end="" oops="" t_exit rc pid st en boot_s run_s down_s verdict
	n=$(( $(cat "$out/bootno" 2>/dev/null || echo 0) + 1 ))
	echo "$n" >"$out/bootno"
	prepare_ctl
	echo "$plan" >"$ctl/plan"
	echo "$n" >"$ctl/boot"
	rm -f "$ctl/result" "$ctl/started" "$ctl/ending" "$ctl/qemu_t0" "$ctl/qemu.pid"
	with_vm_lock locked_boot "$disk" "$ctl" "$out/console-$n.log" "$BOOT_TIMEOUT" &
	pid=$!
	# Watch the guest's markers from the host's clock, and its console for
	# a kernel oops or hung task: after one the guest cannot be trusted to end the boot,
	# so QEMU is stopped (20 s later, for the rest of the report).
	while kill -0 "$pid" 2>/dev/null; do
		[ -z "$t_start" ] && [ -f "$ctl/started" ] && t_start=$(date +%s)
		[ -z "$t_end" ] && [ -f "$ctl/ending" ] && t_end=$(date +%s)
		if [ -z "$oops" ] && grep -qE "$OOPS_RE" "$out/console-$n.log" 2>/dev/null; then
			oops=$(date +%s)
			say "boot $n: the guest kernel oopsed (console: $out/console-$n.log)"
		fi
		if [ -n "$oops" ] && [ $(( $(date +%s) - oops )) -ge 20 ] && [ -f "$ctl/qemu.pid" ]; then
			kill "$(cat "$ctl/qemu.pid")" 2>/dev/null
		fi
		sleep 1
	done
	set +e
	wait "$pid"
	rc=$?
	set -e
	t_exit=$(date +%s)
	[ -z "$t_start" ] && [ -f "$ctl/started" ] && t_start=$t_exit
	[ -z "$t_end" ] && [ -f "$ctl/ending" ] && t_end=$t_exit
	t0=$(cat "$ctl/qemu_t0" 2>/dev/null || echo "$t_exit")
	boot_s=- run_s=- down_s=-
	[ -n "$t_start" ] && boot_s=$((t_start - t0))
	[ -n "$t_start" ] && [ -n "$t_end" ] && run_s=$((t_end - t_start))
	[ -n "$t_end" ] && down_s=$((t_exit - t_end))
	touch "$ctl/result"
	verdict=ok
	if [ -n "$oops" ]; then
		verdict=oops
	elif [ $rc -eq 124 ] || [ $rc -eq 137 ] || [ -z "$t_start" ] || [ -z "$t_end" ] ||
	   { [ "$down_s" != - ] && [ "$down_s" -gt "$SHUTDOWN_MAX" ]; }; then
		verdict=wedged
	elif grep -q '^fail=' "$ctl/result"; then
		verdict=failed
	fi
	st=$(grep -c '^fsck_.*=0$' "$ctl/result" || true)
	en=$(grep -c '^fsck_' "$ctl/result" || true)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$plan" "$verdict" "$boot_s" "$run_s" \
		"$down_s" "$((t_exit - t0))" "$(sed -n 's/^files_checked=//p' "$ctl/result")" \
		"$st/$en" "$(sed -n 's/^kernel=//p' "$ctl/result")" >>"$out/boots.tsv"
	printf 'system-test: boot %d (%s) %s: up %ss, run %ss, shutdown %ss; %s; fsck clean %s; files %s; %s\n' \
		"$n" "$plan" "$verdict" "$boot_s" "$run_s" "$down_s" \
		"$(sed -n 's/^kernel=//p' "$ctl/result" | head -n1)" "$st/$en" \
		"$(sed -n 's/^files_checked=//p' "$ctl/result" | head -n1)" \
		"$(grep -E '^path_' "$ctl/result" | tr '\n' ' ')" >&2
	cp "$ctl/result" "$out/result-$n.txt"
	if [ "$verdict" != ok ]; then
		grep '^fail=' "$ctl/result" | sed 's/^fail=/system-test:   /' >&2 || true
		[ "$verdict" = wedged ] && say "  boot $n wedged (qemu status $rc); console: $out/console-$n.log"
		[ "$verdict" = oops ] && grep -m1 -A3 -E "$OOPS_RE" "$out/console-$n.log" | sed 's/^/system-test:   /' >&2
		say "  guest log: $ctl/guest.log"
		return 1
	fi
}

locked_boot() {
	date +%s >"$ctl/qemu_t0"
	boot_qemu "$@" -pidfile "$ctl/qemu.pid"
}

OOPS_RE='\] (BUG:|Oops|kernel BUG at|general protection fault|Kernel panic|WARNING: CPU|INFO: task .* blocked for more than)'

phase_image() {
	base=$("$here/image.sh")
	echo "$base" >"$out/base"
}

phase_install() {
	local debs
	debs=$(ls "$repo"/.output/deb/ublk-bpf_*.deb "$repo"/.output/deb/ublk-bpf-dkms_*.deb 2>/dev/null || true)
	[ "$(echo "$debs" | grep -c .)" -eq 2 ] || die "no packages in .output/deb: run make deb"
	[ -f "$out/base" ] || phase_image
	rm -rf "$ctl" "$out"/console-*.log "$out"/result-*.txt "$out/boots.tsv" "$out/bootno"
	mkdir -p "$ctl/debs" "$ctl/kernel"
	cp $debs "$ctl/debs/"
	# A broken guarantee the checks must catch (guest.sh): no-generator.
	[ -n "${SYSTEST_MUTANT:-}" ] && echo "$SYSTEST_MUTANT" >"$ctl/mutant"
	qemu-img create -q -f qcow2 -b "$(cat "$out/base")" -F qcow2 "$disk"
	set_phase none
	boot install || die "install failed"
	set_phase installed
}

phase_reboots() {
	local i failed=0
	need_phase installed rebooted
	for i in $(seq 1 "$boots"); do
		boot cycle || failed=$((failed + 1))
	done
	# The boot after the last reboot checks what it left.
	boot cycle || failed=$((failed + 1))
	set_phase rebooted
	[ $failed -eq 0 ]
}

fetch_new_kernel() {
	local dir=$SYS_CACHE/kernel-$NEW_KERNEL base=${NEW_ABI%-amd64}
	if [ ! -f "$dir/.done" ]; then
		say "fetching the point update $NEW_KERNEL (image, headers) from Debian's archive"
		rm -rf "$dir" && mkdir -p "$dir"
		(cd "$dir" && apt-get download -q "linux-image-$NEW_ABI=$NEW_KERNEL" \
			"linux-headers-$NEW_ABI=$NEW_KERNEL" "linux-headers-$base-common=$NEW_KERNEL" \
			"linux-kbuild-$base=$NEW_KERNEL" 2>&1 | grep -v 'unsandboxed' >&2) ||
			die "apt-get download of kernel $NEW_KERNEL failed"
		touch "$dir/.done"
	fi
	rm -rf "$ctl/kernel" && mkdir -p "$ctl/kernel"
	cp "$dir"/*.deb "$ctl/kernel/"
	echo "$NEW_ABI" >"$ctl/new_abi"
}

phase_kupdate() {
	need_phase installed rebooted
	[ "$OLD_KERNEL" != "$NEW_KERNEL" ] || die "the old and new kernels are the same ($NEW_KERNEL)"
	fetch_new_kernel
	boot kupdate || die "the kernel update failed"
	boot kcheck || die "the new kernel's boot failed"
	set_phase updated
}

phase_remove() {
	need_phase installed rebooted updated
	boot remove || die "the removal failed"
	boot removed || die "the boot after removal failed"
	set_phase removed
}

# The figures of every boot in boots.tsv.
summary() {
	[ -f "$out/boots.tsv" ] || return 0
	awk -F'\t' '
	{ n++; if ($3 == "wedged") w++; if ($3 == "failed") f++; if ($3 == "oops") o++
	  split($9, fs, "/"); fc += fs[1]; ft += fs[2]; files += $8
	  if ($7 != "-") { t += $7; if ($7 > tmax) tmax = $7 }
	  if ($4 != "-") { up += $4; nup++ }
	  if ($6 != "-") { down += $6; ndown++; if ($6 > dmax) dmax = $6 } }
	END {
	  printf "system-test: %d boots, %d wedged, %d kernel oops or hung task, %d failed checks; fsck -n clean %d of %d; files checked %d\n", n, w, o, f, fc, ft, files
	  printf "system-test: per boot %.0f s on average (longest %d s): up %.0f s, shutdown %.0f s (longest %d s)\n",
		 n ? t / n : 0, tmax, nup ? up / nup : 0, ndown ? down / ndown : 0, dmax
	}' "$out/boots.tsv" >&2
}

start=$(date +%s)
# The figures also when a phase stops the run.
trap 'summary; say "$(IFS=" "; echo "${phases[*]}") took $(( $(date +%s) - start )) s; logs in $out"' EXIT
for p in "${phases[@]}"; do
	say "phase $p"
	"phase_$p"
done
