// SPDX-License-Identifier: GPL-2.0
/*
 * ublk-bpf: the life of one IO on the BPF path.
 *
 * ublk_queue_rq() offers each request to the device's program first. The
 * IO state (struct ublk_bpf_io) holds references: one "ownership" reference
 * for whoever is responsible for completing the IO (a stage of this file,
 * then the program after UBLK_BPF_IO_QUEUED), one for each program call in
 * progress, one for each aio. The request is ended, or requeued, only when
 * the last reference goes, so it cannot complete while an aio still uses its
 * pages, nor while a program still holds the IO as an argument, and it ends
 * exactly once. Whoever clears UBLK_BPF_IO_OWNED drops the ownership
 * reference: the program through ublk_bpf_complete_io(), this file when the
 * program handled every byte (auto-completion) or returned an error, the
 * block layer timeout, or the unregistration of the program.
 *
 * Before a READ request is ended successfully, every byte no aio read into
 * is zero-filled, so stale page contents never reach the reader.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/highmem.h>
#include <linux/minmax.h>
#include "ublk_bpf_priv.h"

/* Requeued IOs come back after this long, to let resources come back. */
#define UBLK_BPF_REQUEUE_DELAY_MS	3

/* What a stage did with the IO. */
enum ublk_bpf_stage_res {
	UBLK_BPF_STAGE_KEPT,		/* BPF owns the IO, caller must not touch it */
	UBLK_BPF_STAGE_REDIRECT,	/* the IO goes on to the next handler */
};

/**
 * ublk_bpf_rq_zero - zero a byte range of a request's data
 * @rq: the request
 * @off: first byte, counted from the start of the request
 * @len: number of bytes
 *
 * Return: the number of bytes zeroed.
 */
u32 ublk_bpf_rq_zero(struct request *rq, u32 off, u32 len)
{
	struct req_iterator iter;
	struct bio_vec bv;
	u32 end = off + len;
	u32 pos = 0;
	u32 zeroed = 0;

	if (!len)
		return 0;

	rq_for_each_segment(bv, rq, iter) {
		u32 from = max(pos, off);
		u32 to = min(pos + bv.bv_len, end);

		if (from < to) {
			memzero_page(bv.bv_page, bv.bv_offset + (from - pos),
				     to - from);
			zeroed += to - from;
		}
		pos += bv.bv_len;
		if (pos >= end)
			goto out;
	}
out:
	return zeroed;
}

/*
 * Zero what no aio read into. The ranges are sorted and disjoint, see
 * ublk_bpf_io_add_read_range(); no aio runs any more, so no lock is needed.
 */
static void ublk_bpf_io_zero_unread(struct ublk_bpf_io *io)
{
	u32 pos = 0;
	u32 zeroed = 0;
	int i;

	for (i = 0; i < io->nr_ranges; i++) {
		if (io->ranges[i].start > pos)
			zeroed += ublk_bpf_rq_zero(io->rq, pos,
						   io->ranges[i].start - pos);
		pos = io->ranges[i].end;
	}
	if (pos < io->bytes)
		zeroed += ublk_bpf_rq_zero(io->rq, pos, io->bytes - pos);
	if (zeroed)
		this_cpu_add(io->dev->stats->zero_filled_bytes, zeroed);
}

/**
 * ublk_bpf_io_add_read_range - record that an aio will read into a slice
 * @io: a READ IO
 * @off: start of the slice
 * @len: length of the slice
 *
 * Keeps @io->ranges sorted, merging overlapping and adjacent slices.
 *
 * Return: 0, or -E2BIG when more than UBLK_BPF_MAX_READ_RANGES disjoint
 * ranges would be needed.
 */
int ublk_bpf_io_add_read_range(struct ublk_bpf_io *io, u32 off, u32 len)
{
	struct ublk_bpf_range merged[UBLK_BPF_MAX_READ_RANGES];
	struct ublk_bpf_range add = { .start = off, .end = off + len };
	bool placed = false;
	unsigned long flags;
	int i, n = 0;
	int ret = 0;

	/* aio_complete() may submit from hardirq context (->ki_complete()) */
	spin_lock_irqsave(&io->lock, flags);
	for (i = 0; i < io->nr_ranges; i++) {
		struct ublk_bpf_range r = io->ranges[i];

		if (r.end < add.start) {
			/* entirely before, not touching */
		} else if (r.start > add.end) {
			/* entirely after: the new range goes first */
			if (!placed) {
				if (n == UBLK_BPF_MAX_READ_RANGES)
					goto too_many;
				merged[n++] = add;
				placed = true;
			}
		} else {
			add.start = min(add.start, r.start);
			add.end = max(add.end, r.end);
			continue;
		}
		if (n == UBLK_BPF_MAX_READ_RANGES)
			goto too_many;
		merged[n++] = r;
	}
	if (!placed) {
		if (n == UBLK_BPF_MAX_READ_RANGES)
			goto too_many;
		merged[n++] = add;
	}
	memcpy(io->ranges, merged, n * sizeof(merged[0]));
	io->nr_ranges = n;
	goto unlock;
too_many:
	ret = -E2BIG;
unlock:
	spin_unlock_irqrestore(&io->lock, flags);
	return ret;
}

/*
 * The last reference is gone: end or requeue the request. The caller
 * holds ublk_bpf_srcu (the stage's, the completion's or its own section).
 */
static void ublk_bpf_io_end(struct ublk_bpf_io *io)
{
	struct ublk_bpf_dev *bd = io->dev;
	struct request *rq = io->rq;
	struct ublk_bpf_binding *b;
	int res = READ_ONCE(io->res);
	bool requeue = test_bit(UBLK_BPF_IO_REQUEUE, &io->flags);

	if (!requeue && !res && io->op == REQ_OP_READ)
		ublk_bpf_io_zero_unread(io);

	/* From here on no kfunc accepts the IO. */
	clear_bit(UBLK_BPF_IO_ACTIVE, &io->flags);

	b = srcu_dereference(bd->binding, &ublk_bpf_srcu);
	if (b && b->gen == io->gen && b->ops->release_io_cmd)
		b->ops->release_io_cmd(io);

	/* The request may be reused as soon as it ends: forget it first. */
	WRITE_ONCE(io->flags, 0);

	if (requeue) {
		this_cpu_inc(bd->stats->io_requeued);
		blk_mq_requeue_request(rq, false);
		blk_mq_delay_kick_requeue_list(rq->q, UBLK_BPF_REQUEUE_DELAY_MS);
		return;
	}
	if (res)
		this_cpu_inc(bd->stats->io_failed);
	/*
	 * Same reason as the driver's ublk_end_request(), in task context;
	 * an aio completion in hardirq context cannot run bottom halves.
	 */
	if (in_hardirq() || irqs_disabled()) {
		blk_mq_end_request(rq, errno_to_blk_status(res));
		return;
	}
	local_bh_disable();
	blk_mq_end_request(rq, errno_to_blk_status(res));
	local_bh_enable();
}

/**
 * ublk_bpf_io_put - drop a reference on an IO
 * @io: the IO
 *
 * The last reference ends the request. The caller holds ublk_bpf_srcu,
 * and must not touch @io nor its request afterwards unless it holds
 * another reference.
 */
void ublk_bpf_io_put(struct ublk_bpf_io *io)
{
	if (refcount_dec_and_test(&io->refs))
		ublk_bpf_io_end(io);
}

/**
 * ublk_bpf_io_set_error - record an error for an IO
 * @io: the IO
 * @err: negative errno
 *
 * The first error recorded is the one the request completes with.
 */
void ublk_bpf_io_set_error(struct ublk_bpf_io *io, int err)
{
	if (err < 0)
		cmpxchg(&io->res, 0, err);
}

/**
 * ublk_bpf_io_finish - drop the ownership reference of an IO
 * @io: the IO
 * @res: 0, or a negative errno to fail the IO with
 *
 * The request then ends as soon as its aios and program calls are done.
 *
 * Return: true if this call dropped the ownership reference, false if it
 * had already been dropped.
 */
bool ublk_bpf_io_finish(struct ublk_bpf_io *io, int res)
{
	if (!test_and_clear_bit(UBLK_BPF_IO_OWNED, &io->flags))
		return false;
	ublk_bpf_io_set_error(io, res);
	ublk_bpf_io_put(io);
	return true;
}

static void ublk_bpf_io_start(struct ublk_bpf_io *io, struct request *rq,
			      const struct ublksrv_io_desc *iod, u64 gen)
{
	io->rq = rq;
	io->iod = iod;
	io->gen = gen;
	io->res = 0;
	io->bytes = blk_rq_bytes(rq);
	io->done = 0;
	io->op = req_op(rq);
	io->nr_ranges = 0;
	io->stage_task = NULL;
	init_llist_head(&io->pending);
	refcount_set(&io->refs, 1);
	/* Pairs with the atomic bit operations of kfuncs and scans. */
	smp_store_release(&io->flags, BIT(UBLK_BPF_IO_ACTIVE) |
					BIT(UBLK_BPF_IO_OWNED));
}

/*
 * Hand an IO the program redirected back to the driver, untouched: drop
 * the ownership reference and then the caller's call reference, which
 * must be the last one. Only called when no aio was submitted and no
 * program call runs, so no other reference is expected.
 *
 * Return: true if the IO was handed back (its state is reset and the
 * caller's reference is gone); false if it was completed or timed out
 * meanwhile, or held by an unexpected reference (then it fails with -EIO
 * when that goes): the caller still holds its reference.
 */
static bool ublk_bpf_io_give_back(struct ublk_bpf_io *io)
{
	if (!test_and_clear_bit(UBLK_BPF_IO_OWNED, &io->flags))
		return false;
	/* the caller's reference keeps the count above zero */
	refcount_dec(&io->refs);
	if (WARN_ON_ONCE(!refcount_dec_if_one(&io->refs))) {
		ublk_bpf_io_set_error(io, -EIO);
		return false;
	}
	WRITE_ONCE(io->flags, 0);
	return true;
}

/* Checks a UBLK_BPF_IO_CONTINUE byte count and applies it. */
static bool ublk_bpf_io_advance(struct ublk_bpf_io *io, u32 bytes)
{
	if (bytes > io->bytes - io->done || (bytes & (SECTOR_SIZE - 1)))
		return false;
	/* no progress is only allowed to finish a request without data */
	if (!bytes && io->done != io->bytes)
		return false;
	io->done += bytes;
	return true;
}

/*
 * Run queue_io_cmd() or queue_io_cmd_daemon() until the program keeps the
 * IO, handled all of it, failed it or redirected it.
 */
static enum ublk_bpf_stage_res ublk_bpf_run_stage(struct ublk_bpf_io *io,
						  const struct ublk_bpf_ops *ops,
						  bool daemon)
{
	struct ublk_bpf_dev *bd = io->dev;
	int ret;

	/*
	 * One call reference for the whole stage: between two calls the
	 * program's aio_complete() may complete the IO on another CPU.
	 */
	ublk_bpf_io_get(io);
	WRITE_ONCE(io->stage_task, current);
	for (;;) {
		u32 disp, bytes;

		if (daemon)
			ret = ops->queue_io_cmd_daemon(io, io->done);
		else
			ret = ops->queue_io_cmd(io, io->done);
		/* out of the program's RCU section: start its aios */
		ublk_bpf_stage_issue(io);

		/* completed by the program, or failed by the timeout */
		if (test_bit(UBLK_BPF_IO_COMPLETED, &io->flags) ||
		    !test_bit(UBLK_BPF_IO_OWNED, &io->flags))
			break;
		if (ret < 0) {
			/* out of resources before anything started: retry */
			if ((ret == -ENOMEM || ret == -EBUSY) && !io->done &&
			    !test_bit(UBLK_BPF_IO_AIO_USED, &io->flags)) {
				set_bit(UBLK_BPF_IO_REQUEUE, &io->flags);
				ret = 0;
			}
			ublk_bpf_io_finish(io, ret);
			break;
		}

		disp = ret & UBLK_BPF_IO_DISP_MASK;
		bytes = ret & UBLK_BPF_IO_BYTES_MASK;
		if (disp == UBLK_BPF_IO_QUEUED)
			break;
		if (disp == UBLK_BPF_IO_CONTINUE) {
			if (!ublk_bpf_io_advance(io, bytes))
				goto bad;
			if (io->done == io->bytes) {
				ublk_bpf_io_finish(io, 0);
				break;
			}
			continue;
		}
		if (disp == UBLK_BPF_IO_REDIRECT) {
			if (io->done || test_bit(UBLK_BPF_IO_AIO_USED, &io->flags))
				goto bad;
			if (ublk_bpf_io_give_back(io)) {
				WRITE_ONCE(io->stage_task, NULL);
				return UBLK_BPF_STAGE_REDIRECT;
			}
			break;
		}
bad:
		this_cpu_inc(bd->stats->bad_disposition);
		pr_warn_ratelimited("dev %u: bad return value %#x from %s\n",
				    bd->dev_id, ret,
				    daemon ? "queue_io_cmd_daemon" : "queue_io_cmd");
		ublk_bpf_io_finish(io, -EIO);
		break;
	}
	WRITE_ONCE(io->stage_task, NULL);
	ublk_bpf_io_put(io);
	return UBLK_BPF_STAGE_KEPT;
}

/*
 * Count @io in its queue's IO pattern and note the hint it is served with.
 * Only reads and writes make a pattern; other ops get the current hint.
 * ->queue_rq() of a BPF device (BLK_MQ_F_BLOCKING) runs in process context
 * only, so the lock is never taken from an interrupt.
 */
static void ublk_bpf_io_classify(struct ublk_bpf_io *io,
				 const struct ublksrv_io_desc *iod)
{
	struct ublk_bpf_queue *q = &io->dev->queues[io->q_id];
	u8 op = ublksrv_get_op(iod);

	if (op != UBLK_IO_OP_READ && op != UBLK_IO_OP_WRITE) {
		io->pattern = READ_ONCE(q->pattern.hint);
		return;
	}
	spin_lock(&q->pattern_lock);
	io->pattern = ublk_io_pattern_update(&q->pattern, iod->start_sector,
					     iod->nr_sectors);
	spin_unlock(&q->pattern_lock);
	if (io->pattern == UBLK_IO_PATTERN_SEQUENTIAL)
		this_cpu_inc(io->dev->stats->io_hint_sequential);
	else
		this_cpu_inc(io->dev->stats->io_hint_random);
}

/**
 * ublk_bpf_queue_rq - offer a request to the program, from ->queue_rq()
 * @bd: BPF state of the device
 * @rq: the started request
 * @iod: its descriptor, already filled
 * @q_id: its hardware queue
 *
 * Return: true if BPF consumed the request; false if the driver goes on
 * with it (to queue_io_cmd_daemon() or the ublk server, through task work).
 */
bool ublk_bpf_queue_rq(struct ublk_bpf_dev *bd, struct request *rq,
		       const struct ublksrv_io_desc *iod, u16 q_id)
{
	struct ublk_bpf_io *io = ublk_bpf_io_of(bd, q_id, rq->tag);
	const struct ublk_bpf_ops *ops;
	struct ublk_bpf_binding *b;
	bool consumed = false;
	int idx;

	WRITE_ONCE(io->flags, 0);
	ublk_bpf_io_classify(io, iod);

	idx = srcu_read_lock(&ublk_bpf_srcu);
	b = srcu_dereference(bd->binding, &ublk_bpf_srcu);
	if (!b)
		goto to_server;
	ops = b->ops;
	if (ops->queue_io_cmd) {
		ublk_bpf_io_start(io, rq, iod, b->gen);
		if (ublk_bpf_run_stage(io, ops, false) == UBLK_BPF_STAGE_KEPT) {
			this_cpu_inc(bd->stats->io_bpf);
			consumed = true;
			goto out;
		}
	}
	if (ops->queue_io_cmd_daemon) {
		set_bit(UBLK_BPF_IO_TO_DAEMON, &io->flags);
		goto out;
	}
to_server:
	this_cpu_inc(bd->stats->io_redirected);
out:
	srcu_read_unlock(&ublk_bpf_srcu, idx);
	return consumed;
}

/**
 * ublk_bpf_task_work - run queue_io_cmd_daemon(), from the server's task
 * @bd: BPF state of the device
 * @rq: the request
 * @iod: its descriptor
 * @q_id: its hardware queue
 *
 * Return: true if BPF consumed the request; false if it goes to the ublk
 * server.
 */
bool ublk_bpf_task_work(struct ublk_bpf_dev *bd, struct request *rq,
			const struct ublksrv_io_desc *iod, u16 q_id)
{
	struct ublk_bpf_io *io = ublk_bpf_io_of(bd, q_id, rq->tag);
	struct ublk_bpf_binding *b;
	bool consumed = false;
	int idx;

	if (!test_and_clear_bit(UBLK_BPF_IO_TO_DAEMON, &io->flags))
		return false;

	idx = srcu_read_lock(&ublk_bpf_srcu);
	b = srcu_dereference(bd->binding, &ublk_bpf_srcu);
	if (b && b->ops->queue_io_cmd_daemon) {
		ublk_bpf_io_start(io, rq, iod, b->gen);
		if (ublk_bpf_run_stage(io, b->ops, true) == UBLK_BPF_STAGE_KEPT) {
			this_cpu_inc(bd->stats->io_bpf);
			consumed = true;
			goto out;
		}
	}
	this_cpu_inc(bd->stats->io_redirected);
out:
	srcu_read_unlock(&ublk_bpf_srcu, idx);
	return consumed;
}

/**
 * ublk_bpf_commit_retry - the server gives an IO back to the program
 * @bd: BPF state of the device
 * @rq: the request the server committed
 * @res: the result the server committed
 *
 * A server that committed -EAGAIN asks for the IO to be offered to the BPF
 * program again, from the start, for example after it updated a map the
 * program needed.
 *
 * Without a program bound the request would only come back to the server,
 * so it fails with -EAGAIN as on the stock driver.
 *
 * Return: true if the request was requeued for that.
 */
bool ublk_bpf_commit_retry(struct ublk_bpf_dev *bd, struct request *rq,
			   int res)
{
	if (res != -EAGAIN || !rcu_access_pointer(bd->binding))
		return false;
	this_cpu_inc(bd->stats->io_retried);
	blk_mq_requeue_request(rq, true);
	return true;
}

/**
 * ublk_bpf_timeout - block layer timeout of a request
 * @bd: BPF state of the device
 * @rq: the request
 * @q_id: its hardware queue
 * @ret: what ->timeout() returns, when this function returns true
 *
 * An IO the program still owns when it times out is failed with
 * -ETIMEDOUT; it ends once its aios are done. An IO whose aios are still
 * running gets more time. From the first timeout on, the IO takes no new
 * aio (ublk_bpf_aio_alloc()): an aio_complete() that submits again on
 * every completion would otherwise keep it alive for ever.
 *
 * Return: true if the request is on the BPF path and @ret is set.
 */
bool ublk_bpf_timeout(struct ublk_bpf_dev *bd, struct request *rq, u16 q_id,
		      enum blk_eh_timer_return *ret)
{
	struct ublk_bpf_io *io = ublk_bpf_io_of(bd, q_id, rq->tag);
	bool finished;
	int idx;

	if (!ublk_bpf_io_live(io))
		return false;
	set_bit(UBLK_BPF_IO_TIMED_OUT, &io->flags);
	idx = srcu_read_lock(&ublk_bpf_srcu);
	finished = ublk_bpf_io_finish(io, -ETIMEDOUT);
	srcu_read_unlock(&ublk_bpf_srcu, idx);
	if (finished) {
		this_cpu_inc(bd->stats->io_timeout);
		pr_warn_ratelimited("dev %u: program did not complete tag %u of queue %u in time\n",
				    bd->dev_id, rq->tag, q_id);
		*ret = BLK_EH_DONE;
	} else {
		*ret = BLK_EH_RESET_TIMER;
	}
	return true;
}

/**
 * ublk_bpf_dev_abandon_ios - take back the IOs an unbound program owned
 * @bd: BPF state of the device
 * @gen: the binding that was taken down
 *
 * Called once no program call can be running for the binding any more.
 * The IOs the program kept but had not completed are requeued as soon as
 * their aios are done; they reach the next handler (a new program or the
 * ublk server) from the start.
 */
void ublk_bpf_dev_abandon_ios(struct ublk_bpf_dev *bd, u64 gen)
{
	u32 i, nr = (u32)bd->nr_queues * bd->depth;
	int idx = srcu_read_lock(&ublk_bpf_srcu);

	for (i = 0; i < nr; i++) {
		struct ublk_bpf_io *io = &bd->ios[i];

		if (!ublk_bpf_io_live(io) || READ_ONCE(io->gen) != gen)
			continue;
		if (!test_and_clear_bit(UBLK_BPF_IO_OWNED, &io->flags))
			continue;
		set_bit(UBLK_BPF_IO_REQUEUE, &io->flags);
		ublk_bpf_io_put(io);
	}
	srcu_read_unlock(&ublk_bpf_srcu, idx);
}
