// SPDX-License-Identifier: GPL-2.0
/*
 * A device's life, for both `add` and `load`: ublk_dev_create() forks the
 * daemon that will serve the device, and returns once the device is live
 * (printing its id) or the daemon has failed (the daemon printed why, and
 * undid what it had done).
 *
 * The daemon: the target's init, ADD_DEV, SET_PARAMS, the BPF program when
 * there is one (bpf_dev.c), one thread per queue parking a FETCH_REQ for
 * every tag, START_DEV, then wait. The device ends when someone sends
 * STOP_DEV (`ublk-bpf del`) or the daemon gets SIGTERM/SIGINT, which stops
 * and deletes the device itself. A device made with --recovery outlives a
 * daemon that dies or gets SIGQUIT: `recover` runs this daemon again with
 * START_USER_RECOVERY instead of ADD_DEV and END_USER_RECOVERY instead of
 * START_DEV.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf_dev.h"
#include "ctrl.h"
#include "dev.h"
#include "iosched.h"
#include "log.h"
#include "state.h"
#include "timing.h"
#include "ublk.h"
#include "ublk_bpf_uapi.h"

static int ublk_open_cdev(unsigned int dev_id)
{
	char path[64];
	int i, fd = -1;

	snprintf(path, sizeof(path), "/dev/ublkc%u", dev_id);
	/* The node appears with the device, but udev may still own it. */
	for (i = 0; i < 100 && fd < 0; i++) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 && errno != ENOENT && errno != EACCES)
			break;
		if (fd < 0)
			usleep(10000);
	}
	if (fd < 0)
		ublk_err("cannot open %s: %s", path, strerror(errno));
	return fd;
}

/* Starts every queue; dev->nr_started counts those with a thread to join. */
static int ublk_start_queues(struct ublk_dev *dev)
{
	int ret;

	while (dev->nr_started < dev->info.nr_hw_queues) {
		ret = ublk_queue_start(dev, dev->nr_started);
		if (ret < 0)
			return ret;
		dev->nr_started++;
	}
	return 0;
}

/* Each queue thread, leaving, sends SIGUSR1 to the main thread. */
static bool ublk_queues_done(const struct ublk_dev *dev)
{
	unsigned int q;

	for (q = 0; q < dev->nr_started; q++)
		if (!__atomic_load_n(&dev->queues[q].exited, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

static void ublk_free_queues(struct ublk_dev *dev)
{
	while (dev->nr_started)
		ublk_queue_join(&dev->queues[--dev->nr_started]);
}

static void ublk_wait_signals(struct ublk_ctrl *ctrl, struct ublk_dev *dev,
			      const sigset_t *set, bool *self_stop)
{
	int sig;

	for (;;) {
		if (sigwait(set, &sig))
			continue;
		if (sig == SIGUSR1) {
			if (ublk_queues_done(dev))
				return;
			/* A queue died while the device lives: stop it. */
			ublk_ctrl_stop_dev(ctrl, dev->info.dev_id);
			continue;
		}
		/*
		 * SIGQUIT leaves a device made with --recovery to the next
		 * daemon (`recover`, an upgrade): exiting hands our commands
		 * back and the driver keeps the device QUIESCED.
		 */
		if (sig == SIGQUIT && (dev->info.flags & UBLK_F_USER_RECOVERY))
			_exit(0);
		*self_stop = true;
		ublk_ctrl_stop_dev(ctrl, dev->info.dev_id);
	}
}

/*
 * recover: the device exists, QUIESCED since its daemon died; take it back
 * with this daemon's queues. Waits for the old daemon to be gone for good
 * (the driver says -EBUSY until its char device is released).
 */
static int ublk_dev_take_back(struct ublk_ctrl *ctrl, struct ublk_dev *dev,
			      const struct ublk_dev_opts *opts)
{
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	struct ublk_params kept;
	int ret, i;

	ret = ublk_ctrl_dev_info(ctrl, opts->dev_id, &dev->info);
	if (ret < 0)
		return ret;
	if (!(dev->info.flags & UBLK_F_USER_RECOVERY)) {
		ublk_err("device %d was not made with --recovery: only del is left", opts->dev_id);
		return -EINVAL;
	}
	ret = ublk_ctrl_get_params(ctrl, opts->dev_id, &kept);
	if (ret < 0 || kept.basic.dev_sectors > dev->params.basic.dev_sectors) {
		ublk_err("device %d: its backing now holds %llu bytes, the device %llu: not recovered",
			 opts->dev_id, dev->params.basic.dev_sectors << 9,
			 (unsigned long long)kept.basic.dev_sectors << 9);
		return -EINVAL;
	}
	for (i = 0; i < 200; i++) {
		ret = ublk_ctrl_start_recovery(ctrl, opts->dev_id);
		if (ret != -EBUSY)
			break;
		nanosleep(&pause, NULL);
	}
	if (ret == -EBUSY)
		ublk_err("device %d is not QUIESCED: is its daemon still running?", opts->dev_id);
	else if (ret < 0)
		ublk_err("device %d: UBLK_U_CMD_START_USER_RECOVERY failed: %s", opts->dev_id,
			 strerror(-ret));
	return ret;
}

static void ublk_detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/*
 * The daemon's life. Writes "N\n" to @ready_fd once the device is live;
 * on failure it writes nothing, and has undone everything when it exits.
 */
static int ublk_daemon(const struct ublk_dev_opts *opts, int ready_fd)
{
	struct ublk_dev dev = { .cdev_fd = -1 };
	struct ublk_ctrl ctrl = { .fd = -1 };
	struct ublk_bpf_dev bpf = { 0 };
	/* We created the device or took it back: we end it on SIGTERM. */
	bool added = false, self_stop = false;
	sigset_t set;
	char msg[32];
	int ret;

	dev.tgt = opts->tgt;
	dev.tgt_data = calloc(1, dev.tgt->data_size ? dev.tgt->data_size : 1);
	if (!dev.tgt_data || ublk_tgt_parse_args(dev.tgt, opts, dev.tgt_data) < 0) {
		free(dev.tgt_data);
		return 1;
	}
	ret = dev.tgt->init(&dev, opts);
	if (ret < 0) {
		free(dev.tgt_data);
		return 1;
	}
	if (ublk_ctrl_open(&ctrl))
		goto out;

	if (opts->recovering) {
		ret = ublk_dev_take_back(&ctrl, &dev, opts);
		if (ret < 0)
			goto out;
		goto serve;
	}
	dev.info.nr_hw_queues = opts->nr_queues;
	dev.info.queue_depth = opts->queue_depth;
	dev.info.max_io_buf_bytes = UBLK_IO_BUF_BYTES;
	dev.info.dev_id = opts->dev_id;
	dev.info.ublksrv_pid = getpid();
	dev.info.flags = UBLK_F_CMD_IOCTL_ENCODE | UBLK_F_URING_CMD_COMP_IN_TASK |
			 opts->recovery;
	if (opts->bpf_obj)
		dev.info.flags |= UBLK_F_BPF;
	ret = ublk_ctrl_add_dev(&ctrl, &dev.info);
	if (ret < 0) {
		if (ret == -EEXIST)
			ublk_err("device %d already exists", opts->dev_id);
		else
			ublk_err("UBLK_U_CMD_ADD_DEV failed: %s", strerror(-ret));
		goto out;
	}
	added = true;
	if ((dev.info.flags & opts->recovery) != opts->recovery) {
		ublk_err("the ublk driver has no user recovery (--recovery, --reissue)");
		ret = -EOPNOTSUPP;
		goto out;
	}
	ret = ublk_ctrl_set_params(&ctrl, dev.info.dev_id, &dev.params);
	if (ret < 0) {
		ublk_err("UBLK_U_CMD_SET_PARAMS failed: %s", strerror(-ret));
		goto out;
	}
	ublk_timing("dev_add");
	if (opts->bpf_obj) {
		ret = -EOPNOTSUPP;
		if (!(dev.info.flags & UBLK_F_BPF)) {
			ublk_err("the ublk driver dropped UBLK_F_BPF: it is not the kfunc-shim");
			goto out;
		}
		ret = ublk_bpf_dev_attach(&ctrl, &dev, opts, &bpf);
		if (ret < 0)
			goto out;
	}
serve:
	dev.cdev_fd = ublk_open_cdev(dev.info.dev_id);
	if (dev.cdev_fd < 0)
		goto out;
	dev.queues = calloc(dev.info.nr_hw_queues, sizeof(*dev.queues));
	if (!dev.queues)
		goto out;

	/* Queue threads inherit this mask: signals go to the main thread only. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	ret = ublk_start_queues(&dev);
	if (ret < 0) {
		ublk_err("cannot start the queues: %s", strerror(-ret));
		goto out;
	}
	if (opts->recovering) {
		ret = ublk_ctrl_end_recovery(&ctrl, dev.info.dev_id, getpid());
		if (ret < 0) {
			ublk_err("UBLK_U_CMD_END_USER_RECOVERY failed: %s", strerror(-ret));
			goto out;
		}
		added = true;
	} else {
		ret = ublk_ctrl_start_dev(&ctrl, dev.info.dev_id, getpid());
		if (ret < 0) {
			ublk_err("UBLK_U_CMD_START_DEV failed: %s", strerror(-ret));
			goto out;
		}
		ublk_timing("dev_start");
		ret = ublk_set_scheduler(dev.info.dev_id, opts->scheduler);
		if (ret < 0)
			goto out;
		ublk_timing("scheduler");
	}
	ret = ublk_state_write(dev.info.dev_id, opts, getpid());
	if (ret < 0) {
		ublk_err("cannot write the device's state file: %s", strerror(-ret));
		self_stop = true;
		ublk_ctrl_stop_dev(&ctrl, dev.info.dev_id);
		goto out;
	}
	/*
	 * Let go of the caller's folder (relative paths were opened by now)
	 * and stdout, or `$(ublk-bpf add ...)` would never end.
	 */
	if (chdir("/"))
		ublk_err("chdir /: %s", strerror(errno));
	ublk_detach_stdio();
	snprintf(msg, sizeof(msg), "%u\n", dev.info.dev_id);
	if (write(ready_fd, msg, strlen(msg)) < 0)
		self_stop = true;
	close(ready_fd);
	if (self_stop)
		ublk_ctrl_stop_dev(&ctrl, dev.info.dev_id);

	ublk_wait_signals(&ctrl, &dev, &set, &self_stop);
	ret = 0;
out:
	/*
	 * A recover that failed leaves the device QUIESCED for another try
	 * or del: exiting hands our parked commands back without stopping it.
	 */
	if (opts->recovering && ret < 0)
		_exit(1);
	if (dev.nr_started) {
		/* Cancels the parked commands of a device that never started, too. */
		if (ret < 0)
			ublk_ctrl_stop_dev(&ctrl, dev.info.dev_id);
		ublk_free_queues(&dev);
	}
	if (dev.cdev_fd >= 0)
		close(dev.cdev_fd);
	if (added && (ret < 0 || self_stop)) {
		ublk_ctrl_del_dev(&ctrl, dev.info.dev_id);
		ublk_state_remove(dev.info.dev_id);
	}
	ublk_bpf_dev_detach(&dev, &bpf);
	ublk_ctrl_close(&ctrl);
	free(dev.queues);
	if (dev.tgt->deinit)
		dev.tgt->deinit(&dev);
	free(dev.tgt_data);
	return ret < 0 ? 1 : 0;
}

int ublk_dev_create(const struct ublk_dev_opts *opts)
{
	char buf[32] = "";
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	ublk_timing("begin");
	/* Fail here, before forking, when there is no driver at all. */
	if (ublk_ctrl_probe())
		return 1;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		ublk_err("pipe: %s", strerror(errno));
		return 1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ublk_err("fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		setsid();
		/* Until it is live, the daemon's errors go to the user's stderr. */
		signal(SIGPIPE, SIG_IGN);
		status = ublk_daemon(opts, pipefd[1]);
		_exit(status);
	}
	close(pipefd[1]);
	n = read(pipefd[0], buf, sizeof(buf) - 1);
	close(pipefd[0]);
	if (n <= 0) {
		waitpid(pid, &status, 0);
		return 1;
	}
	buf[n] = '\0';
	ublk_timing("ready");
	printf("dev id %u\n", (unsigned int)strtoul(buf, NULL, 10));
	return 0;
}
