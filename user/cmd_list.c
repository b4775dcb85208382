// SPDX-License-Identifier: GPL-2.0
/*
 * `ublk-bpf list [-n ID | -a] [--json]`: a table of the devices; with -n or
 * -a each device's detail after it, laid out as the kernel's selftest
 * server kublk lays out its `list`, so that the selftest scripts read it:
 * the line with "daemon pid" has the pid as its 7th word, the line with
 * "state" the state as its 11th, and no other line has "pid" or "state" in
 * it (but a table row whose NOTE names a missing or damaged state file).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ctrl.h"
#include "devices.h"
#include "json.h"
#include "log.h"
#include "state.h"
#include "verb.h"

/* "0-3 6": the CPUs of @set as ranges, into @buf. */
static void ublk_cpus_str(const cpu_set_t *set, char *buf, size_t len)
{
	size_t used = 0;
	int cpu, last;

	buf[0] = '\0';
	for (cpu = 0; cpu < CPU_SETSIZE && used < len; cpu++) {
		if (!CPU_ISSET(cpu, set))
			continue;
		for (last = cpu; last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, set); last++)
			;
		used += snprintf(buf + used, len - used, last > cpu ? "%s%d-%d" : "%s%d",
				 used ? " " : "", cpu, last);
		cpu = last;
	}
}

static void ublk_print_dev_detail(struct ublk_ctrl *ctrl, unsigned int dev_id)
{
	struct ublksrv_ctrl_dev_info info;
	struct ublk_params params;
	unsigned long long sectors = 0;
	unsigned int lbs = 512, q;
	char target[32] = "-", cpus[256];
	cpu_set_t set;

	if (ublk_ctrl_get_info(ctrl, dev_id, &info) < 0)
		return;
	if (ublk_ctrl_get_params(ctrl, dev_id, &params) >= 0 &&
	    (params.types & UBLK_PARAM_TYPE_BASIC)) {
		sectors = params.basic.dev_sectors;
		lbs = 1U << params.basic.logical_bs_shift;
	}
	if (ublk_state_get(dev_id, "target", target, sizeof(target)) < 0)
		snprintf(target, sizeof(target), "-");
	printf("dev id %u: queues %u depth %u block size %u sectors %llu target %s\n", dev_id,
	       info.nr_hw_queues, info.queue_depth, lbs, sectors, target);
	printf("\tmax io bytes %u daemon pid %d flags 0x%llx state %s\n", info.max_io_buf_bytes,
	       info.ublksrv_pid, (unsigned long long)info.flags,
	       ublk_dev_state_name(info.state));
	for (q = 0; q < info.nr_hw_queues; q++) {
		if (ublk_ctrl_get_queue_affinity(ctrl, dev_id, q, &set) < 0)
			break;
		ublk_cpus_str(&set, cpus, sizeof(cpus));
		printf("\tqueue %u: cpus %s\n", q, cpus);
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
	bool recoverable;	/* `recover` can take it back once its daemon is gone */
	const char *note;	/* what is wrong and what is left to do; "" */
	char note_buf[96];	/* @note when it names the device */
	char node[24];		/* /dev/ublkbID */
	char files[1024];	/* the backing files, comma-separated; "-": none */
	char fallback[160];	/* why a BPF target is on the io_uring path; "" */
};

/*
 * What list tells about a device whose daemon or state file is missing.
 * A device without a daemon is said to have none, first, and then what
 * serves it meanwhile and the command that is left to run.
 */
static const char *ublk_list_note(struct ublk_list_row *row, int state_ret)
{
	if (state_ret == -ENOENT)
		return row->daemon_alive || !row->recoverable ? "no state file" :
		       "no state file: cannot recover, del removes it";
	if (state_ret < 0)
		return "damaged state file";
	if (row->daemon_alive)
		return "";
	if (!row->recoverable)
		snprintf(row->note_buf, sizeof(row->note_buf),
			 "no daemon, not recoverable: ublk-bpf del -n %u removes it", row->id);
	else
		snprintf(row->note_buf, sizeof(row->note_buf),
			 "no daemon (%s; recoverable: ublk-bpf recover -n %u)",
			 strncmp(row->path, "bpf", 3) ? "IO waits" : "its BPF program serves on",
			 row->id);
	return row->note_buf;
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
	snprintf(row->node, sizeof(row->node), "/dev/ublkb%u", dev_id);
	if (ublk_state_get_files(dev_id, row->files, sizeof(row->files)) < 0 || !row->files[0])
		snprintf(row->files, sizeof(row->files), "-");
	if (ublk_state_get(dev_id, "fallback", row->fallback, sizeof(row->fallback)) < 0)
		row->fallback[0] = '\0';
	row->daemon_alive = ublk_pid_alive(info.ublksrv_pid);
	/* LIVE a moment after its daemon died, until the driver quiesces it. */
	row->recoverable = (info.flags & UBLK_F_USER_RECOVERY) && info.state != UBLK_S_DEV_DEAD;
	row->note = ublk_list_note(row, ublk_state_get_cmdline(dev_id, &cmdline));
	if (!row->note[0] && row->fallback[0])
		row->note = row->fallback;
	return 0;
}

static json_t *ublk_row_json(const struct ublk_list_row *r)
{
	return json_pack("{s:I,s:s,s:I,s:I,s:o,s:o,s:s,s:i,s:s,s:b,s:o,s:s,s:o}",
			 "id", (json_int_t)r->id, "state", r->state,
			 "queues", (json_int_t)r->queues, "depth", (json_int_t)r->depth,
			 "size", ublk_json_u64(r->size),
			 "target", ublk_json_text(r->target, strlen(r->target)),
			 "path", r->path, "pid", r->pid,
			 "daemon", r->daemon_alive ? "running" : "none",
			 "recoverable", r->recoverable,
			 "note", ublk_json_text(r->note, strlen(r->note)),
			 "node", r->node, "files", ublk_json_text(r->files, strlen(r->files)));
}

static void ublk_print_row(const struct ublk_list_row *r, bool first)
{
	if (first)
		printf("%-4s %-8s %6s %6s %14s %-8s %-8s %-7s %-7s %-13s %-24s %s\n", "ID",
		       "STATE", "QUEUES", "DEPTH", "SIZE", "TARGET", "PATH", "PID", "DAEMON", "NODE",
		       "FILES", "NOTE");
	printf("%-4u %-8s %6u %6u %14llu %-8s %-8s %-7d %-7s %-13s %-24s %s\n", r->id, r->state,
	       r->queues, r->depth, r->size, r->target, r->path, r->pid,
	       r->daemon_alive ? "running" : "none", r->node, r->files, r->note);
}

int ublk_cmd_list(const struct ublk_sel_opts *opts)
{
	static unsigned int ids[UBLK_MAX_LISTED];
	json_t *rows = opts->json ? json_array() : NULL;
	struct ublk_list_row row;
	struct ublk_ctrl ctrl;
	int i, n, shown = 0, ret = 0;

	if (ublk_ctrl_open(&ctrl)) {
		json_decref(rows);
		return 1;
	}
	if (opts->dev_id >= 0) {
		ids[0] = opts->dev_id;
		n = 1;
	} else {
		n = ublk_list_ids(ids, UBLK_MAX_LISTED);
	}
	for (i = 0; i < n; i++) {
		if (ublk_list_row(&ctrl, ids[i], &row) < 0) {
			if (opts->dev_id >= 0) {
				ublk_err("device %d does not exist", opts->dev_id);
				ret = 1;
			}
			continue;
		}
		if (opts->json)
			json_array_append_new(rows, ublk_row_json(&row));
		else
			ublk_print_row(&row, !shown++);
	}
	if (opts->json && ublk_json_print(rows))
		ret = 1;
	/* Devices named kublk's way (-n ID, -a) get its detail too. */
	for (i = 0; !opts->json && (opts->dev_id >= 0 || opts->all) && i < n; i++)
		ublk_print_dev_detail(&ctrl, ids[i]);
	ublk_ctrl_close(&ctrl);
	return ret;
}

static int list_parse(int argc, char **argv, void *opts)
{
	return ublk_parse_list(argc, argv, opts);
}

static int list_run(void *opts)
{
	return ublk_cmd_list(opts);
}

static const struct option *list_options(void)
{
	return ublk_sel_verb_longopts("list");
}

const struct ublk_verb ublk_verb_list = {
	.name = "list",
	.synopsis = "list [-n ID | -a] [--json]",
	.help = "A table of the devices: id, state, queues, depth, size, target, path,\n"
		"daemon pid, whether a daemon runs (DAEMON: running or none) and a note\n"
		"when something is wrong: a device without a daemon says what serves it\n"
		"meanwhile and whether 'recover' can take it back.\n"
		"  -n, --number ID     that device only, with its detail laid out as\n"
		"                      kublk's list\n"
		"  -a, --all           every device, each with that detail\n"
		"  --json              the table as a JSON array",
	.options = list_options,
	.opts_size = sizeof(struct ublk_sel_opts),
	.parse = list_parse,
	.run = list_run,
};
