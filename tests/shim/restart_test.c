// SPDX-License-Identifier: GPL-2.0
/*
 * restart_test: START_DEV on a device that STOP_DEV ended must fail at once
 * with EBUSY (kfunc-shim backport 0001), not add a disk over the commands
 * the stop cancelled. A null device of one queue (the tool's own queue
 * thread and null target) is started, read, stopped, and started again;
 * then deleted. Also STOP_DEV before the first START_DEV, then START_DEV
 * (both backport 0001), and a server killed after its FETCHes and before
 * START_DEV (backport 0002): START_DEV of its device fails with EBUSY too.
 *
 *   restart_test          exit 0: both START_DEVs refused with EBUSY
 *                         exit 1: anything else (a START_DEV that succeeds
 *                         or fails otherwise); a driver without the fix
 *                         hangs in the second START_DEV, which the caller
 *                         bounds with timeout(1)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctrl.h"
#include "dev.h"
#include "params.h"
#include "targets.h"
#include "ublk.h"

static struct ublk_ctrl ctrl = { .fd = -1 };

static int fail(const char *what, int ret)
{
	fprintf(stderr, "restart_test: %s: %s\n", what, ret ? strerror(-ret) : "succeeded");
	return 1;
}

/* A null device of one queue of depth 4, its queue thread running. */
static int new_dev(struct ublk_dev *dev)
{
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->cdev_fd = -1;
	dev->tgt = ublk_find_target("null");
	dev->info = (struct ublksrv_ctrl_dev_info) {
		.nr_hw_queues = 1,
		.queue_depth = 4,
		.max_io_buf_bytes = UBLK_IO_BUF_BYTES,
		.dev_id = (__u32)-1,
		.ublksrv_pid = getpid(),
		.flags = UBLK_F_CMD_IOCTL_ENCODE,
	};
	ret = ublk_ctrl_add_dev(&ctrl, &dev->info);
	if (ret)
		return fail("ADD_DEV", ret);
	ublk_params_init(&dev->params, 64ULL << 20, 9, UBLK_IO_BUF_BYTES);
	ret = ublk_ctrl_set_params(&ctrl, dev->info.dev_id, &dev->params);
	if (ret)
		return fail("SET_PARAMS", ret);
	dev->cdev_fd = ublk_open_cdev(dev->info.dev_id);
	dev->queues = calloc(1, sizeof(*dev->queues));
	if (dev->cdev_fd < 0 || !dev->queues || ublk_queue_start(dev, 0, -1, -1))
		return fail("queue", -EIO);
	dev->nr_started = 1;
	return 0;
}

/* STOP_DEV (the queue thread ends on the cancel), then START_DEV: EBUSY. */
static int stop_then_start(struct ublk_dev *dev, const char *when)
{
	char what[64];
	int ret;

	ret = ublk_ctrl_stop_dev(&ctrl, dev->info.dev_id);
	if (ret)
		return fail("STOP_DEV", ret);
	ublk_queue_join(&dev->queues[0]);
	dev->nr_started = 0;
	ret = ublk_ctrl_start_dev(&ctrl, dev->info.dev_id, getpid());
	if (ret != -EBUSY) {
		snprintf(what, sizeof(what), "START_DEV after STOP_DEV %s", when);
		return fail(what, ret);
	}
	printf("START_DEV after STOP_DEV %s: EBUSY\n", when);
	return 0;
}

static void del_dev(struct ublk_dev *dev)
{
	int ret;

	if (dev->cdev_fd >= 0)
		close(dev->cdev_fd);
	ret = ublk_ctrl_del_dev(&ctrl, dev->info.dev_id);
	if (ret)
		fprintf(stderr, "restart_test: DEL_DEV: %s\n", strerror(-ret));
	free(dev->queues);
}

/*
 * The dead server's commands are cancelled by its rings' exit work, which
 * io_uring runs in a kworker after the task is reaped (an exiting task
 * cancels only tracked requests itself). The rings hold the char device
 * until that work is done, so an open that no longer meets EBUSY says the
 * cancel has run. Without this wait START_DEV can come first and add a
 * disk, which the late cancel then aborts: a race, not the bug.
 */
static int wait_cdev_released(__u32 id)
{
	char path[32];
	int fd, i;

	snprintf(path, sizeof(path), "/dev/ublkc%u", id);
	for (i = 0; i < 1000; i++) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (errno != EBUSY)
			return -errno;
		usleep(10000);
	}
	return -EBUSY;
}

/*
 * A child makes the device and fetches, then is killed; once its rings
 * are gone, START_DEV from here must fail with EBUSY (its commands were
 * cancelled with no disk).
 */
static int server_gone_before_start(void)
{
	struct ublk_dev dev;
	int pfd[2], ret, status;
	__u32 id = (__u32)-1;
	pid_t pid;

	if (pipe(pfd))
		return fail("pipe", -errno);
	pid = fork();
	if (pid < 0)
		return fail("fork", -errno);
	if (pid == 0) {
		close(pfd[0]);
		/* a control ring of its own: the parent's is not for two tasks */
		ublk_ctrl_close(&ctrl);
		if (ublk_ctrl_open(&ctrl) || new_dev(&dev))
			_exit(1);
		if (write(pfd[1], &dev.info.dev_id, sizeof(dev.info.dev_id)) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	ret = read(pfd[0], &id, sizeof(id)) == (ssize_t)sizeof(id) ? 0 : -EIO;
	close(pfd[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (ret)
		return fail("the child's device", ret);
	ret = wait_cdev_released(id);
	if (ret) {
		ublk_ctrl_del_dev(&ctrl, id);
		return fail("the dead server's char device, 10 s on", ret);
	}
	ret = ublk_ctrl_start_dev(&ctrl, id, pid);
	if (ret != -EBUSY) {
		fail("START_DEV after the server died before it", ret);
		ublk_ctrl_stop_dev(&ctrl, id);
		ublk_ctrl_del_dev(&ctrl, id);
		return 1;
	}
	printf("START_DEV after the server died before it: EBUSY\n");
	ret = ublk_ctrl_del_dev(&ctrl, id);
	if (ret)
		return fail("DEL_DEV of the dead server's device", ret);
	return 0;
}

int main(void)
{
	char path[32], buf[4096];
	struct ublk_dev dev;
	int ret, fd, rc = 0;

	if (ublk_ctrl_open(&ctrl))
		return 1;

	/* Started and serving, then stopped. */
	if (new_dev(&dev))
		return 1;
	ret = ublk_ctrl_start_dev(&ctrl, dev.info.dev_id, getpid());
	if (ret)
		return fail("START_DEV", ret);
	snprintf(path, sizeof(path), "/dev/ublkb%u", dev.info.dev_id);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return fail("read of the started device", -EIO);
	close(fd);
	rc |= stop_then_start(&dev, "of a started device");
	del_dev(&dev);

	/* Never started: the stop cancels the FETCHes all the same. */
	if (new_dev(&dev))
		return 1;
	rc |= stop_then_start(&dev, "before the first START_DEV");
	del_dev(&dev);

	rc |= server_gone_before_start();

	ublk_ctrl_close(&ctrl);
	return rc;
}
