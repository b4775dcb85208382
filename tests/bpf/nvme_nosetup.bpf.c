// SPDX-License-Identifier: GPL-2.0
/*
 * An object whose ops are named "nvme" but that lacks the nvme_setup
 * syscall program: `load --pci` must refuse it before touching the
 * controller (tests/ublk/test_nvme_01.sh).
 */
#include "ublk_tgt.bpf.h"

UBLK_TGT_QUEUE_IO(nosetup_queue_io, UBLK_TGT_ANY_OP)
{
	return ublk_tgt_fail(-EIO);
}

UBLK_TGT_OPS(nosetup_ops, "nvme", nosetup_queue_io);
