// SPDX-License-Identifier: GPL-2.0
/*
 * ublk-bpf: controllers, one blk_mq_tag_set shared by several ublk devices
 * (kfunc-shim/README.md, "Controllers: one tag set for several devices").
 *
 * A controller is a tag set of nr_hw_queues x queue_depth tags and an id.
 * UBLK_U_CMD_BPF_CREATE_CTRL makes one, UBLK_U_CMD_BPF_JOIN_CTRL (a device
 * before its first START_DEV) makes the device's queue take its tags from
 * it, UBLK_U_CMD_BPF_REMOVE_CTRL frees it once no device holds it. Each
 * device that joined holds a reference (nr_devs) until its char device is
 * released, which is after its request_queue left the set.
 *
 * The bytes of every tag set of the module (a device's own or a
 * controller's) are summed in ublk_tagset_total, read-only in
 * /sys/module/ublk_drv/parameters/tagset_bytes, for the memory figure of
 * docs/benchmarks.md: what sharing a set saves, counted, not sampled.
 *
 * Lock order: a device's mutex, then ublk_ctrlr_mutex. blk-mq's
 * set->tag_list_lock is only taken by blk-mq and, for GET_CTRL_INFO,
 * inside ublk_ctrlr_mutex.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "ublk_bpf.h"

/* A controller id fits the __s32 result of a control command. */
#define UBLK_CTRLR_MAX_ID	BIT(20)

struct ublk_ctrlr {
	u32			id;
	/* devices that joined and are not released yet; ublk_ctrlr_mutex */
	unsigned int		nr_devs;
	struct blk_mq_tag_set	set;
};

static DEFINE_MUTEX(ublk_ctrlr_mutex);
static DEFINE_IDR(ublk_ctrlr_idr);	/* id -> struct ublk_ctrlr */

/* bytes of all tag sets now allocated; atomic, no lock */
static atomic64_t ublk_tagset_total = ATOMIC64_INIT(0);

static int ublk_tagset_total_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&ublk_tagset_total));
}

static const struct kernel_param_ops ublk_tagset_total_ops = {
	.get = ublk_tagset_total_get,
};

module_param_cb(tagset_bytes, &ublk_tagset_total_ops, NULL, 0444);
MODULE_PARM_DESC(tagset_bytes,
		 "bytes of the tags and static requests of all tag sets (devices' own and controllers')");

/* The sbitmap of @sbq: its words and each CPU's allocation hint. */
static u64 ublk_sbq_bytes(const struct sbitmap_queue *sbq)
{
	return (u64)sbq->sb.map_nr * sizeof(struct sbitmap_word) +
		num_possible_cpus() * sizeof(unsigned int);
}

/**
 * ublk_bpf_tagset_bytes - memory blk-mq allocated for a tag set
 * @set: an allocated set
 *
 * The request pages are walked (blk-mq keeps each one's order in its
 * private field); the rest follows from the geometry: per tags struct its
 * two request pointer arrays and two sbitmaps, and the set's per-hw-queue
 * and per-CPU maps. A request_queue's own hctxs are not the set's and are
 * not counted: sharing a set does not share them.
 *
 * Return: the bytes, 0 for a set without tags.
 */
u64 ublk_bpf_tagset_bytes(const struct blk_mq_tag_set *set)
{
	bool shared = set->flags & BLK_MQ_F_TAG_HCTX_SHARED;
	unsigned int i, nr = shared ? 1 : set->nr_hw_queues;
	const struct blk_mq_tags *tags;
	struct page *page;
	u64 bytes = 0;

	if (!set->tags)
		return 0;
	for (i = 0; i < nr; i++) {
		tags = shared ? set->shared_tags : set->tags[i];
		if (!tags)
			continue;
		list_for_each_entry(page, &tags->page_list, lru)
			bytes += PAGE_SIZE << page_private(page);
		bytes += sizeof(*tags) +
			2ULL * tags->nr_tags * sizeof(struct request *) +
			ublk_sbq_bytes(&tags->bitmap_tags) +
			ublk_sbq_bytes(&tags->breserved_tags);
	}
	bytes += (u64)set->nr_hw_queues * sizeof(*set->tags) +
		(u64)set->nr_maps * nr_cpu_ids * sizeof(unsigned int);
	return bytes;
}

/* blk_mq_alloc_tag_set(), counted in tagset_bytes */
int ublk_bpf_tagset_alloc(struct blk_mq_tag_set *set)
{
	int ret = blk_mq_alloc_tag_set(set);

	if (!ret)
		atomic64_add(ublk_bpf_tagset_bytes(set), &ublk_tagset_total);
	return ret;
}

/* blk_mq_free_tag_set(), uncounted */
void ublk_bpf_tagset_free(struct blk_mq_tag_set *set)
{
	atomic64_sub(ublk_bpf_tagset_bytes(set), &ublk_tagset_total);
	blk_mq_free_tag_set(set);
}

static void ublk_ctrlr_free(struct ublk_ctrlr *c)
{
	ublk_bpf_tagset_free(&c->set);
	kfree(c);
}

static int ublk_ctrlr_create(u64 data, const struct blk_mq_ops *ops,
			     unsigned int cmd_size)
{
	unsigned int nr_hw_queues = data & 0xffff;
	unsigned int depth = (data >> 16) & 0xffff;
	/* ids from @start to @end - 1: any free one, or the one asked for */
	int start = 0, end = UBLK_CTRLR_MAX_ID;
	struct ublk_ctrlr *c;
	int ret;

	if (data & UBLK_BPF_CTRL_CREATE_ID) {
		data &= ~UBLK_BPF_CTRL_CREATE_ID;
		start = data >> 32;
		if (start >= UBLK_CTRLR_MAX_ID)
			return -EINVAL;
		end = start + 1;
		data &= U32_MAX;
	}
	if ((data >> 32) || !nr_hw_queues || nr_hw_queues > UBLK_MAX_NR_QUEUES ||
	    !depth || depth > UBLK_MAX_QUEUE_DEPTH)
		return -EINVAL;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->set.ops = ops;
	c->set.nr_hw_queues = nr_hw_queues;
	c->set.queue_depth = depth;
	c->set.numa_node = NUMA_NO_NODE;
	c->set.cmd_size = cmd_size;
	/* BPF devices may sleep in ->queue_rq(); others do not mind */
	c->set.flags = BLK_MQ_F_SHOULD_MERGE | BLK_MQ_F_BLOCKING;
	c->set.driver_data = c;	/* never read: a queue's own ub is queuedata */
	ret = ublk_bpf_tagset_alloc(&c->set);
	if (ret) {
		kfree(c);
		return ret;
	}
	mutex_lock(&ublk_ctrlr_mutex);
	ret = idr_alloc(&ublk_ctrlr_idr, c, start, end, GFP_KERNEL);
	if (ret >= 0)
		c->id = ret;
	else if (ret == -ENOSPC && end == start + 1)
		ret = -EEXIST;
	mutex_unlock(&ublk_ctrlr_mutex);
	if (ret < 0)
		ublk_ctrlr_free(c);
	return ret;
}

static int ublk_ctrlr_remove(u64 id)
{
	struct ublk_ctrlr *c;
	int ret = -ENOENT;

	if (id >= UBLK_CTRLR_MAX_ID)
		return -EINVAL;
	mutex_lock(&ublk_ctrlr_mutex);
	c = idr_find(&ublk_ctrlr_idr, id);
	if (c && c->nr_devs) {
		ret = -EBUSY;
	} else if (c) {
		idr_remove(&ublk_ctrlr_idr, id);
		ret = 0;
	}
	mutex_unlock(&ublk_ctrlr_mutex);
	if (!ret)
		ublk_ctrlr_free(c);
	return ret;
}

/*
 * @data: the id; with UBLK_BPF_CTRL_INFO_NEXT, the first controller whose id
 * is at least that one (how `ublk-bpf ctrl list` walks them all).
 */
static int ublk_ctrlr_info(u64 data, u64 addr, u16 len)
{
	bool next = data & UBLK_BPF_CTRL_INFO_NEXT;
	int id = data & ~(u64)UBLK_BPF_CTRL_INFO_NEXT;
	struct ublk_bpf_ctrl_info ci = { };
	struct request_queue *q;
	struct ublk_ctrlr *c;
	int ret = 0;

	if ((data & ~(u64)UBLK_BPF_CTRL_INFO_NEXT) >= UBLK_CTRLR_MAX_ID ||
	    !addr || !len)
		return -EINVAL;
	mutex_lock(&ublk_ctrlr_mutex);
	c = next ? idr_get_next(&ublk_ctrlr_idr, &id) :
		idr_find(&ublk_ctrlr_idr, id);
	if (c) {
		ci.id = c->id;
		ci.tagset_bytes = ublk_bpf_tagset_bytes(&c->set);
		ci.nr_hw_queues = c->set.nr_hw_queues;
		ci.queue_depth = c->set.queue_depth;
		ci.nr_devs = c->nr_devs;
		/* what blk-mq itself says: queues on the set, shared flag */
		mutex_lock(&c->set.tag_list_lock);
		list_for_each_entry(q, &c->set.tag_list, tag_set_list)
			ci.nr_queues++;
		if (c->set.flags & BLK_MQ_F_TAG_QUEUE_SHARED)
			ci.flags |= UBLK_BPF_CTRL_INFO_F_SHARED;
		mutex_unlock(&c->set.tag_list_lock);
	} else {
		ret = -ENOENT;
	}
	mutex_unlock(&ublk_ctrlr_mutex);
	if (!ret && copy_to_user(u64_to_user_ptr(addr), &ci,
				 min_t(u32, len, sizeof(ci))))
		ret = -EFAULT;
	return ret;
}

/**
 * ublk_bpf_ctrlr_cmd - the controller commands, which name no device
 * @cmd: the control command
 * @ops: the driver's blk_mq_ops, for a new controller's tag set
 * @cmd_size: the driver's per-request data size
 *
 * Return: the command's result (CREATE_CTRL: the new id), -ENOIOCTLCMD for
 * a command that is not one of these.
 */
int ublk_bpf_ctrlr_cmd(struct io_uring_cmd *cmd, const struct blk_mq_ops *ops,
		       unsigned int cmd_size)
{
	const struct ublksrv_ctrl_cmd *header = io_uring_sqe_cmd(cmd->sqe);
	u64 addr = READ_ONCE(header->addr);
	u16 len = READ_ONCE(header->len);
	u64 data = READ_ONCE(header->data[0]);

	switch (cmd->cmd_op) {
	case UBLK_U_CMD_BPF_CREATE_CTRL:
	case UBLK_U_CMD_BPF_REMOVE_CTRL:
	case UBLK_U_CMD_BPF_GET_CTRL_INFO:
		break;
	default:
		return -ENOIOCTLCMD;
	}
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (cmd->cmd_op == UBLK_U_CMD_BPF_GET_CTRL_INFO)
		return ublk_ctrlr_info(data, addr, len);
	if (addr || len)
		return -EINVAL;
	if (cmd->cmd_op == UBLK_U_CMD_BPF_CREATE_CTRL)
		return ublk_ctrlr_create(data, ops, cmd_size);
	return ublk_ctrlr_remove(data);
}

/**
 * ublk_bpf_ctrlr_get - a device joins a controller
 * @id: the controller's id
 * @nr_hw_queues: the device's, must be the controller's
 * @depth: the device's queue depth, must be the controller's: its server
 *	owns an io slot for every tag of the set
 *
 * Called with the device's mutex held, before its first START_DEV.
 * Return: the controller's tag set, held until ublk_bpf_ctrlr_put().
 */
struct blk_mq_tag_set *ublk_bpf_ctrlr_get(u64 id, u16 nr_hw_queues, u16 depth)
{
	struct blk_mq_tag_set *set;
	struct ublk_ctrlr *c;

	if (id >= UBLK_CTRLR_MAX_ID)
		return ERR_PTR(-EINVAL);
	mutex_lock(&ublk_ctrlr_mutex);
	c = idr_find(&ublk_ctrlr_idr, id);
	if (!c) {
		set = ERR_PTR(-ENOENT);
	} else if (c->set.nr_hw_queues != nr_hw_queues ||
		   c->set.queue_depth != depth) {
		set = ERR_PTR(-EINVAL);
	} else {
		c->nr_devs++;
		set = &c->set;
	}
	mutex_unlock(&ublk_ctrlr_mutex);
	return set;
}

/**
 * ublk_bpf_ctrlr_put - a device's release drops its controller
 * @set: what ublk_bpf_ctrlr_get() returned; no queue of the device uses it
 */
void ublk_bpf_ctrlr_put(struct blk_mq_tag_set *set)
{
	struct ublk_ctrlr *c = container_of(set, struct ublk_ctrlr, set);

	mutex_lock(&ublk_ctrlr_mutex);
	WARN_ON_ONCE(!c->nr_devs);
	c->nr_devs--;
	mutex_unlock(&ublk_ctrlr_mutex);
}

/* Module exit: no device is left, so no controller has one. */
void ublk_bpf_ctrlr_exit(void)
{
	struct ublk_ctrlr *c;
	int id;

	idr_for_each_entry(&ublk_ctrlr_idr, c, id) {
		WARN_ON_ONCE(c->nr_devs);
		ublk_ctrlr_free(c);
	}
	idr_destroy(&ublk_ctrlr_idr);
}
