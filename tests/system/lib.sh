# SPDX-License-Identifier: GPL-2.0
#
# Shared by the system test's host scripts: settings, messages, the VM lock
# and one QEMU boot of the installed system.

CACHE=${UBLK_BPF_CACHE:-$HOME/.cache/ublk-bpf}
SYS_CACHE=$CACHE/system
MIRROR=${SYSTEST_MIRROR:-http://deb.debian.org}
# The kernel the image boots first and the point update installed later
# (Debian package versions; both must be in Debian's archive).
OLD_KERNEL=${SYSTEST_OLD_KERNEL:-6.12.117-1~deb12u1}
if [ -z "${SYSTEST_NEW_KERNEL:-}" ] && [ -f "$CACHE/current.env" ]; then
	SYSTEST_NEW_KERNEL=$(sed -n 's/^UBLK_KVER=//p' "$CACHE/current.env")
fi
NEW_KERNEL=${SYSTEST_NEW_KERNEL:-6.12.118-1~deb12u1}
# 6.12.117-1~deb12u1 -> 6.12.117+deb12-amd64 (Debian's ABI naming).
abi_of() { local v=${1%%-*}; echo "$v+deb12-amd64"; }
OLD_ABI=$(abi_of "$OLD_KERNEL")
NEW_ABI=$(abi_of "$NEW_KERNEL")
IMAGE_GIB=8
GUEST_CMDLINE="console=ttyS0,115200 panic=-1 net.ifnames=0"
GUEST_MEM=${SYSTEST_MEM:-2048}
GUEST_SMP=${SYSTEST_SMP:-2}

say() { echo "system-test: $*" >&2; }
die() { echo "system-test: error: $*" >&2; exit 1; }

# Run "$@" holding the host-wide VM lock that tests/vm/run.sh takes: one
# TCG guest at a time on this host. Taken per boot, so other VM runs can go
# in between our boots.
with_vm_lock() {
	if [ -n "${UBLK_VM_LOCKED:-}" ]; then
		"$@"
		return
	fi
	(
		exec 9>"${UBLK_VM_LOCK:-/tmp/ublk-vm.lock}"
		if ! flock -n 9; then
			say "waiting for another VM run on this host (lock ${UBLK_VM_LOCK:-/tmp/ublk-vm.lock})"
			flock 9
		fi
		"$@"
	)
}

# boot_qemu DISK CTL CONSOLE TIMEOUT [QEMU ARGS...]: one boot of DISK until
# the guest powers off or reboots (-no-reboot: a reboot ends QEMU, and the
# next boot is a new QEMU from the firmware on). CTL is shared as 9p tag
# "ctl"; the serial console goes to CONSOLE. Returns QEMU's status, 124 on
# time-out. No network device: the guest is offline.
boot_qemu() {
	local disk=$1 ctl=$2 console=$3 timeout=$4
	shift 4
	local accel=${UBLK_VM_ACCEL:-tcg}
	[ "$accel" = tcg ] && accel=tcg,thread=multi
	timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
		-nodefaults -no-user-config -nographic -no-reboot \
		-machine q35 -accel "$accel" -cpu max -smp "$GUEST_SMP" -m "$GUEST_MEM" \
		-drive "if=none,id=d0,file=$disk,format=qcow2,cache=writeback,discard=unmap" \
		-device virtio-blk-pci,drive=d0 \
		-device virtio-rng-pci \
		-serial "file:$console" \
		-fsdev "local,id=ctl,path=$ctl,security_model=none" \
		-device virtio-9p-pci,fsdev=ctl,mount_tag=ctl \
		"$@" </dev/null
}
