// SPDX-License-Identifier: GPL-2.0
/*
 * loop: the device is one backing file (or block device). Each IO becomes
 * one SQE on the queue's ring: read/write (O_DIRECT unless --buffered),
 * flush as fdatasync, FUA as an RWF_DSYNC write, discard and write-zeroes
 * as fallocate.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>

#include "log.h"
#include "params.h"
#include "ublk.h"

static int loop_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts)
{
	return ublk_open_backing(dev, opts, 1, 1);
}

static void loop_deinit(struct ublk_dev *dev)
{
	ublk_close_backing(dev);
}

/* Prepares the backing SQE for @iod; false for an op loop does not serve. */
static bool loop_prep_io(struct ublk_queue *q, unsigned int tag,
			 const struct ublksrv_io_desc *iod)
{
	unsigned int op = ublksrv_get_op(iod);
	unsigned long long off = iod->start_sector << 9;
	unsigned int len = iod->nr_sectors << 9;
	int fd = q->dev->fds[0];
	struct io_uring_sqe *sqe;
	int mode;

	switch (op) {
	case UBLK_IO_OP_READ:
		sqe = ublk_queue_get_sqe(q);
		io_uring_prep_read(sqe, fd, ublk_io_buf(q, tag), len, off);
		break;
	case UBLK_IO_OP_WRITE:
		sqe = ublk_queue_get_sqe(q);
		io_uring_prep_write(sqe, fd, ublk_io_buf(q, tag), len, off);
		if (iod->op_flags & UBLK_IO_F_FUA)
			sqe->rw_flags = RWF_DSYNC;
		break;
	case UBLK_IO_OP_FLUSH:
		sqe = ublk_queue_get_sqe(q);
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	case UBLK_IO_OP_DISCARD:
	case UBLK_IO_OP_WRITE_ZEROES:
		mode = ublk_backing_fallocate_mode(q->dev, op, iod->op_flags);
		sqe = ublk_queue_get_sqe(q);
		io_uring_prep_fallocate(sqe, fd, mode | FALLOC_FL_KEEP_SIZE, off, len);
		break;
	default:
		return false;
	}
	ublk_queue_tgt_io(q, sqe, tag, op);
	return true;
}

static void loop_queue_io(struct ublk_queue *q, unsigned int tag,
			  const struct ublksrv_io_desc *iod)
{
	if (!loop_prep_io(q, tag, iod))
		ublk_complete_io(q, tag, -EOPNOTSUPP);
}

static void loop_io_done(struct ublk_queue *q, unsigned int tag,
			 const struct io_uring_cqe *cqe)
{
	const struct ublksrv_io_desc *iod = ublk_get_iod(q, tag);
	unsigned int len = iod->nr_sectors << 9;
	unsigned int op = ublk_ud_tgt_op(cqe->user_data);
	int res = cqe->res;

	if (op == UBLK_IO_OP_READ && res >= 0 && (unsigned int)res < len) {
		/* Past the end of the file: zeroes, never stale buffer bytes. */
		memset((char *)ublk_io_buf(q, tag) + res, 0, len - res);
		res = len;
	}
	ublk_complete_io(q, tag, res);
}

const struct ublk_tgt_ops ublk_tgt_loop = {
	.name = "loop",
	.init = loop_init,
	.deinit = loop_deinit,
	.queue_io = loop_queue_io,
	.io_done = loop_io_done,
};
