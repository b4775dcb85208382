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

static void ublk_ctrlr_free(struct ublk_ctrlr *c)
{
	blk_mq_free_tag_set(&c->set);
	kfree(c);
}

static int ublk_ctrlr_create(u64 data, const struct blk_mq_ops *ops,
			     unsigned int cmd_size)
{
	unsigned int nr_hw_queues = data & 0xffff;
	unsigned int depth = (data >> 16) & 0xffff;
	struct ublk_ctrlr *c;
	int ret;

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
	ret = blk_mq_alloc_tag_set(&c->set);
	if (ret) {
		kfree(c);
		return ret;
	}
	mutex_lock(&ublk_ctrlr_mutex);
	ret = idr_alloc(&ublk_ctrlr_idr, c, 0, UBLK_CTRLR_MAX_ID, GFP_KERNEL);
	if (ret >= 0)
		c->id = ret;
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

static int ublk_ctrlr_info(u64 id, u64 addr, u16 len)
{
	struct ublk_bpf_ctrl_info ci = { .id = id };
	struct request_queue *q;
	struct ublk_ctrlr *c;
	int ret = 0;

	if (id >= UBLK_CTRLR_MAX_ID || !addr || !len)
		return -EINVAL;
	mutex_lock(&ublk_ctrlr_mutex);
	c = idr_find(&ublk_ctrlr_idr, id);
	if (c) {
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
