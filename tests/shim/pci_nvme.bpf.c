// SPDX-License-Identifier: GPL-2.0
/*
 * pci_nvme: syscall programs driving QEMU's NVMe controller through the
 * kfunc-shim's ublk_bpf_pci kfuncs (docs/bpf-nvme.md). Syscall programs
 * because they run when the loader asks (BPF_PROG_RUN), in its context, and
 * may take as long as a controller takes to get ready; the ublk IO path
 * (struct_ops) comes later.
 *
 * probe: CAP and VS, and every access the kfuncs must refuse.
 * identify: disable, admin queue, enable, Identify Controller, read back;
 * then an I/O queue pair and a Flush on it.
 * hold: reads CSTS for up to HOLD_NS while the test unbinds the device.
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

/* the longest hold keeps a CPU (the watchdog complains at 20 s) */
#define HOLD_NS 5000000000ULL

/*
 * Keep the device and read CSTS until a read fails (the device was unbound:
 * -ENODEV) or HOLD_NS passed.
 */
SEC("syscall")
int hold(struct pci_nvme_ctx *ctx)
{
	struct ublk_bpf_pci *p;
	__u64 start = bpf_ktime_get_ns();
	__u32 csts = 0;
	int i;

	p = ublk_bpf_pci_acquire(ctx->addr);
	if (!p)
		return 0;
	ctx->acquired = 1;
	/* bpf_iter_num takes at most BPF_MAX_LOOPS (1 << 23) */
	bpf_for(i, 0, 1 << 23) {
		ctx->rc_hold = ublk_bpf_pci_read32(p, NVME_REG_CSTS, &csts);
		if (ctx->rc_hold || bpf_ktime_get_ns() - start > HOLD_NS)
			break;
		ctx->hold_reads++;
	}
	ctx->hold_ns = bpf_ktime_get_ns() - start;
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

/*
 * Submit @sqe on queue @qid and wait for its completion: its status (DW3
 * bits 17-31), -ETIMEDOUT or a kfunc's error; *@dw3 is the completion's DW3.
 */
static int run_cmd(struct ublk_bpf_pci *p, __u32 qid, __u8 *sqe, __u32 data,
		   __u32 *dw3)
{
	__u32 cqe[4] = {};
	int i, ret;

	ret = ublk_bpf_nvme_submit(p, qid, sqe, UBLK_BPF_NVME_SQE_SIZE, data);
	if (ret < 0)
		return ret;
	ret = 0;
	bpf_for(i, 0, POLLS) {
		ret = ublk_bpf_nvme_reap(p, qid, cqe, sizeof(cqe));
		if (ret)
			break;
	}
	if (ret != 1)
		return ret < 0 ? ret : -ETIMEDOUT;
	*dw3 = cqe[3];
	return cqe[3] >> 17;
}

/* An I/O queue pair (queue 1, 16 entries) and a Flush on it. */
static void io_queue(struct ublk_bpf_pci *p, struct pci_nvme_ctx *ctx)
{
	__u8 sqe[UBLK_BPF_NVME_SQE_SIZE] = {};
	__u32 dw3 = 0;

	sqe[0] = 0x09;				/* Set Features */
	sqe[2] = 8;
	*(__u32 *)&sqe[40] = 0x07;		/* Number of Queues */
	*(__u32 *)&sqe[44] = 0;			/* 1 SQ, 1 CQ (0's based) */
	ctx->st_nr_queues = run_cmd(p, 0, sqe, UBLK_BPF_NVME_NO_DATA, &dw3);
	if (ctx->st_nr_queues)
		return;
	sqe[0] = 0x05;				/* Create I/O CQ */
	sqe[2] = 9;
	*(__u32 *)&sqe[40] = 1 | 15 << 16;	/* QID 1, 16 entries */
	*(__u32 *)&sqe[44] = 0;			/* the kfunc sets PC */
	ctx->st_create_cq = run_cmd(p, 0, sqe, UBLK_BPF_NVME_NO_DATA, &dw3);
	if (ctx->st_create_cq)
		return;
	sqe[0] = 0x01;				/* Create I/O SQ */
	sqe[2] = 10;
	*(__u32 *)&sqe[44] = 1 << 16;		/* on CQ 1 */
	ctx->st_create_sq = run_cmd(p, 0, sqe, UBLK_BPF_NVME_NO_DATA, &dw3);
	if (ctx->st_create_sq)
		return;
	__builtin_memset(sqe, 0, sizeof(sqe));
	sqe[0] = 0x02;				/* Read */
	*(__u32 *)&sqe[4] = 1;			/* NSID 1 */
	ctx->rc_io_read = ublk_bpf_nvme_submit(p, 1, sqe, sizeof(sqe),
					       UBLK_BPF_NVME_REGION_DATA);
	sqe[0] = 0x00;				/* Flush */
	sqe[2] = 11;
	ctx->st_flush = run_cmd(p, 1, sqe, UBLK_BPF_NVME_NO_DATA, &dw3);
	ctx->flush_dw3 = dw3;
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
	io_queue(p, ctx);
out:
	ublk_bpf_pci_release(p);
	return 0;
}
