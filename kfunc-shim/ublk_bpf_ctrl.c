// SPDX-License-Identifier: GPL-2.0
/*
 * ublk-bpf: the control commands this module adds to ublk, on a device
 * made with UBLK_F_BPF: UBLK_U_CMD_BPF_SET_PARAMS (the ops id),
 * UBLK_U_CMD_BPF_REG_FILES (the backing files, once, before START_DEV),
 * UBLK_U_CMD_BPF_GET_INFO (binding and counters) and UBLK_U_CMD_BPF_BIND
 * (the owner binds its device again after its instance was unregistered).
 * Each runs under the device's mutex, which serializes it with START_DEV;
 * the driver let them through only for a task with CAP_SYS_ADMIN (a BPF
 * device is never an unprivileged one), which is what makes the sender
 * the device's owner.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "ublk_bpf_priv.h"

static int ublk_bpf_ctrl_set_params(struct ublk_bpf_dev **pbd,
				    const struct ublksrv_ctrl_dev_info *info,
				    struct mutex *dev_mutex,
				    u64 addr, u16 len)
{
	struct ublk_bpf_pci *pci = NULL;
	struct ublk_param_bpf p;
	struct ublk_bpf_dev *bd;
	int ret;

	if (!addr || len < offsetofend(struct ublk_param_bpf, ops_id))
		return -EINVAL;
	ret = copy_struct_from_user(&p, sizeof(p), u64_to_user_ptr(addr), len);
	if (ret)
		return ret;
	if ((p.flags & ~UBLK_BPF_PARAM_F_PCI) || p.reserved[0] || p.reserved[1] ||
	    (!(p.flags & UBLK_BPF_PARAM_F_PCI) && p.pci_addr))
		return -EINVAL;
	if (p.flags & UBLK_BPF_PARAM_F_PCI) {
		pci = ublk_bpf_pci_find(p.pci_addr);
		if (!pci)
			return -ENODEV;
	}

	mutex_lock(dev_mutex);
	bd = ublk_bpf_dev_get(pbd, info);
	if (!bd) {
		ret = -ENOMEM;
	} else if (bd->started) {
		ret = -EBUSY;
	} else {
		bd->ops_id = p.ops_id;
		swap(bd->pci, pci);
		bd->params_set = true;
		ret = 0;
	}
	mutex_unlock(dev_mutex);
	/* a controller set before, or this one when refused */
	ublk_bpf_pci_put(pci);
	return ret;
}

/**
 * ublk_bpf_put_files - drop registered backing files
 * @files: the array, freed too
 * @nr: its entries; empty ones (NULL file) are skipped
 */
void ublk_bpf_put_files(struct ublk_bpf_file *files, u32 nr)
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
		init_llist_head(&files[i].writes);
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

/*
 * The counters of struct ublk_bpf_dev_stats (include/ublk_bpf_uapi.h: all
 * __u64), summed over the CPUs by one loop. The build fails when one is
 * missing here.
 */
#define UBLK_BPF_STAT(name)	offsetof(struct ublk_bpf_dev_stats, name)
static const u16 ublk_bpf_stat_offsets[] = {
	UBLK_BPF_STAT(io_bpf),
	UBLK_BPF_STAT(io_redirected),
	UBLK_BPF_STAT(io_retried),
	UBLK_BPF_STAT(io_requeued),
	UBLK_BPF_STAT(io_timeout),
	UBLK_BPF_STAT(io_failed),
	UBLK_BPF_STAT(aio_submitted),
	UBLK_BPF_STAT(aio_failed),
	UBLK_BPF_STAT(zero_filled_bytes),
	UBLK_BPF_STAT(dir_refused),
	UBLK_BPF_STAT(double_complete),
	UBLK_BPF_STAT(bad_disposition),
	UBLK_BPF_STAT(refused),
	UBLK_BPF_STAT(aio_inline),
	UBLK_BPF_STAT(aio_fallback),
	UBLK_BPF_STAT(aio_eagain),
	UBLK_BPF_STAT(io_hint_sequential),
	UBLK_BPF_STAT(io_hint_random),
	UBLK_BPF_STAT(aio_timed_out),
	UBLK_BPF_STAT(aio_spread),
	UBLK_BPF_STAT(aio_combined),
	UBLK_BPF_STAT(aio_spread_lost),
	UBLK_BPF_STAT(aio_in_place_bytes),
};

static_assert(ARRAY_SIZE(ublk_bpf_stat_offsets) * sizeof(u64) ==
	      sizeof(struct ublk_bpf_dev_stats));

static void ublk_bpf_sum_stats(struct ublk_bpf_dev *bd,
			       struct ublk_bpf_dev_stats *sum)
{
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu) {
		const void *s = per_cpu_ptr(bd->stats, cpu);

		for (i = 0; i < ARRAY_SIZE(ublk_bpf_stat_offsets); i++) {
			size_t off = ublk_bpf_stat_offsets[i];

			*(u64 *)((void *)sum + off) += *(const u64 *)(s + off);
		}
	}
}

static int ublk_bpf_ctrl_get_info(struct ublk_bpf_dev **pbd,
				  struct mutex *dev_mutex, u64 addr, u16 len)
{
	struct ublk_bpf_dev_info di = { .abi_version = UBLK_BPF_ABI_VERSION };
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
		if (ublk_bpf_dev_ops_name(bd, di.ops_name))
			di.flags |= UBLK_BPF_INFO_F_BOUND;
		ublk_bpf_sum_stats(bd, &di.stats);
	}
	mutex_unlock(dev_mutex);

	if (copy_to_user(u64_to_user_ptr(addr), &di, min_t(u32, len, sizeof(di))))
		return -EFAULT;
	return 0;
}

/* Lock order: the device's mutex, then ublk_bpf_mutex (in the callee). */
static int ublk_bpf_ctrl_bind(struct ublk_bpf_dev **pbd,
			      struct mutex *dev_mutex, u64 addr, u16 len,
			      u64 data)
{
	int ret;

	if (addr || len || data)
		return -EINVAL;
	mutex_lock(dev_mutex);
	ret = *pbd ? ublk_bpf_dev_bind_again(*pbd) : -EINVAL;
	mutex_unlock(dev_mutex);
	return ret;
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
	case UBLK_U_CMD_BPF_BIND:
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
	case UBLK_U_CMD_BPF_BIND:
		return ublk_bpf_ctrl_bind(pbd, dev_mutex, addr, len, data);
	default:
		return ublk_bpf_ctrl_reg_files(pbd, info, dev_mutex, addr, len,
					       data);
	}
}
