// SPDX-License-Identifier: GPL-2.0
/*
 * The io_uring side of a BPF target that has no io_uring twin (`load` of
 * any object whose ops name no target of the table): the program serves
 * every IO in the kernel, so this side only opens the 0 to 8 backing files
 * the program reaches by index and sizes the device, from --size or else
 * the smallest file. An IO the program redirects anyway ends here and
 * fails with -EIO; the kfunc-shim counts it (io_redirected), and `list`
 * and `stats` say that such IOs fail.
 */
#include <errno.h>

#include "log.h"
#include "ublk.h"

static int bpf_only_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts)
{
	unsigned long long min_size;
	int ret;

	if (!opts->size && !opts->nr_files) {
		ublk_err("target %s has no io_uring twin to size the device: give --size or --file",
			 opts->target);
		return -EINVAL;
	}
	ret = ublk_open_backing(dev, opts, 0, UBLK_MAX_FILES, &min_size);
	if (ret < 0)
		return ret;
	if (!opts->size && !min_size) {
		ublk_err("target %s: the smallest --file is empty: give --size", opts->target);
		ublk_close_backing(dev);
		return -EINVAL;
	}
	if (opts->size % dev->lbs) {
		ublk_err("--size must be a multiple of the files' %u-byte logical block", dev->lbs);
		ublk_close_backing(dev);
		return -EINVAL;
	}
	ublk_backing_params(dev, opts->size ? opts->size : min_size);
	return 0;
}

static void bpf_only_queue_io(struct ublk_queue *q, unsigned int tag,
			      const struct ublksrv_io_desc *iod)
{
	ublk_complete_io(q, tag, -EIO);
}

const struct ublk_tgt_ops ublk_tgt_bpf_only = {
	.name = "bpf-only",
	.bpf_only = true,
	.init = bpf_only_init,
	.deinit = ublk_close_backing,
	.queue_io = bpf_only_queue_io,
};
