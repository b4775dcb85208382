// SPDX-License-Identifier: GPL-2.0
/* `ublk-bpf del` and `ublk-bpf list`: verbs on devices that exist. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf_obj.h"
#include "commands.h"
#include "ctrl.h"
#include "io_pattern_stats.h"
#include "log.h"
#include "state.h"

#define UBLK_MAX_LISTED 4096

static int ublk_id_cmp(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* Ids of every ublk device, from the class of their char devices; sorted. */
static int ublk_list_ids(unsigned int *ids, unsigned int max)
{
	DIR *d = opendir("/sys/class/ublk-char");
	struct dirent *e;
	unsigned int n = 0, id;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max)
		if (sscanf(e->d_name, "ublkc%u", &id) == 1)
			ids[n++] = id;
	closedir(d);
	qsort(ids, n, sizeof(*ids), ublk_id_cmp);
	return n;
}

/* A process that is gone or a zombie no longer holds the device. */
static bool ublk_pid_alive(int pid)
{
	char path[64], state = 0;
	FILE *f;

	if (pid <= 0 || kill(pid, 0) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = 0;
	fclose(f);
	return state && state != 'Z';
}

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

const char *ublk_dev_state_name(unsigned int state)
{
	switch (state) {
	case UBLK_S_DEV_DEAD: return "DEAD";
	case UBLK_S_DEV_LIVE: return "LIVE";
	case UBLK_S_DEV_QUIESCED: return "QUIESCED";
	default: return "UNKNOWN";
	}
}

struct ublk_list_row {
	unsigned int id, queues, depth;
	const char *state;
	unsigned long long size;
	char target[32];
	char path[16];
	int pid;
	bool daemon_alive;
	const char *note;	/* what is wrong and what is left to do; "" */
};

/* What list tells about a device whose daemon or state file is missing. */
static const char *ublk_list_note(const struct ublksrv_ctrl_dev_info *info,
				  bool daemon_alive, int state_ret)
{
	bool recoverable = (info->flags & UBLK_F_USER_RECOVERY) &&
			   info->state == UBLK_S_DEV_QUIESCED;

	if (state_ret == -ENOENT)
		return daemon_alive || !recoverable ? "no state file" :
		       "no state file: cannot recover, del removes it";
	if (state_ret < 0)
		return "damaged state file";
	if (daemon_alive)
		return "";
	return recoverable ? "daemon gone: recover -n ID" : "daemon gone: del -n ID removes it";
}

static int ublk_list_row(struct ublk_ctrl *ctrl, unsigned int dev_id,
			 struct ublk_list_row *row)
{
	static struct ublk_state_cmdline cmdline;
	struct ublksrv_ctrl_dev_info info;
	struct ublk_params params;
	int ret;

	ret = ublk_ctrl_get_info(ctrl, dev_id, &info);
	if (ret < 0)
		return ret;
	row->id = dev_id;
	row->queues = info.nr_hw_queues;
	row->depth = info.queue_depth;
	row->state = ublk_dev_state_name(info.state);
	row->pid = info.ublksrv_pid;
	row->size = 0;
	if (ublk_ctrl_get_params(ctrl, dev_id, &params) >= 0 &&
	    (params.types & UBLK_PARAM_TYPE_BASIC))
		row->size = params.basic.dev_sectors << 9;
	if (ublk_state_get(dev_id, "target", row->target, sizeof(row->target)) < 0)
		snprintf(row->target, sizeof(row->target), "-");
	if (ublk_state_get(dev_id, "path", row->path, sizeof(row->path)) < 0)
		snprintf(row->path, sizeof(row->path), "-");
	row->daemon_alive = ublk_pid_alive(info.ublksrv_pid);
	row->note = ublk_list_note(&info, row->daemon_alive,
				   ublk_state_get_cmdline(dev_id, &cmdline));
	return 0;
}

static void ublk_print_row(const struct ublk_list_row *r, bool json, bool first)
{
	if (json) {
		printf("%s{\"id\":%u,\"state\":\"%s\",\"queues\":%u,\"depth\":%u,"
		       "\"size\":%llu,\"target\":\"%s\",\"path\":\"%s\",\"pid\":%d,"
		       "\"daemon\":\"%s\",\"note\":\"%s\"}",
		       first ? "" : ",", r->id, r->state, r->queues, r->depth, r->size,
		       r->target, r->path, r->pid, r->daemon_alive ? "alive" : "gone", r->note);
		return;
	}
	if (first)
		printf("%-4s %-8s %6s %6s %14s %-8s %-8s %-7s %s\n", "ID", "STATE", "QUEUES",
		       "DEPTH", "SIZE", "TARGET", "PATH", "PID", "NOTE");
	printf("%-4u %-8s %6u %6u %14llu %-8s %-8s %-7d %s\n", r->id, r->state, r->queues,
	       r->depth, r->size, r->target, r->path, r->pid, r->note);
}

int ublk_cmd_list(const struct ublk_sel_opts *opts)
{
	static unsigned int ids[UBLK_MAX_LISTED];
	struct ublk_list_row row;
	struct ublk_ctrl ctrl;
	int i, n, shown = 0, ret = 0;

	if (ublk_ctrl_open(&ctrl))
		return 1;
	if (opts->dev_id >= 0) {
		ids[0] = opts->dev_id;
		n = 1;
	} else {
		n = ublk_list_ids(ids, UBLK_MAX_LISTED);
	}
	if (opts->json)
		printf("[");
	for (i = 0; i < n; i++) {
		if (ublk_list_row(&ctrl, ids[i], &row) < 0) {
			if (opts->dev_id >= 0) {
				ublk_err("device %d does not exist", opts->dev_id);
				ret = 1;
			}
			continue;
		}
		ublk_print_row(&row, opts->json, !shown++);
	}
	if (opts->json)
		printf("]\n");
	/* Devices named kublk's way (-n ID, -a) get its detail too. */
	for (i = 0; !opts->json && (opts->dev_id >= 0 || opts->all) && i < n; i++)
		ublk_print_dev_detail(&ctrl, ids[i]);
	ublk_ctrl_close(&ctrl);
	return ret;
}
