// SPDX-License-Identifier: GPL-2.0
/* The ublk devices of this machine and the daemons that serve them. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/ublk_cmd.h>

#include "ublk_bpf_uapi.h"	/* UBLK_S_DEV_FAIL_IO on a 6.12 header */

#include "devices.h"

static int ublk_id_cmp(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* Ids of every ublk device, from the class of their char devices; sorted. */
int ublk_list_ids(unsigned int *ids, unsigned int max)
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
bool ublk_pid_alive(int pid)
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

/*
 * ublks_max counts every device on 6.3-6.14 and only unprivileged ones from
 * 6.15 (and in Debian's 6.12): on the former, the 65th ADD_DEV of root
 * fails with EACCES, which alone says nothing.
 */
unsigned int ublk_ublks_max_reached(const char *param, unsigned int nr_devs)
{
	unsigned int max = 0;
	FILE *f = fopen(param, "r");

	if (!f)
		return 0;
	if (fscanf(f, "%u", &max) != 1)
		max = 0;
	fclose(f);
	return max && nr_devs >= max ? max : 0;
}

const char *ublk_dev_state_name(unsigned int state)
{
	switch (state) {
	case UBLK_S_DEV_DEAD: return "DEAD";
	case UBLK_S_DEV_LIVE: return "LIVE";
	case UBLK_S_DEV_QUIESCED: return "QUIESCED";
	case UBLK_S_DEV_FAIL_IO: return "FAIL_IO";
	default: return "UNKNOWN";
	}
}

