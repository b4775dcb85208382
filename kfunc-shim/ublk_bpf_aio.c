// SPDX-License-Identifier: GPL-2.0
/*
 * ublk-bpf: bpf-aio, file operations a program submits on behalf of an IO,
 * reading into and writing from the request's own pages (zero copy).
 *
 * A program allocates an aio for an IO (an acquired reference: the verifier
 * refuses a program that neither submits nor releases it), attaches a slice
 * of the request to it and submits it against one of the device's
 * registered backing files. The aio holds a reference on its IO until it is
 * freed, after the aio_complete() callback.
 *
 * Where an aio runs. The program runs under RCU, so submit only queues the
 * aio. An aio submitted by a stage's program call (from ->queue_rq() or the
 * daemon task work, see ublk_bpf_io.c) goes to its IO's pending list, and
 * the stage starts it once the program call returned, in the stage's own
 * context, which may sleep (BPF devices have a BLK_MQ_F_BLOCKING tag set):
 * with IOCB_NOWAIT on FMODE_NOWAIT files, blocking on tmpfs files (memory
 * only). It goes to the queue's fallback worker when the file can do
 * neither (see ublk_bpf_aio_may_inline()), for operations that always
 * block (sync, fallocate), when the non-blocking attempt would have blocked
 * (-EAGAIN, -EOPNOTSUPP or a short transfer: the worker does the rest; also
 * a REQ_NOWAIT bio a lower device failed through ->ki_complete()), and when
 * the program submitted it from aio_complete() outside the IO's stage. The
 * worker drains the queue's list on each run. Completion runs where it happens: in the stage for
 * synchronous operations, in ->ki_complete() (any context, even hardirq)
 * for asynchronous ones; nothing in it sleeps.
 *
 * Guarantees: a READ request's pages are only read into and a WRITE
 * request's pages only written out (anything else is refused and counted);
 * a short or failed read is zero-filled up to the end of its slice before
 * aio_complete() runs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/delay.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/sched/mm.h>
#include <linux/sched/task_stack.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/tick.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include "ublk_bpf_priv.h"

/*
 * The stack an aio started inline leaves to the backing file system and
 * the devices under it: one device over a file on a disk uses well under
 * half of it.
 */
#define UBLK_BPF_INLINE_MIN_STACK	(THREAD_SIZE / 2)

static struct kmem_cache *ublk_bpf_aio_cache;
static struct workqueue_struct *ublk_bpf_aio_wq;

/* measured in kfunc-shim/README.md, "Where aios run" */
static bool bpf_spread = true;
module_param(bpf_spread, bool, 0644);
MODULE_PARM_DESC(bpf_spread,
		 "Hand the copies of a submitter that keeps a deep queue to a worker on a CPU with time to spare (default: yes)");

/* tests only: a spread's worker slower than its submitter, which must lose */
static unsigned int bpf_spread_test_delay_us;
module_param(bpf_spread_test_delay_us, uint, 0644);
MODULE_PARM_DESC(bpf_spread_test_delay_us,
		 "Tests only: the worker spins this long (at most 1000 us) before each copy the spare-CPU rule sent it (default: 0)");

/*
 * One copy in this many is a probe of the submitter's queue depth; each
 * probe the submitter waited for doubles it, up to the second figure, so
 * that a queue kept at QD1 pays for a probe's wake-up rarely.
 */
#define UBLK_BPF_SPREAD_PROBE	64
#define UBLK_BPF_SPREAD_PROBE_MAX	4096
/*
 * Arrivals in a row that find the worker idle end a spread. Many: only a
 * submitter that stopped keeping a deep queue finds it idle that often, and
 * a QD1 submitter never starts a spread. But a worker faster than the
 * submitter is idle at every arrival too: a spread that starts again at
 * once after such an end doubles the count, up to the second figure.
 */
#define UBLK_BPF_SPREAD_IDLE	64
#define UBLK_BPF_SPREAD_IDLE_MAX	4096
/*
 * A spread must pay: a CPU idle in the guest may be no core of the host's
 * (more vCPUs than host cores), and then the worker's copies come slower
 * than the submitter's own. Every UBLK_BPF_PAY_CHECK-th epoch of a spread,
 * its first included, runs inline and measures the queue's arrival rate;
 * a spread epoch that falls short of UBLK_BPF_PAY_PCT percent of it ends
 * the spread and bars the next for one epoch, doubling up to the second
 * figure while spreads keep losing.
 */
#define UBLK_BPF_PAY_EPOCH_NS	(10 * NSEC_PER_MSEC)
#define UBLK_BPF_PAY_CHECK	8
#define UBLK_BPF_PAY_PCT	105
#define UBLK_BPF_PAY_BAR_MAX	64
/* How often the CPUs' idle time is looked at, at most. */
#define UBLK_BPF_SPARE_NS	(2 * NSEC_PER_MSEC)

/* ublk_bpf_cpu_to_spare()'s state: one updater at a time, by cmpxchg */
static DEFINE_PER_CPU(u64, ublk_bpf_idle_us);
static atomic64_t ublk_bpf_spare_at;
static bool ublk_bpf_spare;
static u64 ublk_bpf_lingered_seen;
/* time workers spun waiting for a spread's next copy: spare, not busy */
static atomic64_t ublk_bpf_lingered_ns;

static void ublk_bpf_aio_free(struct ublk_bpf_aio *aio)
{
	struct ublk_bpf_io *io = aio->io;

	if (aio->bvec != aio->inline_bvec)
		kfree(aio->bvec);
	/* the slot may be reused at once: done with @aio first */
	if (aio->slot >= 0)
		clear_bit_unlock(aio->slot, &io->aio_busy);
	else
		kmem_cache_free(ublk_bpf_aio_cache, aio);
	ublk_bpf_io_put(io);
}

/**
 * ublk_bpf_file_how - how aios on a file are started
 * @file: a file being registered
 *
 * Return: UBLK_BPF_FILE_NOWAIT for files that honour IOCB_NOWAIT,
 * UBLK_BPF_FILE_MEMORY for tmpfs files, whose reads and writes never wait
 * for a device (a swapped-out page aside) but that do not offer
 * FMODE_NOWAIT, UBLK_BPF_FILE_WORKER for anything else.
 */
u8 ublk_bpf_file_how(struct file *file)
{
	if (file->f_mode & FMODE_NOWAIT)
		return UBLK_BPF_FILE_NOWAIT;
	if (S_ISREG(file_inode(file)->i_mode) && shmem_file(file))
		return UBLK_BPF_FILE_MEMORY;
	return UBLK_BPF_FILE_WORKER;
}

/**
 * ublk_bpf_file_permission - the per-access checks, once per file
 * @file: a file being registered
 *
 * rw_verify_area() runs the LSM and fsnotify permission hooks of a read
 * or write. The module does them once, for each direction the file was
 * opened for, when the server registers the file, and not for each aio:
 * the file is fixed for the life of the device, every aio acts for the
 * same server on the same open file, and aios check their own range
 * (ublk_bpf_aio_check()). The loop driver and swap files work the same
 * way.
 *
 * Return: 0 or the negative errno of the refused check.
 */
int ublk_bpf_file_permission(struct file *file)
{
	loff_t pos = 0;
	int ret = 0;

	if (file->f_mode & FMODE_READ)
		ret = rw_verify_area(READ, file, &pos, 0);
	if (!ret && (file->f_mode & FMODE_WRITE))
		ret = rw_verify_area(WRITE, file, &pos, 0);
	return ret;
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

/*
 * An iterator over bytes [off, off + len) of the request. A request of one
 * bio (the common case) is used in place; others are copied once.
 */
static int ublk_bpf_aio_iter(struct ublk_bpf_aio *aio, struct iov_iter *iter,
			     bool write, u32 off, u32 len)
{
	unsigned int dir = write ? ITER_SOURCE : ITER_DEST;
	struct request *rq = aio->io->rq;
	struct bio *bio = rq->bio;
	struct bvec_iter bi;
	struct bio_vec bv;
	unsigned int nr = 0;

	if (bio == rq->biotail) {
		/* a split bio may start inside its first bvec */
		bio_for_each_bvec(bv, bio, bi)
			nr++;
		iov_iter_bvec(iter, dir, __bvec_iter_bvec(bio->bi_io_vec,
							  bio->bi_iter),
			      nr, bio->bi_iter.bi_size);
		iter->iov_offset = bio->bi_iter.bi_bvec_done;
		iov_iter_advance(iter, off);
		iov_iter_truncate(iter, len);
		return 0;
	}

	if (aio->bvec != aio->inline_bvec)
		kfree(aio->bvec);
	nr = ublk_bpf_rq_slice(rq, off, len, NULL, 0);
	if (nr > ARRAY_SIZE(aio->inline_bvec)) {
		aio->bvec = kmalloc_array(nr, sizeof(*aio->bvec), GFP_NOIO);
		if (!aio->bvec)
			return -ENOMEM;
	} else {
		aio->bvec = aio->inline_bvec;
	}
	ublk_bpf_rq_slice(rq, off, len, aio->bvec, nr);
	iov_iter_bvec(iter, dir, aio->bvec, nr, len);
	return 0;
}

/*
 * The aio's operation is over with @ret (bytes or -errno): zero-fill,
 * aio_complete(), free. Any context; the caller holds ublk_bpf_srcu.
 */
static void ublk_bpf_aio_done(struct ublk_bpf_aio *aio, long ret)
{
	struct ublk_bpf_io *io = aio->io;
	struct ublk_bpf_dev *bd = io->dev;
	u32 op = aio->op & UBLK_BPF_AIO_OP_MASK;
	struct ublk_bpf_binding *b;
	bool handled = false;
	int err = 0;

	if (test_bit(UBLK_BPF_AIO_WRITE_STARTED, &aio->flags))
		kiocb_end_write(&aio->iocb);
	if (test_bit(UBLK_BPF_AIO_WORKER, &aio->flags))
		this_cpu_inc(bd->stats->aio_fallback);
	else
		this_cpu_inc(bd->stats->aio_inline);
	if (test_bit(UBLK_BPF_AIO_SPREAD, &aio->flags)) {
		this_cpu_inc(bd->stats->aio_spread);
		atomic_dec(&bd->queues[io->q_id].spread_inflight);
	}
	if (test_bit(UBLK_BPF_AIO_COMBINED, &aio->flags))
		this_cpu_inc(bd->stats->aio_combined);

	/* what an earlier non-blocking attempt moved */
	if (ret >= 0)
		ret += aio->done;
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

	b = srcu_dereference(bd->binding, &ublk_bpf_srcu);
	if (b && b->gen == io->gen && b->ops->aio_complete)
		handled = b->ops->aio_complete(io, aio, aio->res) ==
			  UBLK_BPF_AIO_HANDLED;

	if (err && !handled)
		ublk_bpf_io_set_error(io, err);
	ublk_bpf_aio_free(aio);
}

/**
 * ublk_bpf_aio_end - an aio that was not a file operation is over
 * @aio: the aio
 * @res: bytes or -errno
 *
 * Any context, hardirq included (the NVMe IO path's interrupt).
 */
void ublk_bpf_aio_end(struct ublk_bpf_aio *aio, long res)
{
	int idx = srcu_read_lock(&ublk_bpf_srcu);

	ublk_bpf_aio_done(aio, res);
	srcu_read_unlock(&ublk_bpf_srcu, idx);
}

/**
 * ublk_bpf_aio_discard - free an aio a submit kfunc refused
 * @aio: the aio
 */
void ublk_bpf_aio_discard(struct ublk_bpf_aio *aio)
{
	ublk_bpf_aio_free(aio);
}

/* Hand an aio to its queue's fallback worker. Any context. */
static void ublk_bpf_aio_punt(struct ublk_bpf_aio *aio)
{
	struct ublk_bpf_queue *q = &aio->io->dev->queues[aio->io->q_id];

	__set_bit(UBLK_BPF_AIO_WORKER, &aio->flags);
	/* llist_add() orders the add before the read (ublk_bpf_queue_linger()) */
	if (llist_add(&aio->node, &q->fallback) &&
	    !READ_ONCE(q->worker_lingers))
		queue_work(ublk_bpf_aio_wq, &q->work);
}

/*
 * A non-blocking attempt would have blocked after moving @moved bytes: the
 * worker does the rest, blocking.
 */
static void ublk_bpf_aio_retry(struct ublk_bpf_aio *aio, u32 moved)
{
	this_cpu_inc(aio->io->dev->stats->aio_eagain);
	if (__test_and_clear_bit(UBLK_BPF_AIO_WRITE_STARTED, &aio->flags))
		kiocb_end_write(&aio->iocb);
	aio->done += moved;
	ublk_bpf_aio_punt(aio);
}

/* ->ki_complete(), possibly in interrupt context. */
static void ublk_bpf_aio_ki_complete(struct kiocb *iocb, long ret)
{
	struct ublk_bpf_aio *aio = container_of(iocb, struct ublk_bpf_aio,
						iocb);
	int idx;

	/* a lower device that was out of tags for a REQ_NOWAIT bio */
	if (ret == -EAGAIN && test_bit(UBLK_BPF_AIO_NOWAIT, &aio->flags)) {
		ublk_bpf_aio_retry(aio, 0);
		return;
	}
	idx = srcu_read_lock(&ublk_bpf_srcu);
	ublk_bpf_aio_done(aio, ret);
	srcu_read_unlock(&ublk_bpf_srcu, idx);
}

/*
 * Write what is left of a tmpfs write into the file's page cache the way a
 * store through a shared mapping does: folio by folio under each folio's
 * lock, without the inode lock that ->write_iter() holds for every copy.
 * Writes of several CPUs to one file then copy side by side instead of
 * one at a time (the loop driver's worker and a tmpfs ->write_iter() both
 * do them one at a time). Only overwrites of folios that are there and
 * up to date, inside the file's size, of a file that needs no privilege
 * removal and is not sealed against writes or append-only: whatever else
 * the write meets (a hole, a swapped-out or locked folio, the end of the
 * file) is left to ->write_iter() from there. Returns the bytes written.
 */
static u32 ublk_bpf_aio_write_in_place(struct ublk_bpf_aio *aio)
{
	struct file *file = aio->file;
	struct inode *inode = file_inode(file);
	struct address_space *mapping = file->f_mapping;
	u32 left = aio->len - aio->done, done = 0;
	loff_t pos = aio->pos + aio->done;
	struct iov_iter iter;

	if (!IS_NOSEC(inode) || IS_APPEND(inode) || IS_IMMUTABLE(inode) ||
	    (file->f_flags & O_APPEND) ||
	    (SHMEM_I(inode)->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) ||
	    pos + left > i_size_read(inode))
		return 0;
	if (ublk_bpf_aio_iter(aio, &iter, true, aio->off + aio->done, left))
		return 0;
	if (!sb_start_write_trylock(inode->i_sb))
		return 0;
	while (left) {
		struct folio *folio = filemap_get_folio(mapping,
							pos >> PAGE_SHIFT);
		size_t at, n, copied;

		if (IS_ERR(folio))
			break;
		if (!folio_trylock(folio)) {
			folio_put(folio);
			break;
		}
		/* truncated, being truncated, never written, or poisoned */
		if (folio->mapping != mapping || !folio_test_uptodate(folio) ||
		    folio_contain_hwpoisoned_page(folio) ||
		    pos + left > i_size_read(inode)) {
			folio_unlock(folio);
			folio_put(folio);
			break;
		}
		at = offset_in_folio(folio, pos);
		n = min_t(size_t, folio_size(folio) - at, left);
		copied = copy_folio_from_iter_atomic(folio, at, n, &iter);
		flush_dcache_folio(folio);
		folio_mark_dirty(folio);
		folio_unlock(folio);
		folio_put(folio);
		pos += copied;
		left -= copied;
		done += copied;
		if (copied < n)
			break;
	}
	if (done) {
		/* without the inode lock, as a store through a mapping does */
		file_update_time(file);
		this_cpu_add(aio->io->dev->stats->aio_in_place_bytes, done);
	}
	sb_end_write(inode->i_sb);
	return done;
}

/* Start a READ or WRITE; returns as ->read_iter()/->write_iter() do. */
static ssize_t ublk_bpf_aio_rw(struct ublk_bpf_aio *aio, bool write,
			       bool nowait)
{
	struct file *file = aio->file;
	struct iov_iter iter;
	ssize_t ret;

	if (write && aio->how == UBLK_BPF_FILE_MEMORY) {
		aio->done += ublk_bpf_aio_write_in_place(aio);
		if (aio->done == aio->len)
			return 0;
	}
	ret = ublk_bpf_aio_iter(aio, &iter, write, aio->off + aio->done,
				aio->len - aio->done);
	if (ret)
		return ret;

	init_sync_kiocb(&aio->iocb, file);
	aio->iocb.ki_pos = aio->pos + aio->done;
	aio->iocb.ki_complete = ublk_bpf_aio_ki_complete;
	aio->iocb.ki_ioprio = req_get_ioprio(aio->io->rq);
	if (write && (aio->op & UBLK_BPF_AIO_F_FUA))
		aio->iocb.ki_flags |= IOCB_DSYNC;
	if (nowait) {
		aio->iocb.ki_flags |= IOCB_NOWAIT;
		__set_bit(UBLK_BPF_AIO_NOWAIT, &aio->flags);
	} else {
		__clear_bit(UBLK_BPF_AIO_NOWAIT, &aio->flags);
	}

	if (!write)
		return file->f_op->read_iter(&aio->iocb, &iter);

	if (S_ISREG(file_inode(file)->i_mode)) {
		if (!nowait) {
			kiocb_start_write(&aio->iocb);
		} else {
			/* a frozen file system would block */
			if (!sb_start_write_trylock(file_inode(file)->i_sb))
				return -EAGAIN;
			/* like kiocb_start_write(): completion may be elsewhere */
			__sb_writers_release(file_inode(file)->i_sb,
					     SB_FREEZE_WRITE);
		}
		__set_bit(UBLK_BPF_AIO_WRITE_STARTED, &aio->flags);
	}
	return file->f_op->write_iter(&aio->iocb, &iter);
}

/* Run an aio in the fallback worker: may block. */
static void ublk_bpf_aio_run_blocking(struct ublk_bpf_aio *aio)
{
	struct file *file = aio->file;
	long ret;
	int idx;

	switch (aio->op & UBLK_BPF_AIO_OP_MASK) {
	case UBLK_BPF_AIO_OP_READ:
		ret = ublk_bpf_aio_rw(aio, false, false);
		break;
	case UBLK_BPF_AIO_OP_WRITE:
		ret = ublk_bpf_aio_rw(aio, true, false);
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
	if (ret == -EIOCBQUEUED)
		return;
	idx = srcu_read_lock(&ublk_bpf_srcu);
	ublk_bpf_aio_done(aio, ret);
	srcu_read_unlock(&ublk_bpf_srcu, idx);
}

/*
 * Whether an aio may run in its IO's stage. Only READ and WRITE: the
 * other operations always block. Like io_uring, a buffered write is only
 * tried without blocking on files that say they can (FOP_BUFFER_WASYNC),
 * and never with FUA, whose sync after the write would block. A tmpfs file
 * blocks only on its own locks and on swap; a stage running for memory
 * reclaim may hold those (reclaim under a tmpfs write that swaps to this
 * device), so it leaves them to the worker.
 */
static bool ublk_bpf_aio_may_inline(struct ublk_bpf_aio *aio, u32 op)
{
	struct file *file = aio->file;

	if (op != UBLK_BPF_AIO_OP_READ && op != UBLK_BPF_AIO_OP_WRITE)
		return false;
	/*
	 * Backing IO submitted from here nests in the submitter's
	 * submit_bio() (see ublk_bpf_stage_issue()): a stack of devices over
	 * files on devices leaves the deeper ones to the worker.
	 */
	if (current_stack_pointer - (unsigned long)task_stack_page(current) <
	    UBLK_BPF_INLINE_MIN_STACK)
		return false;
	switch (aio->how) {
	case UBLK_BPF_FILE_NOWAIT:
		if (op == UBLK_BPF_AIO_OP_READ || (file->f_flags & O_DIRECT) ||
		    !S_ISREG(file_inode(file)->i_mode))
			return true;
		return !(aio->op & UBLK_BPF_AIO_F_FUA) &&
		       (file->f_op->fop_flags & FOP_BUFFER_WASYNC);
	case UBLK_BPF_FILE_MEMORY:
		return !(current->flags & PF_MEMALLOC);
	default:
		return false;
	}
}

/*
 * Whether the online CPUs were idle (or waiting for IO, or lingering in a
 * spread's worker), together, for at least a quarter of one CPU's time
 * since the last look: a worker woken now would find a CPU that nothing
 * else wants. Two fio jobs keeping two CPUs busy leave none,
 * and moving their copies to workers would only add switches. A look (a
 * read of each CPU's idle time) happens at most once per
 * UBLK_BPF_SPARE_NS, by whichever stage asks first; the others take its
 * answer. Without the tick's idle accounting (nohz off), never.
 */
static bool ublk_bpf_cpu_to_spare(void)
{
	s64 last = atomic64_read(&ublk_bpf_spare_at);
	s64 now = ktime_get_ns();
	u64 idle = 0, us;
	bool spare;
	int cpu;

	if (now - last < UBLK_BPF_SPARE_NS ||
	    atomic64_cmpxchg(&ublk_bpf_spare_at, last, now) != last)
		return READ_ONCE(ublk_bpf_spare);
	for_each_online_cpu(cpu) {
		/*
		 * Both: each counts an idle period still going on only while
		 * the CPU has (iowait) or has not (idle) a task waiting for IO
		 */
		us = get_cpu_idle_time_us(cpu, NULL);
		if (us == (u64)-1) {
			WRITE_ONCE(ublk_bpf_spare, false);
			return false;
		}
		us += get_cpu_iowait_time_us(cpu, NULL);
		idle += us - per_cpu(ublk_bpf_idle_us, cpu);
		per_cpu(ublk_bpf_idle_us, cpu) = us;
	}
	us = atomic64_read(&ublk_bpf_lingered_ns);
	idle += (us - ublk_bpf_lingered_seen) / NSEC_PER_USEC;
	ublk_bpf_lingered_seen = us;
	spare = idle * NSEC_PER_USEC * 4 >= now - last;
	WRITE_ONCE(ublk_bpf_spare, spare);
	return spare;
}

static void ublk_bpf_spread_end(struct ublk_bpf_queue *q, bool idle)
{
	WRITE_ONCE(q->spreading, false);
	WRITE_ONCE(q->spread_ended_idle, idle);
	WRITE_ONCE(q->spread_probe_every, UBLK_BPF_SPREAD_PROBE);
}

/* A spread epoch moved fewer IOs than the check: end it, bar the next. */
static bool ublk_bpf_spread_lost(struct ublk_bpf_queue *q, u64 now)
{
	unsigned int bar = READ_ONCE(q->pay_bar) ?: 1;

	WRITE_ONCE(q->pay_barred_until, now + bar * UBLK_BPF_PAY_EPOCH_NS);
	WRITE_ONCE(q->pay_bar, min(bar * 2, UBLK_BPF_PAY_BAR_MAX));
	this_cpu_inc(q->dev->stats->aio_spread_lost);
	ublk_bpf_spread_end(q, false);
	return false;
}

/*
 * An arrival while @q spreads: whether it goes to the worker (false in a
 * check epoch, and when the epoch just ended lost and ended the spread).
 */
static bool ublk_bpf_spread_pays(struct ublk_bpf_queue *q, u64 now)
{
	u64 start = READ_ONCE(q->pay_start), rate;
	unsigned int n = READ_ONCE(q->pay_arrivals) + 1;
	unsigned int epoch = READ_ONCE(q->pay_epoch);

	if (now - start >= UBLK_BPF_PAY_EPOCH_NS) {
		rate = div64_u64((u64)n << 20, now - start);
		if (epoch % UBLK_BPF_PAY_CHECK) {
			if (rate * 100 <
			    READ_ONCE(q->pay_inline_rate) * UBLK_BPF_PAY_PCT)
				return ublk_bpf_spread_lost(q, now);
			WRITE_ONCE(q->pay_bar, 1);
		} else {
			WRITE_ONCE(q->pay_inline_rate, rate);
		}
		WRITE_ONCE(q->pay_epoch, ++epoch);
		WRITE_ONCE(q->pay_start, now);
		n = 0;
	}
	WRITE_ONCE(q->pay_arrivals, n);
	if (epoch % UBLK_BPF_PAY_CHECK)
		return true;
	/* the worker idles by design here: not the spread's end */
	WRITE_ONCE(q->spread_idle, 0);
	return false;
}

/*
 * The spare-CPU rule: whether an aio that may run in its stage goes to the
 * queue's worker instead. An aio on a tmpfs file or through the page cache
 * is a copy done by the CPU that submitted the IO. A submitter that keeps
 * a deep queue (fio at QD32) then spends its own CPU on every copy while
 * another CPU idles; the loop driver's worker copies on that other CPU.
 * Nothing the block layer passes tells a deep queue from QD1: fio submits
 * one IO per call, and a copy done inline completes its IO before the next
 * one arrives. So the rule probes: one such copy in UBLK_BPF_SPREAD_PROBE
 * goes to the worker. A submitter that waits for its IO (QD1) sends the
 * next one after the probe is done, finds the worker idle and the queue
 * stays inline, at the cost of one probe's wake-up in 64 IOs at first, and
 * in UBLK_BPF_SPREAD_PROBE_MAX once it waited for six in a row. One that does
 * not wait sends it while the probe is in flight, and the queue spreads:
 * its copies go to the worker until UBLK_BPF_SPREAD_IDLE (or, after spreads
 * that started again at once, up to UBLK_BPF_SPREAD_IDLE_MAX) arrivals in a
 * row find the worker with nothing to do. Probes, spreads, and every 64th copy
 * of a spread need a CPU to spare (ublk_bpf_cpu_to_spare()), and a spread
 * must pay (ublk_bpf_spread_pays()).
 */
static bool ublk_bpf_aio_spread(struct ublk_bpf_aio *aio)
{
	struct ublk_bpf_queue *q = &aio->io->dev->queues[aio->io->q_id];
	unsigned int idle, since, every, limit;
	bool busy;
	u64 now;

	if (!READ_ONCE(bpf_spread) || num_online_cpus() < 2)
		return false;
	busy = atomic_read(&q->spread_inflight) > 0;
	idle = busy ? 0 : READ_ONCE(q->spread_idle) + 1;
	WRITE_ONCE(q->spread_idle, idle);
	every = READ_ONCE(q->spread_probe_every) ?: UBLK_BPF_SPREAD_PROBE;
	since = READ_ONCE(q->spread_since_probe) + 1;
	if (since >= every)
		since = 0;
	WRITE_ONCE(q->spread_since_probe, since);
	limit = READ_ONCE(q->spread_idle_limit) ?: UBLK_BPF_SPREAD_IDLE;
	if (READ_ONCE(q->spreading)) {
		if (idle >= limit || (!since && !ublk_bpf_cpu_to_spare())) {
			ublk_bpf_spread_end(q, idle >= limit);
			return false;
		}
		return ublk_bpf_spread_pays(q, ktime_get_ns());
	}
	if (busy) {
		/* the submitter did not wait for the probe */
		now = ktime_get_ns();
		if (now < READ_ONCE(q->pay_barred_until) ||
		    !ublk_bpf_cpu_to_spare())
			return false;
		WRITE_ONCE(q->pay_start, now);
		WRITE_ONCE(q->pay_arrivals, 0);
		WRITE_ONCE(q->pay_epoch, 0);
		WRITE_ONCE(q->spreading, true);
		if (READ_ONCE(q->spread_ended_idle))
			WRITE_ONCE(q->spread_idle_limit,
				   min(limit * 2, UBLK_BPF_SPREAD_IDLE_MAX));
		WRITE_ONCE(q->spread_ended_idle, false);
		WRITE_ONCE(q->spread_probed, false);
		WRITE_ONCE(q->spread_probe_every, UBLK_BPF_SPREAD_PROBE);
		/* the first epoch is a check */
		return ublk_bpf_spread_pays(q, now);
	}
	/* the first arrival after a probe, which was waited for */
	if (READ_ONCE(q->spread_probed)) {
		WRITE_ONCE(q->spread_probed, false);
		WRITE_ONCE(q->spread_probe_every,
			   min(every * 2, UBLK_BPF_SPREAD_PROBE_MAX));
		WRITE_ONCE(q->spread_idle_limit, UBLK_BPF_SPREAD_IDLE);
		WRITE_ONCE(q->spread_ended_idle, false);
	}
	if (since || ktime_get_ns() < READ_ONCE(q->pay_barred_until) ||
	    !ublk_bpf_cpu_to_spare())
		return false;
	WRITE_ONCE(q->spread_probed, true);
	return true;
}

/*
 * Whether the aio is a copy done by the CPU that starts it; direct IO and
 * block devices complete asynchronously.
 */
static bool ublk_bpf_aio_is_copy(struct ublk_bpf_aio *aio)
{
	struct file *file = aio->file;

	return aio->how == UBLK_BPF_FILE_MEMORY ||
	       (S_ISREG(file_inode(file)->i_mode) && !(file->f_flags & O_DIRECT));
}

/* Start a READ or WRITE in a stage; completes it when it is synchronous. */
static void ublk_bpf_aio_start(struct ublk_bpf_aio *aio)
{
	u32 op = aio->op & UBLK_BPF_AIO_OP_MASK;
	bool nowait = aio->how == UBLK_BPF_FILE_NOWAIT;
	ssize_t ret;

	ret = ublk_bpf_aio_rw(aio, op == UBLK_BPF_AIO_OP_WRITE, nowait);
	if (ret == -EIOCBQUEUED)
		return;
	if (nowait) {
		/* some file systems refuse non-blocking IO with -EOPNOTSUPP */
		if (ret == -EAGAIN || ret == -EOPNOTSUPP) {
			ublk_bpf_aio_retry(aio, 0);
			return;
		}
		/* stopped where it would block, or at the end of the file */
		if (ret >= 0 && ret < aio->len) {
			ublk_bpf_aio_retry(aio, ret);
			return;
		}
	}
	ublk_bpf_aio_done(aio, ret);
}

/*
 * A tmpfs write that is no overwrite in place (it fills a hole, or meets
 * the file's end) copies under the file's inode lock: ->write_iter()
 * allocates the pages. Stages on several CPUs writing to one file would
 * wait there for each other, mostly spinning (under a hypervisor, even
 * for a holder whose vCPU is not running). So
 * the first stage to come becomes the file's writer and also does the
 * writes other stages queue meanwhile; those go back to their submitters
 * at once and their IOs end in the writer's completions. One copy at a
 * time is all the inode lock allowed anyway; the loop driver gets the same
 * order from its one worker per device, at the cost of a hand-off for
 * every IO. A writer does at most UBLK_BPF_WRITER_BUDGET writes and sends
 * the rest to their queues' workers, so that its own submitter waits a
 * bounded time.
 */
#define UBLK_BPF_WRITER_BUDGET	64

static void ublk_bpf_aio_write_memory(struct ublk_bpf_aio *aio)
{
	struct ublk_bpf_file *f = &aio->io->dev->files[aio->file_idx];
	unsigned int budget = UBLK_BPF_WRITER_BUDGET;
	struct ublk_bpf_aio *own = aio, *next;
	struct llist_node *list;

	/* an overwrite needs no writer: see ublk_bpf_aio_write_in_place() */
	aio->done += ublk_bpf_aio_write_in_place(aio);
	if (aio->done == aio->len) {
		ublk_bpf_aio_done(aio, 0);
		return;
	}
	llist_add(&aio->node, &f->writes);
	/* the writer at the time of the llist_add() sees the write */
	while (!atomic_xchg(&f->writer, 1)) {
		while ((list = llist_del_all(&f->writes))) {
			list = llist_reverse_order(list);
			llist_for_each_entry_safe(aio, next, list, node) {
				if (!budget) {
					ublk_bpf_aio_punt(aio);
					continue;
				}
				budget--;
				/* @own may be freed and its memory reused */
				if (aio == own)
					own = NULL;
				else
					__set_bit(UBLK_BPF_AIO_COMBINED,
						  &aio->flags);
				ublk_bpf_aio_start(aio);
			}
		}
		atomic_set_release(&f->writer, 0);
		/* against a write queued just before the release */
		smp_mb();
		if (llist_empty(&f->writes))
			break;
	}
}

/*
 * Start an aio from its IO's stage, which may sleep and holds
 * ublk_bpf_srcu; completes it here when the operation is synchronous.
 * @spread is the spare-CPU rule's answer for the stage: asked at its first
 * copy (-1 until then) and followed by the others, so that the second leg
 * of a mirror write does not look like a submitter that did not wait.
 */
static void ublk_bpf_aio_run_inline(struct ublk_bpf_aio *aio, int *spread)
{
	struct ublk_bpf_queue *q = &aio->io->dev->queues[aio->io->q_id];
	u32 op = aio->op & UBLK_BPF_AIO_OP_MASK;

	if (!ublk_bpf_aio_may_inline(aio, op)) {
		ublk_bpf_aio_punt(aio);
		return;
	}
	/*
	 * A tmpfs write that finds the file with a writer is done by that
	 * writer, on its CPU: the rule would only add a hand-off. Not while
	 * the queue spreads: the rule counts its arrivals, and the writer is
	 * then mostly its own worker.
	 */
	if (op == UBLK_BPF_AIO_OP_WRITE && aio->how == UBLK_BPF_FILE_MEMORY &&
	    !READ_ONCE(q->spreading) &&
	    atomic_read(&aio->io->dev->files[aio->file_idx].writer)) {
		ublk_bpf_aio_write_memory(aio);
		return;
	}
	if (ublk_bpf_aio_is_copy(aio)) {
		if (*spread < 0)
			*spread = ublk_bpf_aio_spread(aio);
		if (*spread) {
			atomic_inc(&q->spread_inflight);
			__set_bit(UBLK_BPF_AIO_SPREAD, &aio->flags);
			ublk_bpf_aio_punt(aio);
			return;
		}
	}
	if (op == UBLK_BPF_AIO_OP_WRITE && aio->how == UBLK_BPF_FILE_MEMORY) {
		ublk_bpf_aio_write_memory(aio);
		return;
	}
	ublk_bpf_aio_start(aio);
}

/**
 * ublk_bpf_stage_issue - start the aios the stage's program submitted
 * @io: the IO, held by its stage, whose stage_task is current
 *
 * Called by a stage after each program call, outside the program's RCU
 * section, with ublk_bpf_srcu held. aio_complete() callbacks of
 * operations that complete here may submit more; they are started too.
 */
void ublk_bpf_stage_issue(struct ublk_bpf_io *io)
{
	struct bio_list *outer_bios = current->bio_list;
	struct blk_plug *outer_plug = current->plug;
	struct ublk_bpf_aio *aio, *next;
	struct llist_node *list;
	unsigned int noio;
	int spread = -1;

	if (llist_empty(&io->pending))
		return;
	/*
	 * The backing IO goes out at once, from here, in neither of the
	 * submitter's queues. ->queue_rq() runs inside submit_bio() (a
	 * submitter without a plug issues directly), where a nested bio
	 * waits on current->bio_list until the outer one returns: one the
	 * backing file system then waits for itself (an extent block read)
	 * never went out, and a device's partition scan hung. It runs inside
	 * blk_mq_flush_plug_list() of the submitter's plug too, which a bio
	 * added to it left counting requests it no longer listed
	 * (blk_add_rq_to_plug() then dereferenced the missing last one). A
	 * plug of our own would be flushed, when the backing IO waits,
	 * through kblockd, whose worker may be waiting for this very
	 * dispatch (blk_mq_timeout_work()). The scheduler expects a plug
	 * while PF_BLOCK_TS is set: both go.
	 */
	blk_plug_invalidate_ts();
	current->plug = NULL;
	current->bio_list = NULL;
	/* the backing file's IO must not recurse into reclaim */
	noio = memalloc_noio_save();
	while ((list = llist_del_all(&io->pending))) {
		list = llist_reverse_order(list);
		llist_for_each_entry_safe(aio, next, list, node)
			ublk_bpf_aio_run_inline(aio, &spread);
	}
	memalloc_noio_restore(noio);
	current->bio_list = outer_bios;
	current->plug = outer_plug;
}

/*
 * While its queue spreads, the worker waits a little for the next copy
 * before it returns: a spread submitter sends one about every few
 * microseconds, and a worker that went to sleep between them would cost a
 * wake-up of its CPU per copy. The CPU it spins on is one with time to
 * spare (the spread's condition). A punt finds the worker lingering and
 * does not queue the work again.
 */
#define UBLK_BPF_LINGER_NS	(50 * NSEC_PER_USEC)

static bool ublk_bpf_queue_linger(struct ublk_bpf_queue *q)
{
	u64 start = ktime_get_ns(), now = start;

	if (!READ_ONCE(q->spreading))
		return false;
	WRITE_ONCE(q->worker_lingers, true);
	while (llist_empty(&q->fallback) && !need_resched() &&
	       now - start < UBLK_BPF_LINGER_NS) {
		cpu_relax();
		now = ktime_get_ns();
	}
	WRITE_ONCE(q->worker_lingers, false);
	/* the CPU had that time to spare (ublk_bpf_cpu_to_spare()) */
	atomic64_add(now - start, &ublk_bpf_lingered_ns);
	/* against a punt that saw the worker lingering: see it */
	smp_mb();
	return !llist_empty(&q->fallback);
}

static void ublk_bpf_queue_work(struct work_struct *work)
{
	struct ublk_bpf_queue *q = container_of(work, struct ublk_bpf_queue,
						work);
	struct ublk_bpf_aio *aio, *next;
	struct llist_node *list;
	unsigned int noio = memalloc_noio_save();

	do {
		while ((list = llist_del_all(&q->fallback))) {
			list = llist_reverse_order(list);
			llist_for_each_entry_safe(aio, next, list, node) {
				if (unlikely(bpf_spread_test_delay_us) &&
				    test_bit(UBLK_BPF_AIO_SPREAD, &aio->flags))
					udelay(min(bpf_spread_test_delay_us, 1000U));
				ublk_bpf_aio_run_blocking(aio);
				cond_resched();
			}
		}
	} while (ublk_bpf_queue_linger(q));
	memalloc_noio_restore(noio);
}

/**
 * ublk_bpf_queue_init - set up the per-queue state of a device
 * @q: the queue's state
 * @bd: the device
 */
void ublk_bpf_queue_init(struct ublk_bpf_queue *q, struct ublk_bpf_dev *bd)
{
	q->dev = bd;
	init_llist_head(&q->fallback);
	INIT_WORK(&q->work, ublk_bpf_queue_work);
	spin_lock_init(&q->pattern_lock);
}

/* Everything submit refuses; the direction rule is counted on its own. */
static int ublk_bpf_aio_check(struct ublk_bpf_aio *aio, u32 op, u32 file_idx,
			      u64 pos)
{
	bool attached = test_bit(UBLK_BPF_AIO_ATTACHED, &aio->flags);
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
	file = bd->files[file_idx].file;

	switch (kind) {
	case UBLK_BPF_AIO_OP_READ:
	case UBLK_BPF_AIO_OP_WRITE:
		if (io->op != (kind == UBLK_BPF_AIO_OP_READ ? REQ_OP_READ :
							      REQ_OP_WRITE)) {
			this_cpu_inc(bd->stats->dir_refused);
			pr_warn_ratelimited("dev %u: %s aio on a %s request refused\n",
					    bd->dev_id,
					    kind == UBLK_BPF_AIO_OP_READ ? "read" : "write",
					    blk_op_str(io->op));
			return -EPERM;
		}
		need = kind == UBLK_BPF_AIO_OP_READ ? FMODE_READ : FMODE_WRITE;
		if (!attached)
			return -EINVAL;
		break;
	case UBLK_BPF_AIO_OP_FSYNC:
	case UBLK_BPF_AIO_OP_FDATASYNC:
		need = 0;
		break;
	case UBLK_BPF_AIO_OP_DISCARD:
	case UBLK_BPF_AIO_OP_WRITE_ZEROES:
		need = FMODE_WRITE;
		if (!attached)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if ((file->f_mode & need) != need)
		return -EBADF;
	/* FSYNC and FDATASYNC ignore @pos and the slice */
	if (attached && (pos > LLONG_MAX || pos > LLONG_MAX - aio->len))
		return -EINVAL;

	aio->op = op;
	aio->file_idx = file_idx;
	aio->pos = pos;
	aio->file = file;
	aio->how = bd->files[file_idx].how;
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
 * Return: the aio, or NULL when out of memory, when @io was already
 * completed with ublk_bpf_complete_io(), or when it timed out.
 */
__bpf_kfunc struct ublk_bpf_aio *ublk_bpf_aio_alloc(struct ublk_bpf_io *io)
{
	struct ublk_bpf_aio *aio = NULL;
	int slot;

	if (!ublk_bpf_io_live(io) ||
	    test_bit(UBLK_BPF_IO_COMPLETED, &io->flags)) {
		this_cpu_inc(io->dev->stats->refused);
		return NULL;
	}
	/* a timed-out IO ends when its aios do: none may be added */
	if (test_bit(UBLK_BPF_IO_TIMED_OUT, &io->flags)) {
		this_cpu_inc(io->dev->stats->aio_timed_out);
		return NULL;
	}
	for (slot = 0; slot < UBLK_BPF_IO_AIOS; slot++) {
		if (!test_and_set_bit_lock(slot, &io->aio_busy)) {
			aio = &io->aios[slot];
			memset(aio, 0, sizeof(*aio));
			break;
		}
	}
	if (!aio) {
		aio = kmem_cache_zalloc(ublk_bpf_aio_cache,
					GFP_NOWAIT | __GFP_NOWARN);
		if (!aio)
			return NULL;
		slot = -1;
	}
	aio->slot = slot;
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
	__set_bit(UBLK_BPF_AIO_ATTACHED, &aio->flags);
	return 0;
}

/**
 * ublk_bpf_aio_submit - start an aio
 * @aio: the aio; consumed whatever the result
 * @op: UBLK_BPF_AIO_OP_* and UBLK_BPF_AIO_F_* flags
 * @file_idx: index of a file registered with UBLK_U_CMD_BPF_REG_FILES
 * @pos: offset in the file
 *
 * On success the operation starts once the program returns and
 * aio_complete() is called when it is done. On failure the aio is freed,
 * aio_complete() is not called, and the IO is not affected.
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
	/*
	 * Only the task running the IO's stage, outside any interrupt,
	 * adds to the stage's list: it is the one to start them.
	 */
	if (in_task() && READ_ONCE(io->stage_task) == current)
		llist_add(&aio->node, &io->pending);
	else
		ublk_bpf_aio_punt(aio);
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
