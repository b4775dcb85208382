/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ublk-bpf: what a BPF target program needs from the kfunc-shim module,
 * for BPF code only. Include after the kernel types (vmlinux.h, or
 * <linux/types.h> with <linux/bpf.h>) and <bpf/bpf_helpers.h>.
 *
 * A target defines its ublk_bpf_ops instance with UBLK_BPF_OPS() and its
 * callbacks with UBLK_BPF_OPS_PROG() / UBLK_BPF_OPS_PROG_SLEEPABLE():
 *
 *	int UBLK_BPF_OPS_PROG(null_queue, struct ublk_bpf_io *io, __u32 off)
 *	{
 *		ublk_bpf_complete_io(io, 0);
 *		return UBLK_BPF_IO_QUEUED;
 *	}
 *	UBLK_BPF_OPS(null_ops, 1, "null", .queue_io_cmd = (void *)null_queue);
 */
#ifndef UBLK_BPF_BPF_H
#define UBLK_BPF_BPF_H

#ifndef __bpf__
#error "ublk_bpf.bpf.h is for BPF programs only"
#endif

#include <bpf/bpf_tracing.h>
#include <linux/errno.h>
#include <linux/ublk_cmd.h>
#include "ublk_bpf_uapi.h"
#include "ublk_bpf_ops.h"	/* struct ublk_bpf_ops, as the module has it */
#include "ublk_io_pattern.h"

/*
 * An IO, as the callbacks receive it: an opaque handle for the kfuncs. It is
 * defined (empty) rather than declared because libbpf only matches a kfunc's
 * prototype against the module's when pointed-to types are both structs.
 * For the same reason a program calling ublk_bpf_get_iod() includes
 * <linux/ublk_cmd.h> (or defines struct ublksrv_io_desc) first.
 */
struct ublk_bpf_io {
};

struct ublksrv_io_desc;

/*
 * The public part of an aio, readable in aio_complete(); CO-RE relocates the
 * fields against the module's BTF.
 */
struct ublk_bpf_aio {
	__u32 op;
	__u32 file_idx;
	__u64 pos;
	__u32 off;
	__u32 len;
	int res;
	__u32 status;	/* NVMe status of an ublk_bpf_nvme_io_submit() aio */
} __attribute__((preserve_access_index));

extern const struct ublksrv_io_desc *
ublk_bpf_get_iod(struct ublk_bpf_io *io) __ksym;
extern int ublk_bpf_get_io_tag(struct ublk_bpf_io *io) __ksym;
extern int ublk_bpf_get_queue_id(struct ublk_bpf_io *io) __ksym;
extern int ublk_bpf_get_dev_id(struct ublk_bpf_io *io) __ksym;
extern int ublk_bpf_complete_io(struct ublk_bpf_io *io, int res) __ksym;
/*
 * UBLK_IO_PATTERN_SEQUENTIAL or _RANDOM: the hint of the IO's queue (see
 * include/ublk_io_pattern.h). Weak: a shim older than the hint lacks it,
 * test with bpf_ksym_exists() (ublk_bpf_io_pattern() does).
 */
extern int ublk_bpf_get_io_pattern(struct ublk_bpf_io *io) __ksym __weak;

extern struct ublk_bpf_aio *ublk_bpf_aio_alloc(struct ublk_bpf_io *io) __ksym;
extern int ublk_bpf_aio_attach(struct ublk_bpf_aio *aio, __u32 off,
			       __u32 len) __ksym;
extern int ublk_bpf_aio_submit(struct ublk_bpf_aio *aio, __u32 op,
			       __u32 file_idx, __u64 pos) __ksym;
extern void ublk_bpf_aio_release(struct ublk_bpf_aio *aio) __ksym;

/* The IO's pattern hint; RANDOM on a shim without the kfunc. */
static __always_inline int ublk_bpf_io_pattern(struct ublk_bpf_io *io)
{
	if (bpf_ksym_exists(ublk_bpf_get_io_pattern))
		return ublk_bpf_get_io_pattern(io);
	return UBLK_IO_PATTERN_RANDOM;
}

/*
 * The aio operation that serves a ublk IO of @op_flags (its op and FUA);
 * -EOPNOTSUPP for an op bpf-aio has no operation for.
 */
static __always_inline int ublk_bpf_aio_op_of(__u32 op_flags)
{
	switch (op_flags & 0xff) {
	case UBLK_IO_OP_READ:
		return UBLK_BPF_AIO_OP_READ;
	case UBLK_IO_OP_WRITE:
		return UBLK_BPF_AIO_OP_WRITE |
		       (op_flags & UBLK_IO_F_FUA ? UBLK_BPF_AIO_F_FUA : 0);
	case UBLK_IO_OP_FLUSH:
		return UBLK_BPF_AIO_OP_FDATASYNC;
	case UBLK_IO_OP_DISCARD:
		return UBLK_BPF_AIO_OP_DISCARD;
	case UBLK_IO_OP_WRITE_ZEROES:
		return UBLK_BPF_AIO_OP_WRITE_ZEROES;
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * One aio @aio_op for bytes [off, off + len) of @io (no bytes: a flush) on
 * registered file @file at @pos. 0, or a negative errno (the aio is freed).
 */
static __always_inline int ublk_bpf_submit_slice(struct ublk_bpf_io *io, int aio_op,
						 __u32 off, __u32 len, __u32 file,
						 __u64 pos)
{
	struct ublk_bpf_aio *aio = ublk_bpf_aio_alloc(io);

	if (!aio)
		return -ENOMEM;
	if (len && ublk_bpf_aio_attach(aio, off, len)) {
		ublk_bpf_aio_release(aio);
		return -EINVAL;
	}
	return ublk_bpf_aio_submit(aio, aio_op, file, pos);
}

/* A ublk_bpf_ops callback; the arguments as in struct ublk_bpf_ops. */
#define UBLK_BPF_OPS_PROG(name, args...)				\
	SEC("struct_ops/" #name) BPF_PROG(name, ##args)

/* A sleepable callback: queue_io_cmd_daemon (attach/detach_dev may be). */
#define UBLK_BPF_OPS_PROG_SLEEPABLE(name, args...)			\
	SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)

/* The ublk_bpf_ops instance, registered through a bpf_link. */
#define UBLK_BPF_OPS(var, ops_id, ops_name, members...)		\
	SEC(".struct_ops.link") struct ublk_bpf_ops var = {		\
		.id = (ops_id),						\
		.name = ops_name,					\
		members							\
	}

#endif /* UBLK_BPF_BPF_H */
