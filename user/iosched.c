// SPDX-License-Identifier: GPL-2.0
/*
 * The block-layer IO scheduler of a device the tool creates. The kernel
 * gives a single-queue blk-mq disk mq-deadline, which costs every IO a trip
 * through the elevator; the targets do no seeking, so "none" is the default,
 * as null_blk and loop have it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "iosched.h"

bool ublk_sched_name_ok(const char *name)
{
	size_t i, len = strlen(name);

	if (!len || len >= UBLK_SCHED_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '-' || name[i] == '_'))
			return false;
	return true;
}

/* The attribute's text without the brackets around the current one. */
static void ublk_sched_available(const char *path, char *buf, size_t len)
{
	char *src, *dst;
	ssize_t n = -1;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	for (src = dst = buf; *src; src++)
		if (*src != '[' && *src != ']' && *src != '\n')
			*dst++ = *src;
	*dst = '\0';
}

int ublk_set_scheduler(unsigned int dev_id, const char *name)
{
	char path[64], avail[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/block/ublkb%u/queue/scheduler", dev_id);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		ublk_err("cannot open %s: %s", path, strerror(errno));
		return ret;
	}
	/* The kernel loads a scheduler's module on demand, or says EINVAL. */
	if (write(fd, name, strlen(name)) < 0)
		ret = -errno;
	close(fd);
	if (ret == -EINVAL) {
		ublk_sched_available(path, avail, sizeof(avail));
		ublk_err("--scheduler: ublkb%u has no scheduler '%s' (available: %s)",
			 dev_id, name, avail);
	} else if (ret) {
		ublk_err("cannot set the scheduler of ublkb%u to '%s': %s", dev_id, name,
			 strerror(-ret));
	}
	return ret;
}

struct ublk_sched_job {
	pthread_t thread;
	unsigned int dev_id;
	const char *name;
	bool started;
	int ret;
};

static void *ublk_sched_thread(void *arg)
{
	struct ublk_sched_job *job = arg;

	job->ret = ublk_set_scheduler(job->dev_id, job->name);
	return NULL;
}

/*
 * Each switch freezes its queue and waits out an RCU grace period (about
 * 125 ms under TCG): switched one after another, 64 devices took 8 s, so
 * every device gets a thread and the waits overlap.
 */
int ublk_set_schedulers(const unsigned int *dev_ids, unsigned int n, const char *name)
{
	struct ublk_sched_job *jobs = calloc(n, sizeof(*jobs));
	unsigned int i;
	int ret = 0;

	if (!jobs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		jobs[i] = (struct ublk_sched_job){ .dev_id = dev_ids[i], .name = name };
		jobs[i].started = !pthread_create(&jobs[i].thread, NULL, ublk_sched_thread,
						   &jobs[i]);
		if (!jobs[i].started)
			ublk_sched_thread(&jobs[i]);
	}
	for (i = 0; i < n; i++) {
		if (jobs[i].started)
			pthread_join(jobs[i].thread, NULL);
		if (jobs[i].ret < 0 && !ret)
			ret = jobs[i].ret;
	}
	free(jobs);
	return ret;
}
