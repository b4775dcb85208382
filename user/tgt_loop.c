// SPDX-License-Identifier: GPL-2.0
/*
 * loop: the device is one backing file (or block device). Each IO becomes
 * one SQE on the queue's ring: read/write (O_DIRECT unless --buffered),
 * flush as fdatasync, FUA as an RWF_DSYNC write, discard and write-zeroes
 * as fallocate.
 */
#include <errno.h>
#include <string.h>

#include "ublk.h"

static int loop_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts)
{
	unsigned long long size;
	int ret = ublk_open_backing(dev, opts, 1, 1, &size);

	if (ret == 0)
		ublk_backing_params(dev, size);
	return ret;
}

static void loop_queue_io(struct ublk_queue *q, unsigned int tag,
			  const struct ublksrv_io_desc *iod)
{
	unsigned int op = ublksrv_get_op(iod);

	if (!ublk_backing_op_supported(op))
		ublk_complete_io(q, tag, -EOPNOTSUPP);
	else if (op == UBLK_IO_OP_FLUSH)
		ublk_backing_flush(q, tag);
	else
		ublk_backing_rw(q, tag, iod, 0, 0, iod->start_sector << 9, 0,
				ublk_iod_bytes(iod));
}

static int loop_io_done(struct ublk_queue *q, unsigned int tag,
			const struct io_uring_cqe *cqe)
{
	unsigned int len = ublk_iod_bytes(ublk_get_iod(q, tag));

	if (ublk_ud_op(cqe->user_data) == UBLK_IO_OP_READ && cqe->res >= 0 &&
	    (unsigned int)cqe->res < len) {
		/* The file ends early (it shrank): zeroes, never stale bytes. */
		memset((char *)ublk_io_buf(q, tag) + cqe->res, 0, len - cqe->res);
		return 0;
	}
	return ublk_backing_check(cqe, len);
}

const struct ublk_tgt_ops ublk_tgt_loop = {
	.name = "loop",
	.usage = "one --file, [--buffered]",
	.init = loop_init,
	.deinit = ublk_close_backing,
	.queue_io = loop_queue_io,
	.io_done = loop_io_done,
};
