// SPDX-License-Identifier: GPL-2.0
/*
 * Paths: BPF and io_uring (twin: user/targets/nbd.c), but only the twin
 * moves data: this program counts each IO and redirects it.
 *
 * nbd: BPF cannot open sockets or speak NBD, so every IO goes to the
 * io_uring twin (the `nbd` target of ublk-bpf): the design's fall-back for
 * targets BPF cannot serve. Loading it still counts every IO in the
 * target's stats map.
 */
#include "ublk_tgt.bpf.h"

UBLK_TGT_QUEUE_IO(nbd_queue_io, UBLK_TGT_ANY_OP)
{
	return ublk_tgt_redirect();
}

UBLK_TGT_OPS(nbd_ops, "nbd", nbd_queue_io);
