// SPDX-License-Identifier: GPL-2.0
/*
 * Backing files of the file-based targets: open them (O_DIRECT unless
 * --buffered), check their size, learn the logical block size of what lies
 * beneath, and which fallocate modes the file system offers.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "params.h"
#include "ublk.h"

/* Logical block size of the device holding @st: a file's, or its own. */
static unsigned int backing_logical_block(int fd, const struct stat *st)
{
	char path[96];
	unsigned int lbs = 512;
	int bs;
	FILE *f;

	if (S_ISBLK(st->st_mode))
		return ioctl(fd, BLKSSZGET, &bs) == 0 && bs >= 512 ? (unsigned int)bs : 512;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/logical_block_size",
		 major(st->st_dev), minor(st->st_dev));
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%u", &lbs) != 1 || lbs < 512 || lbs > 4096)
			lbs = 512;
		fclose(f);
	}
	return lbs;
}

static unsigned long long backing_size(int fd, const struct stat *st)
{
	unsigned long long size = 0;

	if (S_ISBLK(st->st_mode))
		return ioctl(fd, BLKGETSIZE64, &size) == 0 ? size : 0;
	return st->st_size;
}

static int backing_open_one(const char *path, bool buffered, int *fdp,
			    unsigned long long *sizep, unsigned int *lbsp)
{
	int fd, flags = O_RDWR | O_CLOEXEC;
	bool paged = false;
	struct stat st;

	if (stat(path, &st) == 0 && !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		ublk_err("backing file %s is not a regular file or block device", path);
		return -EINVAL;
	}
	if (!buffered)
		flags |= O_DIRECT;
	fd = open(path, flags);
	if (fd < 0 && errno == EINVAL && !buffered) {
		/* Said once the file is taken: a refusal stays one line. */
		paged = true;
		fd = open(path, flags & ~O_DIRECT);
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = -errno;

		ublk_err("cannot open backing file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	*sizep = backing_size(fd, &st);
	*lbsp = backing_logical_block(fd, &st);
	if (*sizep == 0 || *sizep % 512) {
		ublk_err("backing file %s: size %llu is not a non-zero multiple of 512",
			 path, *sizep);
		close(fd);
		return -EINVAL;
	}
	if (paged)
		ublk_err("%s: the file system refuses O_DIRECT; serving it through the page cache",
			 path);
	*fdp = fd;
	return 0;
}

/* Does the file system do fallocate @mode? Tried past EOF, so no data moves. */
static bool backing_has_fallocate(int fd, unsigned long long size, int mode)
{
	return fallocate(fd, mode | FALLOC_FL_KEEP_SIZE, size, 4096) == 0;
}

int ublk_open_backing(struct ublk_dev *dev, const struct ublk_dev_opts *opts,
		      unsigned int min_files, unsigned int max_files,
		      unsigned long long *min_size)
{
	unsigned long long size;
	unsigned int i, lbs;
	int ret;

	if (opts->nr_files < min_files || opts->nr_files > max_files) {
		if (min_files == max_files)
			ublk_err("target %s needs %u --file, got %u", opts->target,
				 min_files, opts->nr_files);
		else
			ublk_err("target %s needs %u to %u --file, got %u", opts->target,
				 min_files, max_files, opts->nr_files);
		return -EINVAL;
	}
	*min_size = 0;
	dev->lbs = 512;
	for (i = 0; i < opts->nr_files; i++) {
		ret = backing_open_one(opts->files[i], opts->buffered, &dev->fds[i],
				       &size, &lbs);
		if (ret < 0) {
			ublk_close_backing(dev);
			return ret;
		}
		dev->nr_fds++;
		if (!*min_size || size < *min_size)
			*min_size = size;
		if (lbs > dev->lbs)
			dev->lbs = lbs;
	}
	*min_size -= *min_size % dev->lbs;
	return 0;
}

void ublk_backing_params(struct ublk_dev *dev, unsigned long long size)
{
	bool punch = true;
	unsigned int i;

	/* Probed past the end of the data each file holds for the device. */
	dev->zero_in_place = true;
	for (i = 0; i < dev->nr_fds; i++) {
		punch = punch && backing_has_fallocate(dev->fds[i], size, FALLOC_FL_PUNCH_HOLE);
		dev->zero_in_place = dev->zero_in_place &&
			backing_has_fallocate(dev->fds[i], size, FALLOC_FL_ZERO_RANGE);
	}
	ublk_params_init(&dev->params, size, __builtin_ctz(dev->lbs), UBLK_IO_BUF_BYTES);
	ublk_params_set_cache(&dev->params);
	if (punch)
		ublk_params_set_discard(&dev->params, 4096, UBLK_IO_BUF_BYTES);
}

void ublk_close_backing(struct ublk_dev *dev)
{
	while (dev->nr_fds)
		close(dev->fds[--dev->nr_fds]);
}

/* fallocate mode serving a discard or write-zeroes IO. */
static int backing_fallocate_mode(const struct ublk_dev *dev, unsigned int op,
				  unsigned int op_flags)
{
	/* A punched hole reads back as zeroes; NOUNMAP asks to keep the blocks. */
	if (op == UBLK_IO_OP_WRITE_ZEROES && (op_flags & UBLK_IO_F_NOUNMAP) &&
	    dev->zero_in_place)
		return FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	return FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
}

void ublk_backing_rw(struct ublk_queue *q, unsigned int tag,
		     const struct ublksrv_io_desc *iod, unsigned int piece,
		     unsigned int file, unsigned long long file_off,
		     unsigned int buf_off, unsigned int len)
{
	unsigned int op = ublksrv_get_op(iod);
	struct io_uring_sqe *sqe = ublk_queue_get_sqe(q);
	char *buf = (char *)ublk_io_buf(q, tag) + buf_off;
	int fd = UBLK_FIXED_BACKING(file);

	switch (op) {
	case UBLK_IO_OP_READ:
		io_uring_prep_read(sqe, fd, buf, len, file_off);
		break;
	case UBLK_IO_OP_WRITE:
		io_uring_prep_write(sqe, fd, buf, len, file_off);
		if (iod->op_flags & UBLK_IO_F_FUA)
			sqe->rw_flags = RWF_DSYNC;
		break;
	default:	/* UBLK_IO_OP_DISCARD, UBLK_IO_OP_WRITE_ZEROES */
		io_uring_prep_fallocate(sqe, fd, backing_fallocate_mode(q->dev, op, iod->op_flags),
					file_off, len);
		break;
	}
	sqe->flags |= IOSQE_FIXED_FILE;
	ublk_queue_tgt_io(q, sqe, tag, op, piece);
}

void ublk_backing_flush(struct ublk_queue *q, unsigned int tag)
{
	unsigned int i;

	for (i = 0; i < q->dev->nr_fds; i++) {
		struct io_uring_sqe *sqe = ublk_queue_get_sqe(q);

		io_uring_prep_fsync(sqe, UBLK_FIXED_BACKING(i), IORING_FSYNC_DATASYNC);
		sqe->flags |= IOSQE_FIXED_FILE;
		ublk_queue_tgt_io(q, sqe, tag, UBLK_IO_OP_FLUSH, i);
	}
}

int ublk_backing_check(const struct io_uring_cqe *cqe, unsigned int want)
{
	unsigned int op = ublk_ud_op(cqe->user_data);

	if (cqe->res < 0)
		return cqe->res;
	if ((op == UBLK_IO_OP_READ || op == UBLK_IO_OP_WRITE) && (unsigned int)cqe->res != want)
		return -EIO;
	return 0;
}

/* The ops a file-backed target serves; others fail with -EOPNOTSUPP. */
bool ublk_backing_op_supported(unsigned int op)
{
	return op == UBLK_IO_OP_READ || op == UBLK_IO_OP_WRITE || op == UBLK_IO_OP_FLUSH ||
	       op == UBLK_IO_OP_DISCARD || op == UBLK_IO_OP_WRITE_ZEROES;
}

bool ublk_backing_common_op(struct ublk_queue *q, unsigned int tag, unsigned int op)
{
	if (!ublk_backing_op_supported(op))
		ublk_complete_io(q, tag, -EOPNOTSUPP);
	else if (op == UBLK_IO_OP_FLUSH)
		ublk_backing_flush(q, tag);
	else
		return false;
	return true;
}

int ublk_no_backing_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts)
{
	unsigned long long size = opts->size ? opts->size : UBLK_NULL_DEFAULT_SIZE;

	if (opts->nr_files) {
		ublk_err("target %s takes no --file", dev->tgt->name);
		return -EINVAL;
	}
	ublk_params_init(&dev->params, size, 9, UBLK_IO_BUF_BYTES);
	return 0;
}

