// SPDX-License-Identifier: GPL-2.0
/*
 * ublk-bpf: ublk_bpf_pci, a PCI driver that hands an NVMe controller to BPF
 * programs through kfuncs (docs/bpf-nvme.md).
 *
 * The driver binds only through driver_override or new_id (its id table is
 * empty), so it never takes a device by itself and never one another
 * driver holds: the driver core probes only devices without a driver. Probe refuses
 * anything but an NVMe controller, because the kfuncs know its registers.
 *
 * What a program may do, and why it cannot make the device DMA anywhere:
 * - read any aligned 32/64-bit register inside BAR0;
 * - write only CC (entry sizes and page size pinned), INTMS and INTMC;
 *   AQA/ASQ/ACQ and the doorbells are written by the kfuncs themselves;
 * - read the DMA regions (one page each, allocated at probe) and write the
 *   data region; queue regions are written only by the kfuncs;
 * - submit a command: the kfunc copies the 64 bytes into the queue and
 *   overwrites every field that holds an address (MPTR, PRP1, PRP2) and the
 *   bits that would change how they are read (FUSE, PSDT); only opcodes
 *   whose addresses it knows are accepted, and queue sizes are checked
 *   against the regions. The program never sees a DMA address.
 *
 * Locks: see ublk_bpf_pci.h. The set-up path polls its queues; the IO path
 * (ublk_bpf_nvme_io.c) completes from MSI-X interrupts.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/bitfield.h>
#include <linux/btf_ids.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/kref.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/unaligned.h>
#include "ublk_bpf_pci.h"
#include "ublk_bpf_priv.h"

/* Admin opcodes whose address fields the submit kfunc knows. */
#define NVME_ADM_DELETE_SQ	0x00
#define NVME_ADM_CREATE_SQ	0x01
#define NVME_ADM_DELETE_CQ	0x04
#define NVME_ADM_CREATE_CQ	0x05
#define NVME_ADM_IDENTIFY	0x06
#define NVME_ADM_ABORT		0x08
#define NVME_ADM_SET_FEATURES	0x09
#define NVME_ADM_GET_FEATURES	0x0a
#define NVME_FEAT_NUM_QUEUES	0x07
/* I/O opcodes without data (the request's pages come later). */
#define NVME_IO_FLUSH		0x00
#define NVME_IO_WRITE_ZEROES	0x08

DEFINE_SRCU(ublk_bpf_pci_srcu);
static LIST_HEAD(ublk_bpf_pci_list);
static DEFINE_SPINLOCK(ublk_bpf_pci_list_lock);

void ublk_bpf_pci_free(struct kref *ref)
{
	kfree(container_of(ref, struct ublk_bpf_pci, ref));
}

/* A register access of @size bytes at @off: aligned and inside BAR0. */
static int ublk_bpf_pci_check_reg(struct ublk_bpf_pci *p, u32 off, u32 size)
{
	if (off & (size - 1))
		return -EINVAL;
	if ((u64)off + size > p->bar_len)
		return -ERANGE;
	return 0;
}

/* Forget every queue: the controller dropped its own when it was disabled. */
void ublk_bpf_nvme_reset_queues(struct ublk_bpf_pci *p)
{
	unsigned long flags;

	spin_lock_irqsave(&p->lock, flags);
	memset(p->q, 0, sizeof(p->q));
	spin_unlock_irqrestore(&p->lock, flags);
}

/*
 * CC with the entry sizes and the page size the regions are made for: 64-byte
 * SQEs, 16-byte CQEs (or 0 before I/O queues exist) and 4 KiB pages.
 */
static bool ublk_bpf_nvme_cc_ok(u32 cc)
{
	u32 sqes = FIELD_GET(NVME_CC_IOSQES, cc);
	u32 cqes = FIELD_GET(NVME_CC_IOCQES, cc);

	return (sqes == 0 || sqes == 6) && (cqes == 0 || cqes == 4) &&
	       FIELD_GET(NVME_CC_MPS, cc) == 0;
}

/* Wait up to CAP.TO for CSTS.RDY to read @rdy; process context only. */
static int ublk_bpf_nvme_wait_rdy(struct ublk_bpf_pci *p, u32 rdy)
{
	u64 cap = lo_hi_readq(p->bar + NVME_R_CAP);
	unsigned long end = jiffies + msecs_to_jiffies(((cap >> 24) & 0xff) * 500 + 500);

	while ((readl(p->bar + NVME_R_CSTS) & NVME_CSTS_RDY) != rdy) {
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		msleep(20);
	}
	return 0;
}

/*
 * Point the admin queue registers at our own regions, so that they never
 * hold an address of the driver before us or zeros after a reset.
 */
static void ublk_bpf_nvme_park_admin(struct ublk_bpf_pci *p)
{
	writel(1 << 16 | 1, p->bar + NVME_R_AQA);
	lo_hi_writeq(p->region_dma[UBLK_BPF_NVME_REGION_SQ(0)], p->bar + NVME_R_ASQ);
	lo_hi_writeq(p->region_dma[UBLK_BPF_NVME_REGION_CQ(0)], p->bar + NVME_R_ACQ);
}

/* Disable the controller, so that it no longer touches host memory. */
int ublk_bpf_nvme_disable(struct ublk_bpf_pci *p)
{
	u32 cc = readl(p->bar + NVME_R_CC);

	if (cc & NVME_CC_EN)
		writel(cc & ~NVME_CC_EN, p->bar + NVME_R_CC);
	return ublk_bpf_nvme_wait_rdy(p, 0);
}

/**
 * ublk_bpf_nvme_cq_pop - take the next entry of a completion queue
 * @p: the device, its lock held
 * @qid: the queue pair, its CQ created
 * @cqe: where the 16-byte entry goes
 *
 * Follows the phase bit, moves the head and notes the head of SQ @qid the
 * entry reports (SQ q completes on CQ q: Create I/O SQ insists). The
 * caller rings the head doorbell.
 *
 * Return: true when an entry was taken.
 */
bool ublk_bpf_nvme_cq_pop(struct ublk_bpf_pci *p, u32 qid, u8 *cqe)
{
	struct ublk_bpf_nvme_q *q = &p->q[qid];
	u8 *ent = p->region[UBLK_BPF_NVME_REGION_CQ(qid)] +
		  q->cq_head * UBLK_BPF_NVME_CQE_SIZE;
	u32 dw2;

	if ((get_unaligned_le32(ent + 12) >> 16 & 1) != q->cq_phase)
		return false;
	/* the entry's other bytes after its phase bit */
	dma_rmb();
	memcpy(cqe, ent, UBLK_BPF_NVME_CQE_SIZE);
	dw2 = get_unaligned_le32(cqe + 8);
	if (dw2 >> 16 == qid && q->sq_size)
		q->sq_head = (dw2 & 0xffff) % q->sq_size;
	if (++q->cq_head == q->cq_size) {
		q->cq_head = 0;
		q->cq_phase ^= 1;
	}
	return true;
}

/**
 * ublk_bpf_pci_find - a reference to the controller bound at @addr
 * @addr: UBLK_BPF_PCI_ADDR()
 *
 * Return: the device, to put with ublk_bpf_pci_put(), or NULL.
 */
struct ublk_bpf_pci *ublk_bpf_pci_find(u32 addr)
{
	struct ublk_bpf_pci *p, *found = NULL;

	spin_lock(&ublk_bpf_pci_list_lock);
	list_for_each_entry(p, &ublk_bpf_pci_list, node) {
		if (p->addr == addr) {
			kref_get(&p->ref);
			found = p;
			break;
		}
	}
	spin_unlock(&ublk_bpf_pci_list_lock);
	return found;
}

/**
 * ublk_bpf_pci_put - drop a reference of ublk_bpf_pci_find()
 * @p: the device, or NULL
 */
void ublk_bpf_pci_put(struct ublk_bpf_pci *p)
{
	if (p)
		kref_put(&p->ref, ublk_bpf_pci_free);
}

__bpf_kfunc_start_defs();

/**
 * ublk_bpf_pci_acquire - a reference to a controller bound to ublk_bpf_pci
 * @addr: its address, UBLK_BPF_PCI_ADDR(domain, bus, device, function)
 *
 * Needs CAP_SYS_ADMIN in the caller (a syscall program runs in the context
 * of the task that runs it).
 *
 * Return: the device, to release with ublk_bpf_pci_release(), or NULL when
 * no device of that address is bound to this driver.
 */
__bpf_kfunc struct ublk_bpf_pci *ublk_bpf_pci_acquire(u32 addr)
{
	if (!capable(CAP_SYS_ADMIN))
		return NULL;
	return ublk_bpf_pci_find(addr);
}

/**
 * ublk_bpf_pci_release - drop a reference ublk_bpf_pci_acquire() took
 * @p: the device
 */
__bpf_kfunc void ublk_bpf_pci_release(struct ublk_bpf_pci *p)
{
	ublk_bpf_pci_put(p);
}

/**
 * ublk_bpf_pci_read32 - read a 32-bit register of BAR0
 * @p: the device
 * @off: byte offset in BAR0, 4-aligned
 * @val: where the value goes
 *
 * Return: 0, -EINVAL (misaligned), -ERANGE (outside BAR0) or -ENODEV
 * (removed).
 */
__bpf_kfunc int ublk_bpf_pci_read32(struct ublk_bpf_pci *p, u32 off, u32 *val)
{
	int idx, ret;

	idx = srcu_read_lock(&ublk_bpf_pci_srcu);
	ret = ublk_bpf_pci_live(p) ?: ublk_bpf_pci_check_reg(p, off, 4);
	if (!ret)
		*val = readl(p->bar + off);
	srcu_read_unlock(&ublk_bpf_pci_srcu, idx);
	return ret;
}

/**
 * ublk_bpf_pci_read64 - read a 64-bit register of BAR0 (low half first)
 * @p: the device
 * @off: byte offset in BAR0, 8-aligned
 * @val: where the value goes
 *
 * Return: as ublk_bpf_pci_read32().
 */
__bpf_kfunc int ublk_bpf_pci_read64(struct ublk_bpf_pci *p, u32 off, u64 *val)
{
	int idx, ret;

	idx = srcu_read_lock(&ublk_bpf_pci_srcu);
	ret = ublk_bpf_pci_live(p) ?: ublk_bpf_pci_check_reg(p, off, 8);
	if (!ret)
		*val = lo_hi_readq(p->bar + off);
	srcu_read_unlock(&ublk_bpf_pci_srcu, idx);
	return ret;
}

/**
 * ublk_bpf_pci_write32 - write one of the registers a program may write
 * @p: the device
 * @off: NVME_R_CC, NVME_R_INTMS or NVME_R_INTMC
 * @val: the value; for CC, entry sizes 64/16 (or 0) and 4 KiB pages, and
 *	CC.EN only after ublk_bpf_nvme_admin_queues()
 *
 * Clearing CC.EN also forgets the queues: the controller drops its own.
 *
 * Return: 0, -EINVAL/-ERANGE as ublk_bpf_pci_read32(), -EPERM for any
 * other register or a CC value the regions are not made for, -EBUSY for
 * clearing CC.EN while the IO path has commands in flight, -ENODEV.
 */
__bpf_kfunc int ublk_bpf_pci_write32(struct ublk_bpf_pci *p, u32 off, u32 val)
{
	int idx, ret;

	idx = srcu_read_lock(&ublk_bpf_pci_srcu);
	ret = ublk_bpf_pci_live(p) ?: ublk_bpf_pci_check_reg(p, off, 4);
	if (ret)
		goto out;
	if (off != NVME_R_CC && off != NVME_R_INTMS && off != NVME_R_INTMC) {
		ret = -EPERM;
		goto out;
	}
	if (off == NVME_R_CC) {
		/* enabling needs ublk_bpf_nvme_admin_queues() since the last disable */
		if (!ublk_bpf_nvme_cc_ok(val) ||
		    ((val & NVME_CC_EN) && !READ_ONCE(p->q[0].sq_size))) {
			ret = -EPERM;
			goto out;
		}
		if (!(val & NVME_CC_EN)) {
			/* the IO path's commands would never complete */
			if (ublk_bpf_nvme_io_busy(p, 0)) {
				ret = -EBUSY;
				goto out;
			}
			ublk_bpf_nvme_reset_queues(p);
		}
	}
	writel(val, p->bar + off);
out:
	srcu_read_unlock(&ublk_bpf_pci_srcu, idx);
	return ret;
}

/**
 * ublk_bpf_nvme_admin_queues - point the controller at the admin queue
 * @p: the device
 * @sq_entries: admin submission queue entries, 2..UBLK_BPF_NVME_SQ_MAX
 * @cq_entries: admin completion queue entries, 2..UBLK_BPF_NVME_CQ_MAX
 *
 * Writes AQA, ASQ and ACQ itself (the program never sees the addresses),
 * after clearing both regions. Only while the controller is disabled.
 *
 * Return: 0, -EINVAL (sizes), -EBUSY (controller enabled or not yet
 * disabled), -ENODEV.
 */
__bpf_kfunc int ublk_bpf_nvme_admin_queues(struct ublk_bpf_pci *p,
					   u32 sq_entries, u32 cq_entries)
{
	unsigned long flags;
	int idx, ret;

	if (sq_entries < 2 || sq_entries > UBLK_BPF_NVME_SQ_MAX ||
	    cq_entries < 2 || cq_entries > UBLK_BPF_NVME_CQ_MAX)
		return -EINVAL;
	idx = srcu_read_lock(&ublk_bpf_pci_srcu);
	ret = ublk_bpf_pci_live(p);
	if (ret)
		goto out;
	if ((readl(p->bar + NVME_R_CC) & NVME_CC_EN) ||
	    (readl(p->bar + NVME_R_CSTS) & NVME_CSTS_RDY)) {
		ret = -EBUSY;
		goto out;
	}
	spin_lock_irqsave(&p->lock, flags);
	memset(p->region[UBLK_BPF_NVME_REGION_SQ(0)], 0, UBLK_BPF_NVME_REGION_SIZE);
	memset(p->region[UBLK_BPF_NVME_REGION_CQ(0)], 0, UBLK_BPF_NVME_REGION_SIZE);
	p->q[0] = (struct ublk_bpf_nvme_q){ .sq_size = sq_entries,
					    .cq_size = cq_entries,
					    .cq_phase = 1 };
	writel((cq_entries - 1) << 16 | (sq_entries - 1), p->bar + NVME_R_AQA);
	lo_hi_writeq(p->region_dma[UBLK_BPF_NVME_REGION_SQ(0)], p->bar + NVME_R_ASQ);
	lo_hi_writeq(p->region_dma[UBLK_BPF_NVME_REGION_CQ(0)], p->bar + NVME_R_ACQ);
	spin_unlock_irqrestore(&p->lock, flags);
out:
	srcu_read_unlock(&ublk_bpf_pci_srcu, idx);
	return ret;
}

/**
 * ublk_bpf_pci_region_read - copy bytes out of a DMA region
 * @p: the device
 * @region: UBLK_BPF_NVME_REGION_*
 * @off: byte offset in the region
 * @buf: destination
 * @buf__sz: bytes to copy; @off + @buf__sz within the region
 *
 * Return: 0, -EINVAL (no such region), -ERANGE, -ENODEV.
 */
__bpf_kfunc int ublk_bpf_pci_region_read(struct ublk_bpf_pci *p, u32 region,
					 u32 off, void *buf, u32 buf__sz)
{
	int idx, ret;

	if (region >= UBLK_BPF_NVME_NR_REGIONS)
		return -EINVAL;
	if ((u64)off + buf__sz > UBLK_BPF_NVME_REGION_SIZE)
		return -ERANGE;
	idx = srcu_read_lock(&ublk_bpf_pci_srcu);
	ret = ublk_bpf_pci_live(p);
	if (!ret) {
		/* what the device wrote before the caller saw its CQE */
		dma_rmb();
		memcpy(buf, p->region[region] + off, buf__sz);
	}
	srcu_read_unlock(&ublk_bpf_pci_srcu, idx);
	return ret;
}

/**
 * ublk_bpf_pci_region_write - copy bytes into the data region
 * @p: the device
 * @region: UBLK_BPF_NVME_REGION_DATA (queues are written by the kfuncs)
 * @off: byte offset in the region
 * @buf: source
 * @buf__sz: bytes to copy; @off + @buf__sz within the region
 *
 * Return: 0, -EPERM (a queue region), -EINVAL, -ERANGE, -ENODEV.
 */
__bpf_kfunc int ublk_bpf_pci_region_write(struct ublk_bpf_pci *p, u32 region,
					  u32 off, const void *buf, u32 buf__sz)
{
	int idx, ret;

	if (region >= UBLK_BPF_NVME_NR_REGIONS)
		return -EINVAL;
	if (region != UBLK_BPF_NVME_REGION_DATA)
		return -EPERM;
	if ((u64)off + buf__sz > UBLK_BPF_NVME_REGION_SIZE)
		return -ERANGE;
	idx = srcu_read_lock(&ublk_bpf_pci_srcu);
	ret = ublk_bpf_pci_live(p);
	if (!ret)
		memcpy(p->region[region] + off, buf, buf__sz);
	srcu_read_unlock(&ublk_bpf_pci_srcu, idx);
	return ret;
}

/*
 * Check an admin command and fill its addresses; under p->lock. @data is
 * the region the program names for the command's data, or NO_DATA.
 */
static int ublk_bpf_nvme_admin_prep(struct ublk_bpf_pci *p, u8 *sqe, u32 data)
{
	u32 cdw10 = get_unaligned_le32(sqe + SQE_CDW10);
	u32 cdw11 = get_unaligned_le32(sqe + SQE_CDW11);
	u32 qid = cdw10 & 0xffff, entries = (cdw10 >> 16) + 1;
	bool io_path;
	u64 prp1 = 0;

	switch (sqe[0]) {
	case NVME_ADM_IDENTIFY:
		/* always 4096 bytes: exactly the data region */
		if (data != UBLK_BPF_NVME_REGION_DATA)
			return -EINVAL;
		prp1 = p->region_dma[data];
		break;
	case NVME_ADM_CREATE_CQ:
		if (qid == 0 || qid >= p->nr_queues ||
		    entries < 2 || entries > UBLK_BPF_NVME_CQ_MAX ||
		    ublk_bpf_nvme_io_busy(p, qid))
			return -EINVAL;
		io_path = cdw11 & UBLK_BPF_NVME_CQ_IEN;
		if (io_path && p->nr_vectors < 2)
			return -EOPNOTSUPP;
		/*
		 * Physically contiguous; polled, or for the IO path an
		 * interrupt on the vector the shim chose.
		 */
		put_unaligned_le32(io_path ? ublk_bpf_nvme_io_vector(p, qid) << 16 |
					     UBLK_BPF_NVME_CQ_IEN | 1 : 1,
				   sqe + SQE_CDW11);
		memset(p->region[UBLK_BPF_NVME_REGION_CQ(qid)], 0,
		       UBLK_BPF_NVME_REGION_SIZE);
		p->q[qid].cq_size = entries;
		p->q[qid].cq_head = 0;
		p->q[qid].cq_phase = 1;
		p->q[qid].io_path = io_path;
		prp1 = p->region_dma[UBLK_BPF_NVME_REGION_CQ(qid)];
		break;
	case NVME_ADM_CREATE_SQ:
		/* queue q completes on CQ q: the IO path finds its ids there */
		if (qid == 0 || qid >= p->nr_queues || cdw11 >> 16 != qid ||
		    entries < 2 || entries > UBLK_BPF_NVME_SQ_MAX ||
		    ublk_bpf_nvme_io_busy(p, qid))
			return -EINVAL;
		put_unaligned_le32(cdw11 | 1, sqe + SQE_CDW11);
		p->q[qid].sq_size = entries;
		p->q[qid].sq_tail = 0;
		p->q[qid].sq_head = 0;
		prp1 = p->region_dma[UBLK_BPF_NVME_REGION_SQ(qid)];
		break;
	case NVME_ADM_SET_FEATURES:
	case NVME_ADM_GET_FEATURES:
		/* only features without data or addresses */
		if ((cdw10 & 0xff) != NVME_FEAT_NUM_QUEUES)
			return -EPERM;
		break;
	case NVME_ADM_DELETE_SQ:
	case NVME_ADM_DELETE_CQ:
		/* the IO path's commands would never complete */
		if (qid == 0 || qid >= p->nr_queues)
			return -EINVAL;
		if (ublk_bpf_nvme_io_busy(p, qid))
			return -EBUSY;
		/* gone for the IO path from now on */
		if (sqe[0] == NVME_ADM_DELETE_SQ) {
			p->q[qid].sq_size = 0;
		} else {
			p->q[qid].cq_size = 0;
			p->q[qid].io_path = false;
		}
		break;
	case NVME_ADM_ABORT:
		break;
	default:
		return -EPERM;
	}
	put_unaligned_le64(prp1, sqe + SQE_PRP1);
	return 0;
}

/**
 * ublk_bpf_nvme_submit - put a command into a submission queue and ring it
 * @p: the device
 * @qid: the queue pair, 0 for admin
 * @sqe: the 64-byte command the program built; its CID is the program's
 * @sqe__sz: 64
 * @data: the region of the command's data, or UBLK_BPF_NVME_NO_DATA
 *
 * The kfunc owns the address fields: it clears FUSE, PSDT and MPTR, sets
 * PRP1 to the region the command needs (the data region for Identify, the
 * queue's own region for Create I/O CQ/SQ, which it also makes physically
 * contiguous and polled) and PRP2 to 0. Admin commands it does not know the
 * addresses of, and I/O commands with data, are refused.
 *
 * Return: the slot used (>= 0), -EBUSY (queue full), -ENXIO (no such
 * queue), -EPERM (opcode, or an IO-path queue), -EINVAL (sizes, queue ids,
 * data region), -ENODEV.
 */
__bpf_kfunc int ublk_bpf_nvme_submit(struct ublk_bpf_pci *p, u32 qid,
				     const void *sqe, u32 sqe__sz, u32 data)
{
	u8 cmd[UBLK_BPF_NVME_SQE_SIZE];
	struct ublk_bpf_nvme_q *q;
	unsigned long flags;
	int idx, ret;
	u32 cdw0;

	if (sqe__sz != UBLK_BPF_NVME_SQE_SIZE)
		return -EINVAL;
	if (qid >= UBLK_BPF_NVME_NR_QUEUES)
		return -ENXIO;
	memcpy(cmd, sqe, sizeof(cmd));
	cdw0 = get_unaligned_le32(cmd + SQE_CDW0) & ~SQE_CDW0_FUSE_PSDT;
	put_unaligned_le32(cdw0, cmd + SQE_CDW0);
	memset(cmd + SQE_MPTR, 0, SQE_CDW10 - SQE_MPTR);

	idx = srcu_read_lock(&ublk_bpf_pci_srcu);
	ret = ublk_bpf_pci_live(p);
	if (ret)
		goto out;
	spin_lock_irqsave(&p->lock, flags);
	q = &p->q[qid];
	if (!q->sq_size)
		ret = -ENXIO;
	else if (q->io_path)
		ret = -EPERM;	/* its ids are the IO path's */
	else if ((q->sq_tail + 1) % q->sq_size == q->sq_head)
		ret = -EBUSY;
	else if (qid == 0)
		ret = ublk_bpf_nvme_admin_prep(p, cmd, data);
	else if (cmd[0] != NVME_IO_FLUSH && cmd[0] != NVME_IO_WRITE_ZEROES)
		ret = -EPERM;
	if (!ret) {
		ret = q->sq_tail;
		memcpy(p->region[UBLK_BPF_NVME_REGION_SQ(qid)] +
		       ret * UBLK_BPF_NVME_SQE_SIZE, cmd, sizeof(cmd));
		q->sq_tail = (q->sq_tail + 1) % q->sq_size;
		/* writel() orders the entry before the doorbell */
		writel(q->sq_tail, ublk_bpf_nvme_db(p, qid, false));
	}
	spin_unlock_irqrestore(&p->lock, flags);
out:
	srcu_read_unlock(&ublk_bpf_pci_srcu, idx);
	return ret;
}

/**
 * ublk_bpf_nvme_reap - take the next completion of a completion queue
 * @p: the device
 * @qid: the queue pair, 0 for admin
 * @cqe: where the 16-byte entry goes
 * @cqe__sz: 16
 *
 * Follows the phase bit, moves the head and rings the head doorbell, and
 * notes the submission queue head the entry reports (for -EBUSY).
 *
 * Return: 1 (an entry was copied), 0 (none yet), -ENXIO, -EINVAL, -ENODEV.
 */
__bpf_kfunc int ublk_bpf_nvme_reap(struct ublk_bpf_pci *p, u32 qid,
				   void *cqe, u32 cqe__sz)
{
	struct ublk_bpf_nvme_q *q;
	unsigned long flags;
	int idx, ret;

	if (cqe__sz != UBLK_BPF_NVME_CQE_SIZE)
		return -EINVAL;
	if (qid >= UBLK_BPF_NVME_NR_QUEUES)
		return -ENXIO;
	idx = srcu_read_lock(&ublk_bpf_pci_srcu);
	ret = ublk_bpf_pci_live(p);
	if (ret)
		goto out;
	spin_lock_irqsave(&p->lock, flags);
	q = &p->q[qid];
	if (!q->cq_size) {
		ret = -ENXIO;
	} else if (q->io_path) {
		ret = -EPERM;	/* the interrupt handler reaps it */
	} else if (ublk_bpf_nvme_cq_pop(p, qid, cqe)) {
		writel(q->cq_head, ublk_bpf_nvme_db(p, qid, true));
		ret = 1;
	}
	spin_unlock_irqrestore(&p->lock, flags);
out:
	srcu_read_unlock(&ublk_bpf_pci_srcu, idx);
	return ret;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(ublk_bpf_pci_kfunc_ids)
BTF_ID_FLAGS(func, ublk_bpf_pci_acquire, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, ublk_bpf_pci_release, KF_RELEASE)
BTF_ID_FLAGS(func, ublk_bpf_pci_read32, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_pci_read64, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_pci_write32, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_nvme_admin_queues, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_pci_region_read, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_pci_region_write, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_nvme_submit, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_nvme_reap, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_nvme_identify_ns, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_KFUNCS_END(ublk_bpf_pci_kfunc_ids)

/*
 * Syscall programs: they run in the context of the task that runs them (so
 * acquire can check its capability) and may sleep. The ublk IO path reaches
 * its controller through the device it serves (ublk_bpf_nvme_io_submit()).
 */
static const struct btf_kfunc_id_set ublk_bpf_pci_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &ublk_bpf_pci_kfunc_ids,
};

static void ublk_bpf_pci_free_regions(struct ublk_bpf_pci *p)
{
	int i;

	for (i = 0; i < UBLK_BPF_NVME_NR_REGIONS; i++)
		if (p->region[i])
			dma_free_coherent(&p->pdev->dev, UBLK_BPF_NVME_REGION_SIZE,
					  p->region[i], p->region_dma[i]);
}

static int ublk_bpf_pci_probe(struct pci_dev *pdev,
			      const struct pci_device_id *id)
{
	struct ublk_bpf_pci *p;
	u32 dbs, i;
	int ret;

	if (pdev->class != PCI_CLASS_STORAGE_EXPRESS)
		return -ENODEV;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	kref_init(&p->ref);
	spin_lock_init(&p->lock);
	p->pdev = pdev;
	p->addr = pci_domain_nr(pdev->bus) << 16 | pci_dev_id(pdev);
	ret = pci_enable_device_mem(pdev);
	if (ret)
		goto fail_free;
	ret = pci_request_mem_regions(pdev, UBLK_BPF_PCI_DRIVER);
	if (ret)
		goto fail_disable;
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto fail_release;
	p->bar_len = pci_resource_len(pdev, 0);
	p->bar = pci_iomap(pdev, 0, 0);
	if (!p->bar || p->bar_len < NVME_R_DBS + 8) {
		ret = -ENOMEM;
		goto fail_unmap;
	}
	p->dstrd = 4 << ((lo_hi_readq(p->bar + NVME_R_CAP) >> 32) & 0xf);
	dbs = (p->bar_len - NVME_R_DBS) / (2 * p->dstrd);
	p->nr_queues = min_t(u32, dbs, UBLK_BPF_NVME_NR_QUEUES);
	/*
	 * Whoever had the controller before may have left it enabled with
	 * queues in memory that is no longer theirs: bus mastering waits until
	 * it is disabled.
	 */
	ret = ublk_bpf_nvme_disable(p);
	if (ret)
		goto fail_unmap;
	for (i = 0; i < UBLK_BPF_NVME_NR_REGIONS; i++) {
		p->region[i] = dma_alloc_coherent(&pdev->dev,
						  UBLK_BPF_NVME_REGION_SIZE,
						  &p->region_dma[i], GFP_KERNEL);
		if (!p->region[i]) {
			ret = -ENOMEM;
			goto fail_regions;
		}
	}
	ret = ublk_bpf_nvme_io_setup(p);
	if (ret)
		goto fail_regions;
	ublk_bpf_nvme_park_admin(p);
	pci_set_master(pdev);
	pci_set_drvdata(pdev, p);
	spin_lock(&ublk_bpf_pci_list_lock);
	list_add_tail(&p->node, &ublk_bpf_pci_list);
	spin_unlock(&ublk_bpf_pci_list_lock);
	dev_info(&pdev->dev, "bound: BAR0 %llu bytes, %u queue pairs, %u MSI-X vectors\n",
		 (u64)p->bar_len, p->nr_queues, p->nr_vectors);
	return 0;

fail_regions:
	ublk_bpf_pci_free_regions(p);
fail_unmap:
	if (p->bar)
		pci_iounmap(pdev, p->bar);
fail_release:
	pci_release_mem_regions(pdev);
fail_disable:
	pci_disable_device(pdev);
fail_free:
	kfree(p);
	return ret;
}

/*
 * Unbind, hot removal or module unload: no kfunc touches the device once
 * this returns, the controller is disabled (or, hung, cut off from memory
 * by clearing bus mastering) before its regions are freed. Programs still
 * holding the device get -ENODEV until they release it.
 */
static void ublk_bpf_pci_remove(struct pci_dev *pdev)
{
	struct ublk_bpf_pci *p = pci_get_drvdata(pdev);

	spin_lock(&ublk_bpf_pci_list_lock);
	list_del(&p->node);
	spin_unlock(&ublk_bpf_pci_list_lock);
	WRITE_ONCE(p->dead, true);
	synchronize_srcu(&ublk_bpf_pci_srcu);

	/*
	 * No command is submitted any more: let the ones in flight complete
	 * (their interrupts still run) before the controller is reset under
	 * them, as a controller with commands in flight may take a reset
	 * badly. One that does not complete in time ends with -ENODEV below.
	 */
	if (pci_device_is_present(pdev))
		ublk_bpf_nvme_io_drain(p);
	if (pci_device_is_present(pdev) && ublk_bpf_nvme_disable(p))
		dev_warn(&pdev->dev, "controller did not stop; bus mastering off\n");
	pci_clear_master(pdev);
	/* no interrupt after this; the IO path's commands end with -ENODEV */
	ublk_bpf_nvme_io_teardown(p);
	ublk_bpf_pci_free_regions(p);
	pci_iounmap(pdev, p->bar);
	pci_release_mem_regions(pdev);
	pci_disable_device(pdev);
	kref_put(&p->ref, ublk_bpf_pci_free);
}

/*
 * After a function reset (sysfs "reset") the registers are back at their
 * defaults: ASQ/ACQ 0. Park them again and forget the queues, so that
 * enabling needs ublk_bpf_nvme_admin_queues() once more.
 */
static void ublk_bpf_pci_reset_done(struct pci_dev *pdev)
{
	struct ublk_bpf_pci *p = pci_get_drvdata(pdev);

	/* the reset dropped the queues: their commands never complete */
	ublk_bpf_nvme_io_fail_all(p, -EIO);
	ublk_bpf_nvme_reset_queues(p);
	ublk_bpf_nvme_park_admin(p);
}

static const struct pci_error_handlers ublk_bpf_pci_err = {
	.reset_done = ublk_bpf_pci_reset_done,
};

/* No ids: only driver_override binds a device to this driver. */
static const struct pci_device_id ublk_bpf_pci_ids[] = {
	{ }
};

static struct pci_driver ublk_bpf_pci_driver = {
	.name = UBLK_BPF_PCI_DRIVER,
	.id_table = ublk_bpf_pci_ids,
	.probe = ublk_bpf_pci_probe,
	.remove = ublk_bpf_pci_remove,
	.err_handler = &ublk_bpf_pci_err,
};

/**
 * ublk_bpf_pci_init - register the kfuncs and the PCI driver
 *
 * Return: 0 or a negative errno.
 */
int ublk_bpf_pci_init(void)
{
	int ret;

	ret = register_btf_kfunc_id_set(BPF_PROG_TYPE_SYSCALL,
					&ublk_bpf_pci_kfunc_set);
	if (ret)
		return ret;
	return pci_register_driver(&ublk_bpf_pci_driver);
}

/**
 * ublk_bpf_pci_exit - unbind every controller and unregister the driver
 */
void ublk_bpf_pci_exit(void)
{
	pci_unregister_driver(&ublk_bpf_pci_driver);
}
