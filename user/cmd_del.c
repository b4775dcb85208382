// SPDX-License-Identifier: GPL-2.0
/* `ublk-bpf del -n ID | -a`: stop and delete devices, wait for their daemons. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpf_obj.h"
#include "commands.h"
#include "ctrl.h"
#include "devices.h"
#include "io_pattern_stats.h"
#include "log.h"
#include "state.h"
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
 * Deletes the devices @ids: GET_DEV_INFO, then STOP_DEV, then DEL_DEV of
 * all of them, each step's commands in flight together (DEL_DEV returns
 * once the daemon has let go of the device and it is freed). Then waits
 * for each daemon that serves nothing else to exit. -n ID is one of these.
 */
static int ublk_del_ids(struct ublk_ctrl *ctrl, const unsigned int *ids, unsigned int n)
{
	struct ublksrv_ctrl_dev_info *infos = calloc(n, sizeof(*infos));
	struct ublk_ctrl_req *reqs = calloc(n, sizeof(*reqs));
	unsigned int i, j, step;
	static const unsigned int ops[] = {
		UBLK_U_CMD_GET_DEV_INFO, UBLK_U_CMD_STOP_DEV, UBLK_U_CMD_DEL_DEV,
	};
	static const char *const names[] = {
		"UBLK_U_CMD_GET_DEV_INFO", "UBLK_U_CMD_STOP_DEV", "UBLK_U_CMD_DEL_DEV",
	};
	bool *gone = calloc(n, sizeof(*gone));
	int ret = 0, run;

	if (!infos || !reqs || !gone) {
		ublk_err("del: out of memory");
		ret = -ENOMEM;
		goto out;
	}
	for (step = 0; step < 3; step++) {
		for (i = 0; i < n; i++)
			reqs[i] = (struct ublk_ctrl_req){
				.op = ops[step], .dev_id = ids[i],
				.buf = step ? NULL : &infos[i],
				.len = step ? 0 : sizeof(infos[i]),
			};
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
	if (opts->all) {
		n = ublk_list_ids(ids, UBLK_MAX_LISTED);
	} else {
		ids[0] = opts->dev_id;
		n = 1;
	}
	failed = n && ublk_del_ids(&ctrl, ids, n) < 0;
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
	.synopsis = "del -n ID | -a",
	.help = "Stops and deletes one device (-n, --number ID) or all (-a, --all), and\n"
		"waits for daemons that serve nothing else to exit.",
	.options = del_options,
	.opts_size = sizeof(struct ublk_sel_opts),
	.parse = del_parse,
	.run = del_run,
};
