// SPDX-License-Identifier: GPL-2.0
/*
 * Paths: BPF and io_uring (twin: user/targets/mirror.c, which serves every
 * IO without the kfunc-shim or with --no-bpf).
 *
 * mirror: nr_files legs hold the same bytes. A write, discard or
 * write-zeroes is one aio per leg over the whole IO, a flush one fdatasync
 * per leg; the IO ends when all have, failing with a leg's error (counted
 * in aio_errors). A read goes to one leg, ublk_mirror_read_leg() (shared
 * with the io_uring twin), so reads spread over the legs.
 */
#include "ublk_tgt.bpf.h"

UBLK_TGT_QUEUE_IO(mirror_queue_io, UBLK_TGT_FLUSH_ALL)
{
	if (!config.nr_files)
		return ublk_tgt_fail(-EINVAL);
	if (t->op == UBLK_IO_OP_READ)
		return ublk_tgt_serve(t, t->len, ublk_mirror_read_leg(t->pos, config.nr_files),
				      t->pos);
	return ublk_tgt_serve_copies(t, t->len, 0, config.nr_files, t->pos);
}

UBLK_TGT_OPS(mirror_ops, "mirror", mirror_queue_io);
