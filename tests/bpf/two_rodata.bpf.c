// SPDX-License-Identifier: GPL-2.0
/*
 * A null-like target with a second read-only section of its own
 * (.rodata.extra): only the object's .rodata is `config`, written by the
 * tool and pinned as config; .rodata.extra keeps its bytes.
 */
#include "ublk_tgt.bpf.h"

const volatile __u32 extra_magic SEC(".rodata.extra") = 0x5eed;

UBLK_TGT_QUEUE_IO(two_rodata_queue_io, UBLK_TGT_ANY_OP)
{
	if (extra_magic != 0x5eed)
		return UBLK_BPF_IO_REDIRECT;	/* fails the IO: no twin */
	ublk_bpf_complete_io(t->io, 0);
	return UBLK_BPF_IO_QUEUED;
}

UBLK_TGT_OPS(two_rodata_ops, "two_rodata", two_rodata_queue_io);
