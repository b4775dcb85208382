// SPDX-License-Identifier: GPL-2.0
/*
 * ublk-bpf: the NVMe IO path of ublk_bpf_pci (docs/bpf-nvme.md). A ublk
 * device made with UBLK_BPF_PARAM_F_PCI lets its struct_ops program turn
 * an IO into NVMe commands with ublk_bpf_nvme_io_submit(); the program
 * chooses the opcode, namespace, LBA and queue, the shim does everything
 * that could point the device at memory:
 * - the transfer length comes from the slice of the request the aio has
 *   attached and from the block size the shim read itself (Identify
 *   Namespace into its own page), never from the program;
 * - the request's own pages are mapped for the one direction of the
 *   request (a READ is only written, a WRITE only read) and PRP1, PRP2 and
 *   the PRP list are the shim's, in memory of its own;
 * - the command id is the shim's: a completion finds its command by it,
 *   unmaps the pages, then ends the aio. An id the shim did not hand out,
 *   or one already ended, is ignored.
 * Completions come from the queue's MSI-X interrupt (hardirq): no polling
 * CPU and no timer; the aio's end runs the program's aio_complete() there,
 * which struct ublk_bpf_ops allows. Locks: ublk_bpf_pci.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/unaligned.h>
#include "ublk_bpf_pci.h"
#include "ublk_bpf_priv.h"

#define NVME_ADM_IDENTIFY	0x06
/* CDW12 bits of Read/Write/Write Zeroes a program may set: LR, FUA, DEAC */
#define NVME_RW_KEEP		(BIT(31) | BIT(30))
#define NVME_WZ_KEEP		(BIT(31) | BIT(30) | BIT(25))
/* DSM CDW11: deallocate */
#define NVME_DSM_AD		BIT(2)
/* The admin command id of the shim's own Identify Namespace. */
#define NVME_SHIM_CID		0xfffe
/* How long removal waits for commands in flight before the reset */
#define UBLK_BPF_NVME_DRAIN_MS	5000
/* Polls (of 100-200 us) for that command before the controller is reset */
#define NVME_SHIM_POLLS		10000

/* The vector of I/O queue @qid's interrupts: 1.., shared round robin. */
u16 ublk_bpf_nvme_io_vector(struct ublk_bpf_pci *p, u32 qid)
{
	return 1 + (qid - 1) % (p->nr_vectors - 1);
}

/*
 * Has the IO path a command in flight on queue pair @qid (0: on any)?
 * A hint, without p->lock: ids are taken before the lock.
 */
bool ublk_bpf_nvme_io_busy(struct ublk_bpf_pci *p, u32 qid)
{
	u32 q;

	for (q = 1; q < UBLK_BPF_NVME_NR_QUEUES; q++)
		if ((!qid || q == qid) && READ_ONCE(p->ioq[q].cid_busy))
			return true;
	return false;
}

/* Unmap a command's pages and give its id back. */
static void ublk_bpf_nvme_cmd_put(struct ublk_bpf_pci *p, u32 qid, u32 cid)
{
	struct ublk_bpf_nvme_cmd *c = &p->ioq[qid].cmds[cid];
	u8 i;

	for (i = 0; i < c->nr; i++)
		dma_unmap_page(&p->pdev->dev, c->dma[i], c->bv[i].bv_len, c->dir);
	c->nr = 0;
	c->aio = NULL;
	clear_bit_unlock(cid, &p->ioq[qid].cid_busy);
}

/* A command is over: its pages unmapped and id freed before the aio ends. */
static void ublk_bpf_nvme_cmd_end(struct ublk_bpf_pci *p, u32 qid, u32 cid,
				  int err)
{
	struct ublk_bpf_nvme_cmd *c = &p->ioq[qid].cmds[cid];
	struct ublk_bpf_aio *aio = c->aio;
	u16 status = c->status;

	ublk_bpf_nvme_cmd_put(p, qid, cid);
	aio->status = status;
	if (!err && status)
		err = -EIO;
	ublk_bpf_aio_end(aio, err ?: (long)aio->len);
}

/*
 * Take the completions of IO-path queue @qid, at most one batch per lock
 * hold; true when the batch was full (call again).
 */
static bool ublk_bpf_nvme_io_reap(struct ublk_bpf_pci *p, u32 qid)
{
	struct ublk_bpf_nvme_q *q = &p->q[qid];
	u8 cqe[UBLK_BPF_NVME_CQE_SIZE];
	u16 ended[16];
	u32 n = 0, i;
	bool moved = false;

	spin_lock(&p->lock);
	while (q->io_path && n < ARRAY_SIZE(ended) && ublk_bpf_nvme_cq_pop(p, qid, cqe)) {
		u32 dw3 = get_unaligned_le32(cqe + 12);
		u32 sqid = get_unaligned_le32(cqe + 8) >> 16, cid = dw3 & 0xffff;

		moved = true;
		if (sqid != qid || cid >= UBLK_BPF_NVME_CIDS ||
		    !p->ioq[qid].cmds[cid].issued) {
			dev_warn_ratelimited(&p->pdev->dev,
					     "queue %u: completion of unknown command %u/%u ignored\n",
					     qid, sqid, cid);
			continue;
		}
		p->ioq[qid].cmds[cid].issued = false;
		p->ioq[qid].cmds[cid].status = dw3 >> 17;
		ended[n++] = cid;
	}
	if (moved)
		writel(q->cq_head, ublk_bpf_nvme_db(p, qid, true));
	spin_unlock(&p->lock);

	for (i = 0; i < n; i++)
		ublk_bpf_nvme_cmd_end(p, qid, ended[i], 0);
	return n == ARRAY_SIZE(ended);
}

/* One vector: the IO-path queues it serves. */
static irqreturn_t ublk_bpf_nvme_irq(int irq, void *data)
{
	struct ublk_bpf_nvme_ioq *vq = data;
	struct ublk_bpf_pci *p = container_of(vq - vq->vector,
					      struct ublk_bpf_pci, ioq[0]);
	u32 qid;

	for (qid = 1; qid < p->nr_queues; qid++) {
		if (ublk_bpf_nvme_io_vector(p, qid) != vq->vector)
			continue;
		while (ublk_bpf_nvme_io_reap(p, qid))
			;
	}
	return IRQ_HANDLED;
}

/**
 * ublk_bpf_nvme_io_fail_all - end every IO-path command with @err
 * @p: the device, whose controller no longer processes them (disabled or
 *	reset) and whose interrupts no longer reap them
 * @err: the errno the aios end with
 */
void ublk_bpf_nvme_io_fail_all(struct ublk_bpf_pci *p, int err)
{
	unsigned long flags;
	u32 qid, cid;
	bool issued;

	for (qid = 1; qid < p->nr_queues; qid++) {
		if (!p->ioq[qid].cmds)
			continue;
		for (cid = 0; cid < UBLK_BPF_NVME_CIDS; cid++) {
			spin_lock_irqsave(&p->lock, flags);
			issued = p->ioq[qid].cmds[cid].issued;
			p->ioq[qid].cmds[cid].issued = false;
			spin_unlock_irqrestore(&p->lock, flags);
			if (issued) {
				p->ioq[qid].cmds[cid].status = 0;
				ublk_bpf_nvme_cmd_end(p, qid, cid, err);
			}
		}
	}
}

/**
 * ublk_bpf_nvme_io_drain - wait for the IO path's commands to complete
 * @p: the device, dead (nothing is submitted any more), interrupts live
 *
 * Waits up to UBLK_BPF_NVME_DRAIN_MS; process context.
 */
void ublk_bpf_nvme_io_drain(struct ublk_bpf_pci *p)
{
	unsigned long end = jiffies + msecs_to_jiffies(UBLK_BPF_NVME_DRAIN_MS);

	while (ublk_bpf_nvme_io_busy(p, 0) && time_before(jiffies, end))
		msleep(20);
}

/**
 * ublk_bpf_nvme_io_setup - MSI-X vectors and per-queue memory, at probe
 * @p: the device, its BAR mapped and queues counted
 *
 * Vector 0 stays the admin queue's and is never requested (it is polled);
 * I/O queues share vectors 1.. round robin. Fewer than two vectors: no IO
 * path (Create I/O CQ with IEN is refused), the set-up kfuncs still work.
 *
 * Return: 0 or -ENOMEM; undoes itself on failure.
 */
int ublk_bpf_nvme_io_setup(struct ublk_bpf_pci *p)
{
	struct device *dev = &p->pdev->dev;
	int nvec, v, ret = -ENOMEM;
	u32 qid;

	for (qid = 1; qid < p->nr_queues; qid++) {
		struct ublk_bpf_nvme_ioq *ioq = &p->ioq[qid];

		ioq->cmds = kvcalloc(UBLK_BPF_NVME_CIDS, sizeof(*ioq->cmds),
				     GFP_KERNEL);
		ioq->aux = dma_alloc_coherent(dev, UBLK_BPF_NVME_CIDS *
					      UBLK_BPF_NVME_CMD_AUX,
					      &ioq->aux_dma, GFP_KERNEL);
		if (!ioq->cmds || !ioq->aux)
			goto fail;
	}
	for (v = 0; v < UBLK_BPF_NVME_NR_QUEUES; v++)
		p->ioq[v].vector = v;
	nvec = pci_alloc_irq_vectors(p->pdev, 2, p->nr_queues, PCI_IRQ_MSIX);
	if (nvec < 2) {
		dev_info(dev, "no MSI-X: no IO path\n");
		return 0;
	}
	for (v = 1; v < nvec; v++) {
		ret = request_irq(pci_irq_vector(p->pdev, v), ublk_bpf_nvme_irq,
				  0, UBLK_BPF_PCI_DRIVER, &p->ioq[v]);
		if (ret) {
			while (--v > 0)
				free_irq(pci_irq_vector(p->pdev, v), &p->ioq[v]);
			pci_free_irq_vectors(p->pdev);
			goto fail;
		}
	}
	p->nr_vectors = nvec;
	return 0;
fail:
	p->nr_vectors = 0;
	ublk_bpf_nvme_io_teardown(p);
	return ret;
}

/**
 * ublk_bpf_nvme_io_teardown - at removal, after the controller stopped
 * @p: the device, dead, bus mastering off
 *
 * Frees the interrupts (waiting for a running handler), then ends what
 * was still in flight with -ENODEV and frees the queues' memory.
 */
void ublk_bpf_nvme_io_teardown(struct ublk_bpf_pci *p)
{
	struct device *dev = &p->pdev->dev;
	u32 v, qid;

	if (p->nr_vectors) {
		for (v = 1; v < p->nr_vectors; v++)
			free_irq(pci_irq_vector(p->pdev, v), &p->ioq[v]);
		pci_free_irq_vectors(p->pdev);
		p->nr_vectors = 0;
	}
	ublk_bpf_nvme_io_fail_all(p, -ENODEV);
	for (qid = 1; qid < UBLK_BPF_NVME_NR_QUEUES; qid++) {
		struct ublk_bpf_nvme_ioq *ioq = &p->ioq[qid];

		if (ioq->aux)
			dma_free_coherent(dev, UBLK_BPF_NVME_CIDS *
					  UBLK_BPF_NVME_CMD_AUX,
					  ioq->aux, ioq->aux_dma);
		kvfree(ioq->cmds);
		ioq->aux = NULL;
		ioq->cmds = NULL;
	}
}

/* The block size of an identified namespace, or -EINVAL. */
static int ublk_bpf_nvme_ns_shift(struct ublk_bpf_pci *p, u32 nsid)
{
	int i;

	for (i = 0; i < UBLK_BPF_NVME_MAX_NS; i++)
		if (nsid && READ_ONCE(p->ns[i].nsid) == nsid)
			return READ_ONCE(p->ns[i].lba_shift);
	return -EINVAL;
}

/*
 * Map the request's bytes [aio->off, +len) for the command and write its
 * PRPs: PRP1 the first byte, PRP2 the second page or the list in the
 * command's aux memory. Every segment but the first must start a page and
 * every one but the last end one (the device's virt boundary).
 */
static int ublk_bpf_nvme_map(struct ublk_bpf_pci *p, struct ublk_bpf_aio *aio,
			     u32 qid, u32 cid, u8 *sqe)
{
	struct ublk_bpf_nvme_cmd *c = &p->ioq[qid].cmds[cid];
	__le64 *list = p->ioq[qid].aux + cid * UBLK_BPF_NVME_CMD_AUX;
	u32 nr_list = 0, i, nr = 0, want = 0;
	struct req_iterator it;
	struct bio_vec bv;
	u32 pos = 0, end = aio->off + aio->len;

	c->dir = aio->io->op == REQ_OP_READ ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
	rq_for_each_bvec(bv, aio->io->rq, it) {
		u32 from = max(pos, aio->off), to = min(pos + bv.bv_len, end);

		if (from < to) {
			u32 o = bv.bv_offset + (from - pos);
			struct page *pg = nth_page(bv.bv_page, o >> PAGE_SHIFT);
			struct bio_vec *prev = nr ? &c->bv[nr - 1] : NULL;

			/*
			 * Bios the block layer merged may continue each other
			 * in memory (1 KiB buffers of one page): one segment,
			 * as the virt boundary counts them.
			 */
			if (prev && page_to_phys(prev->bv_page) + prev->bv_offset +
				    prev->bv_len == page_to_phys(pg) + offset_in_page(o)) {
				prev->bv_len += to - from;
			} else {
				if (nr == UBLK_BPF_NVME_MAX_SEGS)
					return -EINVAL;
				bvec_set_page(&c->bv[nr++], pg, to - from,
					      offset_in_page(o));
			}
		}
		pos += bv.bv_len;
		if (pos >= end)
			break;
	}
	/* c->nr counts what is mapped: what put unmaps */
	for (c->nr = 0; c->nr < nr; c->nr++) {
		c->dma[c->nr] = dma_map_bvec(&p->pdev->dev, &c->bv[c->nr], c->dir, 0);
		if (dma_mapping_error(&p->pdev->dev, c->dma[c->nr]))
			return -ENOMEM;
	}
	for (i = 0; i < c->nr; i++) {
		dma_addr_t a = c->dma[i], e = a + c->bv[i].bv_len;

		want += c->bv[i].bv_len;
		if ((i && (a & (UBLK_BPF_NVME_PAGE - 1))) ||
		    (i + 1 < c->nr && (e & (UBLK_BPF_NVME_PAGE - 1))) ||
		    (a & 3))
			return -EINVAL;
		/* the pages after the first byte's */
		a = i ? a : (a & ~(dma_addr_t)(UBLK_BPF_NVME_PAGE - 1)) +
			    UBLK_BPF_NVME_PAGE;
		for (; a < e; a += UBLK_BPF_NVME_PAGE) {
			if (nr_list == UBLK_BPF_NVME_CMD_AUX / sizeof(*list))
				return -EINVAL;
			list[nr_list++] = cpu_to_le64(a);
		}
	}
	if (!c->nr || want != aio->len)
		return -EINVAL;
	put_unaligned_le64(c->dma[0], sqe + SQE_PRP1);
	if (nr_list == 1)
		put_unaligned_le64(le64_to_cpu(list[0]), sqe + SQE_PRP2);
	else if (nr_list > 1)
		put_unaligned_le64(p->ioq[qid].aux_dma + cid * UBLK_BPF_NVME_CMD_AUX,
				   sqe + SQE_PRP2);
	return 0;
}

/*
 * Check the program's command against its aio and fill every field the
 * shim owns; maps the pages of Read and Write.
 */
static int ublk_bpf_nvme_prep(struct ublk_bpf_pci *p, struct ublk_bpf_aio *aio,
			      u32 qid, u32 cid, u8 *sqe)
{
	u32 cdw12 = get_unaligned_le32(sqe + SQE_CDW12);
	u8 op = sqe[0], *range;
	u32 nlb = 0, io_op = aio->io->op;
	int shift;

	shift = ublk_bpf_nvme_ns_shift(p, get_unaligned_le32(sqe + SQE_NSID));
	if (shift < 0)
		return shift;
	if (op != UBLK_BPF_NVME_OP_FLUSH) {
		if (!test_bit(UBLK_BPF_AIO_ATTACHED, &aio->flags) ||
		    (aio->len & ((1u << shift) - 1)))
			return -EINVAL;
		nlb = aio->len >> shift;
	}
	/* the shim's: command id, PRPs, metadata, protection, fusing */
	put_unaligned_le32(op | cid << 16, sqe + SQE_CDW0);
	memset(sqe + SQE_MPTR, 0, SQE_CDW10 - SQE_MPTR);
	put_unaligned_le32(0, sqe + SQE_CDW14);
	put_unaligned_le32(0, sqe + SQE_CDW15);

	switch (op) {
	case UBLK_BPF_NVME_OP_FLUSH:
		aio->op = UBLK_BPF_AIO_OP_FDATASYNC;
		aio->len = 0;
		return 0;
	case UBLK_BPF_NVME_OP_READ:
	case UBLK_BPF_NVME_OP_WRITE:
		if (io_op != (op == UBLK_BPF_NVME_OP_READ ? REQ_OP_READ : REQ_OP_WRITE)) {
			this_cpu_inc(aio->io->dev->stats->dir_refused);
			return -EPERM;
		}
		if (aio->len > UBLK_BPF_NVME_MAX_IO)
			return -EINVAL;
		aio->op = op == UBLK_BPF_NVME_OP_READ ? UBLK_BPF_AIO_OP_READ :
							UBLK_BPF_AIO_OP_WRITE;
		put_unaligned_le32((cdw12 & NVME_RW_KEEP) | (nlb - 1), sqe + SQE_CDW12);
		return ublk_bpf_nvme_map(p, aio, qid, cid, sqe);
	case UBLK_BPF_NVME_OP_WRITE_ZEROES:
		if (nlb > 0x10000)
			return -EINVAL;
		aio->op = UBLK_BPF_AIO_OP_WRITE_ZEROES;
		put_unaligned_le32((cdw12 & NVME_WZ_KEEP) | (nlb - 1), sqe + SQE_CDW12);
		return 0;
	case UBLK_BPF_NVME_OP_DSM:
		/* one range, in the command's own memory */
		range = p->ioq[qid].aux + cid * UBLK_BPF_NVME_CMD_AUX;
		put_unaligned_le32(0, range);
		put_unaligned_le32(nlb, range + 4);
		memcpy(range + 8, sqe + SQE_CDW10, 8);
		put_unaligned_le64(p->ioq[qid].aux_dma + cid * UBLK_BPF_NVME_CMD_AUX,
				   sqe + SQE_PRP1);
		put_unaligned_le32(0, sqe + SQE_CDW10);
		put_unaligned_le32(NVME_DSM_AD, sqe + SQE_CDW11);
		put_unaligned_le32(0, sqe + SQE_CDW12);
		put_unaligned_le32(0, sqe + SQE_CDW13);
		aio->op = UBLK_BPF_AIO_OP_DISCARD;
		return 0;
	default:
		return -EPERM;
	}
}

/* A free command id of queue @qid, or -EBUSY. */
static int ublk_bpf_nvme_get_cid(struct ublk_bpf_pci *p, u32 qid)
{
	unsigned long *busy = &p->ioq[qid].cid_busy;
	int cid;

	do {
		cid = find_first_zero_bit(busy, UBLK_BPF_NVME_CIDS);
		if (cid >= UBLK_BPF_NVME_CIDS)
			return -EBUSY;
	} while (test_and_set_bit_lock(cid, busy));
	return cid;
}

/* Put the prepared command into the SQ and ring it. */
static int ublk_bpf_nvme_issue(struct ublk_bpf_pci *p, u32 qid, u32 cid,
			       struct ublk_bpf_aio *aio, const u8 *sqe)
{
	struct ublk_bpf_nvme_q *q = &p->q[qid];
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&p->lock, flags);
	if (!q->io_path || !q->sq_size) {
		ret = -ENXIO;
	} else if ((q->sq_tail + 1) % q->sq_size == q->sq_head) {
		ret = -EBUSY;
	} else {
		p->ioq[qid].cmds[cid].aio = aio;
		p->ioq[qid].cmds[cid].issued = true;
		memcpy(p->region[UBLK_BPF_NVME_REGION_SQ(qid)] +
		       q->sq_tail * UBLK_BPF_NVME_SQE_SIZE, sqe,
		       UBLK_BPF_NVME_SQE_SIZE);
		q->sq_tail = (q->sq_tail + 1) % q->sq_size;
		/* writel() orders the entry before the doorbell */
		writel(q->sq_tail, ublk_bpf_nvme_db(p, qid, false));
	}
	spin_unlock_irqrestore(&p->lock, flags);
	return ret;
}

__bpf_kfunc_start_defs();

/**
 * ublk_bpf_nvme_io_submit - one NVMe I/O command for an aio
 * @aio: the aio; consumed whatever the result
 * @qid: an I/O queue pair whose CQ was created with UBLK_BPF_NVME_CQ_IEN
 * @sqe: the command: opcode, NSID, SLBA (CDW10/11), CDW12's FUA/LR (and
 *	DEAC for Write Zeroes), CDW13; the rest is the shim's
 * @sqe__sz: 64
 *
 * For a device made with UBLK_BPF_PARAM_F_PCI. Read and Write move the
 * attached slice (a multiple of the namespace's block size, at most
 * UBLK_BPF_NVME_MAX_IO) into or out of the request's own pages, Read only
 * on a READ request, Write only on a WRITE; Write Zeroes and Dataset
 * Management (one range, deallocate) take their length from the slice;
 * Flush takes none. aio_complete() follows with the bytes, or -EIO and
 * the NVMe status in aio->status, or -ENODEV when the controller went.
 *
 * Return: 0; -EBUSY (no command id or SQ slot free: try later); -EPERM
 * (opcode, direction); -EINVAL (size, slice, namespace, PRP layout);
 * -ENXIO (no such IO-path queue); -ENODEV (no controller, or removed).
 */
__bpf_kfunc int ublk_bpf_nvme_io_submit(struct ublk_bpf_aio *aio, u32 qid,
					const void *sqe, u32 sqe__sz)
{
	struct ublk_bpf_io *io = aio->io;
	struct ublk_bpf_dev *bd = io->dev;
	struct ublk_bpf_pci *p = bd->pci;
	u8 cmd[UBLK_BPF_NVME_SQE_SIZE];
	int idx, cid = -1, ret;

	if (!p)
		ret = -ENODEV;
	else if (sqe__sz != UBLK_BPF_NVME_SQE_SIZE)
		ret = -EINVAL;
	else if (!qid || qid >= UBLK_BPF_NVME_NR_QUEUES)
		ret = -ENXIO;
	else
		ret = 0;
	if (ret)
		goto refused;
	memcpy(cmd, sqe, sizeof(cmd));

	idx = srcu_read_lock(&ublk_bpf_pci_srcu);
	ret = ublk_bpf_pci_live(p);
	if (!ret && (qid >= p->nr_queues || !p->ioq[qid].cmds))
		ret = -ENXIO;
	if (!ret) {
		cid = ublk_bpf_nvme_get_cid(p, qid);
		ret = min(cid, 0);
	}
	if (!ret)
		ret = ublk_bpf_nvme_prep(p, aio, qid, cid, cmd);
	if (!ret && aio->op == UBLK_BPF_AIO_OP_READ)
		ret = ublk_bpf_io_add_read_range(io, aio->off, aio->len);
	if (!ret)
		ret = ublk_bpf_nvme_issue(p, qid, cid, aio, cmd);
	if (ret && cid >= 0)
		ublk_bpf_nvme_cmd_put(p, qid, cid);
	srcu_read_unlock(&ublk_bpf_pci_srcu, idx);
	if (ret)
		goto refused;
	set_bit(UBLK_BPF_IO_AIO_USED, &io->flags);
	this_cpu_inc(bd->stats->aio_submitted);
	return 0;

refused:
	if (ret != -EPERM && ret != -EBUSY)
		this_cpu_inc(bd->stats->refused);
	ublk_bpf_aio_discard(aio);
	return ret;
}

/**
 * ublk_bpf_nvme_identify_ns - the shim's own Identify Namespace
 * @p: the device, enabled, its admin queue idle
 * @nsid: the namespace
 * @ns: a struct ublk_bpf_nvme_ns to fill
 * @ns__sz: its size
 *
 * The data lands in a page of the shim's, never the program's, and the
 * block size it reads is the one the IO path computes transfer lengths
 * with. A command that does not complete within about a second gets the
 * controller disabled before that page is freed.
 *
 * Return: 0; -EOPNOTSUPP (metadata, or a block size the IO path does not
 * take); -ENOENT (inactive namespace); -ENOSPC (too many namespaces);
 * -EBUSY (admin queue full); -ENXIO (no admin queue); -EIO (the command
 * failed); -ETIMEDOUT; -EINVAL; -ENODEV.
 */
__bpf_kfunc int ublk_bpf_nvme_identify_ns(struct ublk_bpf_pci *p, u32 nsid,
					  void *ns, u32 ns__sz)
{
	struct ublk_bpf_nvme_ns out = {};
	struct device *dev = &p->pdev->dev;
	u8 sqe[UBLK_BPF_NVME_SQE_SIZE] = {}, cqe[UBLK_BPF_NVME_CQE_SIZE], *data;
	struct ublk_bpf_nvme_q *q = &p->q[0];
	int idx, ret, polls, slot = -1, i;
	u32 dw3 = 0, ms, lbads, fmt;
	unsigned long flags;
	dma_addr_t dma;

	if (ns__sz != sizeof(out) || !nsid || nsid == 0xffffffff)
		return -EINVAL;
	data = dma_alloc_coherent(dev, UBLK_BPF_NVME_PAGE, &dma, GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	sqe[0] = NVME_ADM_IDENTIFY;
	put_unaligned_le32(NVME_ADM_IDENTIFY | NVME_SHIM_CID << 16, sqe + SQE_CDW0);
	put_unaligned_le32(nsid, sqe + SQE_NSID);
	put_unaligned_le64(dma, sqe + SQE_PRP1);

	idx = srcu_read_lock(&ublk_bpf_pci_srcu);
	ret = ublk_bpf_pci_live(p);
	if (ret)
		goto out;
	spin_lock_irqsave(&p->lock, flags);
	if (!q->sq_size)
		ret = -ENXIO;
	else if ((q->sq_tail + 1) % q->sq_size == q->sq_head)
		ret = -EBUSY;
	if (!ret) {
		memcpy(p->region[UBLK_BPF_NVME_REGION_SQ(0)] +
		       q->sq_tail * UBLK_BPF_NVME_SQE_SIZE, sqe, sizeof(sqe));
		q->sq_tail = (q->sq_tail + 1) % q->sq_size;
		writel(q->sq_tail, ublk_bpf_nvme_db(p, 0, false));
	}
	spin_unlock_irqrestore(&p->lock, flags);
	if (ret)
		goto out;

	/* our completion; the program's own, if any, are passed over */
	for (polls = 0; polls < NVME_SHIM_POLLS && !ret; polls++) {
		spin_lock_irqsave(&p->lock, flags);
		while (q->cq_size && ublk_bpf_nvme_cq_pop(p, 0, cqe)) {
			writel(q->cq_head, ublk_bpf_nvme_db(p, 0, true));
			dw3 = get_unaligned_le32(cqe + 12);
			if ((dw3 & 0xffff) == NVME_SHIM_CID) {
				ret = 1;
				break;
			}
		}
		spin_unlock_irqrestore(&p->lock, flags);
		if (!ret)
			usleep_range(100, 200);
	}
	if (!ret) {
		/* the device may still write the page: stop it first */
		dev_warn(dev, "Identify Namespace %u timed out: controller disabled\n",
			 nsid);
		ublk_bpf_nvme_reset_queues(p);
		ret = -ETIMEDOUT;
		if (ublk_bpf_nvme_disable(p)) {
			/* still running: leave the page to it */
			data = NULL;
			goto out;
		}
		ublk_bpf_nvme_io_fail_all(p, -EIO);
		goto out;
	}
	ret = 0;
	if (dw3 >> 17) {
		ret = -EIO;
		goto out;
	}
	out.nsze = get_unaligned_le64(data);
	fmt = (data[26] & 0xf) | ((data[26] >> 5) & 3) << 4;
	ms = get_unaligned_le16(data + 128 + 4 * (fmt & 63));
	lbads = data[128 + 4 * (fmt & 63) + 2];
	if (!out.nsze) {
		ret = -ENOENT;
		goto out;
	}
	if (ms || lbads < 9 || lbads > 12) {
		ret = -EOPNOTSUPP;
		goto out;
	}
	out.lba_shift = lbads;
	spin_lock_irqsave(&p->lock, flags);
	for (i = 0; i < UBLK_BPF_NVME_MAX_NS; i++) {
		if (p->ns[i].nsid == nsid || (!p->ns[i].nsid && slot < 0))
			slot = i;
		if (p->ns[i].nsid == nsid)
			break;
	}
	if (slot >= 0)
		p->ns[slot] = (struct ublk_bpf_nvme_ns_fmt){ nsid, lbads, out.nsze };
	spin_unlock_irqrestore(&p->lock, flags);
	if (slot < 0)
		ret = -ENOSPC;
	else
		memcpy(ns, &out, sizeof(out));
out:
	srcu_read_unlock(&ublk_bpf_pci_srcu, idx);
	if (data)
		dma_free_coherent(dev, UBLK_BPF_NVME_PAGE, data, dma);
	return ret;
}

__bpf_kfunc_end_defs();
