// SPDX-License-Identifier: GPL-2.0
/*
 * ublk-bpf: bpf-aio, file operations a program submits on behalf of an IO,
 * reading into and writing from the request's own pages (zero copy).
 *
 * A program allocates an aio for an IO (an acquired reference: the verifier
 * refuses a program that neither submits nor releases it), attaches a slice
 * of the request to it and submits it against one of the device's
 * registered backing files. Submission only validates and queues: the file
 * operation runs in a kernel worker, because programs may submit from
 * ->queue_rq(), where nothing may sleep. The aio holds a reference on its IO
 * until it is freed, after the aio_complete() callback.
 *
 * Guarantees: a READ request's pages are only read into and a WRITE
 * request's pages only written out (anything else is refused and counted);
 * a short or failed read is zero-filled up to the end of its slice before
 * aio_complete() runs.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include "ublk_bpf_priv.h"

static struct kmem_cache *ublk_bpf_aio_cache;
static struct workqueue_struct *ublk_bpf_aio_wq;

static void ublk_bpf_aio_free(struct ublk_bpf_aio *aio)
{
	struct ublk_bpf_io *io = aio->io;

	if (aio->bvec != aio->inline_bvec)
		kfree(aio->bvec);
	kmem_cache_free(ublk_bpf_aio_cache, aio);
	ublk_bpf_io_put(io);
}

/*
 * Describe bytes [off, off + len) of the request as bio_vecs. With @out
 * NULL only counts them.
 */
static unsigned int ublk_bpf_rq_slice(struct request *rq, u32 off, u32 len,
				      struct bio_vec *out, unsigned int max)
{
	struct req_iterator iter;
	struct bio_vec bv;
	u32 end = off + len;
	u32 pos = 0;
	unsigned int n = 0;

	rq_for_each_bvec(bv, rq, iter) {
		u32 from = max(pos, off);
		u32 to = min(pos + bv.bv_len, end);

		if (from < to) {
			if (out) {
				u32 o = bv.bv_offset + (from - pos);

				if (n == max)
					goto out;
				out[n].bv_page = nth_page(bv.bv_page,
							  o >> PAGE_SHIFT);
				out[n].bv_offset = offset_in_page(o);
				out[n].bv_len = to - from;
			}
			n++;
		}
		pos += bv.bv_len;
		if (pos >= end)
			goto out;
	}
out:
	return n;
}

static void ublk_bpf_aio_done(struct ublk_bpf_aio *aio, long ret)
{
	struct ublk_bpf_io *io = aio->io;
	struct ublk_bpf_dev *bd = io->dev;
	u32 op = aio->op & UBLK_BPF_AIO_OP_MASK;
	struct ublk_bpf_binding *b;
	bool handled = false;
	int err = 0;
	int idx;

	if (aio->write_started)
		kiocb_end_write(&aio->iocb);

	aio->res = ret;
	if (op == UBLK_BPF_AIO_OP_READ && ret < (long)aio->len) {
		u32 have = ret > 0 ? ret : 0;
		u32 zeroed = ublk_bpf_rq_zero(io->rq, aio->off + have,
					      aio->len - have);

		this_cpu_add(bd->stats->zero_filled_bytes, zeroed);
	}

	if (ret < 0)
		err = ret;
	else if (op == UBLK_BPF_AIO_OP_WRITE && ret < (long)aio->len)
		err = -EIO;
	if (err)
		this_cpu_inc(bd->stats->aio_failed);

	idx = srcu_read_lock(&ublk_bpf_srcu);
	b = srcu_dereference(bd->binding, &ublk_bpf_srcu);
	if (b && b->gen == io->gen && b->ops->aio_complete)
		handled = b->ops->aio_complete(io, aio, aio->res) ==
			  UBLK_BPF_AIO_HANDLED;
	srcu_read_unlock(&ublk_bpf_srcu, idx);

	if (err && !handled)
		ublk_bpf_io_set_error(io, err);
	ublk_bpf_aio_free(aio);
}

static void ublk_bpf_aio_done_work(struct work_struct *work)
{
	struct ublk_bpf_aio *aio = container_of(work, struct ublk_bpf_aio,
						done_work);
	unsigned int noio = memalloc_noio_save();

	ublk_bpf_aio_done(aio, aio->res);
	memalloc_noio_restore(noio);
}

/* ->ki_complete(), possibly in interrupt context. */
static void ublk_bpf_aio_ki_complete(struct kiocb *iocb, long ret)
{
	struct ublk_bpf_aio *aio = container_of(iocb, struct ublk_bpf_aio,
						iocb);

	aio->res = ret;
	INIT_WORK(&aio->done_work, ublk_bpf_aio_done_work);
	queue_work(ublk_bpf_aio_wq, &aio->done_work);
}

static ssize_t ublk_bpf_aio_rw(struct ublk_bpf_aio *aio, bool write)
{
	struct request *rq = aio->io->rq;
	struct file *file = aio->file;
	struct iov_iter iter;
	unsigned int nr;
	ssize_t ret;

	nr = ublk_bpf_rq_slice(rq, aio->off, aio->len, NULL, 0);
	if (nr > ARRAY_SIZE(aio->inline_bvec)) {
		aio->bvec = kmalloc_array(nr, sizeof(*aio->bvec), GFP_NOIO);
		if (!aio->bvec)
			return -ENOMEM;
	} else {
		aio->bvec = aio->inline_bvec;
	}
	ublk_bpf_rq_slice(rq, aio->off, aio->len, aio->bvec, nr);
	iov_iter_bvec(&iter, write ? ITER_SOURCE : ITER_DEST, aio->bvec, nr,
		      aio->len);

	init_sync_kiocb(&aio->iocb, file);
	aio->iocb.ki_pos = aio->pos;
	aio->iocb.ki_complete = ublk_bpf_aio_ki_complete;
	aio->iocb.ki_ioprio = req_get_ioprio(rq);
	if (write && (aio->op & UBLK_BPF_AIO_F_FUA))
		aio->iocb.ki_flags |= IOCB_DSYNC;

	ret = rw_verify_area(write ? WRITE : READ, file, &aio->iocb.ki_pos,
			     aio->len);
	if (ret)
		return ret;
	if (!write)
		return file->f_op->read_iter(&aio->iocb, &iter);

	if (S_ISREG(file_inode(file)->i_mode)) {
		kiocb_start_write(&aio->iocb);
		aio->write_started = true;
	}
	return file->f_op->write_iter(&aio->iocb, &iter);
}

static void ublk_bpf_aio_submit_work(struct work_struct *work)
{
	struct ublk_bpf_aio *aio = container_of(work, struct ublk_bpf_aio,
						submit_work);
	struct file *file = aio->file;
	unsigned int noio = memalloc_noio_save();
	long ret;

	switch (aio->op & UBLK_BPF_AIO_OP_MASK) {
	case UBLK_BPF_AIO_OP_READ:
		ret = ublk_bpf_aio_rw(aio, false);
		break;
	case UBLK_BPF_AIO_OP_WRITE:
		ret = ublk_bpf_aio_rw(aio, true);
		break;
	case UBLK_BPF_AIO_OP_FSYNC:
		ret = vfs_fsync(file, 0);
		break;
	case UBLK_BPF_AIO_OP_FDATASYNC:
		ret = vfs_fsync(file, 1);
		break;
	case UBLK_BPF_AIO_OP_DISCARD:
		ret = vfs_fallocate(file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				    aio->pos, aio->len);
		break;
	default:
		ret = vfs_fallocate(file, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
				    aio->pos, aio->len);
		break;
	}
	/* ->ki_complete() runs, or ran already, for a queued operation */
	if (ret != -EIOCBQUEUED)
		ublk_bpf_aio_done(aio, ret);
	memalloc_noio_restore(noio);
}

/* Everything submit refuses; the direction rule is counted on its own. */
static int ublk_bpf_aio_check(struct ublk_bpf_aio *aio, u32 op, u32 file_idx,
			      u64 pos)
{
	struct ublk_bpf_io *io = aio->io;
	struct ublk_bpf_dev *bd = io->dev;
	u32 kind = op & UBLK_BPF_AIO_OP_MASK;
	struct file *file;
	fmode_t need;

	if (op & ~(UBLK_BPF_AIO_OP_MASK | UBLK_BPF_AIO_F_FUA) ||
	    ((op & UBLK_BPF_AIO_F_FUA) && kind != UBLK_BPF_AIO_OP_WRITE))
		return -EINVAL;
	if (file_idx >= bd->nr_files)
		return -EBADF;
	file = bd->files[file_idx];

	switch (kind) {
	case UBLK_BPF_AIO_OP_READ:
	case UBLK_BPF_AIO_OP_WRITE:
		if (io->op != (kind == UBLK_BPF_AIO_OP_READ ? REQ_OP_READ :
							      REQ_OP_WRITE)) {
			this_cpu_inc(bd->stats->dir_refused);
			pr_warn_ratelimited("ublk_bpf: dev %u: %s aio on a %s request refused\n",
					    bd->dev_id,
					    kind == UBLK_BPF_AIO_OP_READ ? "read" : "write",
					    blk_op_str(io->op));
			return -EPERM;
		}
		need = kind == UBLK_BPF_AIO_OP_READ ? FMODE_READ : FMODE_WRITE;
		if (!aio->attached)
			return -EINVAL;
		break;
	case UBLK_BPF_AIO_OP_FSYNC:
	case UBLK_BPF_AIO_OP_FDATASYNC:
		need = 0;
		break;
	case UBLK_BPF_AIO_OP_DISCARD:
	case UBLK_BPF_AIO_OP_WRITE_ZEROES:
		need = FMODE_WRITE;
		if (!aio->attached)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if ((file->f_mode & need) != need)
		return -EBADF;
	/* FSYNC and FDATASYNC ignore @pos and the slice */
	if (aio->attached && (pos > LLONG_MAX || pos > LLONG_MAX - aio->len))
		return -EINVAL;

	aio->op = op;
	aio->file_idx = file_idx;
	aio->pos = pos;
	aio->file = file;
	return 0;
}

__bpf_kfunc_start_defs();

/**
 * ublk_bpf_aio_alloc - allocate an aio for an IO
 * @io: the IO the aio works for
 *
 * The aio must be submitted with ublk_bpf_aio_submit() or freed with
 * ublk_bpf_aio_release() before the program returns. It keeps @io from
 * completing until it is done.
 *
 * Return: the aio, or NULL when out of memory or when @io was already
 * completed with ublk_bpf_complete_io().
 */
__bpf_kfunc struct ublk_bpf_aio *ublk_bpf_aio_alloc(struct ublk_bpf_io *io)
{
	struct ublk_bpf_aio *aio;

	if (!ublk_bpf_io_live(io) ||
	    test_bit(UBLK_BPF_IO_COMPLETED, &io->flags)) {
		this_cpu_inc(io->dev->stats->refused);
		return NULL;
	}
	aio = kmem_cache_zalloc(ublk_bpf_aio_cache, GFP_NOWAIT | __GFP_NOWARN);
	if (!aio)
		return NULL;
	aio->io = io;
	ublk_bpf_io_get(io);
	return aio;
}

/**
 * ublk_bpf_aio_attach - attach a slice of the request to an aio
 * @aio: the aio
 * @off: first byte of the slice, from the start of the request
 * @len: length of the slice
 *
 * READ reads into the slice, WRITE writes it out, DISCARD and WRITE_ZEROES
 * use its length. @off and @len must be multiples of 512 and the slice must
 * lie within the request; attaching again replaces the slice.
 *
 * Return: 0 or -EINVAL.
 */
__bpf_kfunc int ublk_bpf_aio_attach(struct ublk_bpf_aio *aio, u32 off, u32 len)
{
	struct ublk_bpf_io *io = aio->io;

	if (!len || off > io->bytes || len > io->bytes - off ||
	    ((off | len) & (SECTOR_SIZE - 1))) {
		this_cpu_inc(io->dev->stats->refused);
		return -EINVAL;
	}
	aio->off = off;
	aio->len = len;
	aio->attached = true;
	return 0;
}

/**
 * ublk_bpf_aio_submit - start an aio
 * @aio: the aio; consumed whatever the result
 * @op: UBLK_BPF_AIO_OP_* and UBLK_BPF_AIO_F_* flags
 * @file_idx: index of a file registered with UBLK_U_CMD_BPF_REG_FILES
 * @pos: offset in the file
 *
 * On success the operation runs in the background and aio_complete() is
 * called when it is done. On failure the aio is freed, aio_complete() is
 * not called, and the IO is not affected.
 *
 * Return: 0; -EPERM when a READ is asked on a request that is not a READ
 * or a WRITE on a request that is not a WRITE; -EBADF for a bad file index
 * or a file not opened for the operation; -E2BIG when a READ request would
 * be read in too many disjoint slices; -EINVAL for anything else invalid.
 */
__bpf_kfunc int ublk_bpf_aio_submit(struct ublk_bpf_aio *aio, u32 op,
				    u32 file_idx, u64 pos)
{
	struct ublk_bpf_io *io = aio->io;
	struct ublk_bpf_dev *bd = io->dev;
	int ret;

	ret = ublk_bpf_aio_check(aio, op, file_idx, pos);
	if (!ret && (op & UBLK_BPF_AIO_OP_MASK) == UBLK_BPF_AIO_OP_READ)
		ret = ublk_bpf_io_add_read_range(io, aio->off, aio->len);
	if (ret) {
		if (ret != -EPERM)
			this_cpu_inc(bd->stats->refused);
		ublk_bpf_aio_free(aio);
		return ret;
	}

	set_bit(UBLK_BPF_IO_AIO_USED, &io->flags);
	this_cpu_inc(bd->stats->aio_submitted);
	INIT_WORK(&aio->submit_work, ublk_bpf_aio_submit_work);
	queue_work(ublk_bpf_aio_wq, &aio->submit_work);
	return 0;
}

/**
 * ublk_bpf_aio_release - free an aio that will not be submitted
 * @aio: the aio
 */
__bpf_kfunc void ublk_bpf_aio_release(struct ublk_bpf_aio *aio)
{
	ublk_bpf_aio_free(aio);
}

__bpf_kfunc_end_defs();

/**
 * ublk_bpf_aio_init - create the aio cache and worker pool
 *
 * Return: 0 or -ENOMEM.
 */
int ublk_bpf_aio_init(void)
{
	ublk_bpf_aio_cache = KMEM_CACHE(ublk_bpf_aio, 0);
	if (!ublk_bpf_aio_cache)
		return -ENOMEM;
	/* backing file IO may be needed to reclaim memory */
	ublk_bpf_aio_wq = alloc_workqueue("ublk_bpf_aio",
					  WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!ublk_bpf_aio_wq) {
		kmem_cache_destroy(ublk_bpf_aio_cache);
		return -ENOMEM;
	}
	return 0;
}

/**
 * ublk_bpf_aio_exit - destroy the aio cache and worker pool
 *
 * Waits for running workers, which may still be returning from the last
 * completions.
 */
void ublk_bpf_aio_exit(void)
{
	destroy_workqueue(ublk_bpf_aio_wq);
	kmem_cache_destroy(ublk_bpf_aio_cache);
}
