// SPDX-License-Identifier: GPL-2.0
/*
 * Paths: BPF and io_uring (twin: user/targets/null.c, which serves every IO
 * without the kfunc-shim or with --no-bpf).
 *
 * null: every IO completes in queue_io_cmd(), inside ->queue_rq(), without
 * a backing file; reads return zeroes (the module zero-fills what no aio
 * read). The io_uring server never sees an IO.
 */
#include "ublk_tgt.bpf.h"

UBLK_TGT_QUEUE_IO(null_queue_io, UBLK_TGT_ANY_OP)
{
	ublk_bpf_complete_io(t->io, 0);
	return UBLK_BPF_IO_QUEUED;
}

UBLK_TGT_OPS(null_ops, "null", null_queue_io);
