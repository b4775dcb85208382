// SPDX-License-Identifier: GPL-2.0
/*
 * Paths: BPF only (no twin: it needs the kfunc-shim; an IO it redirected
 * would fail with -EIO).
 *
 * linear: the device is a concatenation of up to LINEAR_MAX_SEGS segments of
 * the backing files, as dm-linear's table: segment i is seg_len[i] bytes of
 * file seg_file[i] from byte seg_offset[i], and follows segment i - 1 on
 * the device. The table ends at the first zero length. It is given at load:
 *
 *   ublk-bpf load linear.bpf.o --file a.img --file b.img --size 12M \
 *       --set seg_file=1,0 --set seg_offset=1M,0 --set seg_len=4M,8M
 *
 * and, being const volatile, is a constant the verifier sees. No io_uring
 * twin: the table exists only in the object, so the device's size is given
 * with --size (the sum of the lengths); IO past the table fails with -EIO, and every
 * IO fails with -EINVAL when a length or offset is not whole sectors.
 *
 * How an IO flows: like stripe, each call serves the piece of the IO from
 * @off to the end of the segment it starts in, as one aio, and returns
 * CONTINUE with its length; the module calls again for the rest. A flush
 * is an fdatasync of every file.
 */
#include "ublk_tgt.bpf.h"

#define LINEAR_MAX_SEGS	8

const volatile __u32 seg_file[LINEAR_MAX_SEGS];
const volatile __u64 seg_offset[LINEAR_MAX_SEGS];
const volatile __u64 seg_len[LINEAR_MAX_SEGS];

/* Where device offset @pos lies: file, offset in it, bytes left in the segment. */
struct linear_piece {
	__u32 file;
	__u64 file_off;
	__u64 room;
};

static __always_inline int linear_map(__u64 pos, struct linear_piece *p)
{
	__u64 start = 0;
	__u32 i;

	for (i = 0; i < LINEAR_MAX_SEGS; i++) {
		if (!seg_len[i])
			break;
		/* whole sectors only: the module takes slices of 512 bytes */
		if ((seg_len[i] | seg_offset[i]) & 511)
			return -EINVAL;
		if (pos < start + seg_len[i]) {
			p->file = seg_file[i];
			p->file_off = seg_offset[i] + (pos - start);
			p->room = start + seg_len[i] - pos;
			return 0;
		}
		start += seg_len[i];
	}
	return -EIO;
}

UBLK_TGT_QUEUE_IO(linear_queue_io, UBLK_TGT_FLUSH_ALL | UBLK_TGT_PIECES)
{
	struct linear_piece p;
	__u32 piece = t->len - t->off;
	int ret = linear_map(t->pos, &p);

	if (ret)
		return ublk_tgt_fail(ret);
	if (p.room < piece)
		piece = (__u32)p.room;
	return ublk_tgt_serve(t, piece, p.file, p.file_off);
}

UBLK_TGT_OPS(linear_ops, "linear", linear_queue_io);
