// SPDX-License-Identifier: GPL-2.0
/*
 * loop: the device is one backing file (or block device). Each IO becomes
 * one SQE on the queue's ring: read/write (O_DIRECT unless --buffered),
 * flush as fdatasync, FUA as an RWF_DSYNC write, discard and write-zeroes
 * as fallocate.
 *
 * With --buffered the backing file's readahead follows the IO pattern hint
 * of the queue (ublk_io_hint()): when it changes, the file is advised
 * POSIX_FADV_RANDOM (no readahead: a random read brings only its own
 * pages, not a window around them) or POSIX_FADV_SEQUENTIAL (a doubled
 * readahead window). The advice belongs to the open file, which the queues
 * share: with several queues the latest change wins. --no-hint keeps the
 * kernel's default readahead, to measure the difference.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "log.h"
#include "ublk.h"

struct loop_data {
	bool buffered;
	bool no_hint;			/* --no-hint: never advise */
	/* The advice each queue gave last: UBLK_IO_PATTERN_* + 1, 0 for none. */
	unsigned char advised[UBLK_MAX_QUEUES];
};

static const struct ublk_tgt_option loop_options[] = {
	{ "no-hint", false },
	{ NULL },
};

static int loop_parse_option(void *data, const char *name, const char *value)
{
	struct loop_data *ld = data;

	(void)name;
	(void)value;
	ld->no_hint = true;	/* the only option */
	return 0;
}

static int loop_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts)
{
	struct loop_data *ld = dev->tgt_data;
	unsigned long long size;
	int ret;

	if (ld->no_hint && !opts->buffered) {
		ublk_err("target loop: --no-hint only applies with --buffered");
		return -EINVAL;
	}
	ld->buffered = opts->buffered;
	ret = ublk_open_backing(dev, opts, 1, 1, &size);
	if (ret == 0)
		ublk_backing_params(dev, size);
	return ret;
}

/* Readahead of the backing file to suit the queue's hint, when it changed. */
static void loop_follow_hint(struct ublk_queue *q, unsigned int tag)
{
	struct loop_data *ld = q->dev->tgt_data;
	unsigned int hint = ublk_io_hint(q, tag);

	if (!ld->buffered || ld->no_hint || ld->advised[q->q_id] == hint + 1)
		return;
	ld->advised[q->q_id] = hint + 1;
	/* Advice only: a file system that ignores it serves the IO all the same. */
	posix_fadvise(q->dev->fds[0], 0, 0, hint == UBLK_IO_PATTERN_SEQUENTIAL ?
		      POSIX_FADV_SEQUENTIAL : POSIX_FADV_RANDOM);
}

static void loop_queue_io(struct ublk_queue *q, unsigned int tag,
			  const struct ublksrv_io_desc *iod)
{
	unsigned int op = ublksrv_get_op(iod);

	if (op == UBLK_IO_OP_READ)
		loop_follow_hint(q, tag);
	if (!ublk_backing_common_op(q, tag, op))
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
	.usage = "one --file, [--buffered [--no-hint]]",
	.options = loop_options,
	.data_size = sizeof(struct loop_data),
	.parse_option = loop_parse_option,
	.init = loop_init,
	.deinit = ublk_close_backing,
	.queue_io = loop_queue_io,
	.io_done = loop_io_done,
};
