// SPDX-License-Identifier: GPL-2.0
/*
 * stripe: the device is split in chunks (a power of two, 4 KiB to 512 KiB)
 * laid round-robin over 2 to 8 backing files. An IO becomes one SQE per
 * chunk piece it touches, mapped by ublk_stripe_map() (shared with the BPF
 * target); a flush becomes an fdatasync of every file. The IO completes
 * when all its pieces have, failing with the first error.
 */
#include <errno.h>

#include "values.h"
#include "log.h"
#include "ublk.h"

struct stripe_data {
	unsigned int chunk_shift;	/* log2 of the chunk; 0 until given */
};

static const struct ublk_tgt_option stripe_options[] = {
	{ "chunk", true },
	{ NULL },
};

static int stripe_parse_option(void *data, const char *name, const char *value)
{
	return ublk_parse_chunk(value, &((struct stripe_data *)data)->chunk_shift);
}

static int stripe_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts)
{
	struct stripe_data *sd = dev->tgt_data;
	unsigned int shift;
	unsigned long long min_size, size;
	int ret;

	if (!sd->chunk_shift)
		sd->chunk_shift = UBLK_STRIPE_DEFAULT_CHUNK_SHIFT;
	shift = sd->chunk_shift;
	ret = ublk_open_backing(dev, opts, UBLK_STRIPE_MIN_FILES,
				UBLK_STRIPE_MAX_FILES, &min_size);
	if (ret < 0)
		return ret;
	size = ublk_stripe_dev_size(min_size, shift, dev->nr_fds);
	if (!size) {
		ublk_err("stripe: every file needs at least one %u KiB chunk", (1U << shift) >> 10);
		ublk_close_backing(dev);
		return -EINVAL;
	}
	ublk_backing_params(dev, size);
	return 0;
}

static unsigned int stripe_chunk_shift(const struct ublk_dev *dev)
{
	return ((const struct stripe_data *)dev->tgt_data)->chunk_shift;
}

static void stripe_bpf_config(const struct ublk_dev *dev, struct ublk_tgt_config *cfg)
{
	cfg->chunk_shift = stripe_chunk_shift(dev);
}

static void stripe_queue_io(struct ublk_queue *q, unsigned int tag,
			    const struct ublksrv_io_desc *iod)
{
	unsigned int op = ublksrv_get_op(iod), done = 0, len = ublk_iod_bytes(iod);
	unsigned long long off = iod->start_sector << 9;
	struct ublk_stripe_piece p;
	unsigned int piece;

	if (ublk_backing_common_op(q, tag, op))
		return;
	for (piece = 0; done < len; piece++) {
		ublk_stripe_map(off + done, len - done, stripe_chunk_shift(q->dev),
				q->dev->nr_fds, &p);
		ublk_backing_rw(q, tag, iod, piece, p.file, p.file_off, done, p.len);
		done += p.len;
	}
}

/* Length of piece @piece of @iod: the mapping again, up to that piece. */
static unsigned int stripe_piece_len(const struct ublk_dev *dev,
				     const struct ublksrv_io_desc *iod,
				     unsigned int piece)
{
	unsigned long long off = iod->start_sector << 9;
	unsigned int done = 0, len = ublk_iod_bytes(iod), i;
	struct ublk_stripe_piece p = { 0 };

	for (i = 0; i <= piece && done < len; i++) {
		ublk_stripe_map(off + done, len - done, stripe_chunk_shift(dev), dev->nr_fds, &p);
		done += p.len;
	}
	return p.len;
}

static int stripe_io_done(struct ublk_queue *q, unsigned int tag,
			  const struct io_uring_cqe *cqe)
{
	const struct ublksrv_io_desc *iod = ublk_get_iod(q, tag);

	return ublk_backing_check(cqe, stripe_piece_len(q->dev, iod,
							ublk_ud_piece(cqe->user_data)));
}

const struct ublk_tgt_ops ublk_tgt_stripe = {
	.name = "stripe",
	.usage = "2-8 --file, [--chunk SIZE] (4k-512k, default 64k)",
	.options = stripe_options,
	.data_size = sizeof(struct stripe_data),
	.parse_option = stripe_parse_option,
	.init = stripe_init,
	.bpf_config = stripe_bpf_config,
	.deinit = ublk_close_backing,
	.queue_io = stripe_queue_io,
	.io_done = stripe_io_done,
};
