// SPDX-License-Identifier: GPL-2.0
/*
 * The life of devices, for both `add` and `load`: ublk_dev_create() forks
 * the daemon that will serve --count devices (one by default), and returns
 * once they are all live (printing their ids) or the daemon has failed (it
 * printed why, and undid every device it had made: all or none).
 *
 * The daemon makes its devices together, each step for every device before
 * the next step: the targets' init, ADD_DEV, SET_PARAMS, the BPF program
 * when there is one (bpf_dev.c), one thread per queue parking a FETCH_REQ
 * for every tag, START_DEV, then wait. The control commands of a step are
 * in flight together on the one control ring (the driver runs each in an
 * io-wq worker). START_DEV comes last because the driver holds it until
 * every queue of its device has parked its FETCH_REQs.
 *
 * Each device then ends on its own: when someone sends it STOP_DEV
 * (`ublk-bpf del -n`), its queue threads end and the daemon lets go of it;
 * the daemon exits with its last device. SIGTERM/SIGINT stop and delete
 * every device (serve: but a --recovery device a file system holds). A
 * device made with --recovery outlives a daemon that dies or gets SIGQUIT: `recover` runs this daemon again for that one device,
 * with START_USER_RECOVERY instead of ADD_DEV and END_USER_RECOVERY instead
 * of START_DEV. A BPF device's program stays bound and serves on meanwhile
 * (the kfunc-shim holds what it redirects): the new daemon does not load
 * it again, it only serves the redirected IO.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf_dev.h"
#include "ctrl.h"
#include "dev.h"
#include "devices.h"
#include "io_pattern_stats.h"
#include "iosched.h"
#include "log.h"
#include "notify.h"
#include "state.h"
#include "timing.h"
#include "ublk.h"
#include "ublk_bpf_uapi.h"

int ublk_open_cdev(unsigned int dev_id)
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

/* One device of the daemon, and how far its making got. */
struct ublk_daemon_dev {
	struct ublk_dev dev;
	struct ublk_bpf_dev bpf;
	bool inited;		/* the target's init ran: deinit it */
	bool added;		/* the kernel holds it (added or taken back) */
	bool self_stop;		/* we end it: delete it too */
	bool handed_over;	/* QUIESCE_DEV: the next daemon's; keep its pins */
	bool stopping;		/* STOP_DEV sent after a queue died */
	bool ended;		/* let go of: nothing of it left here */
};

struct ublk_daemon {
	const struct ublk_dev_opts *opts;
	/* load's open object, until the first device takes it (bpf_dev.h). */
	struct ublk_bpf_obj *bpf_opened;
	struct ublk_ctrl ctrl;
	struct ublk_daemon_dev *devs;
	unsigned int nr_devs;
	struct ublk_ctrl_req *reqs;	/* one per device, for a step's batch */
	int exit_fd;			/* eventfd: a queue thread of some device ended */
};

/*
 * The CPU each queue's thread runs on: the first of those whose IO comes to
 * that queue (as kublk). Left to the scheduler, the thread and the io-wq
 * workers serving its backing IO wake each other across CPUs: twice the
 * IPIs per loop IO, 30% fewer IOPS under QEMU. Asked for every queue at
 * once on the daemon's control ring; -1 (float) where the driver does not
 * answer.
 */
static void ublk_queue_cpus(struct ublk_ctrl *ctrl, const struct ublk_dev *dev, int *cpus)
{
	unsigned int q, n = dev->info.nr_hw_queues;
	struct ublk_ctrl_req *reqs = calloc(n, sizeof(*reqs));
	cpu_set_t *sets = calloc(n, sizeof(*sets));
	int cpu;

	for (q = 0; q < n; q++)
		cpus[q] = -1;
	if (!reqs || !sets)
		goto out;
	for (q = 0; q < n; q++)
		reqs[q] = (struct ublk_ctrl_req){
			.op = UBLK_U_CMD_GET_QUEUE_AFFINITY, .dev_id = dev->info.dev_id,
			.buf = &sets[q], .len = sizeof(sets[q]), .data0 = q,
		};
	if (ublk_ctrl_run(ctrl, reqs, n) < 0)
		goto out;
	for (q = 0; q < n; q++) {
		for (cpu = 0; reqs[q].res >= 0 && cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &sets[q]))
				break;
		if (reqs[q].res >= 0 && cpu < CPU_SETSIZE)
			cpus[q] = cpu;
	}
out:
	free(reqs);
	free(sets);
}

/* Starts every queue; dev->nr_started counts those with a thread to join. */
static int ublk_start_queues(struct ublk_ctrl *ctrl, struct ublk_dev *dev, int exit_fd)
{
	int cpus[UBLK_MAX_QUEUES];
	int ret;

	ublk_queue_cpus(ctrl, dev, cpus);
	while (dev->nr_started < dev->info.nr_hw_queues) {
		ret = ublk_queue_start(dev, dev->nr_started, cpus[dev->nr_started], exit_fd);
		if (ret < 0)
			return ret;
		dev->nr_started++;
	}
	return 0;
}

/* Each queue thread, leaving, bumps the daemon's exit_fd. */
static unsigned int ublk_queues_exited(const struct ublk_dev *dev)
{
	unsigned int q, n = 0;

	for (q = 0; q < dev->nr_started; q++)
		n += __atomic_load_n(&dev->queues[q].exited, __ATOMIC_ACQUIRE) != 0;
	return n;
}

/*
 * Lets go of one device: its queue threads joined, its char device closed,
 * the device deleted when we end it (@failed: it never went live, or
 * dd->self_stop), its program unloaded, its target's resources freed.
 */
static void ublk_daemon_dev_end(struct ublk_daemon *d, struct ublk_daemon_dev *dd,
				bool failed)
{
	struct ublk_dev *dev = &dd->dev;

	if (dd->ended)
		return;
	dd->ended = true;
	if (dev->nr_started) {
		/* Cancels the parked commands of a device that never started, too. */
		if (failed)
			ublk_ctrl_stop_dev(&d->ctrl, dev->info.dev_id);
		while (dev->nr_started)
			ublk_queue_join(&dev->queues[--dev->nr_started]);
	}
	if (dev->cdev_fd >= 0)
		close(dev->cdev_fd);
	dev->cdev_fd = -1;
	if (dd->added && (failed || dd->self_stop)) {
		ublk_ctrl_del_dev(&d->ctrl, dev->info.dev_id);
		ublk_state_remove(dev->info.dev_id);
		ublk_pattern_stats_remove(dev->info.dev_id);
	}
	/* a handed-over device's program serves on, as after a crash */
	if (!dd->handed_over)
		ublk_bpf_dev_detach(dev, &dd->bpf);
	ublk_pattern_stats_close(dev);
	free(dev->queues);
	dev->queues = NULL;
	if (dd->inited && dev->tgt->deinit)
		dev->tgt->deinit(dev);
	free(dev->tgt_data);
	dev->tgt_data = NULL;
}

/* The targets' init for every device: files opened, parameters known. */
static int ublk_daemon_init_devs(struct ublk_daemon *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_devs; i++) {
		struct ublk_dev *dev = &d->devs[i].dev;

		dev->tgt = d->opts->tgt;
		dev->tgt_data = calloc(1, dev->tgt->data_size ? dev->tgt->data_size : 1);
		if (!dev->tgt_data)
			return -ENOMEM;
		if (d->opts->tgt_opts && dev->tgt->data_size)
			memcpy(dev->tgt_data, d->opts->tgt_opts, dev->tgt->data_size);
		if (dev->tgt->init(dev, d->opts) < 0)
			return -EINVAL;
		d->devs[i].inited = true;
	}
	return 0;
}

/* Runs one control command per device of @d, all in flight together. */
static int ublk_daemon_batch(struct ublk_daemon *d, unsigned int op, size_t buf_off,
			     unsigned int len, __u64 data0)
{
	unsigned int i;
	int ret;

	for (i = 0; i < d->nr_devs; i++) {
		struct ublk_dev *dev = &d->devs[i].dev;

		d->reqs[i] = (struct ublk_ctrl_req){
			.op = op,
			.dev_id = dev->info.dev_id,
			.buf = len ? (char *)dev + buf_off : NULL,
			.len = len,
			.data0 = data0,
		};
	}
	ret = ublk_ctrl_run(&d->ctrl, d->reqs, d->nr_devs);
	if (ret < 0)
		ublk_err("the control io_uring failed: %s", strerror(-ret));
	return ret;
}

/* The first failed command of the last batch, said once; 0 when none. */
static int ublk_daemon_batch_result(struct ublk_daemon *d, const char *what)
{
	unsigned int i;

	for (i = 0; i < d->nr_devs; i++) {
		int res = d->reqs[i].res;

		if (res >= 0)
			continue;
		if (d->nr_devs > 1)
			ublk_err("device %u: %s failed: %s", d->devs[i].dev.info.dev_id, what,
				 strerror(-res));
		else
			ublk_err("%s failed: %s", what, strerror(-res));
		return res;
	}
	return 0;
}

/* An ADD_DEV refused by the driver's ublks_max: say what to raise. */
static int ublk_daemon_add_cap(struct ublk_daemon *d)
{
	static unsigned int ids[UBLK_MAX_LISTED];
	unsigned int i, max;

	for (i = 0; i < d->nr_devs; i++) {
		if (d->reqs[i].res != -EACCES)
			continue;
		max = ublk_ublks_max_reached(UBLK_UBLKS_MAX_PARAM,
					     ublk_list_ids(ids, UBLK_MAX_LISTED));
		if (!max)
			return 0;
		ublk_err("the ublk driver allows %u devices (ublks_max): raise %s", max,
			 UBLK_UBLKS_MAX_PARAM);
		return -EACCES;
	}
	return 0;
}

/* ADD_DEV of every device; ids from -n on, one after another, or the kernel's. */
static int ublk_daemon_add_devs(struct ublk_daemon *d)
{
	const struct ublk_dev_opts *opts = d->opts;
	unsigned int i;
	int ret;

	for (i = 0; i < d->nr_devs; i++) {
		struct ublksrv_ctrl_dev_info *info = &d->devs[i].dev.info;

		info->nr_hw_queues = opts->nr_queues;
		info->queue_depth = opts->queue_depth;
		info->max_io_buf_bytes = UBLK_IO_BUF_BYTES;
		info->dev_id = opts->dev_id < 0 ? (__u32)-1 : (__u32)opts->dev_id + i;
		info->ublksrv_pid = getpid();
		info->flags = UBLK_F_CMD_IOCTL_ENCODE | UBLK_F_URING_CMD_COMP_IN_TASK |
			      opts->recovery;
		/*
		 * QUIESCE_DEV lets a recoverable device change daemons without
		 * one dying; a driver without it drops the bit.
		 */
		if (opts->recovery)
			info->flags |= UBLK_F_QUIESCE;
		if (opts->bpf_obj)
			info->flags |= UBLK_F_BPF;
		if (opts->need_get_data)
			info->flags |= UBLK_F_NEED_GET_DATA;
	}
	ret = ublk_daemon_batch(d, UBLK_U_CMD_ADD_DEV, offsetof(struct ublk_dev, info),
				sizeof(struct ublksrv_ctrl_dev_info), 0);
	if (ret < 0)
		return ret;
	for (i = 0; i < d->nr_devs; i++) {
		/* The driver wrote the id it chose back into info. */
		d->devs[i].added = d->reqs[i].res >= 0;
		if (d->reqs[i].res == -EEXIST && ret == 0) {
			ublk_err("device %d already exists", opts->dev_id + (int)i);
			ret = -EEXIST;
		}
	}
	if (ret == 0)
		ret = ublk_daemon_add_cap(d);
	if (ret == 0)
		ret = ublk_daemon_batch_result(d, "UBLK_U_CMD_ADD_DEV");
	if (ret < 0)
		return ret;
	for (i = 0; i < d->nr_devs; i++) {
		if ((d->devs[i].dev.info.flags & opts->recovery) != opts->recovery) {
			ublk_err("the ublk driver has no %s",
				 opts->recovery & UBLK_F_USER_RECOVERY_FAIL_IO ?
				 "UBLK_F_USER_RECOVERY_FAIL_IO (--fail-io: Linux 6.13, or the kfunc-shim)" :
				 "user recovery (--recovery, --reissue)");
			return -EOPNOTSUPP;
		}
		if (opts->need_get_data && !(d->devs[i].dev.info.flags & UBLK_F_NEED_GET_DATA)) {
			ublk_err("the ublk driver has no NEED_GET_DATA (-g)");
			return -EOPNOTSUPP;
		}
		if (opts->bpf_obj && !(d->devs[i].dev.info.flags & UBLK_F_BPF)) {
			ublk_err("the ublk driver dropped UBLK_F_BPF: it is not the kfunc-shim");
			return -EOPNOTSUPP;
		}
	}
	for (i = 0; i < d->nr_devs; i++)
		d->devs[i].dev.params.len = sizeof(struct ublk_params);
	ret = ublk_daemon_batch(d, UBLK_U_CMD_SET_PARAMS, offsetof(struct ublk_dev, params),
				sizeof(struct ublk_params), 0);
	if (ret == 0)
		ret = ublk_daemon_batch_result(d, "UBLK_U_CMD_SET_PARAMS");
	ublk_timing("dev_add");
	for (i = 0; i < d->nr_devs && ret == 0 && opts->bpf_obj; i++)
		ret = ublk_bpf_dev_attach(&d->ctrl, &d->devs[i].dev, opts, &d->bpf_opened,
					  &d->devs[i].bpf);
	return ret;
}

/*
 * --ctrl ID: every device joins the kfunc-shim's controller ID before its
 * first START_DEV, and takes its tags from the controller's one set
 * (kfunc-shim/README.md, "Controllers"). The device keeps it for life, so a
 * recover does not join again.
 */
static int ublk_daemon_join_ctrl(struct ublk_daemon *d)
{
	int ret, id = d->opts->ctrl_id;
	unsigned int i;

	if (id < 0 || d->opts->recovering)
		return 0;
	if (!ublk_ctrl_has_feature(&d->ctrl, UBLK_F_BPF_CTRL)) {
		ublk_err("--ctrl: the ublk driver has no controllers (UBLK_F_BPF_CTRL): load the kfunc-shim");
		return -EOPNOTSUPP;
	}
	ret = ublk_daemon_batch(d, UBLK_U_CMD_BPF_JOIN_CTRL, 0, 0, (__u64)id);
	if (ret < 0)
		return ret;
	for (i = 0; i < d->nr_devs; i++) {
		ret = d->reqs[i].res;
		if (ret == -ENOENT) {
			ublk_err("--ctrl: the kfunc-shim has no controller %d", id);
			return ret;
		}
		if (ret == -EINVAL) {
			ublk_err("--ctrl: controller %d has another queue count or depth than -q %u -d %u",
				 id, d->opts->nr_queues, d->opts->queue_depth);
			return ret;
		}
	}
	return ublk_daemon_batch_result(d, "UBLK_U_CMD_BPF_JOIN_CTRL");
}

/*
 * ublk_queues_shared(): hardware queue q of every device on one thread,
 * bound where the first device's queue q wants to run.
 */
static int ublk_daemon_start_shared(struct ublk_daemon *d)
{
	struct ublk_dev **devs = calloc(d->nr_devs, sizeof(*devs));
	int cpus[UBLK_MAX_QUEUES];
	unsigned int i, q, nr_queues = d->devs[0].dev.info.nr_hw_queues;
	int ret = 0;

	if (!devs)
		return -ENOMEM;
	for (i = 0; i < d->nr_devs; i++)
		devs[i] = &d->devs[i].dev;
	ublk_queue_cpus(&d->ctrl, devs[0], cpus);
	for (q = 0; q < nr_queues && !ret; q++) {
		ret = ublk_queue_start_shared(devs, d->nr_devs, q, cpus[q], d->exit_fd);
		for (i = 0; i < d->nr_devs && !ret; i++)
			devs[i]->nr_started++;
	}
	free(devs);
	if (ret < 0)
		ublk_err("cannot start the queues the devices share: %s", strerror(-ret));
	return ret;
}

/* Every device's char device and queue threads, FETCH_REQs parked. */
static int ublk_daemon_start_queues(struct ublk_daemon *d)
{
	bool shared = ublk_queues_shared(d->opts);
	unsigned int i;
	int ret;

	for (i = 0; i < d->nr_devs; i++) {
		struct ublk_dev *dev = &d->devs[i].dev;

		dev->cdev_fd = ublk_open_cdev(dev->info.dev_id);
		if (dev->cdev_fd < 0)
			return -ENODEV;
		dev->queues = calloc(dev->info.nr_hw_queues, sizeof(*dev->queues));
		if (!dev->queues || ublk_pattern_stats_open(dev))
			return -ENOMEM;
		if (shared)
			continue;
		ret = ublk_start_queues(&d->ctrl, dev, d->exit_fd);
		if (ret < 0) {
			ublk_err("device %u: cannot start the queues: %s", dev->info.dev_id,
				 strerror(-ret));
			return ret;
		}
	}
	return shared ? ublk_daemon_start_shared(d) : 0;
}

/* START_DEV, or END_USER_RECOVERY, of every device: they go live. */
static int ublk_daemon_go_live(struct ublk_daemon *d)
{
	const char *what = d->opts->recovering ? "UBLK_U_CMD_END_USER_RECOVERY" :
			   "UBLK_U_CMD_START_DEV";
	unsigned int i, *ids;
	int ret;

	ret = ublk_daemon_batch(d, d->opts->recovering ? UBLK_U_CMD_END_USER_RECOVERY :
				UBLK_U_CMD_START_DEV, 0, 0, getpid());
	if (ret == 0)
		ret = ublk_daemon_batch_result(d, what);
	if (ret < 0 || d->opts->recovering)
		return ret;
	ublk_timing("dev_start");
	ids = calloc(d->nr_devs, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (i = 0; i < d->nr_devs; i++)
		ids[i] = d->devs[i].dev.info.dev_id;
	ret = ublk_set_schedulers(ids, d->nr_devs, d->opts->scheduler);
	free(ids);
	ublk_timing("scheduler");
	return ret;
}

static int ublk_daemon_write_states(struct ublk_daemon *d)
{
	unsigned int i;
	int ret;

	for (i = 0; i < d->nr_devs; i++) {
		ret = ublk_state_write(d->devs[i].dev.info.dev_id, d->opts, getpid(),
				       d->devs[i].dev.made_immutable);
		if (ret < 0) {
			ublk_err("cannot write the device's state file: %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Stops every device we still serve; @self: we end them, so delete them. */
static void ublk_daemon_stop_all(struct ublk_daemon *d, bool self)
{
	unsigned int i;

	for (i = 0; i < d->nr_devs; i++) {
		if (d->devs[i].ended)
			continue;
		d->devs[i].self_stop |= self;
		ublk_ctrl_stop_dev(&d->ctrl, d->devs[i].dev.info.dev_id);
	}
}

/*
 * QUIESCE_DEV handed the device over: its commands came back aborted and it
 * waits, QUIESCED or FAIL_IO, for the next daemon's `recover`.
 */
static bool ublk_dev_handed_over(struct ublk_daemon *d, struct ublk_daemon_dev *dd)
{
	struct ublksrv_ctrl_dev_info info;

	if (!d->opts->recovery ||
	    ublk_ctrl_get_info(&d->ctrl, dd->dev.info.dev_id, &info) < 0)
		return false;
	return info.state == UBLK_S_DEV_QUIESCED || info.state == UBLK_S_DEV_FAIL_IO;
}

/*
 * A device whose queues have all ended is let go of; one where only some
 * did lost a queue while it lives: stop it. True when no device is left.
 */
static bool ublk_daemon_reap(struct ublk_daemon *d)
{
	unsigned int i, exited, left = 0;

	for (i = 0; i < d->nr_devs; i++) {
		struct ublk_daemon_dev *dd = &d->devs[i];

		if (dd->ended)
			continue;
		exited = ublk_queues_exited(&dd->dev);
		if (exited == dd->dev.nr_started) {
			dd->handed_over = !dd->stopping && ublk_dev_handed_over(d, dd);
			if (dd->handed_over)
				ublk_info("device %u handed over (quiesced): left for the next daemon's recover",
					  dd->dev.info.dev_id);
			ublk_daemon_dev_end(d, dd, false);
			continue;
		}
		left++;
		if (exited && !dd->stopping && !ublk_dev_handed_over(d, dd)) {
			dd->stopping = true;
			ublk_ctrl_stop_dev(&d->ctrl, dd->dev.info.dev_id);
		}
	}
	return !left;
}

/*
 * A device something holds exclusively: a mounted file system, device
 * mapper or md over it. Open O_EXCL fails with EBUSY then.
 */
static bool ublk_dev_held(unsigned int dev_id)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/ublkb%u", dev_id);
	fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0)
		close(fd);
	return fd < 0 && errno == EBUSY;
}

/*
 * serve, SIGTERM/SIGINT: `systemctl restart` sends it too. A --recovery
 * device a file system is still mounted on is left QUIESCED for the next
 * serve to take back, rather than deleted under the file system; at
 * shutdown its mounts are gone first, and it is deleted.
 */
static bool ublk_daemon_keep_held(struct ublk_daemon *d)
{
	unsigned int i;

	if (!d->opts->foreground || !d->opts->recovery)
		return false;
	for (i = 0; i < d->nr_devs; i++) {
		if (d->devs[i].ended || !ublk_dev_held(d->devs[i].dev.info.dev_id))
			return false;
	}
	for (i = 0; i < d->nr_devs; i++)
		ublk_info("device %u (/dev/ublkb%u) is in use: left QUIESCED for the next serve to take back; `ublk-bpf del -n %u` deletes it",
			  d->devs[i].dev.info.dev_id, d->devs[i].dev.info.dev_id,
			  d->devs[i].dev.info.dev_id);
	return true;
}

/* Until no device is left: queue threads that ended, and the signals of @set. */
static void ublk_daemon_wait(struct ublk_daemon *d, const sigset_t *set)
{
	struct signalfd_siginfo si;
	struct pollfd pfd[2] = {
		{ .fd = d->exit_fd, .events = POLLIN },
		{ .fd = signalfd(-1, set, SFD_CLOEXEC), .events = POLLIN },
	};
	eventfd_t ended;

	if (pfd[1].fd < 0) {
		ublk_err("signalfd: %s", strerror(errno));
		ublk_daemon_stop_all(d, true);
	}
	for (;;) {
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[0].revents & POLLIN && !eventfd_read(d->exit_fd, &ended) &&
		    ublk_daemon_reap(d))
			break;
		if (!(pfd[1].revents & POLLIN) || read(pfd[1].fd, &si, sizeof(si)) != sizeof(si))
			continue;
		/*
		 * SIGQUIT leaves devices made with --recovery to the next
		 * daemon (`recover`, an upgrade): exiting hands our commands
		 * back and the driver keeps each device QUIESCED.
		 */
		if (si.ssi_signo == SIGQUIT && d->opts->recovery)
			_exit(0);
		if ((si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) &&
		    ublk_daemon_keep_held(d))
			_exit(0);
		/*
		 * SIGIO comes only from a lease this daemon holds (bmap's file):
		 * a process opened the file for writing and now waits for the
		 * lease to go. The device must be gone before it may move
		 * the blocks the device serves.
		 */
		if (si.ssi_signo == SIGIO)
			ublk_err("a process opened a backing file for writing (its lease broke): stopping the devices");
		ublk_daemon_stop_all(d, true);
	}
	if (pfd[1].fd >= 0)
		close(pfd[1].fd);
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

/* Which signals end devices; queue threads inherit the mask, so they go to us. */
static void ublk_daemon_block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	/* A backing file's lease broke (bmap): its default would kill us. */
	sigaddset(set, SIGIO);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	/* It means nothing here: a stray one must not end the server of live devices. */
	signal(SIGUSR1, SIG_IGN);
}

/* Makes (or, for recover, takes back) every device, up to their going live. */
static int ublk_daemon_make_devs(struct ublk_daemon *d)
{
	int ret;

	ret = ublk_daemon_init_devs(d);
	if (ret < 0)
		return ret;
	ret = ublk_ctrl_open(&d->ctrl);
	if (ret < 0)
		return ret;
	if (d->opts->recovering) {
		unsigned int mask;

		/* recover takes back one device: the one it names. */
		ret = ublk_dev_take_back(&d->ctrl, &d->devs[0].dev, d->opts);
		if (ret < 0)
			return ret;
		/*
		 * A flag the dead daemon set is still ours to clear (init
		 * found it set already): the new state file says so again.
		 */
		if (!ublk_state_made_immutable((unsigned int)d->opts->dev_id, &mask))
			d->devs[0].dev.made_immutable |= mask;
	} else {
		ret = ublk_daemon_add_devs(d);
		if (ret < 0)
			return ret;
	}
	ret = ublk_daemon_join_ctrl(d);
	if (ret < 0)
		return ret;
	ret = ublk_daemon_start_queues(d);
	if (ret < 0)
		return ret;
	ret = ublk_daemon_go_live(d);
	if (ret < 0)
		return ret;
	if (d->opts->recovering)
		d->devs[0].added = true;
	return ublk_daemon_write_states(d);
}

/*
 * The devices are live: "ID\n" for each to the waiting `add` (one write,
 * under PIPE_BUF or not), or, in the foreground, "dev id ID" (the node
 * with --show) on stdout and READY=1 to the service manager.
 */
static int ublk_daemon_report_ids(const struct ublk_daemon *d, int ready_fd)
{
	char *msg = malloc((size_t)d->nr_devs * 24 + 1);
	size_t len = 0;
	unsigned int i, id;
	ssize_t n;

	if (!msg)
		return -ENOMEM;
	for (i = 0; i < d->nr_devs; i++) {
		id = d->devs[i].dev.info.dev_id;
		if (ready_fd >= 0)
			len += sprintf(msg + len, "%u\n", id);
		else
			len += sprintf(msg + len, d->opts->show ? "/dev/ublkb%u\n" : "dev id %u\n", id);
	}
	if (ready_fd < 0) {
		n = write(STDOUT_FILENO, msg, len);
		ublk_notify("READY=1\nSTATUS=serving");
	} else {
		n = write(ready_fd, msg, len);
		close(ready_fd);
	}
	free(msg);
	return n == (ssize_t)len ? 0 : -EPIPE;
}

/* What the log says of each device that goes live. */
static void ublk_daemon_log_live(const struct ublk_daemon *d)
{
	const struct ublk_dev_opts *o = d->opts;
	unsigned int i;

	for (i = 0; i < d->nr_devs; i++) {
		const struct ublk_dev *dev = &d->devs[i].dev;

		ublk_info("device %u (/dev/ublkb%u) %s: target %s on the %s path%s%s%s",
			  dev->info.dev_id, dev->info.dev_id,
			  o->recovering ? "taken back by a new daemon" : "live",
			  dev->tgt->name, o->bpf_obj ? "BPF" : "io_uring",
			  o->fallback ? " (" : "", o->fallback ? o->fallback : "",
			  o->fallback ? ")" : "");
	}
}

/*
 * Each device keeps its char device, a ring per queue and its backing files
 * open in this one process, and --scheduler opens a sysfs file per device
 * at once: a --count of a few hundred passes the usual soft
 * limit of 1024 descriptors, and ADD_DEV's followers would fail with EMFILE
 * half-way. Raise the soft limit to what the devices need, up to the hard
 * limit: the hard limit is the admin's (ulimit -Hn, LimitNOFILE=), and a
 * --count beyond it fails as a whole with EMFILE, undone.
 */
static void ublk_daemon_raise_nofile(const struct ublk_dev_opts *opts, unsigned int nr_devs)
{
	/* per device its fixed few, a ring per queue, its files; 64 for the rest */
	rlim_t need = (rlim_t)nr_devs * (4 + opts->nr_queues + opts->nr_files) + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * The daemon's life. Writes "N\n" to @ready_fd for each device once all
 * are live; on failure it writes nothing, and has undone every device
 * when it exits.
 */
static int ublk_daemon(const struct ublk_dev_opts *opts, int ready_fd)
{
	struct ublk_daemon d = { .opts = opts, .bpf_opened = opts->bpf_opened,
				  .ctrl = { .fd = -1 } };
	unsigned int i;
	sigset_t set;
	int ret = -ENOMEM;

	ublk_daemon_block_signals(&set);
	d.nr_devs = opts->recovering ? 1 : opts->count;
	d.devs = calloc(d.nr_devs, sizeof(*d.devs));
	d.reqs = calloc(d.nr_devs, sizeof(*d.reqs));
	for (i = 0; d.devs && i < d.nr_devs; i++)
		d.devs[i].dev.cdev_fd = -1;
	ublk_daemon_raise_nofile(opts, d.nr_devs);
	d.exit_fd = eventfd(0, EFD_CLOEXEC);
	if (d.exit_fd < 0)
		ublk_err("eventfd: %s", strerror(errno));
	else if (d.devs && d.reqs)
		ret = ublk_daemon_make_devs(&d);
	/*
	 * A recover that failed leaves the device QUIESCED for another try
	 * or del: exiting hands our parked commands back without stopping it.
	 */
	if (ret < 0 && opts->recovering)
		_exit(1);
	if (ret == 0) {
		/*
		 * Let go of the caller's folder (relative paths were opened
		 * by now) and stdout, or `$(ublk-bpf add ...)` would never end.
		 */
		if (chdir("/"))
			ublk_err("chdir /: %s", strerror(errno));
		if (ready_fd >= 0) {
			ublk_detach_stdio();
			ublk_log_to_syslog();
		}
		ublk_daemon_log_live(&d);
		if (ublk_daemon_report_ids(&d, ready_fd) < 0)
			ublk_daemon_stop_all(&d, true);
		ublk_daemon_wait(&d, &set);
		if (ready_fd < 0)
			ublk_notify("STOPPING=1");
	}
	for (i = 0; d.devs && i < d.nr_devs; i++) {
		if (ret == 0)
			ublk_info("device %u stopped", d.devs[i].dev.info.dev_id);
		ublk_daemon_dev_end(&d, &d.devs[i], ret < 0);
	}
	ublk_ctrl_close(&d.ctrl);
	if (d.exit_fd >= 0)
		close(d.exit_fd);
	free(d.devs);
	free(d.reqs);
	return ret < 0 ? 1 : 0;
}

int ublk_dev_create(const struct ublk_dev_opts *opts)
{
	int pipefd[2], status;
	size_t len = 0, size = (size_t)opts->count * 12 + 1;
	char *buf, *line;
	ssize_t n;
	pid_t pid;

	ublk_timing("begin");
	/* Fail here, before forking, when there is no driver at all. */
	if (ublk_ctrl_probe())
		return 1;

	if (opts->foreground) {
		/* serve: this process is the daemon, its stderr the journal. */
		signal(SIGPIPE, SIG_IGN);
		return ublk_daemon(opts, -1);
	}
	buf = malloc(size);
	if (!buf || pipe2(pipefd, O_CLOEXEC) < 0) {
		ublk_err("pipe: %s", strerror(buf ? errno : ENOMEM));
		free(buf);
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
	while (len < size - 1 && (n = read(pipefd[0], buf + len, size - 1 - len)) > 0)
		len += n;
	close(pipefd[0]);
	buf[len] = '\0';
	if (!len) {
		waitpid(pid, &status, 0);
		free(buf);
		return 1;
	}
	ublk_timing("ready");
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		printf(opts->show ? "/dev/ublkb%u\n" : "dev id %u\n",
		       (unsigned int)strtoul(line, NULL, 10));
	free(buf);
	return 0;
}
