// SPDX-License-Identifier: GPL-2.0
/*
 * One thread per hardware queue. Each tag always has exactly one ublk
 * command parked in the driver (FETCH_REQ at start, COMMIT_AND_FETCH_REQ
 * after each IO); its completion hands us the next IO of that tag. Backing
 * IO of the target runs on the same ring. A queue is done when the driver
 * has aborted every command (device stopped) and no backing IO is left.
 *
 * A thread and its ring (a group) serve one queue, or hardware queue q of
 * several devices (ublk_queue_start_shared()): each such queue is a member
 * and ends on its own; the thread ends with the last. Group state is the
 * thread's alone, but for refs (atomic), which the joins count down.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctrl.h"
#include "io_pattern_stats.h"
#include "log.h"
#include "ublk.h"

struct ublk_queue_group {
	struct io_uring ring;
	bool ring_ready;		/* set up (by the thread) */
	pthread_t thread;
	unsigned int nr;		/* members */
	struct ublk_queue **members;	/* NULL once a member is done */
	unsigned int live;		/* members not done */
	unsigned int own_inflight;	/* shared: the target's own SQEs */
	int ready_fd;			/* eventfd: all FETCH_REQs queued */
	int err;			/* the ring could not be made */
	int refs;			/* members not joined (atomic) */
};

static bool ublk_group_shared(const struct ublk_queue_group *g)
{
	return g->nr > 1;
}

static uint64_t ublk_ud_member(const struct ublk_queue *q)
{
	return (uint64_t)q->member << UBLK_UD_MEMBER_SHIFT;
}

static size_t ublk_round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

struct io_uring_sqe *ublk_queue_get_sqe(struct ublk_queue *q)
{
	struct io_uring *ring = &q->grp->ring;
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	/*
	 * The SQ holds two entries per tag; an IO split in many pieces may
	 * fill it: hand what is queued to the kernel and take a fresh one.
	 */
	while (!sqe) {
		int ret = io_uring_submit(ring);

		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
			ublk_err("queue %u: io_uring_submit: %s", q->q_id, strerror(-ret));
			abort();
		}
		sqe = io_uring_get_sqe(ring);
	}
	return sqe;
}

static void ublk_queue_io_cmd(struct ublk_queue *q, unsigned int tag,
			      unsigned int cmd_op, int result)
{
	struct io_uring_sqe *sqe = ublk_queue_get_sqe(q);
	struct ublksrv_io_cmd *cmd;

	if (ublk_group_shared(q->grp)) {	/* ublk_group_ring_init() says why */
		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, q->dev->cdev_fd, NULL, 0, 0);
	} else {
		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, UBLK_FIXED_CDEV, NULL, 0, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
	}
	sqe->cmd_op = ublk_cmd_op(cmd_op);
	cmd = (struct ublksrv_io_cmd *)sqe->cmd;
	memset(cmd, 0, sizeof(*cmd));
	cmd->q_id = q->q_id;
	cmd->tag = tag;
	cmd->result = result;
	cmd->addr = (__u64)(uintptr_t)ublk_io_buf(q, tag);
	io_uring_sqe_set_data64(sqe, tag | ublk_ud_member(q));
	q->cmds_inflight++;
}

void ublk_queue_tgt_io(struct ublk_queue *q, struct io_uring_sqe *sqe,
		       unsigned int tag, unsigned int op, unsigned int piece)
{
	io_uring_sqe_set_data64(sqe, ublk_tgt_user_data(tag, op, piece) | ublk_ud_member(q));
	q->ios[tag].pending++;
	q->tgt_inflight++;
}

void ublk_queue_own_io(struct ublk_queue *q, struct io_uring_sqe *sqe, uint32_t cookie)
{
	io_uring_sqe_set_data64(sqe, UBLK_UD_TGT | UBLK_UD_OWN | ublk_ud_member(q) | cookie);
	if (ublk_group_shared(q->grp))
		q->grp->own_inflight++;
	else
		q->tgt_inflight++;
}

void ublk_queue_hold(struct ublk_queue *q)
{
	q->tgt_inflight++;
}

void ublk_queue_release(struct ublk_queue *q)
{
	q->tgt_inflight--;
}

static void ublk_tgt_io_done(struct ublk_queue *q, unsigned int tag,
			     const struct io_uring_cqe *cqe)
{
	struct ublk_io *io = &q->ios[tag];
	int res = q->dev->tgt->io_done(q, tag, cqe);

	if (res < 0 && !io->err)
		io->err = res;
	if (--io->pending)
		return;
	res = io->err ? io->err : (int)ublk_iod_bytes(ublk_get_iod(q, tag));
	io->err = 0;
	ublk_complete_io(q, tag, res);
}

/* Every IO error the device returns, in the log: 10 a minute per daemon. */
static void ublk_log_io_error(const struct ublk_queue *q, unsigned int tag, int res)
{
	static const char *const ops[] = {
		[UBLK_IO_OP_READ] = "read", [UBLK_IO_OP_WRITE] = "write",
		[UBLK_IO_OP_FLUSH] = "flush", [UBLK_IO_OP_DISCARD] = "discard",
		[UBLK_IO_OP_WRITE_SAME] = "write-same", [UBLK_IO_OP_WRITE_ZEROES] = "write-zeroes",
	};
	static struct ublk_ratelimit rl;
	const struct ublksrv_io_desc *iod = ublk_get_iod(q, tag);
	unsigned int op = ublksrv_get_op(iod), missed;
	char more[48] = "";

	if (!ublk_ratelimit_ok(&rl, 60, 10, &missed))
		return;
	if (missed)
		snprintf(more, sizeof(more), " (%u more since, not logged)", missed);
	ublk_warn("device %u: %s of %u bytes at byte %llu failed: %s%s", q->dev->info.dev_id,
		  op < sizeof(ops) / sizeof(ops[0]) && ops[op] ? ops[op] : "IO",
		  ublk_iod_bytes(iod), (unsigned long long)iod->start_sector << 9,
		  strerror(-res), more);
}

void ublk_complete_io(struct ublk_queue *q, unsigned int tag, int res)
{
	if (res < 0)
		ublk_log_io_error(q, tag, res);
	ublk_queue_io_cmd(q, tag, UBLK_U_IO_COMMIT_AND_FETCH_REQ, res);
}

/*
 * The hint @tag's IO is served with, counted where `stats` reads it (when
 * the device has counters: a server embedding these queues, such as the
 * shim's test server, may have none). Only reads and writes make a
 * pattern; the other ops get the current hint.
 */
static void ublk_queue_classify(struct ublk_queue *q, unsigned int tag,
				const struct ublksrv_io_desc *iod)
{
	unsigned int op = ublksrv_get_op(iod);
	struct ublk_pattern_counts *c;
	__u64 *count;

	if (op != UBLK_IO_OP_READ && op != UBLK_IO_OP_WRITE) {
		q->ios[tag].pattern = q->pattern.hint;
		return;
	}
	q->ios[tag].pattern = ublk_io_pattern_update(&q->pattern, iod->start_sector,
						     iod->nr_sectors);
	if (!q->dev->pattern_counts)
		return;
	c = &q->dev->pattern_counts[q->q_id];
	count = q->ios[tag].pattern == UBLK_IO_PATTERN_SEQUENTIAL ? &c->hint_sequential :
								     &c->hint_random;
	__atomic_store_n(count, *count + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&c->hint, q->pattern.hint, __ATOMIC_RELAXED);
}

/* A live member for a shared ring's own SQE: any serves the target. */
static struct ublk_queue *ublk_group_any(const struct ublk_queue_group *g)
{
	unsigned int i;

	for (i = 0; i < g->nr; i++)
		if (g->members[i])
			return g->members[i];
	return NULL;
}

static void ublk_handle_cqe(struct ublk_queue_group *g, const struct io_uring_cqe *cqe)
{
	unsigned int tag = UBLK_UD_TAG(cqe->user_data);
	unsigned int member = (unsigned int)(cqe->user_data >> UBLK_UD_MEMBER_SHIFT) & 0xffff;
	struct ublk_queue *q = member < g->nr ? g->members[member] : NULL;

	if (cqe->user_data & UBLK_UD_OWN) {
		if (ublk_group_shared(g)) {
			g->own_inflight--;
			q = ublk_group_any(g);
		} else if (q) {
			q->tgt_inflight--;
		}
		/* None left to serve: the devices are gone, so is its work. */
		if (q)
			q->dev->tgt->own_done(q, cqe);
		return;
	}
	if (!q) {
		ublk_err("queue ring: a completion for member %u, which is done", member);
		return;
	}
	if (cqe->user_data & UBLK_UD_TGT) {
		q->tgt_inflight--;
		ublk_tgt_io_done(q, tag, cqe);
		return;
	}
	q->cmds_inflight--;
	if (cqe->res == UBLK_IO_RES_OK) {
		ublk_queue_classify(q, tag, ublk_get_iod(q, tag));
		q->dev->tgt->queue_io(q, tag, ublk_get_iod(q, tag));
		return;
	}
	/*
	 * UBLK_F_NEED_GET_DATA: a write comes first without its data; the
	 * driver copies the data into the buffer this command names, then
	 * completes it with UBLK_IO_RES_OK and the IO is served as any other.
	 */
	if (cqe->res == UBLK_IO_RES_NEED_GET_DATA) {
		ublk_queue_io_cmd(q, tag, UBLK_U_IO_NEED_GET_DATA, 0);
		return;
	}
	/*
	 * UBLK_IO_RES_ABORT: the device is going away; any other value is
	 * a refused command. Either way this tag is done.
	 */
	if (cqe->res != UBLK_IO_RES_ABORT && !q->err)
		q->err = cqe->res;
}

/*
 * The group's ring, made by the thread that alone submits to it and reaps
 * it: completions (the driver's and the backing files') then run as task
 * work when the thread asks for events, instead of interrupting it
 * (DEFER_TASKRUN). One queue: the char device is fixed file 0, backing
 * file i is i + 1. Shared: no fixed files. A member's char device must be
 * let go of when its device is deleted (DEL_DEV waits for that) while the
 * others are served, and on 6.12 a file dropped from the fixed table is
 * only put once every command issued before the drop is done: the other
 * members' parked FETCH_REQs could hold it for ever.
 */
static int ublk_group_ring_init(struct ublk_queue_group *g)
{
	struct ublk_queue *q0 = g->members[0];
	const struct ublk_dev *dev = q0->dev;
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			 IORING_SETUP_COOP_TASKRUN,
	};
	/*
	 * One ublk command and most often one backing SQE per tag; an IO
	 * that needs more (stripe, mirror) flushes the SQ when it is full.
	 * Shared: the tags are one set's, but each member parks a command
	 * per tag; completions beyond the CQ wait in the kernel's overflow.
	 */
	unsigned int entries = 2 * q0->depth * (ublk_group_shared(g) ? 2 : 1);
	int fds[1 + UBLK_MAX_FILES];
	unsigned int i;
	int ret;

	ret = io_uring_queue_init_params(entries, &g->ring, &p);
	if (ret == -EINVAL) {	/* a kernel older than 6.1 */
		memset(&p, 0, sizeof(p));
		ret = io_uring_queue_init_params(entries, &g->ring, &p);
	}
	if (ret < 0) {
		ublk_err("queue %u: io_uring_queue_init: %s", q0->q_id, strerror(-ret));
		return ret;
	}
	g->ring_ready = true;
	if (!ublk_group_shared(g)) {
		fds[0] = dev->cdev_fd;
		for (i = 0; i < dev->nr_fds; i++)
			fds[1 + i] = dev->fds[i];
		ret = io_uring_register_files(&g->ring, fds, 1 + dev->nr_fds);
		if (ret < 0) {
			ublk_err("queue %u: io_uring_register_files: %s", q0->q_id,
				 strerror(-ret));
			return ret;
		}
	}
	/* Saves looking up the ring's own fd on every io_uring_enter. */
	io_uring_register_ring_fd(&g->ring);
	return 0;
}

/*
 * Member @i is served to the end: nothing of it is in flight. Its owner
 * is told (exit_fd) and may free it; the thread does not touch it again.
 */
static void ublk_group_member_done(struct ublk_queue_group *g, unsigned int i)
{
	struct ublk_queue *q = g->members[i];

	g->members[i] = NULL;
	g->live--;
	__atomic_store_n(&q->exited, 1, __ATOMIC_RELEASE);
	/*
	 * The owner's own eventfd, not a signal: a process-wide signal would
	 * reach whatever else the process does with it (shim_test's SIGUSR1
	 * unregisters its program).
	 */
	if (q->exit_fd >= 0 && eventfd_write(q->exit_fd, 1))
		ublk_err("queue %u: cannot report its end: %s", q->q_id, strerror(errno));
}

/* Members with nothing in flight are done; one queue's own SQEs hold it. */
static void ublk_group_reap_members(struct ublk_queue_group *g)
{
	unsigned int i;

	for (i = 0; i < g->nr; i++) {
		struct ublk_queue *q = g->members[i];

		if (q && !q->cmds_inflight && !q->tgt_inflight)
			ublk_group_member_done(g, i);
	}
}

static void *ublk_queue_thread(void *arg)
{
	struct ublk_queue_group *g = arg;
	struct io_uring_cqe *cqe;
	unsigned int tag, head, n, i;
	uint64_t one = 1;

	/*
	 * Memory this thread (and the io-wq workers it spawns) allocates must
	 * not be reclaimed by writing to a device, maybe ours: that write
	 * would wait for this thread (see prctl(2), PR_SET_IO_FLUSHER).
	 */
	if (prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) < 0 && errno != EPERM)
		ublk_warn("queue %u: PR_SET_IO_FLUSHER: %s", g->members[0]->q_id, strerror(errno));
	g->err = ublk_group_ring_init(g);
	if (g->err) {
		for (i = 0; i < g->nr; i++)
			g->members[i]->err = g->err;
		if (write(g->ready_fd, &one, sizeof(one)) != sizeof(one))
			ublk_err("queue %u: cannot report its start", g->members[0]->q_id);
		return NULL;
	}
	for (i = 0; i < g->nr; i++)
		for (tag = 0; tag < g->members[i]->depth; tag++)
			ublk_queue_io_cmd(g->members[i], tag, UBLK_U_IO_FETCH_REQ, -1);
	io_uring_submit(&g->ring);
	if (write(g->ready_fd, &one, sizeof(one)) != sizeof(one))
		g->members[0]->err = -errno;

	while (g->live) {
		int ret = io_uring_submit_and_wait(&g->ring, 1);

		if (ret < 0 && ret != -EINTR && ret != -EBUSY) {
			for (i = 0; i < g->nr; i++)
				if (g->members[i])
					g->members[i]->err = ret;
			break;
		}
		n = 0;
		io_uring_for_each_cqe(&g->ring, head, cqe) {
			ublk_handle_cqe(g, cqe);
			n++;
		}
		io_uring_cq_advance(&g->ring, n);
		ublk_group_reap_members(g);
	}
	for (i = 0; i < g->nr; i++)
		if (g->members[i])
			ublk_group_member_done(g, i);
	return NULL;
}

static int ublk_queue_init(struct ublk_dev *dev, unsigned int q_id, int exit_fd)
{
	struct ublk_queue *q = &dev->queues[q_id];
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	off_t off;

	q->dev = dev;
	q->q_id = q_id;
	q->depth = dev->info.queue_depth;
	q->exit_fd = exit_fd;

	off = UBLKSRV_CMD_BUF_OFFSET +
	      q_id * ublk_round_up(UBLK_MAX_QUEUE_DEPTH * sizeof(struct ublksrv_io_desc), page);
	q->iods_len = ublk_round_up(q->depth * sizeof(struct ublksrv_io_desc), page);
	q->iods = mmap(NULL, q->iods_len, PROT_READ, MAP_SHARED | MAP_POPULATE,
		       dev->cdev_fd, off);
	if (q->iods == MAP_FAILED) {
		q->iods = NULL;
		return -errno;
	}
	/* Page aligned, as O_DIRECT on the backing file wants. */
	q->bufs = mmap(NULL, (size_t)q->depth * UBLK_IO_BUF_BYTES,
		       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->bufs == MAP_FAILED) {
		q->bufs = NULL;
		return -errno;
	}
	/*
	 * depth * 512 KiB is often a multiple of 2 MiB: with transparent huge
	 * pages the first small IO would fault in a whole huge page per queue
	 * (2 MiB of RSS per device at -d 4, a thousand devices OOM a 2 GiB
	 * machine). Pages as they are touched.
	 */
	madvise(q->bufs, (size_t)q->depth * UBLK_IO_BUF_BYTES, MADV_NOHUGEPAGE);
	q->ios = calloc(q->depth, sizeof(*q->ios));
	return q->ios ? 0 : -ENOMEM;
}

static void ublk_queue_free(struct ublk_queue *q)
{
	if (q->bufs)
		munmap(q->bufs, (size_t)q->depth * UBLK_IO_BUF_BYTES);
	if (q->iods)
		munmap((void *)q->iods, q->iods_len);
	free(q->ios);
	q->ios = NULL;
	q->bufs = NULL;
	q->iods = NULL;
}

/* The group's thread is gone (or never ran): its ring and memory too. */
static void ublk_group_free(struct ublk_queue_group *g)
{
	if (g->ring_ready)
		io_uring_queue_exit(&g->ring);
	if (g->ready_fd >= 0)
		close(g->ready_fd);
	free(g->members);
	free(g);
}

/*
 * Queue @q_id of each of the @nr devices @devs as the members of one
 * group; its thread started, bound to @cpu. Returns once the thread has
 * queued a FETCH_REQ for every tag of every member, which START_DEV waits
 * for.
 */
static int ublk_group_start(struct ublk_dev **devs, unsigned int nr, unsigned int q_id,
			    int cpu, int exit_fd)
{
	struct ublk_queue_group *g = calloc(1, sizeof(*g));
	pthread_attr_t attr;
	unsigned int i, inited = 0;
	cpu_set_t one;
	uint64_t v;
	int ret = -ENOMEM;

	if (!g)
		return ret;
	g->ready_fd = -1;
	g->members = calloc(nr, sizeof(*g->members));
	if (!g->members)
		goto fail;
	for (i = 0; i < nr; i++, inited++) {
		struct ublk_queue *q = &devs[i]->queues[q_id];

		q->grp = g;
		q->member = i;
		g->members[i] = q;
		ret = ublk_queue_init(devs[i], q_id, exit_fd);
		if (ret < 0) {
			ublk_err("queue %u: %s", q_id, strerror(-ret));
			inited++;
			goto fail;
		}
	}
	g->nr = g->live = nr;
	g->refs = (int)nr;
	g->ready_fd = eventfd(0, EFD_CLOEXEC);
	if (g->ready_fd < 0) {
		ret = -errno;
		goto fail;
	}
	pthread_attr_init(&attr);
	if (cpu >= 0) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
	}
	ret = -pthread_create(&g->thread, &attr, ublk_queue_thread, g);
	pthread_attr_destroy(&attr);
	if (ret)
		goto fail;
	if (read(g->ready_fd, &v, sizeof(v)) != sizeof(v))
		return -errno;
	ret = g->err ? g->err : g->members[0] ? g->members[0]->err : 0;
	if (g->err) {		/* no ring: the thread has ended */
		pthread_join(g->thread, NULL);
		goto fail;
	}
	return ret;
fail:
	for (i = 0; i < inited; i++) {
		ublk_queue_free(&devs[i]->queues[q_id]);
		devs[i]->queues[q_id].grp = NULL;
	}
	ublk_group_free(g);
	return ret;
}

/*
 * Sets up queue @q_id and starts its thread; returns once the thread has
 * queued a FETCH_REQ for every tag, which START_DEV waits for. The thread
 * adds 1 to the eventfd @exit_fd (when >= 0) as it ends.
 */
int ublk_queue_start(struct ublk_dev *dev, unsigned int q_id, int cpu, int exit_fd)
{
	return ublk_group_start(&dev, 1, q_id, cpu, exit_fd);
}

int ublk_queue_start_shared(struct ublk_dev **devs, unsigned int nr, unsigned int q_id,
			    int cpu, int exit_fd)
{
	unsigned int i;

	if (!nr || nr > 0xffff)		/* user_data's member bits */
		return -EINVAL;
	for (i = 0; i < nr; i++)
		if (devs[i]->nr_fds || devs[i]->info.queue_depth != devs[0]->info.queue_depth)
			return -EINVAL;
	return ublk_group_start(devs, nr, q_id, cpu, exit_fd);
}

/*
 * @q is done (exited) or its thread never started: its memory goes; the
 * last member's join waits for the thread and frees the ring.
 */
void ublk_queue_join(struct ublk_queue *q)
{
	struct ublk_queue_group *g = q->grp;

	if (!g)
		return;
	q->grp = NULL;
	if (__atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		pthread_join(g->thread, NULL);
		ublk_group_free(g);
	}
	ublk_queue_free(q);
}
