// SPDX-License-Identifier: GPL-2.0
/*
 * mirror: 2 to 4 backing files hold the same bytes. Writes, flushes,
 * discards and write-zeroes go to every leg and complete when all have;
 * a read goes to one leg, chosen by ublk_mirror_read_leg() (shared with the
 * BPF target) so that reads spread across the legs. A failing leg fails
 * the IO with its error, and is counted.
 */
#include <errno.h>

#include "ublk.h"

struct mirror_data {
	unsigned long leg_errors;	/* failed leg IOs */
};

static int mirror_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts)
{
	unsigned long long size;
	int ret = ublk_open_backing(dev, opts, UBLK_MIRROR_MIN_FILES,
				    UBLK_MIRROR_MAX_FILES, &size);

	if (ret == 0)
		ublk_backing_params(dev, size);
	return ret;
}

static void mirror_queue_io(struct ublk_queue *q, unsigned int tag,
			    const struct ublksrv_io_desc *iod)
{
	unsigned long long off = iod->start_sector << 9;
	unsigned int op = ublksrv_get_op(iod), leg;

	if (ublk_backing_common_op(q, tag, op))
		return;
	if (op == UBLK_IO_OP_READ) {
		leg = ublk_mirror_read_leg(off, q->dev->nr_fds);
		ublk_backing_rw(q, tag, iod, leg, leg, off, 0, ublk_iod_bytes(iod));
	} else {
		for (leg = 0; leg < q->dev->nr_fds; leg++)
			ublk_backing_rw(q, tag, iod, leg, leg, off, 0, ublk_iod_bytes(iod));
	}
}

static int mirror_io_done(struct ublk_queue *q, unsigned int tag,
			  const struct io_uring_cqe *cqe)
{
	int res = ublk_backing_check(cqe, ublk_iod_bytes(ublk_get_iod(q, tag)));

	if (res < 0)
		__atomic_fetch_add(&((struct mirror_data *)q->dev->tgt_data)->leg_errors, 1,
				   __ATOMIC_RELAXED);
	return res;
}

const struct ublk_tgt_ops ublk_tgt_mirror = {
	.name = "mirror",
	.usage = "2-4 --file (legs holding the same bytes)",
	.data_size = sizeof(struct mirror_data),
	.init = mirror_init,
	.deinit = ublk_close_backing,
	.queue_io = mirror_queue_io,
	.io_done = mirror_io_done,
};
