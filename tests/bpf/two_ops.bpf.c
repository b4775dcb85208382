// SPDX-License-Identifier: GPL-2.0
/* Two ublk_bpf_ops instances in one object: `load` cannot tell which to use. */
#include "ublk_tgt.bpf.h"

int UBLK_BPF_OPS_PROG(two_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	ublk_bpf_complete_io(io, 0);
	return UBLK_BPF_IO_QUEUED;
}

UBLK_TGT_OPS(first_ops, "first", two_queue_io);
UBLK_TGT_OPS(second_ops, "second", two_queue_io);
