# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shim tests of ublk_bpf_pci, the kfunc-shim's PCI driver for BPF NVMe
# drivers (docs/bpf-nvme.md), sourced by test_shim.sh. They need QEMU's NVMe
# controller in the guest (tests/vm/run.sh --nvme SIZE) and pass with a SKIP
# comment without one.

PCI=/sys/bus/pci
PCI_NVME="$OUT/pci_nvme"

# the first QEMU NVMe controller (1b36:0010), or nothing
qemu_nvme_bdf() {
	local d
	for d in "$PCI"/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0010 ] &&
			{ basename "$d"; return; }
	done
}

pci_driver_of() { basename "$(readlink "$PCI/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }

# wait_driver BDF NAME: up to 20 s for the device to be bound to NAME
wait_driver() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(pci_driver_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "# $1 bound to '$(pci_driver_of "$1")', expected $2"
	return 1
}

# pci_nvme PROG BDF: run a program of pci_nvme.bpf.o, its output in $TMP/out
pci_nvme() {
	"$PCI_NVME" "$OUT/pci_nvme.bpf.o" "$@" >"$TMP/out" 2>&1 ||
		{ sed 's/^/#   /' "$TMP/out"; return 1; }
}

# The kernel's nvme driver takes the controller; while it holds it ours
# cannot (not through bind, not with driver_override set) and no program
# gets it. Unbound from nvme and probed with driver_override, it is ours:
# a program reads CAP and VS, and every access outside BAR0, misaligned, or
# to a register only the kfuncs write is refused; then it enables the
# controller with the admin queue the kfunc set up, runs Identify Controller
# (with a forged PRP1 the kfunc replaces) and reads QEMU's serial and model
# back; commands whose addresses the kfunc does not own are refused. An I/O
# queue pair whose regions the kfunc gave carries a Flush. Unbound while a
# program holds it, the program's next access fails (-ENODEV); then no
# program gets it, and nvme binds it again and reads it.
t_pci_nvme() {
	local i pid bdf ERANGE=-34 EINVAL=-22 EPERM=-1 o="$TMP/out" ns
	bdf=$(qemu_nvme_bdf)
	[ -n "$bdf" ] || { echo "# SKIP: no QEMU NVMe controller (tests/vm/run.sh --nvme SIZE)"; return 0; }
	[ -d "$PCI/drivers/ublk_bpf_pci" ] || { echo "# no ublk_bpf_pci driver"; return 1; }
	# from whatever an earlier run left (a mutant's, say): nvme's
	echo >"$PCI/devices/$bdf/driver_override"
	[ -e "$PCI/devices/$bdf/driver" ] && echo "$bdf" >"$PCI/devices/$bdf/driver/unbind"
	modprobe nvme && echo "$bdf" >"$PCI/drivers_probe" && wait_driver "$bdf" nvme || return 1
	echo "$bdf" >"$PCI/drivers/ublk_bpf_pci/bind" 2>/dev/null &&
		{ echo "# bind took a device without driver_override"; return 1; }
	echo ublk_bpf_pci >"$PCI/devices/$bdf/driver_override"
	echo "$bdf" >"$PCI/drivers/ublk_bpf_pci/bind" 2>/dev/null &&
		{ echo "# bind took the device nvme holds"; return 1; }
	[ "$(pci_driver_of "$bdf")" = nvme ] || { echo "# nvme lost the device"; return 1; }
	pci_nvme probe "$bdf" && expect "$o" acquired -eq 0 || return 1

	echo "$bdf" >"$PCI/drivers/nvme/unbind" &&
		echo "$bdf" >"$PCI/drivers_probe" && wait_driver "$bdf" ublk_bpf_pci || return 1
	pci_nvme probe "$bdf" || return 1
	sed -n 's/^\(cap\|vs\)=/# &/p' "$o"
	expect "$o" acquired -eq 1 && expect "$o" rc_cap -eq 0 && expect "$o" rc_vs -eq 0 &&
		expect "$o" vs = 0x10400 &&
		expect "$o" rc_oob -eq $ERANGE && expect "$o" rc_oob64 -eq $ERANGE &&
		expect "$o" rc_huge -eq $ERANGE && expect "$o" rc_w_oob -eq $ERANGE &&
		expect "$o" rc_misaligned -eq $EINVAL && expect "$o" rc_misaligned64 -eq $EINVAL &&
		expect "$o" rc_w_asq -eq $EPERM && expect "$o" rc_w_cc_mps -eq $EPERM &&
		expect "$o" rc_en_noaq -eq $EPERM || return 1
	[ "$(get cap "$o")" != 0x0 ] || { echo "# CAP reads 0"; return 1; }

	pci_nvme identify "$bdf" || return 1
	sed -n 's/^\(vid\|sn\|mn\|cqe_dw3\)=/# &/p' "$o"
	expect "$o" rc_disable -eq 0 && expect "$o" rc_aq_big -eq $EINVAL &&
		expect "$o" rc_aq -eq 0 && expect "$o" rc_enable -eq 0 &&
		expect "$o" rc_sub_bad -eq $EPERM && expect "$o" rc_sub_cq_big -eq $EINVAL &&
		expect "$o" rc_sub_data -eq $EINVAL && expect "$o" rc_submit -ge 0 &&
		expect "$o" rc_reap -eq 1 && expect "$o" rc_read -eq 0 &&
		expect "$o" vid = 0x1b36 || return 1
	# status 0 (bits 17-31), CID 7
	[ $(($(get cqe_dw3 "$o") >> 17)) -eq 0 ] && [ $(($(get cqe_dw3 "$o") & 0xffff)) -eq 7 ] ||
		{ echo "# completion dw3 $(get cqe_dw3 "$o"): expected CID 7, status 0"; return 1; }
	[[ "$(get sn "$o")" == "ublkbpf0 "* ]] && [[ "$(get mn "$o")" == "QEMU NVMe Ctrl"* ]] ||
		{ echo "# Identify read back sn '$(get sn "$o")' mn '$(get mn "$o")'"; return 1; }
	# an I/O queue pair the kfunc placed, a Flush through it; a Read refused
	expect "$o" st_nr_queues -eq 0 && expect "$o" st_create_cq -eq 0 &&
		expect "$o" st_create_sq -eq 0 && expect "$o" rc_io_read -eq $EPERM &&
		expect "$o" st_flush -eq 0 && expect "$o" flush_dw3 = 0x1000b || return 1

	# unbound (the controller enabled) while a program holds it: the
	# program's next read is -ENODEV, no later one gets it, nvme's again
	"$PCI_NVME" "$OUT/pci_nvme.bpf.o" hold "$bdf" >"$o" 2>&1 &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		grep -q '^running' "$o" && break
		sleep 0.1
	done
	# the program holds it about 1.5 s in TCG (1 << 23 reads) or 5 s
	sleep 0.2
	echo "$bdf" >"$PCI/drivers/ublk_bpf_pci/unbind" || return 1
	wait $pid || { sed 's/^/#   /' "$o"; return 1; }
	sed -n 's/^hold_/# &/p' "$o"
	expect "$o" acquired -eq 1 && expect "$o" rc_hold -eq -19 &&
		expect "$o" hold_reads -gt 0 && expect "$o" hold_ns -lt 5000000000 || return 1
	pci_nvme probe "$bdf" && expect "$o" acquired -eq 0 || return 1
	echo >"$PCI/devices/$bdf/driver_override"
	echo "$bdf" >"$PCI/drivers_probe" && wait_driver "$bdf" nvme || return 1
	for ((i = 0; i < 200; i++)); do
		ns=$(ls -d "$PCI/devices/$bdf"/nvme/nvme*/nvme*n1 2>/dev/null | head -n1)
		[ -n "$ns" ] && break
		sleep 0.1
	done
	[ -n "$ns" ] && dd if="/dev/$(basename "$ns")" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null ||
		{ echo "# nvme has no readable namespace after ublk_bpf_pci"; return 1; }
	# leave it to ublk_bpf_pci, so that rmmod removes a bound controller
	echo "$bdf" >"$PCI/drivers/nvme/unbind" && modprobe -r nvme &&
		echo ublk_bpf_pci >"$PCI/devices/$bdf/driver_override" &&
		echo "$bdf" >"$PCI/drivers_probe" && wait_driver "$bdf" ublk_bpf_pci
}
