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

static int ublk_del_one(struct ublk_ctrl *ctrl, unsigned int dev_id)
{
	struct ublksrv_ctrl_dev_info info;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int ret, i;

	ret = ublk_ctrl_dev_info(ctrl, dev_id, &info);
	if (ret < 0)
		return ret;
	ret = ublk_ctrl_stop_dev(ctrl, dev_id);
	if (ret < 0 && ret != -ENODEV)
		ublk_err("device %u: UBLK_U_CMD_STOP_DEV failed: %s", dev_id, strerror(-ret));
	/* Returns once the daemon has let go of the device and it is freed. */
	ret = ublk_ctrl_del_dev(ctrl, dev_id);
	if (ret < 0 && ret != -ENODEV) {
		ublk_err("device %u: UBLK_U_CMD_DEL_DEV failed: %s", dev_id, strerror(-ret));
		return ret;
	}
	for (i = 0; i < 500 && ublk_pid_alive(info.ublksrv_pid); i++)
		nanosleep(&ts, NULL);
	ublk_state_remove(dev_id);
	ublk_unpin_dev(dev_id);
	return 0;
}

int ublk_cmd_del(const struct ublk_sel_opts *opts)
{
	static unsigned int ids[UBLK_MAX_LISTED];
	struct ublk_ctrl ctrl;
	int i, n, failed = 0;

	if (ublk_ctrl_open(&ctrl))
		return 1;
	if (opts->all) {
		n = ublk_list_ids(ids, UBLK_MAX_LISTED);
		for (i = 0; i < n; i++)
			failed |= ublk_del_one(&ctrl, ids[i]) < 0;
	} else {
		failed = ublk_del_one(&ctrl, opts->dev_id) < 0;
	}
	ublk_ctrl_close(&ctrl);
	return failed;
}

static const char *ublk_state_name(unsigned int state)
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
	row->state = ublk_state_name(info.state);
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
	ublk_ctrl_close(&ctrl);
	return ret;
}
