// SPDX-License-Identifier: GPL-2.0
/*
 * ublk-bpf: the kfuncs of ublk_bpf_ops programs.
 *
 * All of them are registered for struct_ops programs with a filter that
 * only lets programs implementing a ublk_bpf_ops member call them; other
 * struct_ops types (sched_ext, TCP congestion control, ...) do not see them.
 * The bpf-aio kfuncs are in ublk_bpf_aio.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include "ublk_bpf_priv.h"

__bpf_kfunc_start_defs();

/**
 * ublk_bpf_get_iod - the descriptor of an IO
 * @io: the IO, as passed to a ublk_bpf_ops member
 *
 * Return: the IO's struct ublksrv_io_desc (op_flags, nr_sectors,
 * start_sector), the same the ublk server would read.
 */
__bpf_kfunc const struct ublksrv_io_desc *
ublk_bpf_get_iod(struct ublk_bpf_io *io)
{
	return io->iod;
}

/**
 * ublk_bpf_get_io_tag - the tag of an IO
 * @io: the IO
 *
 * Return: the tag of the request in its hardware queue.
 */
__bpf_kfunc int ublk_bpf_get_io_tag(struct ublk_bpf_io *io)
{
	return io->tag;
}

/**
 * ublk_bpf_get_queue_id - the hardware queue of an IO
 * @io: the IO
 *
 * Return: the index of the IO's hardware queue.
 */
__bpf_kfunc int ublk_bpf_get_queue_id(struct ublk_bpf_io *io)
{
	return io->q_id;
}

/**
 * ublk_bpf_get_dev_id - the device of an IO
 * @io: the IO
 *
 * Return: the ublk device id (N of /dev/ublkbN).
 */
__bpf_kfunc int ublk_bpf_get_dev_id(struct ublk_bpf_io *io)
{
	return io->dev->dev_id;
}

/**
 * ublk_bpf_get_io_pattern - the IO pattern hint of an IO
 * @io: the IO
 *
 * The module classifies the recent reads and writes of each hardware
 * queue as sequential or random (include/ublk_io_pattern.h, the same
 * definition the io_uring server uses); this is the queue's hint with @io
 * counted, decided when the request arrived.
 *
 * Return: UBLK_IO_PATTERN_SEQUENTIAL or UBLK_IO_PATTERN_RANDOM.
 */
__bpf_kfunc int ublk_bpf_get_io_pattern(struct ublk_bpf_io *io)
{
	return io->pattern;
}

/**
 * ublk_bpf_complete_io - complete an IO the program kept
 * @io: the IO
 * @res: bytes handled (any value >= 0 means success for the whole
 *	request), or a negative errno to fail it
 *
 * The request ends once every aio submitted for it has completed; an aio
 * failure not handled by aio_complete() still fails it. Unread parts of a
 * READ request are zero-filled. Each IO can be completed once: a second
 * call, a call after the IO completed by itself (every byte handled with
 * UBLK_BPF_IO_CONTINUE) or after it timed out is refused and counted.
 *
 * Return: 0, or -EALREADY if the IO was already completed.
 */
__bpf_kfunc int ublk_bpf_complete_io(struct ublk_bpf_io *io, int res)
{
	if (!ublk_bpf_io_live(io) ||
	    test_and_set_bit(UBLK_BPF_IO_COMPLETED, &io->flags) ||
	    !ublk_bpf_io_finish(io, min(res, 0))) {
		this_cpu_inc(io->dev->stats->double_complete);
		pr_warn_ratelimited("dev %u: tag %u of queue %u completed twice\n",
				    io->dev->dev_id, io->tag, io->q_id);
		return -EALREADY;
	}
	return 0;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(ublk_bpf_kfunc_ids)
BTF_ID_FLAGS(func, ublk_bpf_get_iod, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_get_io_tag, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_get_queue_id, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_get_dev_id, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_get_io_pattern, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_complete_io, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_aio_alloc, KF_ACQUIRE | KF_RET_NULL | KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_aio_attach, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ublk_bpf_aio_submit, KF_RELEASE)
BTF_ID_FLAGS(func, ublk_bpf_aio_release, KF_RELEASE)
BTF_ID_FLAGS(func, ublk_bpf_nvme_io_submit, KF_RELEASE)
BTF_KFUNCS_END(ublk_bpf_kfunc_ids)

static int ublk_bpf_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	return ublk_bpf_prog_is_ours(prog) ? 0 : -EACCES;
}

static const struct btf_kfunc_id_set ublk_bpf_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &ublk_bpf_kfunc_ids,
	.filter = ublk_bpf_kfunc_filter,
};

/**
 * ublk_bpf_kfunc_init - register the kfuncs for struct_ops programs
 *
 * 6.12 cannot unregister a kfunc set; unloading the module does.
 *
 * Return: 0 or a negative errno.
 */
int ublk_bpf_kfunc_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
					 &ublk_bpf_kfunc_set);
}
