/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every BPF target shares, BPF only: its configuration (set by the
 * loader before load), its stats map, and the steps each IO takes. A
 * target is a page: its queue_io written with UBLK_TGT_QUEUE_IO(), whose
 * prologue counts the IO and answers what every target answers alike
 * (ops bpf-aio cannot serve, flushes, calls past the end), a body that
 * maps the bytes left and ends in ublk_tgt_serve(), and its ops declared
 * with UBLK_TGT_OPS(). The release/aio_complete callbacks here count and
 * time each IO.
 */
#ifndef UBLK_TGT_BPF_H
#define UBLK_TGT_BPF_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/errno.h>
#include <linux/ublk_cmd.h>
#include <bpf/bpf_helpers.h>
#include "ublk_bpf.bpf.h"
#include "ublk_tgt_common.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct ublk_tgt_config config;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ublk_tgt_stats);
} stats SEC(".maps");

/* Start time of each IO in flight, by queue and tag. */
#define UBLK_TGT_MAX_TAGS	(64 * 1024)
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UBLK_TGT_MAX_TAGS);
	__type(key, __u32);
	__type(value, __u64);
} io_start_ns SEC(".maps");

static __always_inline struct ublk_tgt_stats *ublk_tgt_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

#define ublk_tgt_count(field, n) do {					\
	struct ublk_tgt_stats *__s = ublk_tgt_stats();			\
	if (__s)							\
		__s->field += (n);					\
} while (0)

static __always_inline __u32 ublk_tgt_io_key(struct ublk_bpf_io *io)
{
	return ((__u32)ublk_bpf_get_queue_id(io) << 10 | ublk_bpf_get_io_tag(io)) &
	       (UBLK_TGT_MAX_TAGS - 1);
}

static __always_inline __u32 ublk_tgt_op(const struct ublksrv_io_desc *iod)
{
	return iod->op_flags & 0xff;
}

/* First sight of an IO: count it by op and note when it started. */
static __always_inline void ublk_tgt_begin(struct ublk_bpf_io *io,
					   const struct ublksrv_io_desc *iod)
{
	struct ublk_tgt_stats *s = ublk_tgt_stats();
	__u64 bytes = (__u64)iod->nr_sectors << 9;
	__u32 key = ublk_tgt_io_key(io);
	/* A store through the lookup the verifier inlines, not a helper call. */
	__u64 *start = bpf_map_lookup_elem(&io_start_ns, &key);

	if (start)
		*start = bpf_ktime_get_ns();
	if (!s)
		return;
	if (ublk_bpf_io_pattern(io) == UBLK_IO_PATTERN_SEQUENTIAL)
		s->hint_sequential++;
	else
		s->hint_random++;
	switch (ublk_tgt_op(iod)) {
	case UBLK_IO_OP_READ:
		s->read_ios++;
		s->read_bytes += bytes;
		break;
	case UBLK_IO_OP_WRITE:
		s->write_ios++;
		s->write_bytes += bytes;
		break;
	case UBLK_IO_OP_FLUSH:
		s->flush_ios++;
		break;
	case UBLK_IO_OP_DISCARD:
		s->discard_ios++;
		s->discard_bytes += bytes;
		break;
	case UBLK_IO_OP_WRITE_ZEROES:
		s->write_zeroes_ios++;
		s->write_zeroes_bytes += bytes;
		break;
	default:
		s->other_ios++;
	}
}

static __always_inline int ublk_tgt_aio_op(const struct ublksrv_io_desc *iod)
{
	return ublk_bpf_aio_op_of(iod->op_flags);
}

/* ublk_bpf_submit_slice(), counting refusals for their direction. */
static __always_inline int ublk_tgt_submit(struct ublk_bpf_io *io, int aio_op,
					   __u32 off, __u32 len, __u32 file, __u64 pos)
{
	int ret = ublk_bpf_submit_slice(io, aio_op, off, len, file, pos);

	if (ret == -EPERM)
		ublk_tgt_count(dir_refused, 1);
	return ret;
}

/* An fdatasync of every backing file: a flush. */
static __always_inline int ublk_tgt_flush_all(struct ublk_bpf_io *io)
{
	__u32 i;
	int ret;

	for (i = 0; i < UBLK_STRIPE_MAX_FILES && i < config.nr_files; i++) {
		ret = ublk_tgt_submit(io, UBLK_BPF_AIO_OP_FDATASYNC, 0, 0, i, 0);
		if (ret)
			return ret;
	}
	return ublk_bpf_io_continue(0);
}

/* The disposition of an IO the program could not serve. */
static __always_inline int ublk_tgt_fail(int err)
{
	ublk_tgt_count(io_errors, 1);
	return err;
}

static __always_inline __u32 ublk_tgt_log2(__u64 v)
{
	__u32 r = 0;

	while (v > 1 && r < UBLK_LAT_BUCKETS - 1) {
		v >>= 1;
		r++;
	}
	return r;
}

/* The IO ended in the kernel: count it and its latency. */
int UBLK_BPF_OPS_PROG(ublk_tgt_release, struct ublk_bpf_io *io)
{
	struct ublk_tgt_stats *s = ublk_tgt_stats();
	__u32 key = ublk_tgt_io_key(io);
	__u64 *start = bpf_map_lookup_elem(&io_start_ns, &key);
	__u32 bucket;

	if (!s)
		return 0;
	s->completed_in_kernel++;
	if (start && *start) {
		bucket = ublk_tgt_log2((bpf_ktime_get_ns() - *start) / 1000);
		if (bucket < UBLK_LAT_BUCKETS)
			s->lat_us_log2[bucket]++;
	}
	return 0;
}

/*
 * A failed aio fails its IO; count it. A target with an aio_complete of its
 * own defines UBLK_TGT_OWN_AIO_COMPLETE before including this header and
 * uses UBLK_TGT_OPS_AIO() (libbpf refuses a struct_ops program no ops uses).
 */
#ifndef UBLK_TGT_OWN_AIO_COMPLETE
int UBLK_BPF_OPS_PROG(ublk_tgt_aio_complete, struct ublk_bpf_io *io,
		      struct ublk_bpf_aio *aio, int res)
{
	if (res < 0)
		ublk_tgt_count(aio_errors, 1);
	return 0;
}
#endif

/* One IO as a target's queue_io body sees it, after the prologue. */
struct ublk_tgt_io {
	struct ublk_bpf_io *io;
	const struct ublksrv_io_desc *iod;
	__u64 pos;	/* device byte where the bytes left start */
	__u32 off;	/* bytes handled by earlier calls */
	__u32 len;	/* bytes of the whole IO; 0 for a flush */
	__u32 op;	/* UBLK_IO_OP_* */
	int aio_op;	/* the aio operation serving @op */
};

/* What the prologue answers for the target: UBLK_TGT_QUEUE_IO()'s @flags. */
enum ublk_tgt_flags {
	/* Any op reaches the body, even one bpf-aio cannot serve (null, nbd). */
	UBLK_TGT_ANY_OP		= 1,
	/* A flush is an fdatasync of every backing file. */
	UBLK_TGT_FLUSH_ALL	= 2,
	/* Only reads and writes (and flushes) reach the body: -EOPNOTSUPP. */
	UBLK_TGT_RW_ONLY	= 4,
	/* Served piece by piece (CONTINUE with less than the rest): -EINVAL
	 * when called with no byte left.
	 */
	UBLK_TGT_PIECES		= 8,
};

/*
 * The start every queue_io shares: fills @t and counts the IO on its first
 * call. 1 with the disposition in *@ret when the prologue answers for the
 * target, 0 when the body serves the IO.
 */
static __always_inline int ublk_tgt_prologue(struct ublk_tgt_io *t,
					     struct ublk_bpf_io *io, __u32 off,
					     __u32 flags, int *ret)
{
	t->io = io;
	t->iod = ublk_bpf_get_iod(io);
	t->off = off;
	t->len = t->iod->nr_sectors << 9;
	t->pos = (t->iod->start_sector << 9) + off;
	t->op = ublk_tgt_op(t->iod);
	t->aio_op = ublk_tgt_aio_op(t->iod);
	if (off == 0)
		ublk_tgt_begin(io, t->iod);
	if (flags & UBLK_TGT_ANY_OP)
		return 0;
	if (t->aio_op < 0) {
		*ret = ublk_tgt_fail(t->aio_op);
		return 1;
	}
	if (t->op == UBLK_IO_OP_FLUSH) {
		t->len = 0;
		if (!(flags & UBLK_TGT_FLUSH_ALL))
			return 0;
		*ret = ublk_tgt_flush_all(io);
		return 1;
	}
	if ((flags & UBLK_TGT_RW_ONLY) && t->op != UBLK_IO_OP_READ &&
	    t->op != UBLK_IO_OP_WRITE) {
		*ret = ublk_tgt_fail(-EOPNOTSUPP);
		return 1;
	}
	if ((flags & UBLK_TGT_PIECES) && off >= t->len) {
		*ret = ublk_tgt_fail(-EINVAL);
		return 1;
	}
	return 0;
}

/*
 * A target's queue_io, the prologue done; the body follows the macro as a
 * function's would, with the IO in `t`:
 *
 *	UBLK_TGT_QUEUE_IO(loop_queue_io, 0)
 *	{
 *		return ublk_tgt_serve(t, t->len, 0, t->pos);
 *	}
 */
#define UBLK_TGT_QUEUE_IO(name, flags)					\
static __always_inline int name##_body(struct ublk_tgt_io *t);		\
int UBLK_BPF_OPS_PROG(name, struct ublk_bpf_io *io, __u32 off)		\
{									\
	struct ublk_tgt_io __t;						\
	int __ret;							\
									\
	if (ublk_tgt_prologue(&__t, io, off, (flags), &__ret))		\
		return __ret;						\
	return name##_body(&__t);					\
}									\
static __always_inline int name##_body(struct ublk_tgt_io *t)

/*
 * One aio for the next @len bytes of the IO, on backing file @file at
 * @pos, as the IO's disposition: CONTINUE with @len, or the IO fails.
 */
static __always_inline int ublk_tgt_serve(struct ublk_tgt_io *t, __u32 len,
					  __u32 file, __u64 pos)
{
	int ret = ublk_tgt_submit(t->io, t->aio_op, t->off, len, file, pos);

	return ret ? ublk_tgt_fail(ret) : ublk_bpf_io_continue(len);
}

/*
 * The next @len bytes on each of the @nr files from @first, all at @pos
 * (the legs of a mirror); the IO fails with the first refusal.
 */
static __always_inline int ublk_tgt_serve_copies(struct ublk_tgt_io *t, __u32 len,
						 __u32 first, __u32 nr, __u64 pos)
{
	__u32 i;
	int ret;

	for (i = 0; i < UBLK_STRIPE_MAX_FILES && i < nr; i++) {
		ret = ublk_tgt_submit(t->io, t->aio_op, t->off, len, first + i, pos);
		if (ret)
			return ublk_tgt_fail(ret);
	}
	return ublk_bpf_io_continue(len);
}

/* Hand the IO to the io_uring twin, counting it. */
static __always_inline int ublk_tgt_redirect(void)
{
	ublk_tgt_count(redirected, 1);
	return UBLK_BPF_IO_REDIRECT;
}

/*
 * The target's ublk_bpf_ops. @name says which target this is: `ublk-bpf
 * load` picks the io_uring twin of that name. The id is the loader's to set.
 */
#define UBLK_TGT_OPS(var, tgt_name, queue_prog)				\
	UBLK_TGT_OPS_AIO(var, tgt_name, queue_prog, ublk_tgt_aio_complete)

/* UBLK_TGT_OPS() with an aio_complete of the target's own. */
#define UBLK_TGT_OPS_AIO(var, tgt_name, queue_prog, aio_prog)		\
	UBLK_BPF_OPS(var, 0, tgt_name,					\
		.queue_io_cmd = (void *)queue_prog,			\
		.release_io_cmd = (void *)ublk_tgt_release,		\
		.aio_complete = (void *)aio_prog,			\
	)

#endif
