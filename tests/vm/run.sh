#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command as root inside a QEMU VM booting Debian's stock 6.12 kernel
# (or, with --kernel 6.1, Debian 12's default 6.1).
#
#   tests/vm/run.sh [--vm qemu|vng] [--kernel 6.12|6.1] [--module stock|shim]
#                   [--timeout SEC] [--mem MB] [--icount] [--smp N]
#                   [--nvme SIZE] CMD [ARG...]
#
# The guest sees the host's root read-only (under a throw-away overlay), the
# repository and the current directory at their host paths, writable; so the
# built tool, fio, mkfs and bpftool come from the host, as under virtme-ng.
# Exit status: CMD's, or 125 when the VM broke (no status came back) and 124
# on timeout. The guest's kernel log is kept in $UBLK_VM_LOG (default
# .output/vm/kernel.log); a WARN, BUG, oops or hung-task report in it fails
# the run (exit 1 when CMD itself passed).
#
# --module picks the ublk_drv the tests load (exported to the guest as
# UBLK_BPF_MODULE): "shim" is the one kfunc-shim/ builds, "stock" Debian's;
# the default is shim when it has been built. --icount runs the guest on
# QEMU's instruction-count clock (one vCPU thread, 1 ns per instruction):
# slower, but the guest sees the same time for the same work on every run.
# --smp N: the guest's vCPUs (default 2).
# --nvme SIZE (e.g. 64M) adds QEMU's emulated NVMe controller (serial
# ublkbpf0, one namespace on a sparse scratch image of SIZE bytes, K/M/G
# suffixes, thrown away with the run); the guest sees it in lspci and
# /sys/bus/pci/devices (class 0x010802). Nothing binds it by itself (no
# udev in the guest): `modprobe nvme` does, or driver_override to the
# kfunc-shim's ublk_bpf_pci (docs/bpf-nvme.md). qemu runner only.
#
# --kernel 6.1 (default $UBLK_VM_KERNEL, else 6.12) boots the kernel
# scripts/kernel-6.1.sh cached (make setup-6.1), with the ublk_drv built from
# its own source (Debian's 6.1 has none); the module is then always "stock"
# (no kfunc-shim for 6.1) and the guest sees UBLK_VM_KERNEL=6.1.
#
# --vm (default $VM, else qemu) picks the runner: "qemu" boots QEMU directly
# with our initramfs; "vng" boots the same kernel, with the same memory, CPUs,
# environment, module and time-out, under virtme-ng's `vng` found on PATH.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${UBLK_BPF_CACHE:-$HOME/.cache/ublk-bpf}
module="" timeout=1800 mem=2048 icount="" smp=2 vm=${VM:-qemu} kernel=${UBLK_VM_KERNEL:-6.12} nvme=""

usage() { echo "usage: $0 [--vm qemu|vng] [--kernel 6.12|6.1] [--module stock|shim] [--timeout SEC] [--mem MB] [--icount] [--smp N] [--nvme SIZE] CMD [ARG...]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--vm) vm=${2:?}; shift 2 ;;
	--module) module=${2:?}; shift 2 ;;
	--kernel) kernel=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--icount) icount="-icount shift=0,sleep=off,align=off"; shift ;;
	--smp) smp=${2:?}; shift 2 ;;
	--nvme) nvme=${2:?}; shift 2 ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || usage
[ -f "$cache/current.env" ] || { echo "run.sh: no kernel cache; run 'make setup' first" >&2; exit 2; }
# shellcheck source=/dev/null
. "$cache/current.env"
case "$kernel" in
6.12) export UBLK_VM_KENV= ;;
6.1)	export UBLK_VM_KENV=$cache/kernel-6.1/current.env
	[ -f "$UBLK_VM_KENV" ] || { echo "run.sh: no 6.1 kernel cached; run 'make setup-6.1' (scripts/kernel-6.1.sh)" >&2; exit 2; }
	# shellcheck source=/dev/null
	. "$UBLK_VM_KENV"
	[ "$module" = shim ] && { echo "run.sh: the kfunc-shim is built for 6.12 only; --kernel 6.1 loads the stock module" >&2; exit 2; }
	module=stock ;;
*) echo "run.sh: --kernel must be 6.12 or 6.1" >&2; exit 2 ;;
esac
# `make` sets up only the build; the VM's kernel image comes with the rig.
[ -f "$UBLK_VMLINUZ" ] || { echo "run.sh: no VM kernel ($UBLK_VMLINUZ); run 'make setup-rig'" >&2; exit 2; }

shim_ko=$repo/.output/kfunc-shim/ublk_drv.ko
if [ -z "$module" ]; then
	module=stock
	[ -f "$shim_ko" ] && module=shim
fi
case "$module" in
stock|shim) ;;
*) echo "run.sh: --module must be stock or shim" >&2; exit 2 ;;
esac
if [ -n "$nvme" ]; then
	[[ "$nvme" =~ ^[1-9][0-9]*[KMG]?$ ]] || { echo "run.sh: --nvme takes a size like 64M" >&2; exit 2; }
	[ "$vm" = qemu ] || { echo "run.sh: --nvme needs --vm qemu" >&2; exit 2; }
fi
case "$vm" in
qemu) ;;
vng) command -v vng >/dev/null ||
	{ echo "run.sh: --vm vng needs virtme-ng's vng on PATH (pip install virtme-ng)" >&2; exit 2; } ;;
*) echo "run.sh: --vm must be qemu or vng" >&2; exit 2 ;;
esac

if [ "$vm" = vng ]; then
	# vng shares only the repository writable: the run folder lives in it.
	mkdir -p "$repo/.output/vm"
	run=$(mktemp -d "$repo/.output/vm/run.XXXXXX")
else
	initramfs=$("$here/initramfs.sh")
	run=$(mktemp -d /tmp/ublk-vm.XXXXXX)
fi
trap 'rm -rf "$run"' EXIT
nvme_args=()
if [ -n "$nvme" ]; then
	truncate -s "$nvme" "$run/nvme.img"
	nvme_args=(-drive "file=$run/nvme.img,if=none,id=nvm,format=raw"
		   -device nvme,serial=ublkbpf0,drive=nvm)
fi
printf '%q ' "$@" >"$run/cmd"
echo >>"$run/cmd"
pwd >"$run/cwd"
echo "$UBLK_KROOT/lib/modules" >"$run/modules"
{
	echo "PATH=$repo/.output/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	echo "HOME=/tmp"
	echo "TERM=dumb"
	echo "UBLK_BPF_MODULE=$module"
	echo "UBLK_BPF_SHIM_KO=$shim_ko"
	echo "UBLK_BPF_IN_VM=1"
	echo "UBLK_VM_KERNEL=$kernel"
	if [ -n "$icount" ]; then echo "UBLK_VM_MODE=icount"; else echo "UBLK_VM_MODE=tcg"; fi
	# The knobs of the tests and benchmarks travel with the command.
	while IFS= read -r var; do
		printf '%s=%q\n' "$var" "${!var}"
	done < <(compgen -e | grep -E '^(UBLK_TEST_|UBLK_BPF_CACHE$|BENCH_)')
} >"$run/env"

log=${UBLK_VM_LOG:-$repo/.output/vm/kernel.log}
mkdir -p "$(dirname "$log")"

# TCG only: on this kind of host /dev/kvm opens but KVM guests die, and
# QEMU would not fall back. UBLK_VM_ACCEL=kvm where KVM really works.
accel=${UBLK_VM_ACCEL:-tcg}
if [ "$accel" = tcg ]; then
	# icount needs the single-threaded TCG.
	if [ -n "$icount" ]; then accel=tcg,thread=single; else accel=tcg,thread=multi; fi
fi
fsdev() { echo "-fsdev local,id=$1,path=$2,security_model=none$3 -device virtio-9p-pci,fsdev=$1,mount_tag=$1"; }
# Under multi-threaded TCG the clocksource watchdog finds the TSC skewed
# against the hpet (0.1%: the emulated hpet's read is late under load) some
# 15-40 s into a boot, moves to the hpet, and patches sched_clock's static
# key on live vCPUs: one executing it through the int3 died there ("Fatal
# exception in interrupt", RIP sched_clock_cpu+0x9), a test run lost. And
# every hpet read is an exit to QEMU under its global lock, which vCPUs
# reading the time (fio's clock, a lingering worker) then queue for: a
# cost no real server has. The guest's TSC is the host's invariant one,
# so it is trusted (tsc=reliable: no watchdog). Not under icount, where
# the TSC follows the instruction clock and the instruction counts must
# stay comparable with earlier runs.
kernel_args=()
[ -z "$icount" ] && kernel_args=(tsc=reliable)

# One boot of the VM; sets qemu_rc.
boot_vm() {
if [ "$vm" = vng ]; then
	# The kernel's console (--verbose) is vng's stderr: the whole-boot log.
	# QEMU reopens /proc/self/fd/1 and 2 once per port, so a regular file
	# there would be overwritten from its start: hand it pipes.
	timeout --foreground -k 10 "$timeout" vng --run "$UBLK_VMLINUZ" --disable-kvm \
		--cpus "$smp" --memory "$mem" --rwdir "$repo" --cwd / --verbose \
		${icount:+"--qemu-opts=$icount"} "${kernel_args[@]/#/--append=}" \
		--exec "bash $repo/tests/vm/guest-run.sh $repo $run /dev/stdout" \
		</dev/null 2> >(cat >"$log") | cat
	qemu_rc=${PIPESTATUS[0]}
else
# shellcheck disable=SC2046
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
	-nodefaults -no-user-config -nographic -no-reboot \
	-machine q35 -accel "$accel" -cpu max -smp "$smp" -m "$mem" $icount \
	-kernel "$UBLK_VMLINUZ" -initrd "$initramfs" \
	-append "console=ttyS0 panic=-1 rdinit=/init ublk.repo=$repo ${kernel_args[*]}" \
	-serial "file:$log" \
	-device virtio-serial-pci -chardev stdio,id=out,signal=off \
	-device virtconsole,chardev=out \
	$(fsdev hostroot / ,readonly=on,multidevs=remap) $(fsdev repo "$repo" "") $(fsdev run "$run" "") \
	"${nvme_args[@]}" </dev/null
qemu_rc=$?
fi
}

# One VM at a time on this host: two TCG guests at once run at half speed
# and the tests' time-outs start to flake. UBLK_VM_LOCK moves the lock file;
# a run already holding it (UBLK_VM_LOCKED=1, e.g. a script that boots
# several VMs in a row under one lock) does not take it again.
if [ -z "${UBLK_VM_LOCKED:-}" ]; then
	exec 9>"${UBLK_VM_LOCK:-/tmp/ublk-vm.lock}"
	if ! flock -n 9; then
		echo "run.sh: waiting for another VM run on this host (lock ${UBLK_VM_LOCK:-/tmp/ublk-vm.lock})" >&2
		flock 9
	fi
fi

set +e
# Under TCG on a loaded host the guest kernel now and then dies while it
# boots (an int3 oops in early code patching), before our command starts:
# that says nothing about the tests, so boot once more. A guest that
# started the command is never run twice.
for attempt in 1 2; do
	rm -f "$run/started" "$run/rc"
	boot_vm
	[ -f "$run/started" ] || [ -f "$run/rc" ] || [ $qemu_rc -eq 124 ] || [ $qemu_rc -eq 137 ] && break
	[ $attempt -eq 1 ] && echo "run.sh: the guest kernel died while booting (log: $log); booting once more" >&2 &&
		cp "$log" "$log.boot$attempt"
done
set -e

[ -f "$run/dmesg" ] && cp "$run/dmesg" "$log.dmesg"
if [ $qemu_rc -eq 124 ] || [ $qemu_rc -eq 137 ]; then
	echo "run.sh: VM timed out after ${timeout}s; kernel log: $log" >&2
	exit 124
fi
if [ ! -f "$run/rc" ]; then
	echo "run.sh: the VM stopped without a result (qemu exit $qemu_rc); kernel log: $log" >&2
	tail -n 30 "$log" >&2
	exit 125
fi
rc=$(cat "$run/rc")
if "$here/klog-check.sh" "$log"; then
	exit "$rc"
fi
echo "run.sh: the guest kernel log has a WARN/BUG/oops/hung task (above); full log: $log" >&2
[ "$rc" -ne 0 ] && exit "$rc"
exit 1
