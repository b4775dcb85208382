// SPDX-License-Identifier: GPL-2.0
/*
 * pci_nvme: syscall programs driving QEMU's NVMe controller through the
 * kfunc-shim's ublk_bpf_pci kfuncs (docs/bpf-nvme.md). Syscall programs
 * because they run when the loader asks (BPF_PROG_RUN), in its context, and
 * may take as long as a controller takes to get ready; the ublk IO path
 * (struct_ops) comes later.
 *
 * probe: CAP and VS, and every access the kfuncs must refuse.
 * identify: disable, admin queue, enable, Identify Controller, read back.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include "ublk_bpf_pci.bpf.h"
#include "pci_nvme.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * bpf_for()'s iterator, as the 6.12 UAPI defines it; the build's
 * <linux/bpf.h> (Debian 12's, 6.1) predates it.
 */
struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

/* polls of CSTS or of a completion queue before giving up */
#define POLLS (1 << 20)

SEC("syscall")
int probe(struct pci_nvme_ctx *ctx)
{
	struct ublk_bpf_pci *p;
	__u32 v32 = 0;
	__u64 v64 = 0;

	p = ublk_bpf_pci_acquire(ctx->addr);
	if (!p)
		return 0;
	ctx->acquired = 1;
	ctx->rc_cap = ublk_bpf_pci_read64(p, NVME_REG_CAP, &v64);
	ctx->cap = v64;
	ctx->rc_vs = ublk_bpf_pci_read32(p, NVME_REG_VS, &v32);
	ctx->vs = v32;
	ctx->rc_oob = ublk_bpf_pci_read32(p, ctx->bar_len, &v32);
	ctx->rc_oob64 = ublk_bpf_pci_read64(p, ctx->bar_len, &v64);
	ctx->rc_huge = ublk_bpf_pci_read32(p, 0xfffffffc, &v32);
	ctx->rc_misaligned = ublk_bpf_pci_read32(p, 2, &v32);
	ctx->rc_misaligned64 = ublk_bpf_pci_read64(p, 4, &v64);
	ctx->rc_w_asq = ublk_bpf_pci_write32(p, NVME_REG_ASQ, 0x1000);
	/* CC.MPS = 1: 8 KiB pages, larger than the regions' */
	ctx->rc_w_cc_mps = ublk_bpf_pci_write32(p, NVME_REG_CC, 1 << 7);
	ctx->rc_w_oob = ublk_bpf_pci_write32(p, ctx->bar_len, 0);
	/* enable with the admin queue registers never set by the program */
	ctx->rc_en_noaq = ublk_bpf_pci_write32(p, NVME_REG_CC,
					       1 | 6 << 16 | 4 << 20);
	ublk_bpf_pci_release(p);
	return 0;
}

/* 0 once CSTS.RDY reads @rdy, -ETIMEDOUT or the kfunc's error */
static int wait_rdy(struct ublk_bpf_pci *p, __u32 rdy)
{
	__u32 csts = 0;
	int i, ret;

	bpf_for(i, 0, POLLS) {
		ret = ublk_bpf_pci_read32(p, NVME_REG_CSTS, &csts);
		if (ret)
			return ret;
		if ((csts & 1) == rdy)
			return 0;
	}
	return -ETIMEDOUT;
}

SEC("syscall")
int identify(struct pci_nvme_ctx *ctx)
{
	__u8 sqe[UBLK_BPF_NVME_SQE_SIZE] = {};
	__u32 cqe[4] = {};
	struct ublk_bpf_pci *p;
	char id[64] = {};
	int i;

	p = ublk_bpf_pci_acquire(ctx->addr);
	if (!p)
		return 0;
	ctx->acquired = 1;
	ctx->rc_disable = ublk_bpf_pci_write32(p, NVME_REG_CC, 0) ?: wait_rdy(p, 0);
	ctx->rc_aq_big = ublk_bpf_nvme_admin_queues(p, UBLK_BPF_NVME_SQ_MAX + 1, 16);
	ctx->rc_aq = ublk_bpf_nvme_admin_queues(p, 16, 16);
	/* enable: 64-byte SQEs, 16-byte CQEs, 4 KiB pages, NVM command set */
	ctx->rc_enable = ublk_bpf_pci_write32(p, NVME_REG_CC, 1 | 6 << 16 | 4 << 20) ?:
			 wait_rdy(p, 1);
	if (ctx->rc_enable)
		goto out;

	/* Doorbell Buffer Config (0x7c) carries two addresses: refused */
	sqe[0] = 0x7c;
	ctx->rc_sub_bad = ublk_bpf_nvme_submit(p, 0, sqe, sizeof(sqe),
					       UBLK_BPF_NVME_NO_DATA);
	/* Create I/O CQ 1 of 257 entries: more than a CQ region holds */
	sqe[0] = 0x05;
	*(__u32 *)&sqe[40] = 1 | (UBLK_BPF_NVME_CQ_MAX << 16);
	ctx->rc_sub_cq_big = ublk_bpf_nvme_submit(p, 0, sqe, sizeof(sqe),
						  UBLK_BPF_NVME_NO_DATA);
	/* Identify Controller (CNS 1), CID 7, into the admin SQ's region */
	sqe[0] = 0x06;
	sqe[2] = 7;
	*(__u32 *)&sqe[40] = 1;
	ctx->rc_sub_data = ublk_bpf_nvme_submit(p, 0, sqe, sizeof(sqe),
						UBLK_BPF_NVME_REGION_SQ(0));
	/* the same into the data region, with a forged PRP1 the kfunc replaces */
	*(__u64 *)&sqe[24] = 0x1000;
	ctx->rc_submit = ublk_bpf_nvme_submit(p, 0, sqe, sizeof(sqe),
					      UBLK_BPF_NVME_REGION_DATA);
	if (ctx->rc_submit < 0)
		goto out;
	bpf_for(i, 0, POLLS) {
		ctx->rc_reap = ublk_bpf_nvme_reap(p, 0, cqe, sizeof(cqe));
		if (ctx->rc_reap)
			break;
	}
	ctx->cqe_dw3 = cqe[3];
	if (ctx->rc_reap != 1)
		goto out;
	/* VID at 0, SN at 4 (20 bytes), MN at 24 (40 bytes) */
	ctx->rc_read = ublk_bpf_pci_region_read(p, UBLK_BPF_NVME_REGION_DATA, 0,
						id, sizeof(id));
	ctx->vid = id[0] | id[1] << 8;
	__builtin_memcpy(ctx->sn, id + 4, 20);
	__builtin_memcpy(ctx->mn, id + 24, 40);
out:
	ublk_bpf_pci_release(p);
	return 0;
}
