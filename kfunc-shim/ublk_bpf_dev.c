// SPDX-License-Identifier: GPL-2.0
/*
 * ublk-bpf: the BPF state of a ublk device, and which instance of
 * ublk_bpf_ops it is bound to.
 *
 * A device names an ops id (UBLK_U_CMD_BPF_SET_PARAMS) and is bound to the
 * registered instance with that id when it starts. An instance that is
 * unregistered unbinds its devices, whose IO then goes to the ublk server.
 * Only the device's owner binds it again, with UBLK_U_CMD_BPF_BIND once it
 * registered an instance with the id: an instance registered later by
 * anyone else never adopts the device (the id is a name, not a
 * credential). Updating a struct_ops link to a new instance with the same
 * id moves the devices to it without that detour: only the link's holder
 * can. ublk_bpf_ops.c has the registry of instances and who may register.
 *
 * Binding changes happen under ublk_bpf_mutex. The IO path reads a device's
 * binding under ublk_bpf_srcu, around the whole handling of one IO stage, so
 * after the binding pointer is cleared, synchronize_srcu() guarantees that no
 * program of the old binding runs any more and that the state of every IO is
 * stable; only then does unregistration return, and the struct_ops map may
 * be freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mutex.h>
#include <linux/slab.h>
#include "ublk_bpf_priv.h"

/*
 * The read side of every binding: the IO path holds it around each stage
 * and each asynchronous completion, inside the blk-mq queue's SRCU and
 * outside the program's RCU and io->lock. synchronize_srcu() on it runs
 * under ublk_bpf_mutex. Lock order: kfunc-shim/README.md.
 */
struct srcu_struct ublk_bpf_srcu;

/*
 * Control path only, may sleep: the registry of instances, the device
 * list, every binding change. Taken inside ublk_device.mutex (the control
 * commands, START_DEV, the stop) and in the struct_ops callbacks, never on
 * the IO path; waits for ublk_bpf_srcu readers while held.
 */
DEFINE_MUTEX(ublk_bpf_mutex);

/* ublk_bpf_dev.node of every BPF device; under ublk_bpf_mutex */
static LIST_HEAD(ublk_bpf_devs);
/* last binding generation handed out; under ublk_bpf_mutex */
static u64 ublk_bpf_last_gen;

static int ublk_bpf_bind(struct ublk_bpf_dev *bd, const struct ublk_bpf_ops *ops)
{
	struct ublk_bpf_binding *b;
	int ret;

	lockdep_assert_held(&ublk_bpf_mutex);

	b = kmalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->ops = ops;
	b->gen = ++ublk_bpf_last_gen;

	if (ops->attach_dev) {
		ret = ops->attach_dev(bd->dev_id);
		if (ret) {
			kfree(b);
			pr_info("dev %u: attach_dev of ops %u (%s) refused it: %d\n",
				bd->dev_id, ops->id, ops->name, ret);
			return ret < 0 ? ret : -EINVAL;
		}
	}
	rcu_assign_pointer(bd->binding, b);
	return 0;
}

static struct ublk_bpf_binding *ublk_bpf_binding_of(struct ublk_bpf_dev *bd)
{
	return rcu_dereference_protected(bd->binding,
					 lockdep_is_held(&ublk_bpf_mutex));
}

/* Second half of unbinding, after synchronize_srcu(): nothing of it runs. */
static void ublk_bpf_unbind_end(struct ublk_bpf_dev *bd)
{
	struct ublk_bpf_binding *b = bd->unbinding;

	if (!b)
		return;
	bd->unbinding = NULL;
	if (b->ops->detach_dev)
		b->ops->detach_dev(bd->dev_id);
	ublk_bpf_dev_abandon_ios(bd, b->gen);
	kfree(b);
}

/**
 * ublk_bpf_devs_rebind - take the devices of an instance away from it
 * @old: the instance going away
 * @ops: the instance that replaces it, or NULL to leave them unbound
 *
 * New IO reaches @ops at once (or the ublk server); the IOs @old kept are
 * requeued once nothing of @old runs any more, which this waits for. Call
 * with ublk_bpf_mutex held.
 */
void ublk_bpf_devs_rebind(const struct ublk_bpf_ops *old,
			  const struct ublk_bpf_ops *ops)
{
	struct ublk_bpf_dev *bd;
	bool any = false;

	lockdep_assert_held(&ublk_bpf_mutex);
	list_for_each_entry(bd, &ublk_bpf_devs, node) {
		struct ublk_bpf_binding *b = ublk_bpf_binding_of(bd);

		if (!b || b->ops != old)
			continue;
		/* the old binding serves until the new one is in place */
		if (!ops || ublk_bpf_bind(bd, ops))
			RCU_INIT_POINTER(bd->binding, NULL);
		bd->unbinding = b;
		any = true;
	}
	if (!any)
		return;
	synchronize_srcu(&ublk_bpf_srcu);
	list_for_each_entry(bd, &ublk_bpf_devs, node)
		ublk_bpf_unbind_end(bd);
}

/**
 * ublk_bpf_dev_ops_name - the name of the instance a device is bound to
 * @bd: BPF state of the device
 * @name: where to copy the name
 *
 * Return: true if @bd is bound (and @name was set).
 */
bool ublk_bpf_dev_ops_name(struct ublk_bpf_dev *bd,
			   char name[UBLK_BPF_OPS_NAME_LEN])
{
	struct ublk_bpf_binding *b;

	mutex_lock(&ublk_bpf_mutex);
	b = ublk_bpf_binding_of(bd);
	if (b)
		memcpy(name, b->ops->name, UBLK_BPF_OPS_NAME_LEN);
	mutex_unlock(&ublk_bpf_mutex);
	return b;
}

/**
 * ublk_bpf_check_dev_flags - check the flags of a device being added
 * @flags: ublksrv_ctrl_dev_info.flags after the driver's own filtering
 *
 * Return: 0, or -EINVAL for a combination the BPF path does not support:
 * unprivileged devices (loading BPF needs privileges anyway), and user copy
 * (and zoned, which needs it), whose request references the BPF path does
 * not take.
 */
int ublk_bpf_check_dev_flags(u64 flags)
{
	if (!(flags & UBLK_F_BPF))
		return 0;
	if (flags & (UBLK_F_UNPRIVILEGED_DEV | UBLK_F_USER_COPY | UBLK_F_ZONED))
		return -EINVAL;
	return 0;
}

static struct ublk_bpf_dev *
ublk_bpf_dev_alloc(const struct ublksrv_ctrl_dev_info *info)
{
	u32 nr = (u32)info->nr_hw_queues * info->queue_depth;
	struct ublk_bpf_dev *bd;
	u32 i;

	bd = kzalloc(sizeof(*bd), GFP_KERNEL);
	if (!bd)
		return NULL;
	bd->ios = kvcalloc(nr, sizeof(*bd->ios), GFP_KERNEL);
	bd->queues = kcalloc(info->nr_hw_queues, sizeof(*bd->queues),
			     GFP_KERNEL);
	bd->stats = alloc_percpu(struct ublk_bpf_dev_stats);
	if (!bd->ios || !bd->queues || !bd->stats) {
		kvfree(bd->ios);
		kfree(bd->queues);
		free_percpu(bd->stats);
		kfree(bd);
		return NULL;
	}
	bd->dev_id = info->dev_id;
	bd->recovery = info->flags & UBLK_F_USER_RECOVERY;
	bd->nr_queues = info->nr_hw_queues;
	bd->depth = info->queue_depth;
	for (i = 0; i < bd->nr_queues; i++)
		ublk_bpf_queue_init(&bd->queues[i], bd);
	for (i = 0; i < nr; i++) {
		struct ublk_bpf_io *io = &bd->ios[i];

		io->dev = bd;
		io->q_id = i / bd->depth;
		io->tag = i % bd->depth;
		spin_lock_init(&io->lock);
	}

	mutex_lock(&ublk_bpf_mutex);
	list_add_tail(&bd->node, &ublk_bpf_devs);
	mutex_unlock(&ublk_bpf_mutex);
	return bd;
}

/**
 * ublk_bpf_dev_get - the BPF state of a device, allocated on first use
 * @pbd: the device's BPF state pointer
 * @info: the device's info
 *
 * Call with the device's mutex held.
 *
 * Return: the state, or NULL when out of memory.
 */
struct ublk_bpf_dev *ublk_bpf_dev_get(struct ublk_bpf_dev **pbd,
				      const struct ublksrv_ctrl_dev_info *info)
{
	if (!*pbd)
		*pbd = ublk_bpf_dev_alloc(info);
	return *pbd;
}

/**
 * ublk_bpf_dev_start - bind a starting device to its program
 * @bd: BPF state of the device, NULL if none was set up
 * @dev_flags: the device's flags
 *
 * Called by START_DEV with the device's mutex held, before the disk is
 * added, so that even the partition scan goes through the program.
 *
 * Return: 0; -EINVAL if the device has UBLK_F_BPF but no ops id; -ENOENT if
 * no struct_ops with that id is registered; attach_dev()'s refusal.
 */
int ublk_bpf_dev_start(struct ublk_bpf_dev *bd, u64 dev_flags)
{
	const struct ublk_bpf_ops *ops;
	int ret;

	if (!(dev_flags & UBLK_F_BPF))
		return 0;
	if (!bd || !bd->params_set)
		return -EINVAL;

	mutex_lock(&ublk_bpf_mutex);
	ret = -EBUSY;
	if (bd->started || bd->stopped)
		goto unlock;
	ops = ublk_bpf_ops_find(bd->ops_id);
	ret = -ENOENT;
	if (!ops)
		goto unlock;
	ret = ublk_bpf_bind(bd, ops);
	if (!ret)
		WRITE_ONCE(bd->started, true);	/* ublk_bpf_serves_alone() */
unlock:
	mutex_unlock(&ublk_bpf_mutex);
	return ret;
}

/**
 * ublk_bpf_dev_bind_again - the owner binds its device to a new instance
 * @bd: BPF state of the device
 *
 * UBLK_U_CMD_BPF_BIND, with the device's mutex held: a started device
 * whose instance was unregistered is bound to the instance now registered
 * with its ops id. Registering never does this by itself, so whoever
 * holds the device's control path decides which program drives it.
 *
 * Return: 0; -EINVAL if the device was never started or is stopped;
 * -EALREADY if it is bound; -ENOENT if no instance has its ops id;
 * attach_dev()'s refusal.
 */
int ublk_bpf_dev_bind_again(struct ublk_bpf_dev *bd)
{
	const struct ublk_bpf_ops *ops;
	int ret;

	mutex_lock(&ublk_bpf_mutex);
	ret = -EINVAL;
	if (!bd->started || bd->stopped)
		goto unlock;
	ret = -EALREADY;
	if (ublk_bpf_binding_of(bd))
		goto unlock;
	ops = ublk_bpf_ops_find(bd->ops_id);
	ret = -ENOENT;
	if (!ops)
		goto unlock;
	ret = ublk_bpf_bind(bd, ops);
	if (!ret)
		pr_info("dev %u: bound again to ops %u (%s)\n",
			bd->dev_id, ops->id, ops->name);
unlock:
	mutex_unlock(&ublk_bpf_mutex);
	return ret;
}

/**
 * ublk_bpf_dev_stop - unbind a device that stopped
 * @bd: BPF state of the device, or NULL
 *
 * Called once the disk is deleted (its IO is drained), or when START_DEV
 * fails after ublk_bpf_dev_start(). The device is never bound again.
 */
void ublk_bpf_dev_stop(struct ublk_bpf_dev *bd)
{
	struct ublk_bpf_binding *b;

	if (!bd)
		return;
	mutex_lock(&ublk_bpf_mutex);
	bd->stopped = true;
	b = ublk_bpf_binding_of(bd);
	if (b) {
		RCU_INIT_POINTER(bd->binding, NULL);
		bd->unbinding = b;
		synchronize_srcu(&ublk_bpf_srcu);
		ublk_bpf_unbind_end(bd);
	}
	mutex_unlock(&ublk_bpf_mutex);
}

/**
 * ublk_bpf_dev_free - free the BPF state of a device being released
 * @bd: BPF state of the device, or NULL
 *
 * Drops the references on the registered backing files. Every request
 * has ended, so no aio is left, but a fallback worker may still be
 * returning from the last one.
 */
void ublk_bpf_dev_free(struct ublk_bpf_dev *bd)
{
	u32 i;

	if (!bd)
		return;
	ublk_bpf_dev_stop(bd);
	for (i = 0; i < bd->nr_queues; i++)
		flush_work(&bd->queues[i].work);
	mutex_lock(&ublk_bpf_mutex);
	list_del(&bd->node);
	mutex_unlock(&ublk_bpf_mutex);
	if (bd->files)
		ublk_bpf_put_files(bd->files, bd->nr_files);
	ublk_bpf_pci_put(bd->pci);
	free_percpu(bd->stats);
	kfree(bd->queues);
	kvfree(bd->ios);
	kfree(bd);
}
