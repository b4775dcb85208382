// SPDX-License-Identifier: GPL-2.0
/*
 * A ublk target that reaches for the controller by address from its IO
 * path: ublk_bpf_pci_acquire() is a set-up kfunc for syscall programs
 * only, so the verifier refuses the struct_ops program that calls it
 * (shim test nvme_io). The IO path reaches its controller only through
 * the device it serves.
 */
#include "ublk_tgt.bpf.h"
#include "ublk_bpf_pci.bpf.h"

int UBLK_BPF_OPS_PROG(grab_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	struct ublk_bpf_pci *p = ublk_bpf_pci_acquire(UBLK_BPF_PCI_ADDR(0, 0, 5, 0));
	__u32 v = 0;

	if (p) {
		ublk_bpf_pci_write32(p, NVME_REG_CC, 0);
		ublk_bpf_pci_read32(p, NVME_REG_CSTS, &v);
		ublk_bpf_pci_release(p);
	}
	return UBLK_BPF_IO_REDIRECT;
}

UBLK_TGT_OPS(grab_ops, "grab", grab_queue_io);
