// SPDX-License-Identifier: GPL-2.0
/*
 * `ublk-bpf ctrl add|del|list`: the kfunc-shim's controllers, one blk-mq tag
 * set shared by several devices (kfunc-shim/README.md, "Controllers").
 * add creates one (UBLK_U_CMD_BPF_CREATE_CTRL) and prints its id, which
 * `add`/`load --ctrl ID` join; del removes one no device holds; list walks
 * them with GET_CTRL_INFO's NEXT flag and shows each set's bytes as the
 * module counts them, and the module's total over every tag set.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ctrl.h"
#include "json.h"
#include "log.h"
#include "ublk_bpf_uapi.h"
#include "verb.h"

/* The module's count of every tag set's bytes (devices' own and controllers'). */
#define UBLK_TAGSET_BYTES_PATH "/sys/module/ublk_drv/parameters/tagset_bytes"

/* One controller command; the CQE's result, or the failure to send it. */
static int ctrl_cmd(struct ublk_ctrl *c, unsigned int op, __u64 data0, void *buf,
		    unsigned int len)
{
	struct ublk_ctrl_req r = { .op = op, .buf = buf, .len = len, .data0 = data0 };
	int ret = ublk_ctrl_run(c, &r, 1);

	return ret ? ret : r.res;
}

static int ctrl_add(struct ublk_ctrl *c, const struct ublk_ctrl_opts *o)
{
	__u64 data = o->nr_queues | (__u64)o->depth << 16;
	int ret;

	if (o->id >= 0)
		data |= UBLK_BPF_CTRL_CREATE_ID | (__u64)o->id << 32;
	ret = ctrl_cmd(c, UBLK_U_CMD_BPF_CREATE_CTRL, data, NULL, 0);
	if (ret == -EEXIST) {
		ublk_err("ctrl add: controller %d exists", o->id);
		return 1;
	}
	if (ret == -EINVAL && o->id >= 0) {
		ublk_err("ctrl add: the kfunc-shim refused --id %d (a module without it?)", o->id);
		return 1;
	}
	if (ret < 0) {
		ublk_err("ctrl add: UBLK_U_CMD_BPF_CREATE_CTRL failed: %s", strerror(-ret));
		return 1;
	}
	printf("%d\n", ret);
	return 0;
}

static int ctrl_del(struct ublk_ctrl *c, const struct ublk_ctrl_opts *o)
{
	int ret = ctrl_cmd(c, UBLK_U_CMD_BPF_REMOVE_CTRL, (__u64)o->id, NULL, 0);

	if (ret == -EBUSY)
		ublk_err("ctrl del: controller %d has devices (-EBUSY): delete them first", o->id);
	else if (ret == -ENOENT)
		ublk_err("ctrl del: no controller %d", o->id);
	else if (ret < 0)
		ublk_err("ctrl del: UBLK_U_CMD_BPF_REMOVE_CTRL failed: %s", strerror(-ret));
	return ret < 0 ? 1 : 0;
}

/* The module's tagset_bytes, or -1 when it has none (an older module). */
static long long ctrl_module_bytes(void)
{
	FILE *f = fopen(UBLK_TAGSET_BYTES_PATH, "r");
	long long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static json_t *ctrl_row_json(const struct ublk_bpf_ctrl_info *ci)
{
	return json_pack("{s:i, s:i, s:i, s:i, s:i, s:b, s:o}", "id", (int)ci->id,
			 "queues", ci->nr_hw_queues, "depth", ci->queue_depth,
			 "devices", (int)ci->nr_devs, "started", (int)ci->nr_queues,
			 "shared", !!(ci->flags & UBLK_BPF_CTRL_INFO_F_SHARED),
			 "tagset_bytes", ublk_json_u64(ci->tagset_bytes));
}

static int ctrl_list(struct ublk_ctrl *c, const struct ublk_ctrl_opts *o)
{
	long long total = ctrl_module_bytes();
	json_t *rows = o->json ? json_array() : NULL;
	struct ublk_bpf_ctrl_info ci;
	__u64 next = 0;
	int ret;

	if (!o->json)
		printf("%-6s %6s %6s %8s %8s %14s\n", "CTRL", "QUEUES", "DEPTH", "DEVICES",
		       "STARTED", "TAGSET_BYTES");
	for (;;) {
		memset(&ci, 0, sizeof(ci));
		ret = ctrl_cmd(c, UBLK_U_CMD_BPF_GET_CTRL_INFO, next | UBLK_BPF_CTRL_INFO_NEXT,
			       &ci, sizeof(ci));
		if (ret == -ENOENT)
			break;
		if (ret < 0) {
			ublk_err("ctrl list: UBLK_U_CMD_BPF_GET_CTRL_INFO failed: %s%s", strerror(-ret),
				 ret == -EINVAL ? " (a kfunc-shim without the NEXT walk?)" : "");
			json_decref(rows);
			return 1;
		}
		if (rows)
			json_array_append_new(rows, ctrl_row_json(&ci));
		else
			printf("%-6u %6u %6u %8u %8u %14" PRIu64 "\n", ci.id, ci.nr_hw_queues,
			       ci.queue_depth, ci.nr_devs, ci.nr_queues,
			       (uint64_t)ci.tagset_bytes);
		next = (__u64)ci.id + 1;
	}
	if (rows) {
		json_t *top = json_pack("{s:o}", "controllers", rows);

		if (total >= 0)
			json_object_set_new(top, "tagset_bytes_total", ublk_json_u64(total));
		return ublk_json_print(top) ? 1 : 0;
	}
	if (total >= 0)
		printf("all tag sets of the module (devices' own and controllers'): %lld bytes\n",
		       total);
	return 0;
}

static int ctrl_run(void *arg)
{
	const struct ublk_ctrl_opts *o = arg;
	struct ublk_ctrl ctrl;
	int ret;

	if (ublk_ctrl_open(&ctrl))
		return 1;
	if (!ublk_ctrl_has_feature(&ctrl, UBLK_F_BPF_CTRL)) {
		ublk_err("ctrl: the ublk driver has no controllers (UBLK_F_BPF_CTRL): load the kfunc-shim");
		ublk_ctrl_close(&ctrl);
		return 1;
	}
	ret = o->action == UBLK_CTRL_ADD ? ctrl_add(&ctrl, o) :
	      o->action == UBLK_CTRL_DEL ? ctrl_del(&ctrl, o) : ctrl_list(&ctrl, o);
	ublk_ctrl_close(&ctrl);
	return ret;
}

static int ctrl_parse(int argc, char **argv, void *opts)
{
	return ublk_parse_ctrl(argc, argv, opts);
}

static const char *const ctrl_actions[] = { "add", "del", "list", NULL };

const struct ublk_verb ublk_verb_ctrl = {
	.name = "ctrl",
	.synopsis = "ctrl add [--id N] -q QUEUES -d DEPTH\n"
		    "ctrl del -n ID\n"
		    "ctrl list [--json]",
	.help = "The kfunc-shim's controllers: one blk-mq tag set that several devices\n"
		"share (add or load --ctrl ID), so that together they never have more\n"
		"than DEPTH IOs in flight per queue, and one set's memory instead of one\n"
		"per device.\n"
		"  add                 creates a controller and prints its id\n"
		"      --id N          this id (refused when taken), else the lowest free\n"
		"  -q, --queues Q      its hardware queues: its devices' -q\n"
		"  -d, --depth D       its queue depth, for all its devices together: their -d\n"
		"  del                 removes a controller; refused while devices hold it\n"
		"  -n, --number ID     the controller\n"
		"  list                id, queues, depth, devices that joined, started ones,\n"
		"                      and the bytes of each tag set, as the module counts\n"
		"                      them; then the total of all the module's tag sets\n"
		"      --json          as JSON: {\"controllers\": [...], \"tagset_bytes_total\": N}",
	.actions = ctrl_actions,
	.options = ublk_ctrl_longopts,
	.opts_size = sizeof(struct ublk_ctrl_opts),
	.parse = ctrl_parse,
	.run = ctrl_run,
};
