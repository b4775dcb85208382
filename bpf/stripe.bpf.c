// SPDX-License-Identifier: GPL-2.0
/*
 * stripe: chunks of 2^chunk_shift bytes laid round-robin over nr_files
 * backing files (ublk_stripe_map(), shared with the io_uring twin). Each
 * call serves the piece of the IO that starts at @off and ends at the next
 * chunk boundary, and returns CONTINUE with its length: the module calls
 * again for the rest, and ends the IO when every piece's aio has. A flush
 * is an fdatasync of every file.
 */
#include "ublk_tgt.bpf.h"

int UBLK_BPF_OPS_PROG(stripe_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	const struct ublksrv_io_desc *iod = ublk_bpf_get_iod(io);
	__u32 len = iod->nr_sectors << 9;
	struct ublk_stripe_piece p;
	int op = ublk_tgt_aio_op(iod), ret;

	if (off == 0)
		ublk_tgt_begin(io, iod);
	if (op < 0)
		return ublk_tgt_fail(op);
	if (ublk_tgt_op(iod) == UBLK_IO_OP_FLUSH)
		return ublk_tgt_flush_all(io);
	if (off >= len || !config.nr_files)
		return ublk_tgt_fail(-EINVAL);
	ublk_stripe_map((iod->start_sector << 9) + off, len - off, config.chunk_shift,
			config.nr_files, &p);
	ret = ublk_tgt_submit(io, op, off, p.len, p.file, p.file_off);
	if (ret)
		return ublk_tgt_fail(ret);
	return ublk_bpf_io_continue(p.len);
}

UBLK_TGT_OPS(stripe_ops, "stripe", stripe_queue_io);
