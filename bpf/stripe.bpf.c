// SPDX-License-Identifier: GPL-2.0
/*
 * Paths: BPF and io_uring (twin: user/targets/stripe.c, which fills
 * config.chunk_shift and serves every IO without the kfunc-shim).
 *
 * stripe: chunks of 2^chunk_shift bytes laid round-robin over nr_files
 * backing files (ublk_stripe_map(), shared with the io_uring twin). Each
 * call serves the piece of the IO that starts at @off and ends at the next
 * chunk boundary, and returns CONTINUE with its length: the module calls
 * again for the rest, and ends the IO when every piece's aio has. A flush
 * is an fdatasync of every file.
 */
#include "ublk_tgt.bpf.h"

UBLK_TGT_QUEUE_IO(stripe_queue_io, UBLK_TGT_FLUSH_ALL | UBLK_TGT_PIECES)
{
	struct ublk_stripe_piece p;

	if (!config.nr_files)
		return ublk_tgt_fail(-EINVAL);
	ublk_stripe_map(t->pos, t->len - t->off, config.chunk_shift, config.nr_files, &p);
	return ublk_tgt_serve(t, p.len, p.file, p.file_off);
}

UBLK_TGT_OPS(stripe_ops, "stripe", stripe_queue_io);
