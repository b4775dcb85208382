// SPDX-License-Identifier: GPL-2.0
/*
 * `list -n ID` and `list -a`: after the table, each device's detail laid
 * out as the kernel's selftest server kublk lays out its `list`, so that
 * the selftest scripts read it: the line with "daemon pid" has the pid as
 * its 7th word, the line with "state" the state as its 11th, and no other
 * line has "pid" or "state" in it (but a table row whose NOTE names a
 * missing or damaged state file).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ctrl.h"
#include "state.h"

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

void ublk_print_dev_detail(struct ublk_ctrl *ctrl, unsigned int dev_id)
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
