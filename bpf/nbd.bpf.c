// SPDX-License-Identifier: GPL-2.0
/*
 * nbd: BPF cannot open sockets or speak NBD, so every IO goes to the
 * io_uring twin (the `nbd` target of ublk-bpf): the design's fall-back for
 * targets BPF cannot serve. Loading it still counts every IO in the
 * target's stats map.
 */
#include "ublk_tgt.bpf.h"

int UBLK_BPF_OPS_PROG(nbd_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	ublk_tgt_begin(io, ublk_bpf_get_iod(io));
	return ublk_tgt_redirect();
}

UBLK_TGT_OPS(nbd_ops, "nbd", nbd_queue_io);
