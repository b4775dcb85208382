// SPDX-License-Identifier: GPL-2.0
/*
 * null: every IO completes in queue_io_cmd(), inside ->queue_rq(), without
 * a backing file; reads return zeroes (the module zero-fills what no aio
 * read). The io_uring server never sees an IO.
 */
#include "ublk_tgt.bpf.h"

int UBLK_BPF_OPS_PROG(null_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	ublk_tgt_begin(io, ublk_bpf_get_iod(io));
	ublk_bpf_complete_io(io, 0);
	return UBLK_BPF_IO_QUEUED;
}

UBLK_TGT_OPS(null_ops, "null", null_queue_io);
