// SPDX-License-Identifier: GPL-2.0
/* A ublk_bpf_ops named after a target this tool has no io_uring twin for. */
#include "ublk_tgt.bpf.h"

int UBLK_BPF_OPS_PROG(raid5_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	return UBLK_BPF_IO_REDIRECT;
}

UBLK_TGT_OPS(raid5_ops, "raid5", raid5_queue_io);
