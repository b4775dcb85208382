// SPDX-License-Identifier: GPL-2.0
/*
 * A null-like target without a twin whose attach_dev and detach_dev are
 * sleepable programs: the kfunc-shim calls them where sleeping is allowed
 * (under its mutex, never from the IO path), and says so in its contract.
 * attach_dev counts itself in the pinned map `attached`.
 */
#include "ublk_tgt.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} attached SEC(".maps");

UBLK_TGT_QUEUE_IO(sleepy_queue_io, UBLK_TGT_ANY_OP)
{
	ublk_bpf_complete_io(t->io, 0);
	return UBLK_BPF_IO_QUEUED;
}

int UBLK_BPF_OPS_PROG_SLEEPABLE(sleepy_attach, __u32 dev_id)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&attached, &zero);

	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

void UBLK_BPF_OPS_PROG_SLEEPABLE(sleepy_detach, __u32 dev_id)
{
}

UBLK_BPF_OPS(sleepy_ops, 0, "sleepy",
	.queue_io_cmd = (void *)sleepy_queue_io,
	.release_io_cmd = (void *)ublk_tgt_release,
	.aio_complete = (void *)ublk_tgt_aio_complete,
	.attach_dev = (void *)sleepy_attach,
	.detach_dev = (void *)sleepy_detach,
);
