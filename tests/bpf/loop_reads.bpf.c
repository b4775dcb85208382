// SPDX-License-Identifier: GPL-2.0
/*
 * A loop whose program serves only reads in the kernel and redirects every
 * other IO to the loop twin, so that a test sees both kinds across the
 * death of the daemon: reads go on, writes wait for `recover`.
 */
#include "ublk_tgt.bpf.h"

int UBLK_BPF_OPS_PROG(loop_reads_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	const struct ublksrv_io_desc *iod = ublk_bpf_get_iod(io);
	__u32 len = iod->nr_sectors << 9;
	int ret;

	ublk_tgt_begin(io, iod);
	if (ublk_tgt_op(iod) != UBLK_IO_OP_READ)
		return ublk_tgt_redirect();
	ret = ublk_tgt_submit(io, ublk_tgt_aio_op(iod), 0, len, 0,
			      iod->start_sector << 9);
	if (ret)
		return ublk_tgt_fail(ret);
	return ublk_bpf_io_continue(len);
}

UBLK_TGT_OPS(loop_reads_ops, "loop", loop_reads_queue_io);
