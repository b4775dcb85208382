// SPDX-License-Identifier: GPL-2.0
/*
 * ublk-bpf: the ublk_bpf_ops struct_ops type, and which device uses which
 * instance of it.
 *
 * Registered instances are kept by id. A device names an id
 * (UBLK_U_CMD_BPF_SET_PARAMS) and is bound to the instance with that id when
 * it starts. An instance registered later binds every running device that
 * waits for its id; an instance that is unregistered unbinds its devices,
 * whose IO then goes to the ublk server until an instance with the same id
 * comes back. Updating a struct_ops link to a new instance with the same id
 * moves the devices to it without that detour.
 *
 * Binding changes happen under ublk_bpf_mutex. The IO path reads a device's
 * binding under ublk_bpf_srcu, around the whole handling of one IO stage, so
 * after the binding pointer is cleared, synchronize_srcu() guarantees that no
 * program of the old binding runs any more and that the state of every IO is
 * stable; only then does unregistration return, and the struct_ops map may
 * be freed.
 */
#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include "ublk_bpf_priv.h"

struct srcu_struct ublk_bpf_srcu;

static DEFINE_MUTEX(ublk_bpf_mutex);
/* struct ublk_bpf_dev.node, under ublk_bpf_mutex */
static LIST_HEAD(ublk_bpf_devs);
/* registered instances by id, changed under ublk_bpf_mutex */
static DEFINE_XARRAY(ublk_bpf_ops_by_id);
/* last binding generation handed out, under ublk_bpf_mutex */
static u64 ublk_bpf_last_gen;

/* the module's BTF and the type id of struct ublk_bpf_ops in it */
static struct btf *ublk_bpf_btf;
BTF_ID_LIST_SINGLE(ublk_bpf_ops_btf_ids, struct, ublk_bpf_ops)

static unsigned int bpf_abi_version = UBLK_BPF_ABI_VERSION;
module_param(bpf_abi_version, uint, 0444);
MODULE_PARM_DESC(bpf_abi_version,
		 "ABI version of the ublk-bpf additions (read-only)");
/*
 * A version lets DKMS install us over the stock driver, which has none (it
 * refuses a module whose version equals the one it would shadow).
 */
MODULE_VERSION(UBLK_BPF_VERSION);

/**
 * ublk_bpf_prog_is_ours - is a program a ublk_bpf_ops member
 * @prog: a struct_ops program being verified
 *
 * Return: true if @prog implements a member of struct ublk_bpf_ops.
 */
bool ublk_bpf_prog_is_ours(const struct bpf_prog *prog)
{
	return prog->type == BPF_PROG_TYPE_STRUCT_OPS &&
	       ublk_bpf_btf && prog->aux->attach_btf == ublk_bpf_btf &&
	       prog->aux->attach_btf_id == ublk_bpf_ops_btf_ids[0];
}

/* Call with ublk_bpf_mutex held. */
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
			pr_info("ublk_bpf: dev %u: attach_dev of ops %u (%s) refused it: %d\n",
				bd->dev_id, ops->id, ops->name, ret);
			return ret < 0 ? ret : -EINVAL;
		}
	}
	rcu_assign_pointer(bd->binding, b);
	return 0;
}

/* First half of unbinding: no new IO reaches the program. */
static bool ublk_bpf_unbind_begin(struct ublk_bpf_dev *bd)
{
	struct ublk_bpf_binding *b;

	b = rcu_dereference_protected(bd->binding,
				      lockdep_is_held(&ublk_bpf_mutex));
	if (!b)
		return false;
	RCU_INIT_POINTER(bd->binding, NULL);
	bd->unbinding = b;
	return true;
}

/* Second half, after synchronize_srcu(): nothing of the program runs. */
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

static int ublk_bpf_ops_reg(void *kdata, struct bpf_link *link)
{
	const struct ublk_bpf_ops *ops = kdata;
	struct ublk_bpf_dev *bd;
	int ret;

	mutex_lock(&ublk_bpf_mutex);
	ret = xa_insert(&ublk_bpf_ops_by_id, ops->id, (void *)ops, GFP_KERNEL);
	if (ret == -EBUSY)
		ret = -EEXIST;
	if (ret)
		goto unlock;

	list_for_each_entry(bd, &ublk_bpf_devs, node) {
		if (bd->ops_id != ops->id || !bd->started || bd->stopped ||
		    rcu_access_pointer(bd->binding))
			continue;
		if (!ublk_bpf_bind(bd, ops))
			pr_info("ublk_bpf: dev %u: bound to ops %u (%s)\n",
				bd->dev_id, ops->id, ops->name);
	}
unlock:
	mutex_unlock(&ublk_bpf_mutex);
	return ret;
}

static void ublk_bpf_ops_unreg(void *kdata, struct bpf_link *link)
{
	const struct ublk_bpf_ops *ops = kdata;
	struct ublk_bpf_dev *bd;
	bool any = false;

	mutex_lock(&ublk_bpf_mutex);
	xa_cmpxchg(&ublk_bpf_ops_by_id, ops->id, (void *)ops, NULL, GFP_KERNEL);

	list_for_each_entry(bd, &ublk_bpf_devs, node) {
		struct ublk_bpf_binding *b;

		b = rcu_dereference_protected(bd->binding,
					      lockdep_is_held(&ublk_bpf_mutex));
		if (b && b->ops == ops)
			any |= ublk_bpf_unbind_begin(bd);
	}
	if (any) {
		synchronize_srcu(&ublk_bpf_srcu);
		list_for_each_entry(bd, &ublk_bpf_devs, node)
			ublk_bpf_unbind_end(bd);
	}
	mutex_unlock(&ublk_bpf_mutex);
}

/*
 * Link update: @kdata replaces @old_kdata, which must have the same id. The
 * devices move to the new instance at once; the IOs the old one kept are
 * requeued and reach the new one from the start.
 */
static int ublk_bpf_ops_update(void *kdata, void *old_kdata,
			       struct bpf_link *link)
{
	const struct ublk_bpf_ops *ops = kdata;
	const struct ublk_bpf_ops *old = old_kdata;
	struct ublk_bpf_dev *bd;
	bool any = false;
	int ret = 0;

	if (ops->id != old->id)
		return -EINVAL;

	mutex_lock(&ublk_bpf_mutex);
	if (xa_load(&ublk_bpf_ops_by_id, old->id) != old) {
		ret = -ENOENT;
		goto unlock;
	}
	xa_store(&ublk_bpf_ops_by_id, ops->id, (void *)ops, GFP_KERNEL);

	list_for_each_entry(bd, &ublk_bpf_devs, node) {
		struct ublk_bpf_binding *b;

		b = rcu_dereference_protected(bd->binding,
					      lockdep_is_held(&ublk_bpf_mutex));
		if (!b || b->ops != old)
			continue;
		if (ublk_bpf_bind(bd, ops))
			RCU_INIT_POINTER(bd->binding, NULL);
		bd->unbinding = b;
		any = true;
	}
	if (any) {
		synchronize_srcu(&ublk_bpf_srcu);
		list_for_each_entry(bd, &ublk_bpf_devs, node)
			ublk_bpf_unbind_end(bd);
	}
unlock:
	mutex_unlock(&ublk_bpf_mutex);
	return ret;
}

static int ublk_bpf_ops_init(struct btf *btf)
{
	ublk_bpf_btf = btf;
	return 0;
}

static int ublk_bpf_ops_check_member(const struct btf_type *t,
				     const struct btf_member *member,
				     const struct bpf_prog *prog)
{
	u32 moff = __btf_member_bit_offset(t, member) / 8;

	switch (moff) {
	case offsetof(struct ublk_bpf_ops, queue_io_cmd_daemon):
		/* the one member meant to sleep */
		if (!prog->sleepable)
			return -EINVAL;
		break;
	case offsetof(struct ublk_bpf_ops, queue_io_cmd):
	case offsetof(struct ublk_bpf_ops, release_io_cmd):
	case offsetof(struct ublk_bpf_ops, aio_complete):
		/* called where sleeping is not allowed */
		if (prog->sleepable)
			return -EINVAL;
		break;
	default:
		break;
	}
	return 0;
}

static int ublk_bpf_ops_init_member(const struct btf_type *t,
				    const struct btf_member *member,
				    void *kdata, const void *udata)
{
	const struct ublk_bpf_ops *uops = udata;
	struct ublk_bpf_ops *ops = kdata;
	u32 moff = __btf_member_bit_offset(t, member) / 8;

	switch (moff) {
	case offsetof(struct ublk_bpf_ops, id):
		ops->id = uops->id;
		return 1;
	case offsetof(struct ublk_bpf_ops, name):
		if (strnlen(uops->name, sizeof(uops->name)) == sizeof(uops->name))
			return -EINVAL;
		memcpy(ops->name, uops->name, sizeof(ops->name));
		return 1;
	}
	return 0;
}

static bool ublk_bpf_ops_is_valid_access(int off, int size,
					 enum bpf_access_type type,
					 const struct bpf_prog *prog,
					 struct bpf_insn_access_aux *info)
{
	return bpf_tracing_btf_ctx_access(off, size, type, prog, info);
}

static const struct bpf_func_proto *
ublk_bpf_ops_get_func_proto(enum bpf_func_id func_id,
			    const struct bpf_prog *prog)
{
	return bpf_base_func_proto(func_id, prog);
}

static const struct bpf_verifier_ops ublk_bpf_verifier_ops = {
	.get_func_proto = ublk_bpf_ops_get_func_proto,
	.is_valid_access = ublk_bpf_ops_is_valid_access,
};

/* Stubs: they give the verifier and CFI the members' prototypes. */
static int ublk_bpf_ops_queue_io_cmd(struct ublk_bpf_io *io, u32 offset)
{
	return UBLK_BPF_IO_REDIRECT;
}

static int ublk_bpf_ops_queue_io_cmd_daemon(struct ublk_bpf_io *io,
					    u32 offset)
{
	return UBLK_BPF_IO_REDIRECT;
}

static void ublk_bpf_ops_release_io_cmd(struct ublk_bpf_io *io)
{
}

static int ublk_bpf_ops_aio_complete(struct ublk_bpf_io *io,
				     struct ublk_bpf_aio *aio, int res)
{
	return 0;
}

static int ublk_bpf_ops_attach_dev(u32 dev_id)
{
	return 0;
}

static void ublk_bpf_ops_detach_dev(u32 dev_id)
{
}

static struct ublk_bpf_ops ublk_bpf_ops_stubs = {
	.queue_io_cmd = ublk_bpf_ops_queue_io_cmd,
	.queue_io_cmd_daemon = ublk_bpf_ops_queue_io_cmd_daemon,
	.release_io_cmd = ublk_bpf_ops_release_io_cmd,
	.aio_complete = ublk_bpf_ops_aio_complete,
	.attach_dev = ublk_bpf_ops_attach_dev,
	.detach_dev = ublk_bpf_ops_detach_dev,
};

static struct bpf_struct_ops ublk_bpf_struct_ops = {
	.verifier_ops = &ublk_bpf_verifier_ops,
	.init = ublk_bpf_ops_init,
	.check_member = ublk_bpf_ops_check_member,
	.init_member = ublk_bpf_ops_init_member,
	.reg = ublk_bpf_ops_reg,
	.unreg = ublk_bpf_ops_unreg,
	.update = ublk_bpf_ops_update,
	.cfi_stubs = &ublk_bpf_ops_stubs,
	.name = "ublk_bpf_ops",
	.owner = THIS_MODULE,
};

/**
 * ublk_bpf_struct_ops_init - register the ublk_bpf_ops struct_ops type
 *
 * 6.12 cannot unregister a struct_ops type; unloading the module does.
 *
 * Return: 0 or a negative errno.
 */
int ublk_bpf_struct_ops_init(void)
{
	return register_bpf_struct_ops(&ublk_bpf_struct_ops, ublk_bpf_ops);
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

/* Call with the device's mutex held. */
static struct ublk_bpf_dev *
ublk_bpf_dev_get(struct ublk_bpf_dev **pbd,
		 const struct ublksrv_ctrl_dev_info *info)
{
	if (!*pbd)
		*pbd = ublk_bpf_dev_alloc(info);
	return *pbd;
}

static int ublk_bpf_ctrl_set_params(struct ublk_bpf_dev **pbd,
				    const struct ublksrv_ctrl_dev_info *info,
				    struct mutex *dev_mutex,
				    u64 addr, u16 len)
{
	struct ublk_param_bpf p;
	struct ublk_bpf_dev *bd;
	int ret;

	if (!addr || len < offsetofend(struct ublk_param_bpf, ops_id))
		return -EINVAL;
	ret = copy_struct_from_user(&p, sizeof(p), u64_to_user_ptr(addr), len);
	if (ret)
		return ret;
	if (p.flags || p.reserved0 || p.reserved[0] || p.reserved[1])
		return -EINVAL;

	mutex_lock(dev_mutex);
	bd = ublk_bpf_dev_get(pbd, info);
	if (!bd) {
		ret = -ENOMEM;
	} else if (bd->started) {
		ret = -EBUSY;
	} else {
		bd->ops_id = p.ops_id;
		bd->params_set = true;
		ret = 0;
	}
	mutex_unlock(dev_mutex);
	return ret;
}

static void ublk_bpf_put_files(struct ublk_bpf_file *files, u32 nr)
{
	u32 i;

	for (i = 0; i < nr; i++)
		if (files[i].file)
			fput(files[i].file);
	kfree(files);
}

static int ublk_bpf_ctrl_reg_files(struct ublk_bpf_dev **pbd,
				   const struct ublksrv_ctrl_dev_info *info,
				   struct mutex *dev_mutex,
				   u64 addr, u16 len, u64 flags)
{
	u32 nr = len / sizeof(__s32);
	struct ublk_bpf_dev *bd;
	struct ublk_bpf_file *files;
	__s32 *fds;
	u32 i;
	int ret;

	if (!addr || !len || len % sizeof(__s32) || nr > UBLK_BPF_MAX_FILES ||
	    flags)
		return -EINVAL;

	fds = memdup_user(u64_to_user_ptr(addr), len);
	if (IS_ERR(fds))
		return PTR_ERR(fds);
	files = kcalloc(nr, sizeof(*files), GFP_KERNEL);
	if (!files) {
		kfree(fds);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++) {
		struct file *file;
		umode_t mode;

		ret = -EBADF;
		if (fds[i] < 0)
			goto fail;
		file = fget(fds[i]);
		if (!file)
			goto fail;
		files[i].file = file;
		mode = file_inode(file)->i_mode;
		ret = -EINVAL;
		/* O_APPEND would move every write to the end of the file */
		if ((!S_ISREG(mode) && !S_ISBLK(mode)) ||
		    (file->f_flags & O_APPEND))
			goto fail;
		/* aios skip the per-access checks, see there */
		ret = ublk_bpf_file_permission(file);
		if (ret)
			goto fail;
		files[i].how = ublk_bpf_file_how(file);
	}
	kfree(fds);

	mutex_lock(dev_mutex);
	bd = ublk_bpf_dev_get(pbd, info);
	if (!bd) {
		ret = -ENOMEM;
	} else if (bd->started || bd->nr_files) {
		ret = -EBUSY;
	} else {
		bd->files = files;
		bd->nr_files = nr;
		files = NULL;
		ret = 0;
	}
	mutex_unlock(dev_mutex);
	if (files)
		ublk_bpf_put_files(files, nr);
	return ret;
fail:
	kfree(fds);
	ublk_bpf_put_files(files, nr);
	return ret;
}

static void ublk_bpf_sum_stats(struct ublk_bpf_dev *bd,
			       struct ublk_bpf_dev_stats *sum)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct ublk_bpf_dev_stats *s = per_cpu_ptr(bd->stats, cpu);

		sum->io_bpf += s->io_bpf;
		sum->io_redirected += s->io_redirected;
		sum->io_retried += s->io_retried;
		sum->io_requeued += s->io_requeued;
		sum->io_timeout += s->io_timeout;
		sum->io_failed += s->io_failed;
		sum->aio_submitted += s->aio_submitted;
		sum->aio_failed += s->aio_failed;
		sum->zero_filled_bytes += s->zero_filled_bytes;
		sum->dir_refused += s->dir_refused;
		sum->double_complete += s->double_complete;
		sum->bad_disposition += s->bad_disposition;
		sum->refused += s->refused;
		sum->aio_inline += s->aio_inline;
		sum->aio_fallback += s->aio_fallback;
		sum->aio_eagain += s->aio_eagain;
		sum->io_hint_sequential += s->io_hint_sequential;
		sum->io_hint_random += s->io_hint_random;
	}
}

static int ublk_bpf_ctrl_get_info(struct ublk_bpf_dev **pbd,
				  struct mutex *dev_mutex, u64 addr, u16 len)
{
	struct ublk_bpf_dev_info di = { .abi_version = UBLK_BPF_ABI_VERSION };
	struct ublk_bpf_binding *b;
	struct ublk_bpf_dev *bd;

	if (!addr || !len)
		return -EINVAL;

	mutex_lock(dev_mutex);
	bd = *pbd;
	if (bd) {
		di.ops_id = bd->ops_id;
		di.nr_files = bd->nr_files;
		if (bd->params_set)
			di.flags |= UBLK_BPF_INFO_F_PARAMS;
		if (bd->started)
			di.flags |= UBLK_BPF_INFO_F_STARTED;
		mutex_lock(&ublk_bpf_mutex);
		b = rcu_dereference_protected(bd->binding,
					      lockdep_is_held(&ublk_bpf_mutex));
		if (b) {
			di.flags |= UBLK_BPF_INFO_F_BOUND;
			memcpy(di.ops_name, b->ops->name, sizeof(di.ops_name));
		}
		mutex_unlock(&ublk_bpf_mutex);
		ublk_bpf_sum_stats(bd, &di.stats);
	}
	mutex_unlock(dev_mutex);

	if (copy_to_user(u64_to_user_ptr(addr), &di, min_t(u32, len, sizeof(di))))
		return -EFAULT;
	return 0;
}

/**
 * ublk_bpf_ctrl_cmd - the control commands this module adds
 * @pbd: the device's BPF state pointer, allocated here on first use
 * @info: the device's info
 * @dev_mutex: the device's mutex, serializing with START_DEV
 * @cmd: the command
 *
 * Return: the command's result, -EOPNOTSUPP for a command that is not ours
 * or a device without UBLK_F_BPF.
 */
int ublk_bpf_ctrl_cmd(struct ublk_bpf_dev **pbd,
		      const struct ublksrv_ctrl_dev_info *info,
		      struct mutex *dev_mutex, struct io_uring_cmd *cmd)
{
	const struct ublksrv_ctrl_cmd *header = io_uring_sqe_cmd(cmd->sqe);
	u64 addr = READ_ONCE(header->addr);
	u16 len = READ_ONCE(header->len);
	u64 data = READ_ONCE(header->data[0]);

	switch (cmd->cmd_op) {
	case UBLK_U_CMD_BPF_SET_PARAMS:
	case UBLK_U_CMD_BPF_GET_INFO:
	case UBLK_U_CMD_BPF_REG_FILES:
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (!(info->flags & UBLK_F_BPF))
		return -EOPNOTSUPP;

	switch (cmd->cmd_op) {
	case UBLK_U_CMD_BPF_SET_PARAMS:
		return ublk_bpf_ctrl_set_params(pbd, info, dev_mutex, addr, len);
	case UBLK_U_CMD_BPF_GET_INFO:
		return ublk_bpf_ctrl_get_info(pbd, dev_mutex, addr, len);
	default:
		return ublk_bpf_ctrl_reg_files(pbd, info, dev_mutex, addr, len,
					       data);
	}
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
	ops = xa_load(&ublk_bpf_ops_by_id, bd->ops_id);
	ret = -ENOENT;
	if (!ops)
		goto unlock;
	ret = ublk_bpf_bind(bd, ops);
	if (!ret)
		bd->started = true;
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
	if (!bd)
		return;
	mutex_lock(&ublk_bpf_mutex);
	bd->stopped = true;
	if (ublk_bpf_unbind_begin(bd)) {
		synchronize_srcu(&ublk_bpf_srcu);
		ublk_bpf_unbind_end(bd);
	}
	mutex_unlock(&ublk_bpf_mutex);
}

/**
 * ublk_bpf_serves_alone - whether the device serves IO without a daemon
 * @bd: BPF state of the device, or NULL
 *
 * Return: true for a started BPF device with user recovery: IO goes on
 * through its program while no daemon serves it.
 */
bool ublk_bpf_serves_alone(struct ublk_bpf_dev *bd)
{
	return bd && bd->recovery && READ_ONCE(bd->started);
}

/**
 * ublk_bpf_no_server - whether redirected IO must wait for a new daemon
 * @bd: BPF state of the device, or NULL
 *
 * Return: true from ublk_bpf_quiesce() until ublk_bpf_unquiesce().
 */
bool ublk_bpf_no_server(struct ublk_bpf_dev *bd)
{
	return bd && READ_ONCE(bd->no_server);
}

/**
 * ublk_bpf_quiesce - the daemon is gone: keep the device serving
 * @bd: BPF state of the device, or NULL
 *
 * Called by the driver's quiesce work with the device's mutex held, after
 * the requests the dead daemon held were requeued, instead of quiescing
 * the queue and waiting for every started request.
 *
 * Return: true if the queue stays live (the caller marks the device
 * QUIESCED all the same, which START_USER_RECOVERY requires); false if
 * the driver quiesces it as usual.
 */
bool ublk_bpf_quiesce(struct ublk_bpf_dev *bd)
{
	if (!ublk_bpf_serves_alone(bd))
		return false;
	WRITE_ONCE(bd->no_server, true);
	pr_info("ublk_bpf: dev %u: no daemon, serving through the program; redirected IO waits for recovery\n",
		bd->dev_id);
	return true;
}

/**
 * ublk_bpf_unquiesce - a daemon is back, or the device is stopping
 * @bd: BPF state of the device, or NULL
 * @q: the device's request queue
 *
 * Called with the device's mutex held, where the driver unquiesces a
 * quiesced device. Waits for the ->queue_rq() calls that may still have
 * seen no_server, so that what they requeued is on the requeue list
 * before the caller kicks it.
 *
 * Return: true if ublk_bpf_quiesce() had left the queue live (the caller
 * must not unquiesce it); false otherwise.
 */
bool ublk_bpf_unquiesce(struct ublk_bpf_dev *bd, struct request_queue *q)
{
	if (!bd || !bd->no_server)
		return false;
	WRITE_ONCE(bd->no_server, false);
	blk_mq_quiesce_queue(q);
	blk_mq_unquiesce_queue(q);
	return true;
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
	free_percpu(bd->stats);
	kfree(bd->queues);
	kvfree(bd->ios);
	kfree(bd);
}

/**
 * ublk_bpf_init - set up the BPF side of the module
 *
 * Return: 0 or a negative errno.
 */
int ublk_bpf_init(void)
{
	int ret;

	ret = init_srcu_struct(&ublk_bpf_srcu);
	if (ret)
		return ret;
	ret = ublk_bpf_aio_init();
	if (ret)
		goto fail_srcu;
	/*
	 * Neither registration can be undone before the module unloads, so
	 * they come last; a failure unloads the module, which undoes them.
	 */
	ret = ublk_bpf_kfunc_init();
	if (ret)
		goto fail_aio;
	ret = ublk_bpf_struct_ops_init();
	if (ret)
		goto fail_aio;
	return 0;

fail_aio:
	ublk_bpf_aio_exit();
fail_srcu:
	cleanup_srcu_struct(&ublk_bpf_srcu);
	return ret;
}

/**
 * ublk_bpf_exit - tear down the BPF side of the module
 *
 * Called after every device is removed, so no IO and no aio is left.
 */
void ublk_bpf_exit(void)
{
	ublk_bpf_aio_exit();
	cleanup_srcu_struct(&ublk_bpf_srcu);
}
