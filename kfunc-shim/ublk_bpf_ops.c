// SPDX-License-Identifier: GPL-2.0
/*
 * ublk-bpf: the ublk_bpf_ops struct_ops type, the registry of its
 * instances, and the set-up of the module's BPF side.
 *
 * Registered instances are kept by id, which devices name (see
 * ublk_bpf_dev.c for what registering, unregistering and updating do to
 * them). The verifier callbacks check which members may sleep; the stubs
 * give the verifier and CFI the members' prototypes.
 *
 * Who may register. Loading a struct_ops program and creating its map
 * need only CAP_BPF (and CAP_PERFMON), which a BPF token can delegate to
 * an unprivileged user namespace, given the module's BTF fd; driving a ublk device with UBLK_F_BPF
 * needs CAP_SYS_ADMIN (its control commands). An instance decides what a
 * device reads and writes, so registering or updating one needs
 * CAP_SYS_ADMIN too, checked here in the registering task (reg() and
 * update() run in the bpf() call of the task that creates or updates the
 * link, or updates the map). An id is held by one instance at a time, and
 * a registration never takes a device: only the device's owner binds it,
 * at START_DEV or with UBLK_U_CMD_BPF_BIND.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/capability.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/xarray.h>
#include "ublk_bpf_priv.h"

/* registered instances by id; changed under ublk_bpf_mutex */
static DEFINE_XARRAY(ublk_bpf_ops_by_id);

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

/**
 * ublk_bpf_ops_find - the registered instance with an id
 * @id: the ops id a device names
 *
 * Call with ublk_bpf_mutex held.
 *
 * Return: the instance, or NULL if none is registered with @id.
 */
const struct ublk_bpf_ops *ublk_bpf_ops_find(u32 id)
{
	lockdep_assert_held(&ublk_bpf_mutex);
	return xa_load(&ublk_bpf_ops_by_id, id);
}

/*
 * CAP_SYS_ADMIN of the task registering or updating an instance, in the
 * initial user namespace: what the ublk control path of a BPF device asks
 * for, and more than a BPF token can hand out.
 */
static int ublk_bpf_ops_may_register(const struct ublk_bpf_ops *ops)
{
	if (capable(CAP_SYS_ADMIN))
		return 0;
	pr_info_ratelimited("ops %u (%s) refused: the registering task has no CAP_SYS_ADMIN\n",
			    ops->id, ops->name);
	return -EPERM;
}

/*
 * A new instance takes its id, if free, and nothing else: the devices
 * that named the id and lost their instance stay unbound until their owner
 * binds them again (UBLK_U_CMD_BPF_BIND).
 */
static int ublk_bpf_ops_reg(void *kdata, struct bpf_link *link)
{
	const struct ublk_bpf_ops *ops = kdata;
	int ret;

	ret = ublk_bpf_ops_may_register(ops);
	if (ret)
		return ret;
	mutex_lock(&ublk_bpf_mutex);
	ret = xa_insert(&ublk_bpf_ops_by_id, ops->id, (void *)ops, GFP_KERNEL);
	if (ret == -EBUSY)
		ret = -EEXIST;
	mutex_unlock(&ublk_bpf_mutex);
	return ret;
}

static void ublk_bpf_ops_unreg(void *kdata, struct bpf_link *link)
{
	const struct ublk_bpf_ops *ops = kdata;

	mutex_lock(&ublk_bpf_mutex);
	xa_cmpxchg(&ublk_bpf_ops_by_id, ops->id, (void *)ops, NULL, GFP_KERNEL);
	ublk_bpf_devs_rebind(ops, NULL);
	mutex_unlock(&ublk_bpf_mutex);
}

/*
 * Link update: @kdata replaces @old_kdata, which must have the same id. The
 * devices move to the new instance at once; the IOs the old one kept are
 * requeued and reach the new one from the start. Whoever holds the link
 * may update it, given CAP_SYS_ADMIN as for a registration.
 */
static int ublk_bpf_ops_update(void *kdata, void *old_kdata,
			       struct bpf_link *link)
{
	const struct ublk_bpf_ops *ops = kdata;
	const struct ublk_bpf_ops *old = old_kdata;
	int ret;

	if (ops->id != old->id)
		return -EINVAL;
	ret = ublk_bpf_ops_may_register(ops);
	if (ret)
		return ret;

	mutex_lock(&ublk_bpf_mutex);
	if (xa_load(&ublk_bpf_ops_by_id, old->id) != old) {
		ret = -ENOENT;
	} else {
		xa_store(&ublk_bpf_ops_by_id, ops->id, (void *)ops, GFP_KERNEL);
		ublk_bpf_devs_rebind(old, ops);
	}
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
	 * 6.12 can unregister neither the kfunc set nor the struct_ops type
	 * before the module unloads, so they come last; a failure unloads the
	 * module, which undoes them.
	 */
	ret = ublk_bpf_kfunc_init();
	if (ret)
		goto fail_aio;
	ret = register_bpf_struct_ops(&ublk_bpf_struct_ops, ublk_bpf_ops);
	if (ret)
		goto fail_aio;
	ret = ublk_bpf_pci_init();
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
	ublk_bpf_pci_exit();
	ublk_bpf_ctrlr_exit();
	ublk_bpf_aio_exit();
	cleanup_srcu_struct(&ublk_bpf_srcu);
}
