// SPDX-License-Identifier: GPL-2.0
/*
 * Paths: BPF only (no twin: it drives an NVMe controller bound to the
 * kfunc-shim's ublk_bpf_pci; docs/bpf-nvme.md).
 *
 * nvme: an NVMe driver as a BPF program. `ublk-bpf load nvme.bpf.o --pci
 * BDF [--nsid N]` runs nvme_setup (a syscall program) before it creates
 * the device: controller reset and enabled, Identify, one queue pair per
 * ublk queue (I/O queue q + 1 serves ublk queue q, created with IEN so
 * the kfunc-shim completes it from its interrupt). The struct_ops part
 * then turns each IO into one NVMe command: read, write (FUA as FUA),
 * flush, discard as Dataset Management (deallocate), write-zeroes as
 * Write Zeroes. The shim owns every address and length in the command
 * (PRPs from the request's own pages, NLB from the attached slice); the
 * program picks the opcode, namespace and starting block.
 *
 * NVMe status to errno (nvme_errno(), the IO fails with it):
 *   invalid opcode (0/0x01)             -EOPNOTSUPP
 *   invalid field (0/0x02)              -EINVAL
 *   invalid namespace (0/0x0b)          -ENODEV
 *   LBA out of range (0/0x80)           -EREMOTEIO (the block layer's "target")
 *   capacity exceeded (0/0x81)          -ENOSPC
 *   unrecovered read error (2/0x81)     -ENODATA (a medium error)
 *   end-to-end guard/tag checks (2/0x82-0x84) -EILSEQ (protection)
 *   anything else, write faults included -EIO
 * An aio that failed without a status (the device went away, -ENODEV)
 * keeps its errno.
 */
#define UBLK_TGT_OWN_AIO_COMPLETE
#include "ublk_tgt.bpf.h"
#include "ublk_bpf_pci.bpf.h"

/* The namespace the device serves: the loader's --nsid. */
const volatile __u32 nsid = 1;

/*
 * bpf_for()'s iterator, as the 6.12 UAPI defines it; the build's
 * <linux/bpf.h> (Debian 12's, 6.1) predates it.
 */
struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

/* ---- set-up: syscall program, admin queue polled ---- */

/* Polls of CSTS or of the admin completion queue before giving up. */
#define NVME_POLLS		(1 << 20)
#define NVME_CC_ENABLE		(1 | 6 << 16 | 4 << 20)	/* 64/16-byte entries, 4 KiB pages */
#define NVME_ADMIN_ENTRIES	16

#define NVME_ADM_CREATE_SQ	0x01
#define NVME_ADM_CREATE_CQ	0x05
#define NVME_ADM_IDENTIFY	0x06
#define NVME_ADM_SET_FEATURES	0x09
#define NVME_FEAT_NR_QUEUES	0x07
#define NVME_CNS_CTRL		0x01

/* 0 once CSTS.RDY reads @rdy, -ETIMEDOUT or the kfunc's error. */
static int nvme_wait_rdy(struct ublk_bpf_pci *p, __u32 rdy)
{
	__u32 csts = 0;
	int i, ret;

	bpf_for(i, 0, NVME_POLLS) {
		ret = ublk_bpf_pci_read32(p, NVME_REG_CSTS, &csts);
		if (ret)
			return ret;
		if ((csts & 1) == rdy)
			return 0;
	}
	return -ETIMEDOUT;
}

/*
 * One admin command, waited for: 0, -EIO with its status in s->status,
 * -ETIMEDOUT or a kfunc's error. *@dw0 is the completion's DW0.
 */
static int nvme_admin(struct ublk_bpf_pci *p, __u32 *sqe, __u32 data,
		      struct ublk_bpf_nvme_setup *s, __u32 *dw0)
{
	__u32 cqe[4] = {};
	int i, ret;

	ret = ublk_bpf_nvme_submit(p, 0, sqe, UBLK_BPF_NVME_SQE_SIZE, data);
	if (ret < 0)
		return ret;
	ret = 0;
	bpf_for(i, 0, NVME_POLLS) {
		ret = ublk_bpf_nvme_reap(p, 0, cqe, sizeof(cqe));
		if (ret)
			break;
	}
	if (ret != 1)
		return ret < 0 ? ret : -ETIMEDOUT;
	*dw0 = cqe[0];
	s->status = cqe[3] >> 17;
	return s->status ? -EIO : 0;
}

/* Identify Controller: MDTS, volatile write cache, ONCS. */
static int nvme_id_ctrl(struct ublk_bpf_pci *p, struct ublk_bpf_nvme_setup *s, __u64 cap)
{
	__u32 sqe[16] = {}, dw0 = 0, max;
	__u8 mdts[4] = {}, oncs_vwc[8] = {};
	int ret;

	sqe[0] = NVME_ADM_IDENTIFY;
	sqe[10] = NVME_CNS_CTRL;
	ret = nvme_admin(p, sqe, UBLK_BPF_NVME_REGION_DATA, s, &dw0);
	if (ret)
		return ret;
	/* MDTS at byte 77; ONCS at 520-521, VWC at 525 */
	ret = ublk_bpf_pci_region_read(p, UBLK_BPF_NVME_REGION_DATA, 76, mdts, sizeof(mdts)) ?:
	      ublk_bpf_pci_region_read(p, UBLK_BPF_NVME_REGION_DATA, 520, oncs_vwc,
				       sizeof(oncs_vwc));
	if (ret)
		return ret;
	/* MDTS counts pages of CAP.MPSMIN; 0: no limit */
	max = UBLK_BPF_NVME_MAX_IO;
	if (mdts[1] && mdts[1] + 12 + ((cap >> 48) & 0xf) < 17)
		max = 1u << (mdts[1] + 12 + ((cap >> 48) & 0xf));
	s->max_io = max;
	if (oncs_vwc[5] & 1)
		s->flags |= UBLK_BPF_NVME_SETUP_VWC;
	if (oncs_vwc[0] & 4)
		s->flags |= UBLK_BPF_NVME_SETUP_DSM;
	if (oncs_vwc[0] & 8)
		s->flags |= UBLK_BPF_NVME_SETUP_WZ;
	return 0;
}

/* Number of Queues: as many I/O queue pairs as ublk queues, granted or -ENOSPC. */
static int nvme_nr_queues(struct ublk_bpf_pci *p, struct ublk_bpf_nvme_setup *s)
{
	__u32 sqe[16] = {}, dw0 = 0, want = s->nr_queues - 1;
	int ret;

	sqe[0] = NVME_ADM_SET_FEATURES;
	sqe[10] = NVME_FEAT_NR_QUEUES;
	sqe[11] = want << 16 | want;		/* 0's based, CQs above SQs */
	ret = nvme_admin(p, sqe, UBLK_BPF_NVME_NO_DATA, s, &dw0);
	if (ret)
		return ret;
	return (dw0 & 0xffff) < want || (dw0 >> 16) < want ? -ENOSPC : 0;
}

/* The I/O queue pair @qid: its CQ with IEN (an IO-path queue), its SQ on it. */
static int nvme_queue_pair(struct ublk_bpf_pci *p, struct ublk_bpf_nvme_setup *s, __u32 qid)
{
	__u32 sqe[16] = {}, dw0 = 0, entries = s->depth + 1;
	int ret;

	sqe[0] = NVME_ADM_CREATE_CQ;
	sqe[10] = qid | (entries - 1) << 16;
	sqe[11] = UBLK_BPF_NVME_CQ_IEN;		/* the kfunc sets PC and the vector */
	s->step = UBLK_BPF_NVME_STEP_CREATE_CQ;
	ret = nvme_admin(p, sqe, UBLK_BPF_NVME_NO_DATA, s, &dw0);
	if (ret)
		return ret;
	sqe[0] = NVME_ADM_CREATE_SQ;
	sqe[11] = qid << 16;			/* on CQ @qid; the kfunc sets PC */
	s->step = UBLK_BPF_NVME_STEP_CREATE_SQ;
	return nvme_admin(p, sqe, UBLK_BPF_NVME_NO_DATA, s, &dw0);
}

/* The steps, in order; s->step says which one failed. */
static int nvme_setup_ctrl(struct ublk_bpf_pci *p, struct ublk_bpf_nvme_setup *s)
{
	struct ublk_bpf_nvme_ns ns = {};
	__u64 cap = 0;
	int ret, q;

	s->step = UBLK_BPF_NVME_STEP_DISABLE;
	ret = ublk_bpf_pci_read64(p, NVME_REG_CAP, &cap) ?:
	      ublk_bpf_pci_write32(p, NVME_REG_CC, 0) ?: nvme_wait_rdy(p, 0);
	if (ret)
		return ret;
	s->step = UBLK_BPF_NVME_STEP_ADMIN_QUEUES;
	ret = ublk_bpf_nvme_admin_queues(p, NVME_ADMIN_ENTRIES, NVME_ADMIN_ENTRIES);
	if (ret)
		return ret;
	s->step = UBLK_BPF_NVME_STEP_ENABLE;
	ret = ublk_bpf_pci_write32(p, NVME_REG_CC, NVME_CC_ENABLE) ?: nvme_wait_rdy(p, 1);
	if (ret)
		return ret;
	s->step = UBLK_BPF_NVME_STEP_ID_CTRL;
	ret = nvme_id_ctrl(p, s, cap);
	if (ret)
		return ret;
	s->step = UBLK_BPF_NVME_STEP_NR_QUEUES;
	ret = nvme_nr_queues(p, s);
	if (ret)
		return ret;
	s->step = UBLK_BPF_NVME_STEP_ID_NS;
	ret = ublk_bpf_nvme_identify_ns(p, s->nsid, &ns, sizeof(ns));
	if (ret)
		return ret;
	s->size = ns.nsze << ns.lba_shift;
	s->lba_shift = ns.lba_shift;
	bpf_for(q, 0, UBLK_BPF_NVME_MAX_QUEUES) {
		if (q >= s->nr_queues)
			break;
		ret = nvme_queue_pair(p, s, q + 1);
		if (ret)
			return ret;
	}
	s->step = 0;
	return 0;
}

SEC("syscall")
int nvme_setup(struct ublk_bpf_nvme_setup *s)
{
	struct ublk_bpf_pci *p;

	s->step = UBLK_BPF_NVME_STEP_ACQUIRE;
	if (!s->nr_queues || s->nr_queues > UBLK_BPF_NVME_MAX_QUEUES ||
	    !s->depth || s->depth > UBLK_BPF_NVME_IO_DEPTH) {
		s->error = -EINVAL;
		return 0;
	}
	p = ublk_bpf_pci_acquire(s->pci_addr);
	if (!p) {
		s->error = -ENODEV;
		return 0;
	}
	s->error = nvme_setup_ctrl(p, s);
	ublk_bpf_pci_release(p);
	return 0;
}

/* ---- the IO path: struct_ops, one NVMe command per IO ---- */

/* What the IO path met besides success, for `ublk-bpf stats` (map nvme_stats). */
struct nvme_stats {
	__u64 busy;		/* queue full: the IO was offered again later */
	__u64 refused;		/* ublk_bpf_nvme_io_submit() said no: the IO failed */
	__s64 last_refusal;	/* its errno */
	__u64 failed;		/* commands that completed with an error */
	__u64 last_status;	/* the last failed command's NVMe status */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nvme_stats);
} nvme_stats SEC(".maps");

static __always_inline struct nvme_stats *nvme_stats_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&nvme_stats, &zero);
}

#define NVME_CDW12_FUA		(1u << 30)

/* The NVMe opcode serving ublk op @op_flags, -EOPNOTSUPP for none. */
static __always_inline int nvme_opcode(__u32 op_flags)
{
	switch (op_flags & 0xff) {
	case UBLK_IO_OP_READ:
		return UBLK_BPF_NVME_OP_READ;
	case UBLK_IO_OP_WRITE:
		return UBLK_BPF_NVME_OP_WRITE;
	case UBLK_IO_OP_FLUSH:
		return UBLK_BPF_NVME_OP_FLUSH;
	case UBLK_IO_OP_DISCARD:
		return UBLK_BPF_NVME_OP_DSM;
	case UBLK_IO_OP_WRITE_ZEROES:
		return UBLK_BPF_NVME_OP_WRITE_ZEROES;
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * The whole IO as one command on I/O queue (ublk queue + 1); the
 * interrupt completes it through nvme_aio_complete(). -EBUSY (the queue
 * is full) has the IO offered again a little later.
 */
UBLK_TGT_QUEUE_IO(nvme_queue_io, UBLK_TGT_ANY_OP)
{
	__u32 sqe[16] = {}, len = t->iod->nr_sectors << 9;
	int ret, opcode = nvme_opcode(t->iod->op_flags);
	struct ublk_bpf_aio *aio;
	struct nvme_stats *s;
	__u64 slba = t->iod->start_sector >> (config.lbs_shift - 9);

	if (opcode < 0)
		return ublk_tgt_fail(opcode);
	aio = ublk_bpf_aio_alloc(t->io);
	if (!aio)
		return -ENOMEM;
	if (opcode != UBLK_BPF_NVME_OP_FLUSH && ublk_bpf_aio_attach(aio, 0, len)) {
		ublk_bpf_aio_release(aio);
		return ublk_tgt_fail(-EINVAL);
	}
	sqe[0] = opcode;
	sqe[1] = nsid;
	sqe[10] = (__u32)slba;
	sqe[11] = slba >> 32;
	if (opcode == UBLK_BPF_NVME_OP_WRITE && (t->iod->op_flags & UBLK_IO_F_FUA))
		sqe[12] = NVME_CDW12_FUA;
#ifdef NVME_FORGE
	NVME_FORGE(t->io, sqe, len);	/* tests/bpf/nvme_forged.bpf.c */
#endif
	ret = ublk_bpf_nvme_io_submit(aio, ublk_bpf_get_queue_id(t->io) + 1, sqe, sizeof(sqe));
	if (!ret)
		return UBLK_BPF_IO_QUEUED;
	s = nvme_stats_get();
	if (s && ret == -EBUSY)
		__sync_fetch_and_add(&s->busy, 1);
	if (ret == -EBUSY)
		return -EBUSY;
	if (s) {
		__sync_fetch_and_add(&s->refused, 1);
		s->last_refusal = ret;
	}
	return ublk_tgt_fail(ret);
}

/* The errno of NVMe status field @status (SC 7:0, SCT 10:8); the table above. */
static __always_inline int nvme_errno(__u32 status)
{
	switch (status & 0x7ff) {
	case 0x001:
		return -EOPNOTSUPP;
	case 0x002:
		return -EINVAL;
	case 0x00b:
		return -ENODEV;
	case 0x080:
		return -EREMOTEIO;
	case 0x081:
		return -ENOSPC;
	case 0x281:
		return -ENODATA;
	case 0x282:
	case 0x283:
	case 0x284:
		return -EILSEQ;
	default:
		return -EIO;
	}
}

/* The command is done: the IO ends with its bytes, or the errno of its status. */
int UBLK_BPF_OPS_PROG(nvme_aio_complete, struct ublk_bpf_io *io,
		      struct ublk_bpf_aio *aio, int res)
{
	__u32 status = aio->status;
	struct nvme_stats *s;

	if (res >= 0) {
		ublk_bpf_complete_io(io, res);
		return 0;
	}
	s = nvme_stats_get();
	ublk_tgt_count(aio_errors, 1);
	if (s) {
		__sync_fetch_and_add(&s->failed, 1);
		s->last_status = status;
	}
	ublk_bpf_complete_io(io, status ? nvme_errno(status) : res);
	return UBLK_BPF_AIO_HANDLED;
}

UBLK_TGT_OPS_AIO(nvme_ops, "nvme", nvme_queue_io, nvme_aio_complete);
