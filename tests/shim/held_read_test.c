// SPDX-License-Identifier: GPL-2.0
/*
 * held_read_test: a server that holds START_DEV's partition read must not
 * keep START_DEV from returning (kfunc-shim backport 0105, the scan in a
 * work), and once that server is killed the disk must go within seconds --
 * the kernel's test_generic_06 with kublk's fault_inject, without kublk.
 *
 * The server (a child) has two queues of one tag each, a thread a queue. It
 * holds the first IO the disk gets, never answering it, and answers every
 * other with zeros: one queue then has its only IO in the server and no
 * command in the driver, which io_uring's cancel never visits; the other
 * has its FETCH there. A helper process keeps the char device open after
 * the server dies (as the dying kublk's io-wq worker did), so the release
 * of the char device does not fail the held read: the stop that the other
 * queue's cancel starts must (ublk_abort_dead_queues(), once every thread
 * of the server is exiting), and it can only once START_DEV has returned.
 *
 *   held_read_test      exit 0: START_DEV returned while the read was held,
 *                       the disk went within 10 s of kill -9, DEL_DEV worked
 *                       exit 1: anything else, one line on stderr saying
 *                       what; a wedged driver can hang DEL_DEV, which the
 *                       caller bounds with timeout(1)
 */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctrl.h"
#include "dev.h"
#include "params.h"
#include "ublk.h"

#define NR_QUEUES	2
#define GONE_LIMIT_S	10

static struct ublk_ctrl ctrl = { .fd = -1 };
static atomic_bool held;

struct srv_queue {
	pthread_t	thread;
	int		cdev_fd;
	unsigned int	q_id;
	void		*buf;
	const struct ublksrv_io_desc *iod;
};

static int fail(const char *what)
{
	fprintf(stderr, "held_read_test: %s\n", what);
	return 1;
}

static void queue_cmd(struct io_uring *ring, struct srv_queue *q,
		      unsigned int op, int result)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct ublksrv_io_cmd *cmd = (struct ublksrv_io_cmd *)sqe->cmd;

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, q->cdev_fd, NULL, 0, 0);
	sqe->cmd_op = ublk_cmd_op(op);
	memset(cmd, 0, sizeof(*cmd));
	cmd->q_id = q->q_id;
	cmd->tag = 0;
	cmd->result = result;
	cmd->addr = (__u64)(uintptr_t)q->buf;
	io_uring_submit(ring);
}

/* One queue: hold the device's first IO for ever, answer the others. */
static void *serve(void *arg)
{
	struct srv_queue *q = arg;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	bool expected = false;

	if (io_uring_queue_init(4, &ring, IORING_SETUP_SQE128))
		_exit(1);
	queue_cmd(&ring, q, UBLK_U_IO_FETCH_REQ, -1);
	for (;;) {
		if (io_uring_wait_cqe(&ring, &cqe))
			continue;
		if (cqe->res != UBLK_IO_RES_OK)
			_exit(0);	/* aborted: the device is going */
		io_uring_cqe_seen(&ring, cqe);
		if (atomic_compare_exchange_strong(&held, &expected, true))
			for (;;)
				pause();
		memset(q->buf, 0, (size_t)q->iod->nr_sectors << 9);
		queue_cmd(&ring, q, UBLK_U_IO_COMMIT_AND_FETCH_REQ,
			  (int)(q->iod->nr_sectors << 9));
	}
	return NULL;
}

/*
 * The server: the device, a helper holding its char device until @hold_fd
 * reads EOF (the test closes the other end), the queue threads, START_DEV.
 * Tells @out the device id and the helper's pid, then START_DEV's result.
 */
static void server(int out, int hold_fd)
{
	static struct srv_queue qs[NR_QUEUES];
	long page = sysconf(_SC_PAGESIZE);
	struct ublksrv_ctrl_dev_info info = {
		.nr_hw_queues = NR_QUEUES,
		.queue_depth = 1,
		.max_io_buf_bytes = UBLK_IO_BUF_BYTES,
		.dev_id = (__u32)-1,
		.ublksrv_pid = getpid(),
		.flags = UBLK_F_CMD_IOCTL_ENCODE,
	};
	struct ublk_params params;
	int cdev_fd, ret, msg[2];
	unsigned int i;
	pid_t helper;
	char c;

	if (ublk_ctrl_open(&ctrl) || ublk_ctrl_add_dev(&ctrl, &info))
		_exit(1);
	ublk_params_init(&params, 64ULL << 20, 9, UBLK_IO_BUF_BYTES);
	if (ublk_ctrl_set_params(&ctrl, info.dev_id, &params))
		_exit(1);
	cdev_fd = ublk_open_cdev(info.dev_id);
	if (cdev_fd < 0)
		_exit(1);
	helper = fork();
	if (helper == 0) {
		while (read(hold_fd, &c, 1) > 0)
			;
		_exit(0);
	}
	msg[0] = (int)info.dev_id;
	msg[1] = helper;
	if (helper < 0 || write(out, msg, sizeof(msg)) != sizeof(msg))
		_exit(1);
	for (i = 0; i < NR_QUEUES; i++) {
		off_t off = UBLKSRV_CMD_BUF_OFFSET +
			    i * ((UBLK_MAX_QUEUE_DEPTH * sizeof(*qs[i].iod) + page - 1) &
				 ~(page - 1));

		qs[i].cdev_fd = cdev_fd;
		qs[i].q_id = i;
		qs[i].buf = aligned_alloc(page, UBLK_IO_BUF_BYTES);
		qs[i].iod = mmap(NULL, page, PROT_READ, MAP_SHARED, cdev_fd, off);
		if (!qs[i].buf || qs[i].iod == MAP_FAILED ||
		    pthread_create(&qs[i].thread, NULL, serve, &qs[i]))
			_exit(1);
	}
	ret = ublk_ctrl_start_dev(&ctrl, info.dev_id, getpid());
	if (write(out, &ret, sizeof(ret)) != sizeof(ret))
		_exit(1);
	for (;;)
		pause();
}

/* read exactly @len bytes from @fd within @ms, else -1 */
static int read_within(int fd, void *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return -1;
	return read(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool exists(const char *fmt, unsigned int id)
{
	char path[64];

	snprintf(path, sizeof(path), fmt, id);
	return access(path, F_OK) == 0;
}

/* a request in flight on ublkb@id (the one the server holds) */
static bool holding(unsigned int id)
{
	char path[64];
	unsigned int r = 0, w = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/ublkb%u/inflight", id);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fscanf(f, "%u %u", &r, &w) != 2)
		r = w = 0;
	fclose(f);
	return r + w > 0;
}

static bool wait_for(bool (*cond)(unsigned int), unsigned int id, bool want,
		     double limit_s)
{
	double end = now() + limit_s;

	while (cond(id) != want) {
		if (now() > end)
			return false;
		usleep(50000);
	}
	return true;
}

static bool disk_there(unsigned int id)
{
	return exists("/sys/block/ublkb%u", id);
}

static bool cdev_there(unsigned int id)
{
	return exists("/dev/ublkc%u", id);
}

int main(void)
{
	int pfd[2], hold[2], msg[2], start_ret, rc = 0;
	unsigned int id;
	pid_t srv;
	double t0;

	if (pipe(pfd) || pipe(hold))
		return fail("pipe");
	srv = fork();
	if (srv < 0)
		return fail("fork");
	if (srv == 0) {
		close(pfd[0]);
		close(hold[1]);
		server(pfd[1], hold[0]);
	}
	close(pfd[1]);
	close(hold[0]);
	if (read_within(pfd[0], msg, sizeof(msg), 10000)) {
		kill(srv, SIGKILL);
		return fail("the server made no device");
	}
	id = (unsigned int)msg[0];
	if (!wait_for(holding, id, true, 10))
		rc = fail("no IO held on the disk");
	else if (read_within(pfd[0], &start_ret, sizeof(start_ret), 5000))
		rc = fail("START_DEV still waits on the held partition read after 5 s");
	else if (start_ret)
		rc = fail("START_DEV failed");
	else
		printf("START_DEV returned, read held\n");

	t0 = now();
	kill(srv, SIGKILL);
	if (!wait_for(disk_there, id, false, GONE_LIMIT_S))
		rc = fail("disk still there 10 s after kill -9 of its server");
	else
		printf("disk gone %.1f s after kill -9\n", now() - t0);
	close(hold[1]);
	waitpid(msg[1], NULL, 0);
	waitpid(srv, NULL, 0);

	if (ublk_ctrl_open(&ctrl))
		return fail("control device");
	if (ublk_ctrl_del_dev(&ctrl, id))
		rc = fail("DEL_DEV");
	else if (!wait_for(cdev_there, id, false, 5))
		rc = fail("char device left after DEL_DEV");
	ublk_ctrl_close(&ctrl);
	return rc;
}
