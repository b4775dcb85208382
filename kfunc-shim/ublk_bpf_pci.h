/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ublk-bpf: the state of a controller bound to ublk_bpf_pci, shared by the
 * PCI driver and its set-up kfuncs (ublk_bpf_pci.c) and the IO path
 * (ublk_bpf_nvme_io.c). Never included by BPF programs or user space.
 *
 * Locks, in order: ublk_bpf_srcu (the ublk IO path) -> ublk_bpf_pci_srcu
 * (read side: every kfunc that touches the device; remove() waits for it
 * after marking the device dead) -> a device's lock (queue state: tails,
 * heads, phases, sizes, command ids in flight), taken with interrupts off
 * because the IO path's MSI-X handler takes it. The list lock
 * ublk_bpf_pci_list_lock is taken alone.
 */
#ifndef UBLK_BPF_PCI_H
#define UBLK_BPF_PCI_H

#include <linux/bvec.h>
#include <linux/kref.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include "ublk_bpf_nvme.h"

/* Controller registers (NVMe base specification, section 3.1). */
#define NVME_R_CAP	0x00
#define NVME_R_INTMS	0x0c
#define NVME_R_INTMC	0x10
#define NVME_R_CC	0x14
#define NVME_R_CSTS	0x1c
#define NVME_R_AQA	0x24
#define NVME_R_ASQ	0x28
#define NVME_R_ACQ	0x30
#define NVME_R_DBS	0x1000

#define NVME_CC_EN		BIT(0)
#define NVME_CC_MPS		GENMASK(10, 7)
#define NVME_CC_IOSQES		GENMASK(19, 16)
#define NVME_CC_IOCQES		GENMASK(23, 20)
#define NVME_CSTS_RDY		BIT(0)

/* SQE layout: dwords and the byte ranges the kfuncs own. */
#define SQE_CDW0	0
#define SQE_NSID	4
#define SQE_MPTR	16
#define SQE_PRP1	24
#define SQE_PRP2	32
#define SQE_CDW10	40
#define SQE_CDW11	44
#define SQE_CDW12	48
#define SQE_CDW13	52
#define SQE_CDW14	56
#define SQE_CDW15	60
#define SQE_CDW0_FUSE_PSDT	(GENMASK(9, 8) | GENMASK(15, 14))

/* The IO path's memory page size: CC.MPS 0. */
#define UBLK_BPF_NVME_PAGE	4096u
/* Pages one IO-path command may touch: MAX_IO, not page aligned. */
#define UBLK_BPF_NVME_MAX_SEGS	(UBLK_BPF_NVME_MAX_IO / UBLK_BPF_NVME_PAGE + 1)
/* Bytes of kfunc-owned DMA memory per command: its PRP list or DSM range. */
#define UBLK_BPF_NVME_CMD_AUX	256u
/* Command ids of an IO-path queue: one bit each in a long. */
#define UBLK_BPF_NVME_CIDS	BITS_PER_LONG
/* Namespaces the shim identified and the IO path accepts. */
#define UBLK_BPF_NVME_MAX_NS	4

struct ublk_bpf_aio;

struct ublk_bpf_nvme_q {
	u16 sq_size;		/* entries; 0: no such queue */
	u16 sq_tail;
	u16 sq_head;		/* as the last completion reported it */
	u16 cq_size;
	u16 cq_head;
	u8 cq_phase;
	bool io_path;		/* CQ made with IEN: the IO path's */
};

/*
 * One IO-path command. Its id is its index; the id's bit in
 * ublk_bpf_nvme_ioq.cid_busy owns it from submission until its end.
 */
struct ublk_bpf_nvme_cmd {
	struct ublk_bpf_aio *aio;
	bool issued;		/* in the SQ: p->lock */
	u8 nr;			/* mapped segments */
	u8 dir;			/* enum dma_data_direction */
	u16 status;		/* the CQE's status field */
	struct bio_vec bv[UBLK_BPF_NVME_MAX_SEGS];
	dma_addr_t dma[UBLK_BPF_NVME_MAX_SEGS];
};

/* The IO-path state of I/O queue pair q, allocated at probe. */
struct ublk_bpf_nvme_ioq {
	unsigned long cid_busy;		/* atomic bitops */
	struct ublk_bpf_nvme_cmd *cmds;	/* UBLK_BPF_NVME_CIDS */
	void *aux;			/* CMD_AUX bytes per command */
	dma_addr_t aux_dma;
	u16 vector;			/* MSI-X vector of its CQ */
};

struct ublk_bpf_nvme_ns_fmt {
	u32 nsid;			/* 0: free slot */
	u32 lba_shift;
	u64 nsze;
};

/* A bound controller; BPF programs and ublk devices hold references. */
struct ublk_bpf_pci {
	struct kref ref;
	struct list_head node;	/* ublk_bpf_pci_list */
	u32 addr;		/* UBLK_BPF_PCI_ADDR() */
	bool dead;		/* removed: every kfunc returns -ENODEV */
	struct pci_dev *pdev;
	void __iomem *bar;
	resource_size_t bar_len;
	u32 dstrd;		/* doorbell stride in bytes */
	u32 nr_queues;
	u32 nr_vectors;		/* MSI-X vectors; < 2: no IO path */
	spinlock_t lock;	/* q[], ns[], cmds' issued; irqsave */
	struct ublk_bpf_nvme_q q[UBLK_BPF_NVME_NR_QUEUES];
	struct ublk_bpf_nvme_ns_fmt ns[UBLK_BPF_NVME_MAX_NS];
	void *region[UBLK_BPF_NVME_NR_REGIONS];
	dma_addr_t region_dma[UBLK_BPF_NVME_NR_REGIONS];
	struct ublk_bpf_nvme_ioq ioq[UBLK_BPF_NVME_NR_QUEUES];
};

extern struct srcu_struct ublk_bpf_pci_srcu;

/* Inside the SRCU read side: 0 when the device may be touched. */
static inline int ublk_bpf_pci_live(struct ublk_bpf_pci *p)
{
	return READ_ONCE(p->dead) ? -ENODEV : 0;
}

static inline void __iomem *ublk_bpf_nvme_db(struct ublk_bpf_pci *p, u32 qid,
					     bool cq)
{
	return p->bar + NVME_R_DBS + (2 * qid + cq) * p->dstrd;
}

void ublk_bpf_pci_free(struct kref *ref);
int ublk_bpf_nvme_disable(struct ublk_bpf_pci *p);
void ublk_bpf_nvme_reset_queues(struct ublk_bpf_pci *p);
bool ublk_bpf_nvme_cq_pop(struct ublk_bpf_pci *p, u32 qid, u8 *cqe);

/* ublk_bpf_nvme_io.c */
int ublk_bpf_nvme_io_setup(struct ublk_bpf_pci *p);
void ublk_bpf_nvme_io_teardown(struct ublk_bpf_pci *p);
void ublk_bpf_nvme_io_drain(struct ublk_bpf_pci *p);
void ublk_bpf_nvme_io_fail_all(struct ublk_bpf_pci *p, int err);
bool ublk_bpf_nvme_io_busy(struct ublk_bpf_pci *p, u32 qid);
u16 ublk_bpf_nvme_io_vector(struct ublk_bpf_pci *p, u32 qid);
int ublk_bpf_nvme_identify_ns(struct ublk_bpf_pci *p, u32 nsid, void *ns,
			      u32 ns__sz);

#endif /* UBLK_BPF_PCI_H */
