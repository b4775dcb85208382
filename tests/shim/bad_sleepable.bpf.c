// SPDX-License-Identifier: GPL-2.0
/*
 * bad_sleepable: must NOT load. queue_io_cmd() runs in ->queue_rq(), where
 * nothing may sleep, so a sleepable program cannot implement it.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "ublk_bpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

int UBLK_BPF_OPS_PROG_SLEEPABLE(bad_sleepable_queue_io_cmd,
				struct ublk_bpf_io *io, __u32 off)
{
	return UBLK_BPF_IO_REDIRECT;
}

UBLK_BPF_OPS(bad_sleepable_ops, 3, "bad_sleepable",
	.queue_io_cmd = (void *)bad_sleepable_queue_io_cmd,
);
