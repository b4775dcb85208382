// SPDX-License-Identifier: GPL-2.0
/*
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

int UBLK_BPF_OPS_PROG(linear_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	const struct ublksrv_io_desc *iod = ublk_bpf_get_iod(io);
	__u32 len = iod->nr_sectors << 9, piece;
	struct linear_piece p;
	int op = ublk_tgt_aio_op(iod), ret;

	if (off == 0)
		ublk_tgt_begin(io, iod);
	if (op < 0)
		return ublk_tgt_fail(op);
	if (ublk_tgt_op(iod) == UBLK_IO_OP_FLUSH)
		return ublk_tgt_flush_all(io);
	if (off >= len)
		return ublk_tgt_fail(-EINVAL);
	ret = linear_map((iod->start_sector << 9) + off, &p);
	if (ret)
		return ublk_tgt_fail(ret);
	piece = len - off;
	if (p.room < piece)
		piece = (__u32)p.room;
	ret = ublk_tgt_submit(io, op, off, piece, p.file, p.file_off);
	if (ret)
		return ublk_tgt_fail(ret);
	return ublk_bpf_io_continue(piece);
}

UBLK_TGT_OPS(linear_ops, "linear", linear_queue_io);
