// SPDX-License-Identifier: GPL-2.0
/*
 * raid10: chunks (a power of two, 4 KiB to 512 KiB) striped over mirror
 * sets of two legs: 4, 6 or 8 backing files, set s being files 2s and
 * 2s + 1. The layout is ublk_raid10_map() and friends, shared with the BPF
 * target. A write, discard or write-zeroes becomes one SQE per chunk piece
 * and leg; a read one SQE per piece on the leg ublk_raid10_read_leg()
 * picks, and when it fails the same piece is read again from the twin leg;
 * failed legs are counted. A flush is an fdatasync of every file.
 *
 * The piece number of an SQE is piece * UBLK_RAID10_MAX_LEGS + n, where n
 * is the leg for a write and the attempt (0: first leg, 1: its twin) for a
 * read, so a completion knows both where it went and what to try next.
 */
#include <errno.h>

#include "log.h"
#include "values.h"
#include "ublk.h"

struct raid10_data {
	unsigned int chunk_shift;	/* log2 of the chunk; 0 until given */
	unsigned long leg_errors;	/* failed leg IOs */
};

static const struct ublk_tgt_option raid10_options[] = {
	{ "chunk", true },
	{ NULL },
};

static int raid10_parse_option(void *data, const char *name, const char *value)
{
	return ublk_parse_chunk(value, &((struct raid10_data *)data)->chunk_shift);
}

static int raid10_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts)
{
	struct raid10_data *rd = dev->tgt_data;
	unsigned long long min_size, size;
	int ret;

	if (!rd->chunk_shift)
		rd->chunk_shift = UBLK_STRIPE_DEFAULT_CHUNK_SHIFT;
	if (opts->nr_files % UBLK_RAID10_LEGS) {
		ublk_err("raid10: the files make sets of %u legs, got %u --file",
			 UBLK_RAID10_LEGS, opts->nr_files);
		return -EINVAL;
	}
	ret = ublk_open_backing(dev, opts, UBLK_RAID10_MIN_FILES, UBLK_RAID10_MAX_FILES,
				&min_size);
	if (ret < 0)
		return ret;
	size = ublk_raid10_dev_size(min_size, rd->chunk_shift, dev->nr_fds / UBLK_RAID10_LEGS);
	if (!size) {
		ublk_err("raid10: every file needs at least one %u KiB chunk",
			 (1U << rd->chunk_shift) >> 10);
		ublk_close_backing(dev);
		return -EINVAL;
	}
	ublk_backing_params(dev, size);
	return 0;
}

static unsigned int raid10_chunk_shift(const struct ublk_dev *dev)
{
	return ((const struct raid10_data *)dev->tgt_data)->chunk_shift;
}

static unsigned int raid10_nr_sets(const struct ublk_dev *dev)
{
	return dev->nr_fds / UBLK_RAID10_LEGS;
}

static void raid10_bpf_config(const struct ublk_dev *dev, struct ublk_tgt_config *cfg)
{
	cfg->chunk_shift = raid10_chunk_shift(dev);
}

static void raid10_queue_io(struct ublk_queue *q, unsigned int tag,
			    const struct ublksrv_io_desc *iod)
{
	unsigned int op = ublksrv_get_op(iod), done = 0, len = ublk_iod_bytes(iod);
	unsigned int shift = raid10_chunk_shift(q->dev), piece, leg;
	unsigned long long off = iod->start_sector << 9;
	struct ublk_raid10_piece p;

	if (ublk_backing_common_op(q, tag, op))
		return;
	for (piece = 0; done < len; piece++) {
		ublk_raid10_map(off + done, len - done, shift, raid10_nr_sets(q->dev), &p);
		if (op == UBLK_IO_OP_READ) {
			leg = ublk_raid10_read_leg(p.file_off, shift, UBLK_RAID10_LEGS);
			ublk_backing_rw(q, tag, iod, piece * UBLK_RAID10_MAX_LEGS,
					ublk_raid10_file(p.set, leg, UBLK_RAID10_LEGS),
					p.file_off, done, p.len);
		} else {
			for (leg = 0; leg < UBLK_RAID10_LEGS; leg++)
				ublk_backing_rw(q, tag, iod, piece * UBLK_RAID10_MAX_LEGS + leg,
						ublk_raid10_file(p.set, leg, UBLK_RAID10_LEGS),
						p.file_off, done, p.len);
		}
		done += p.len;
	}
}

/* Piece @piece of @iod: the mapping again up to it; *buf_off: where it starts. */
static void raid10_piece(const struct ublk_dev *dev, const struct ublksrv_io_desc *iod,
			 unsigned int piece, struct ublk_raid10_piece *p,
			 unsigned int *buf_off)
{
	unsigned long long off = iod->start_sector << 9;
	unsigned int done = 0, len = ublk_iod_bytes(iod), i;

	for (i = 0; i <= piece && done < len; i++) {
		*buf_off = done;
		ublk_raid10_map(off + done, len - done, raid10_chunk_shift(dev),
				raid10_nr_sets(dev), p);
		done += p->len;
	}
}

static int raid10_io_done(struct ublk_queue *q, unsigned int tag,
			  const struct io_uring_cqe *cqe)
{
	const struct ublksrv_io_desc *iod = ublk_get_iod(q, tag);
	struct raid10_data *rd = q->dev->tgt_data;
	unsigned int ud_piece = ublk_ud_piece(cqe->user_data), buf_off = 0, first, leg;
	unsigned int attempt = ud_piece % UBLK_RAID10_MAX_LEGS;
	struct ublk_raid10_piece p = { 0 };
	int res;

	if (ublk_ud_op(cqe->user_data) == UBLK_IO_OP_FLUSH)
		return ublk_backing_check(cqe, 0);
	raid10_piece(q->dev, iod, ud_piece / UBLK_RAID10_MAX_LEGS, &p, &buf_off);
	res = ublk_backing_check(cqe, p.len);
	if (res >= 0)
		return res;
	__atomic_fetch_add(&rd->leg_errors, 1, __ATOMIC_RELAXED);
	if (ublk_ud_op(cqe->user_data) != UBLK_IO_OP_READ || attempt + 1 >= UBLK_RAID10_LEGS)
		return res;
	/* The twin: the leg after the one this attempt read. */
	first = ublk_raid10_read_leg(p.file_off, raid10_chunk_shift(q->dev), UBLK_RAID10_LEGS);
	leg = (first + attempt + 1) % UBLK_RAID10_LEGS;
	ublk_backing_rw(q, tag, iod, ud_piece + 1, ublk_raid10_file(p.set, leg, UBLK_RAID10_LEGS),
			p.file_off, buf_off, p.len);
	return 0;
}

const struct ublk_tgt_ops ublk_tgt_raid10 = {
	.name = "raid10",
	.usage = "4, 6 or 8 --file (sets of 2 mirrored legs), [--chunk SIZE] as stripe",
	.options = raid10_options,
	.data_size = sizeof(struct raid10_data),
	.parse_option = raid10_parse_option,
	.init = raid10_init,
	.bpf_config = raid10_bpf_config,
	.deinit = ublk_close_backing,
	.queue_io = raid10_queue_io,
	.io_done = raid10_io_done,
};
