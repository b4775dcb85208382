// SPDX-License-Identifier: GPL-2.0
/*
 * A broken loop, for the crash-consistency test only (tests/crash): it
 * completes a FLUSH at once without syncing anything and writes a FUA
 * write as a plain one. Nothing it acknowledges is durable, and the test
 * must report the power cuts that lose what ext4 was told was on disk.
 */
#include "ublk_tgt.bpf.h"

UBLK_TGT_QUEUE_IO(crash_noflush_queue_io, 0)
{
	int ret;

	if (t->op == UBLK_IO_OP_FLUSH) {
		ublk_bpf_complete_io(t->io, 0);
		return UBLK_BPF_IO_QUEUED;
	}
	ret = ublk_tgt_submit(t->io, t->aio_op & ~UBLK_BPF_AIO_F_FUA, 0, t->len, 0, t->pos);
	return ret ? ublk_tgt_fail(ret) : ublk_bpf_io_continue(t->len);
}

UBLK_TGT_OPS(crash_noflush_ops, "loop", crash_noflush_queue_io);
