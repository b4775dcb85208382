// SPDX-License-Identifier: GPL-2.0
/*
 * bad_leak: must NOT load. It allocates an aio and returns without
 * submitting or releasing it; the verifier refuses the unreleased reference.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "ublk_bpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

int UBLK_BPF_OPS_PROG(bad_leak_queue_io_cmd, struct ublk_bpf_io *io, __u32 off)
{
	struct ublk_bpf_aio *aio = ublk_bpf_aio_alloc(io);

	if (!aio)
		return -12;
	return UBLK_BPF_IO_QUEUED;
}

UBLK_BPF_OPS(bad_leak_ops, 2, "bad_leak",
	.queue_io_cmd = (void *)bad_leak_queue_io_cmd,
);
