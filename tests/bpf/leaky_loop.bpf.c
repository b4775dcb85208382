// SPDX-License-Identifier: GPL-2.0
/*
 * A loop target that forgets its aio on one path: the verifier must refuse
 * to load it ("Unreleased reference"), so `load` fails and leaves nothing.
 */
#include "ublk_tgt.bpf.h"

int UBLK_BPF_OPS_PROG(leaky_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	const struct ublksrv_io_desc *iod = ublk_bpf_get_iod(io);
	struct ublk_bpf_aio *aio = ublk_bpf_aio_alloc(io);

	if (!aio)
		return -ENOMEM;
	if (iod->nr_sectors > 8)
		return -EINVAL;		/* the aio leaks here */
	ublk_bpf_aio_attach(aio, 0, iod->nr_sectors << 9);
	ublk_bpf_aio_submit(aio, UBLK_BPF_AIO_OP_READ, 0, iod->start_sector << 9);
	return ublk_bpf_io_continue(iod->nr_sectors << 9);
}

UBLK_TGT_OPS(leaky_ops, "loop", leaky_queue_io);
