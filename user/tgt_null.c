// SPDX-License-Identifier: GPL-2.0
/*
 * null: every IO succeeds at once and nothing is stored. Reads return
 * whatever the IO buffer holds (never kernel memory: the buffer is ours).
 */
#include <errno.h>

#include "log.h"
#include "params.h"
#include "ublk.h"

int ublk_null_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts)
{
	unsigned long long size = opts->size ? opts->size : UBLK_NULL_DEFAULT_SIZE;

	if (opts->nr_files) {
		ublk_err("target %s takes no --file", dev->tgt->name);
		return -EINVAL;
	}
	ublk_params_init(&dev->params, size, 9, UBLK_IO_BUF_BYTES);
	return 0;
}

static void null_queue_io(struct ublk_queue *q, unsigned int tag,
			  const struct ublksrv_io_desc *iod)
{
	ublk_complete_io(q, tag, (int)(iod->nr_sectors << 9));
}

const struct ublk_tgt_ops ublk_tgt_null = {
	.name = "null",
	.usage = "[--size SIZE] (default 250G), no --file",
	.init = ublk_null_init,
	.queue_io = null_queue_io,
};
