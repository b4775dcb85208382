// SPDX-License-Identifier: GPL-2.0
/*
 * null: every IO succeeds at once and nothing is stored; reads return
 * zeroes.
 */
#include <string.h>

#include "ublk.h"

static void null_queue_io(struct ublk_queue *q, unsigned int tag,
			  const struct ublksrv_io_desc *iod)
{
	/* A read returns zeroes, never an earlier write's bytes. */
	if (ublksrv_get_op(iod) == UBLK_IO_OP_READ)
		memset(ublk_io_buf(q, tag), 0, ublk_iod_bytes(iod));
	ublk_complete_io(q, tag, (int)ublk_iod_bytes(iod));
}

const struct ublk_tgt_ops ublk_tgt_null = {
	.name = "null",
	.usage = "[--size SIZE] (default 250G), no --file",
	.init = ublk_no_backing_init,
	.queue_io = null_queue_io,
};
