/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ublk-bpf: struct ublk_bpf_ops, the one definition the module
 * (ublk_bpf_priv.h) and BPF programs (ublk_bpf.bpf.h) both include, so
 * the two cannot drift apart. libbpf matches the members of a program's
 * instance by name against the module's BTF. Only __u32 and pointers to
 * the module's opaque types: it is compiled in the kernel and in BPF.
 */
#ifndef UBLK_BPF_OPS_H
#define UBLK_BPF_OPS_H

#ifndef __bpf__
#include <linux/types.h>
#endif
#include "ublk_bpf_uapi.h"

struct ublk_bpf_io;
struct ublk_bpf_aio;

/**
 * struct ublk_bpf_ops - a ublk target written in BPF
 * @id: number user space names in struct ublk_param_bpf to use this
 *	instance; unique among registered instances
 * @name: NUL-terminated name, reported by UBLK_U_CMD_BPF_GET_INFO
 * @queue_io_cmd: offered every IO first, from the block layer's
 *	->queue_rq(); must not sleep. @offset is the number of bytes of the
 *	request already handled (see UBLK_BPF_IO_CONTINUE). Returns a
 *	UBLK_BPF_IO_* disposition or a negative errno.
 * @queue_io_cmd_daemon: offered the IOs @queue_io_cmd redirected, or every
 *	IO when @queue_io_cmd is not set, from the ublk server's task; must be
 *	a sleepable program. Same arguments and return value.
 * @release_io_cmd: the IO's last reference is gone and the request is
 *	about to complete; called once for each IO the program kept. Must
 *	not sleep; the IO can no longer be used with any kfunc.
 * @aio_complete: an aio of @io completed with @res (bytes or -errno);
 *	called where the operation ended (the stage that started it, the
 *	fallback worker, or ->ki_complete() in any context, hardirq
 *	included); must not sleep. For a READ, a short or
 *	failed read has already been zero-filled. May submit more aios for
 *	@io or complete it. Returns 0, or UBLK_BPF_AIO_HANDLED to keep a
 *	failed aio from failing @io.
 * @attach_dev: device @dev_id is starting to use this instance (on
 *	START_DEV, or on registration while the device runs). A non-zero
 *	return refuses the device. May sleep.
 * @detach_dev: device @dev_id stopped using this instance: it was
 *	stopped, or this instance is being unregistered. May sleep.
 */
struct ublk_bpf_ops {
	__u32 id;
	char name[UBLK_BPF_OPS_NAME_LEN];
	int (*queue_io_cmd)(struct ublk_bpf_io *io, __u32 offset);
	int (*queue_io_cmd_daemon)(struct ublk_bpf_io *io, __u32 offset);
	void (*release_io_cmd)(struct ublk_bpf_io *io);
	int (*aio_complete)(struct ublk_bpf_io *io, struct ublk_bpf_aio *aio,
			    int res);
	int (*attach_dev)(__u32 dev_id);
	void (*detach_dev)(__u32 dev_id);
};

#endif /* UBLK_BPF_OPS_H */
