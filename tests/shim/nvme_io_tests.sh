# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shim test of the NVMe IO path (kfunc-shim/ublk_bpf_nvme_io.c), sourced
# by test_shim.sh after pci_nvme_tests.sh. Needs QEMU's NVMe controller
# (tests/vm/run.sh --nvme SIZE); SKIP comment without one.

# hostile_count ID FIELD: a counter of nvme_forged.bpf.o's "hostile" map
hostile_count() {
	"$REPO/.output/bin/bpftool" -j map lookup pinned "/sys/fs/bpf/ublk/$1/hostile" \
		key 0 0 0 0 2>/dev/null | jq -r ".formatted.value.$2 // .value.$2 // empty"
}

# A struct_ops program that reaches for a controller by address is refused
# by the verifier (acquire is a syscall program's kfunc). A program that
# forges every field the shim owns (PRPs, MPTR, NLB, command id, FUSE,
# PSDT, PRINFO, reference tags) and, before each IO, tries a Read into a
# WRITE request's pages, the admin queue, a queue past the last and a
# namespace the shim did not identify: every try refused with its errno,
# none taken, and fio verify (4k and 64k, two queues) passes on the
# device all the same: nothing the program forged reached the controller.
t_nvme_io() {
	local bdf id dev o="$TMP/out" prog=$REPO/.output/bin/ublk-bpf bs refused wrong accepted
	bdf=$(qemu_nvme_bdf)
	[ -n "$bdf" ] || { echo "# SKIP: no QEMU NVMe controller (tests/vm/run.sh --nvme SIZE)"; return 0; }
	echo >"$PCI/devices/$bdf/driver_override"
	[ -e "$PCI/devices/$bdf/driver" ] && echo "$bdf" >"$PCI/devices/$bdf/driver/unbind"

	"$prog" load "$REPO/.output/tests/bpf/nvme_bad_kfunc.bpf.o" --size 16M >"$o" 2>&1 &&
		{ echo "# a struct_ops program calling ublk_bpf_pci_acquire was loaded"; "$prog" del -a; return 1; }
	grep -q 'ublk_bpf_pci_acquire' "$o" ||
		{ echo "# load failed, but not on the kfunc:"; sed 's/^/#   /' "$o" | tail -n 5; return 1; }

	id=$("$prog" load "$REPO/.output/tests/bpf/nvme_forged.bpf.o" --pci "$bdf" -q 2 -d 32 2>"$o" |
	     sed 's/dev id //')
	[ -n "$id" ] || { echo "# load --pci failed:"; sed 's/^/#   /' "$o"; return 1; }
	dev=/dev/ublkb$id
	udevadm settle 2>/dev/null
	for bs in 4k 64k; do
		fio --name=forged --filename="$dev" --ioengine=io_uring --direct=1 --rw=randwrite \
		    --bs=$bs --iodepth=16 --numjobs=2 --size=16M --offset_increment=16M \
		    --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 \
		    --group_reporting --output="$o" ||
			{ sed 's/^/#   /' "$o" | tail -n 20; "$prog" del -n "$id"; return 1; }
	done
	refused=$(hostile_count "$id" refused) wrong=$(hostile_count "$id" wrong)
	accepted=$(hostile_count "$id" accepted)
	echo "# hostile tries: $refused refused with their errno, $wrong otherwise, $accepted taken"
	"$prog" del -n "$id" || return 1
	[ "${refused:-0}" -gt 1000 ] && [ "${wrong:-1}" -eq 0 ] && [ "${accepted:-1}" -eq 0 ]
}
