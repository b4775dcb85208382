// SPDX-License-Identifier: GPL-2.0
/*
 * shim_ctrl: the kfunc-shim's controller commands, one per run, for the
 * controller tests (tests/shim/test_shim.sh, t_ctrl_*):
 *
 *   shim_ctrl create NR_HW_QUEUES DEPTH   prints ctrl=ID
 *   shim_ctrl remove ID                   prints remove=RESULT
 *   shim_ctrl info ID                     prints info=RESULT and the fields
 *
 * RESULT is 0 or a negative errno; the exit status is 0 when it is 0.
 * A device joins a controller with shim_test -C ID.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctrl.h"
#include "ublk_bpf_uapi.h"

static int usage(void)
{
	fprintf(stderr, "usage: shim_ctrl create NR_HW_QUEUES DEPTH | remove ID | info ID\n");
	return 2;
}

/* One command: @data0 in .data[0], @buf/@len as payload; the CQE's result. */
static int run1(struct ublk_ctrl *c, unsigned int op, __u64 data0, void *buf,
		unsigned int len)
{
	struct ublk_ctrl_req r = { .op = op, .buf = buf, .len = len, .data0 = data0 };
	int ret = ublk_ctrl_run(c, &r, 1);

	return ret ? ret : r.res;
}

int main(int argc, char **argv)
{
	struct ublk_bpf_ctrl_info ci;
	struct ublk_ctrl c;
	int ret;

	if (argc < 3 || (!strcmp(argv[1], "create") && argc != 4) ||
	    (strcmp(argv[1], "create") && argc != 3))
		return usage();
	if (ublk_ctrl_open(&c))
		return 1;
	if (!strcmp(argv[1], "create")) {
		__u64 nq = strtoul(argv[2], NULL, 0), depth = strtoul(argv[3], NULL, 0);

		ret = run1(&c, UBLK_U_CMD_BPF_CREATE_CTRL, nq | depth << 16, NULL, 0);
		if (ret >= 0) {
			printf("ctrl=%d\n", ret);
			ret = 0;
		} else {
			printf("create=%d\n", ret);
		}
	} else if (!strcmp(argv[1], "remove")) {
		ret = run1(&c, UBLK_U_CMD_BPF_REMOVE_CTRL, strtoul(argv[2], NULL, 0), NULL, 0);
		printf("remove=%d\n", ret);
	} else if (!strcmp(argv[1], "info")) {
		memset(&ci, 0, sizeof(ci));
		ret = run1(&c, UBLK_U_CMD_BPF_GET_CTRL_INFO, strtoul(argv[2], NULL, 0),
			   &ci, sizeof(ci));
		printf("info=%d\n", ret);
		if (!ret)
			printf("id=%u\nshared=%u\nnr_hw_queues=%u\nqueue_depth=%u\nnr_devs=%u\nnr_queues=%u\n",
			       ci.id, ci.flags & UBLK_BPF_CTRL_INFO_F_SHARED ? 1 : 0,
			       ci.nr_hw_queues, ci.queue_depth, ci.nr_devs, ci.nr_queues);
	} else {
		ublk_ctrl_close(&c);
		return usage();
	}
	ublk_ctrl_close(&c);
	return ret ? 1 : 0;
}
