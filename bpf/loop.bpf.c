// SPDX-License-Identifier: GPL-2.0
/*
 * loop: the device is backing file 0. Each IO becomes one aio at the same
 * offset, straight from or into the request's pages: read, write (FUA as a
 * durable write), flush as fdatasync, discard and write-zeroes as
 * fallocate. The IO ends when its aio has.
 */
#include "ublk_tgt.bpf.h"

int UBLK_BPF_OPS_PROG(loop_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	const struct ublksrv_io_desc *iod = ublk_bpf_get_iod(io);
	__u32 len = iod->nr_sectors << 9;
	int op = ublk_tgt_aio_op(iod), ret;

	ublk_tgt_begin(io, iod);
	if (op < 0)
		return ublk_tgt_fail(op);
	if (ublk_tgt_op(iod) == UBLK_IO_OP_FLUSH)
		len = 0;
	ret = ublk_tgt_submit(io, op, 0, len, 0, iod->start_sector << 9);
	if (ret)
		return ublk_tgt_fail(ret);
	return ublk_bpf_io_continue(len);
}

UBLK_TGT_OPS(loop_ops, "loop", loop_queue_io);
