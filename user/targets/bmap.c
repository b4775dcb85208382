// SPDX-License-Identifier: GPL-2.0
/*
 * bmap: the device is one preallocated file, served on the block device
 * under its file system at the places FIEMAP gave (bmap_fiemap.c); see
 * bpf/bmap.bpf.c for the design and the contract. This is its io_uring
 * twin: the same mapping, one SQE per extent piece on the block device
 * (backing file 0); a flush is its fdatasync. It also fills the BPF
 * program's "extents" map before the device starts.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "bmap_fiemap.h"
#include "log.h"
#include "params.h"
#include "ublk.h"

static int bmap_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts)
{
	struct ublk_file_map *m = dev->tgt_data;
	int ret;

	if (opts->nr_files != 1 || opts->buffered) {
		ublk_err("target bmap needs one --file (and no --buffered), got %u", opts->nr_files);
		return -EINVAL;
	}
	/* The first device's end would clear the flag under the others. */
	if (opts->count > 1) {
		ublk_err("target bmap serves one device per file: no --count");
		return -EINVAL;
	}
	ret = ublk_file_map(opts->files[0], opts->recovering, m);
	if (ret < 0)
		return ret;
	/* The state file keeps it: whoever ends the device clears the flag. */
	if (m->made_immutable)
		dev->made_immutable |= 1U;
	dev->fds[0] = m->bdev_fd;
	dev->nr_fds = 1;
	dev->lbs = m->lbs;
	ublk_params_init(&dev->params, m->size, __builtin_ctz(m->lbs), UBLK_IO_BUF_BYTES);
	ublk_params_set_cache(&dev->params);
	return 0;
}

static void bmap_deinit(struct ublk_dev *dev)
{
	struct ublk_file_map *m = dev->tgt_data;

	/* The map owns the block device's fd. */
	dev->nr_fds = 0;
	/* Ours to clear also when a daemon before this one (recover) set it. */
	m->made_immutable = dev->made_immutable & 1U;
	ublk_file_unmap(m);
}

/* Piece @piece of @iod (its offset in *buf_off), as queue_io cut it. */
static int bmap_piece(const struct ublk_file_map *m, const struct ublksrv_io_desc *iod,
		      unsigned int piece, unsigned int *buf_off, struct ublk_bmap_piece *p)
{
	unsigned long long pos = iod->start_sector << 9;
	unsigned int done = 0, len = ublk_iod_bytes(iod), i;
	const struct ublk_bmap_extent *e;

	for (i = 0; done < len; i++) {
		e = ublk_file_map_find(m, pos + done);
		if (!e)
			return -EIO;
		ublk_bmap_map(e, pos + done, len - done, p);
		if (i == piece) {
			*buf_off = done;
			return 0;
		}
		done += p->len;
	}
	return -EIO;
}

static void bmap_queue_io(struct ublk_queue *q, unsigned int tag,
			  const struct ublksrv_io_desc *iod)
{
	const struct ublk_file_map *m = q->dev->tgt_data;
	unsigned int op = ublksrv_get_op(iod), buf_off, piece;
	struct ublk_bmap_piece p;

	if (op == UBLK_IO_OP_FLUSH) {
		ublk_backing_flush(q, tag);
		return;
	}
	if (op != UBLK_IO_OP_READ && op != UBLK_IO_OP_WRITE) {
		ublk_complete_io(q, tag, -EOPNOTSUPP);
		return;
	}
	if (bmap_piece(m, iod, 0, &buf_off, &p)) {
		ublk_complete_io(q, tag, -EIO);
		return;
	}
	for (piece = 0; !bmap_piece(m, iod, piece, &buf_off, &p); piece++)
		ublk_backing_rw(q, tag, iod, piece, 0, p.dev_off, buf_off, p.len);
}

static int bmap_io_done(struct ublk_queue *q, unsigned int tag, const struct io_uring_cqe *cqe)
{
	struct ublk_bmap_piece p = { 0 };
	unsigned int buf_off;

	if (ublk_ud_op(cqe->user_data) == UBLK_IO_OP_FLUSH)
		return ublk_backing_check(cqe, 0);
	if (bmap_piece(q->dev->tgt_data, ublk_get_iod(q, tag), ublk_ud_piece(cqe->user_data),
		       &buf_off, &p))
		return -EIO;
	return ublk_backing_check(cqe, p.len);
}

/* The BPF program's extent table: the extents, then the last one repeated. */
static int bmap_bpf_setup(struct ublk_dev *dev, struct bpf_object *obj)
{
	const struct ublk_file_map *m = dev->tgt_data;
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "extents");
	struct ublk_bmap_extent *table;
	size_t len = UBLK_BMAP_MAX_EXTENTS * sizeof(*table);
	unsigned int i;

	if (!map || bpf_map__max_entries(map) != UBLK_BMAP_MAX_EXTENTS ||
	    bpf_map__value_size(map) != sizeof(*table)) {
		ublk_err("bmap: the BPF object has no extents map of %d entries",
			 UBLK_BMAP_MAX_EXTENTS);
		return -EINVAL;
	}
	table = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), 0);
	if (table == MAP_FAILED) {
		ublk_err("bmap: cannot map the extents map: %s", strerror(errno));
		return -errno;
	}
	for (i = 0; i < UBLK_BMAP_MAX_EXTENTS; i++)
		table[i] = m->ext[i < m->nr_ext ? i : m->nr_ext - 1];
	munmap(table, len);
	return 0;
}

const struct ublk_tgt_ops ublk_tgt_bmap = {
	.name = "bmap",
	.usage = "one fully written --file on ext4/xfs (immutable while served)",
	.data_size = sizeof(struct ublk_file_map),
	.init = bmap_init,
	.deinit = bmap_deinit,
	.queue_io = bmap_queue_io,
	.io_done = bmap_io_done,
	.bpf_setup = bmap_bpf_setup,
};
