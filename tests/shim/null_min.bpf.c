// SPDX-License-Identifier: GPL-2.0
/*
 * null_min: the smallest ublk-bpf target. queue_io_cmd() runs in the block
 * layer's ->queue_rq() for every IO of the device and completes it at once,
 * in the kernel; the ublk server never sees an IO. READs return zeros: the
 * module zero-fills what no aio read.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "ublk_bpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

int UBLK_BPF_OPS_PROG(null_min_queue_io_cmd, struct ublk_bpf_io *io, __u32 off)
{
	ublk_bpf_complete_io(io, 0);
	return UBLK_BPF_IO_QUEUED;
}

UBLK_BPF_OPS(null_min_ops, 1, "null_min",
	.queue_io_cmd = (void *)null_min_queue_io_cmd,
);
