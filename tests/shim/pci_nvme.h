/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The context pci_nvme (the loader) hands the syscall programs of
 * pci_nvme.bpf.c, and reads back: inputs first, then what they found.
 */
#ifndef PCI_NVME_H
#define PCI_NVME_H

struct pci_nvme_ctx {
	/* in */
	__u32 addr;		/* UBLK_BPF_PCI_ADDR() of the controller */
	__u32 bar_len;		/* BAR0's length, from sysfs */
	/* out: probe */
	__s32 acquired;		/* 1 when the kfunc found the device */
	__s32 rc_cap, rc_vs;
	__u64 cap;
	__u32 vs;
	__s32 rc_oob;		/* read32 at bar_len */
	__s32 rc_oob64;		/* read64 at bar_len */
	__s32 rc_huge;		/* read32 at 0xfffffffc */
	__s32 rc_misaligned;	/* read32 at 2 */
	__s32 rc_misaligned64;	/* read64 at 4 */
	__s32 rc_w_asq;		/* write32 to ASQ (the kfuncs' own) */
	__s32 rc_w_cc_mps;	/* write32 of CC with 8 KiB pages */
	__s32 rc_w_oob;		/* write32 at bar_len */
	__s32 rc_en_noaq;	/* CC.EN before any admin queue */
	/* out: identify */
	__s32 rc_disable;	/* 0 once CSTS.RDY read 0 */
	__s32 rc_aq;		/* ublk_bpf_nvme_admin_queues() */
	__s32 rc_aq_big;	/* the same with a queue larger than its region */
	__s32 rc_enable;	/* 0 once CSTS.RDY read 1 */
	__s32 rc_sub_bad;	/* an opcode with addresses the kfunc does not know */
	__s32 rc_sub_cq_big;	/* Create I/O CQ larger than its region */
	__s32 rc_sub_data;	/* Identify into a queue's region */
	__s32 rc_submit;	/* Identify Controller's slot */
	__s32 rc_reap;		/* 1 once its completion came */
	__u32 cqe_dw3;		/* CID, phase and status */
	__s32 rc_read;		/* region_read of the Identify data */
	/* out: an I/O queue pair: status (>= 0) or the kfunc's error */
	__s32 st_nr_queues;	/* Set Features, Number of Queues: 1 + 1 */
	__s32 st_create_cq;	/* Create I/O CQ 1 */
	__s32 st_create_sq;	/* Create I/O SQ 1 */
	__s32 rc_io_read;	/* a Read: data the kfunc cannot map yet */
	__s32 st_flush;		/* Flush on queue 1 */
	__u32 flush_dw3;
	/* out: hold, a program holding the device while it is unbound */
	__s32 rc_hold;		/* the first error read32 returned */
	__u64 hold_reads;	/* reads that worked before it */
	__u64 hold_ns;		/* how long it held the device */
	__u16 vid;
	char sn[21];		/* serial number, NUL-terminated */
	char mn[41];		/* model number */
};

#endif
