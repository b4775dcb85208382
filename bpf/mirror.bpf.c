// SPDX-License-Identifier: GPL-2.0
/*
 * mirror: nr_files legs hold the same bytes. A write, discard or
 * write-zeroes is one aio per leg over the whole IO, a flush one fdatasync
 * per leg; the IO ends when all have, failing with a leg's error (counted
 * in aio_errors). A read goes to one leg, ublk_mirror_read_leg() (shared
 * with the io_uring twin), so reads spread over the legs.
 */
#include "ublk_tgt.bpf.h"

int UBLK_BPF_OPS_PROG(mirror_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	const struct ublksrv_io_desc *iod = ublk_bpf_get_iod(io);
	__u64 pos = iod->start_sector << 9;
	__u32 len = iod->nr_sectors << 9, leg;
	int op = ublk_tgt_aio_op(iod), ret;

	ublk_tgt_begin(io, iod);
	if (op < 0)
		return ublk_tgt_fail(op);
	if (ublk_tgt_op(iod) == UBLK_IO_OP_FLUSH)
		return ublk_tgt_flush_all(io);
	if (!config.nr_files)
		return ublk_tgt_fail(-EINVAL);
	if (ublk_tgt_op(iod) == UBLK_IO_OP_READ) {
		ret = ublk_tgt_submit(io, op, 0, len, ublk_mirror_read_leg(pos, config.nr_files), pos);
		return ret ? ublk_tgt_fail(ret) : ublk_bpf_io_continue(len);
	}
	for (leg = 0; leg < UBLK_MIRROR_MAX_FILES && leg < config.nr_files; leg++) {
		ret = ublk_tgt_submit(io, op, 0, len, leg, pos);
		if (ret)
			return ublk_tgt_fail(ret);
	}
	return ublk_bpf_io_continue(len);
}

UBLK_TGT_OPS(mirror_ops, "mirror", mirror_queue_io);
