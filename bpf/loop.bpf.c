// SPDX-License-Identifier: GPL-2.0
/*
 * Paths: BPF and io_uring (twin: user/targets/loop.c, which serves every IO
 * without the kfunc-shim or with --no-bpf).
 *
 * loop: the device is backing file 0. Each IO becomes one aio at the same
 * offset, straight from or into the request's pages: read, write (FUA as a
 * durable write), flush as fdatasync, discard and write-zeroes as
 * fallocate. The IO ends when its aio has.
 */
#include "ublk_tgt.bpf.h"

UBLK_TGT_QUEUE_IO(loop_queue_io, 0)
{
	return ublk_tgt_serve(t, t->len, 0, t->pos);
}

UBLK_TGT_OPS(loop_ops, "loop", loop_queue_io);
