// SPDX-License-Identifier: GPL-2.0
/* `ublk-bpf del -n ID | -a`: stop and delete devices, wait for their daemons. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpf_obj.h"
#include "commands.h"
#include "ctrl.h"
#include "devices.h"
#include "io_pattern_stats.h"
#include "log.h"
#include "state.h"
#include "ublk_bpf_uapi.h"	/* SAFE_STOP_DEV on a 6.12 header */
#include "verb.h"

/* Does a device other than @dev_id have @pid for its daemon (made by --count)? */
static bool ublk_pid_serves_other(struct ublk_ctrl *ctrl, int pid, unsigned int dev_id)
{
	static unsigned int ids[UBLK_MAX_LISTED];
	struct ublksrv_ctrl_dev_info info;
	int i, n = ublk_list_ids(ids, UBLK_MAX_LISTED);

	for (i = 0; i < n; i++)
		if (ids[i] != dev_id && ublk_ctrl_get_info(ctrl, ids[i], &info) >= 0 &&
		    info.ublksrv_pid == pid)
			return true;
	return false;
}

/* Waits (5 s at most) for a daemon that serves no device any more to exit. */
static void ublk_wait_daemon_gone(int pid)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 500 && ublk_pid_alive(pid); i++)
		nanosleep(&ts, NULL);
}

/*
 * The immutable flags the tool set for device @dev_id (its state file says
 * which files), cleared once its daemon is gone: one killed, or one that
 * took the device back by recover, may not have; its page cache dropped,
 * as the daemon does. A file that is no longer
 * the one served (replaced, moved) is let be; so is every flag the tool
 * did not set.
 */
static void ublk_del_clear_immutable(unsigned int dev_id)
{
	char path[PATH_MAX], id[48], now[48];
	unsigned int mask, i;
	struct stat st;
	int fd, flags;

	if (ublk_state_made_immutable(dev_id, &mask) < 0)
		return;
	for (i = 0; i < UBLK_MAX_FILES; i++) {
		if (!(mask & (1U << i)) ||
		    ublk_state_get_file(dev_id, i, path, sizeof(path), id, sizeof(id)))
			continue;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		snprintf(now, sizeof(now), "%llu:%llu", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
		if (strcmp(now, id)) {
			ublk_err("device %u: %s is not the file it served: its immutable flag is left",
				 dev_id, path);
			close(fd);
			continue;
		}
		/* The device wrote under the file's page cache, as at the daemon's end. */
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (!ioctl(fd, FS_IOC_GETFLAGS, &flags) && flags & FS_IMMUTABLE_FL) {
			flags &= ~FS_IMMUTABLE_FL;
			if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
				ublk_err("device %u: cannot clear the immutable flag of %s: %s",
					 dev_id, path, strerror(errno));
		}
		close(fd);
	}
}

/*
 * Deletes the devices @ids: GET_DEV_INFO, then STOP_DEV, then DEL_DEV of
 * all of them, each step's commands in flight together (DEL_DEV returns
 * once the daemon has let go of the device and it is freed). Then waits
 * for each daemon that serves nothing else to exit. -n ID is one of these.
 */
static int ublk_del_ids(struct ublk_ctrl *ctrl, const unsigned int *ids, unsigned int n,
			bool safe)
{
	struct ublksrv_ctrl_dev_info *infos = calloc(n, sizeof(*infos));
	struct ublk_ctrl_req *reqs = calloc(n, sizeof(*reqs));
	unsigned int i, j, step;
	/* --safe: TRY_STOP_DEV stops only a device whose disk nobody has open. */
	const unsigned int ops[] = {
		UBLK_U_CMD_GET_DEV_INFO, safe ? UBLK_U_CMD_TRY_STOP_DEV : UBLK_U_CMD_STOP_DEV,
		UBLK_U_CMD_DEL_DEV,
	};
	const char *const names[] = {
		"UBLK_U_CMD_GET_DEV_INFO", safe ? "UBLK_U_CMD_TRY_STOP_DEV" : "UBLK_U_CMD_STOP_DEV",
		"UBLK_U_CMD_DEL_DEV",
	};
	bool *gone = calloc(n, sizeof(*gone));
	int ret = 0, run;

	if (!infos || !reqs || !gone) {
		ublk_err("del: out of memory");
		ret = -ENOMEM;
		goto out;
	}
	for (step = 0; step < 3; step++) {
		/*
		 * A device already out of the running (gone, or left in use by
		 * --safe) gets a harmless GET_DEV_INFO instead: a DEL_DEV of a
		 * live device would wait for it forever.
		 */
		for (i = 0; i < n; i++) {
			bool skip = step && gone[i];

			reqs[i] = (struct ublk_ctrl_req){
				.op = skip ? ops[0] : ops[step], .dev_id = ids[i],
				.buf = step && !skip ? NULL : &infos[i],
				.len = step && !skip ? 0 : sizeof(infos[i]),
			};
		}
		/* Each step's failures stay in ret: the exit status says them. */
		run = ublk_ctrl_run(ctrl, reqs, n);
		if (run < 0) {
			ublk_err("del: the control io_uring failed: %s", strerror(-run));
			ret = run;
			goto out;
		}
		for (i = 0; i < n; i++) {
			int res = reqs[i].res;

			if (gone[i] || res >= 0)
				continue;
			if (!step && (res == -ENODEV || res == -ENOENT)) {
				ublk_err("device %u does not exist", ids[i]);
				gone[i] = true;
				ret = res;
			} else if (step == 1 && safe && res == -EBUSY) {
				/* left serving as it was: no DEL_DEV, nothing removed */
				ublk_err("device %u is in use (mounted or open): not deleted (--safe)",
					 ids[i]);
				gone[i] = true;
				ret = res;
			} else if (res != -ENODEV) {
				ublk_err("device %u: %s failed: %s", ids[i], names[step], strerror(-res));
				/* A device that would not go is not cleaned up after. */
				gone[i] = step == 2;
				ret = step == 2 ? res : ret;
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (gone[i])
			continue;
		for (j = 0; j < i && infos[j].ublksrv_pid != infos[i].ublksrv_pid; j++)
			;
		if (j == i && !ublk_pid_serves_other(ctrl, infos[i].ublksrv_pid, ids[i]))
			ublk_wait_daemon_gone(infos[i].ublksrv_pid);
		/* A live daemon clears its own as it lets go of the device. */
		if (!ublk_pid_alive(infos[i].ublksrv_pid))
			ublk_del_clear_immutable(ids[i]);
		ublk_state_remove(ids[i]);
		ublk_pattern_stats_remove(ids[i]);
		ublk_unpin_dev(ids[i]);
	}
out:
	free(infos);
	free(reqs);
	free(gone);
	return ret;
}

int ublk_cmd_del(const struct ublk_sel_opts *opts)
{
	static unsigned int ids[UBLK_MAX_LISTED];
	struct ublk_ctrl ctrl;
	int n, failed;

	if (ublk_ctrl_open(&ctrl))
		return 1;
	if (opts->safe && !ublk_ctrl_has_feature(&ctrl, UBLK_F_SAFE_STOP_DEV)) {
		ublk_err("del --safe: the ublk driver has no UBLK_F_SAFE_STOP_DEV (the kfunc-shim or Linux 7.0+ has)");
		ublk_ctrl_close(&ctrl);
		return 1;
	}
	if (opts->all) {
		n = ublk_list_ids(ids, UBLK_MAX_LISTED);
	} else {
		ids[0] = opts->dev_id;
		n = 1;
	}
	failed = n && ublk_del_ids(&ctrl, ids, n, opts->safe) < 0;
	ublk_ctrl_close(&ctrl);
	return failed;
}

static int del_parse(int argc, char **argv, void *opts)
{
	return ublk_parse_del(argc, argv, opts);
}

static int del_run(void *opts)
{
	return ublk_cmd_del(opts);
}

static const struct option *del_options(void)
{
	return ublk_sel_verb_longopts("del");
}

const struct ublk_verb ublk_verb_del = {
	.name = "del",
	.synopsis = "del -n ID | -a [--safe]",
	.help = "Stops and deletes one device (-n, --number ID) or all (-a, --all), and\n"
		"waits for daemons that serve nothing else to exit. --safe leaves a device\n"
		"whose disk is in use (mounted or open) as it is and says so (a driver\n"
		"with UBLK_F_SAFE_STOP_DEV: the kfunc-shim, or Linux 7.0+).",
	.options = del_options,
	.opts_size = sizeof(struct ublk_sel_opts),
	.parse = del_parse,
	.run = del_run,
};
