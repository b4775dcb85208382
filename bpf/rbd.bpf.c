// SPDX-License-Identifier: GPL-2.0
/*
 * Paths: BPF and io_uring (twin: user/targets/rbd.c), but only the twin
 * moves data: this program counts each IO and redirects it.
 *
 * rbd: BPF cannot speak to a Ceph cluster, so every IO goes to the
 * io_uring twin (the `rbd` target, librbd): the design's fall-back for a
 * distributed back end. `load rbd.bpf.o --pool P --image I` gives the
 * device the twin's options and the program's per-IO counts in `stats`; a
 * program of one's own named "rbd" may serve part of the IO in the kernel
 * (a local cache file of a hot range, say) and redirect the rest.
 */
#include "ublk_tgt.bpf.h"

UBLK_TGT_QUEUE_IO(rbd_queue_io, UBLK_TGT_ANY_OP)
{
	return ublk_tgt_redirect();
}

UBLK_TGT_OPS(rbd_ops, "rbd", rbd_queue_io);
