// SPDX-License-Identifier: GPL-2.0
/*
 * <run dir>/<id>.pattern: the io_uring path's IO pattern counters, a file
 * of one struct ublk_pattern_counts per queue that the daemon maps shared
 * and `ublk-bpf stats` reads. Each slot has one writer, its queue's thread,
 * which stores every field whole (relaxed atomics): a reader sees each
 * counter at some recent value, never a torn one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io_pattern_stats.h"
#include "json.h"
#include "state.h"
#include "ublk.h"
#include "ublk_io_pattern.h"

static void ublk_pattern_path(unsigned int dev_id, char *buf, size_t len)
{
	snprintf(buf, len, "%u.pattern", dev_id);
}

static size_t ublk_pattern_bytes(const struct ublk_dev *dev)
{
	return dev->info.nr_hw_queues * sizeof(struct ublk_pattern_counts);
}

int ublk_pattern_stats_open(struct ublk_dev *dev)
{
	size_t len = ublk_pattern_bytes(dev);
	char path[PATH_MAX];
	void *p = MAP_FAILED;
	int fd = -1;

	ublk_pattern_path(dev->info.dev_id, path, sizeof(path));
	fd = ublk_state_openat(path, O_RDWR | O_CREAT);
	if (fd >= 0 && ftruncate(fd, len) == 0)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fd >= 0)
		close(fd);
	if (p == MAP_FAILED)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	dev->pattern_counts = p;
	return 0;
}

void ublk_pattern_stats_close(struct ublk_dev *dev)
{
	if (dev->pattern_counts)
		munmap(dev->pattern_counts, ublk_pattern_bytes(dev));
	dev->pattern_counts = NULL;
}

void ublk_pattern_stats_remove(unsigned int dev_id)
{
	char path[PATH_MAX];

	ublk_pattern_path(dev_id, path, sizeof(path));
	ublk_state_unlinkat(path);
}

static const char *ublk_hint_name(__u32 hint)
{
	return hint == UBLK_IO_PATTERN_SEQUENTIAL ? "sequential" : "random";
}

static unsigned long long ublk_load(const __u64 *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

/* @dev_id's slots, mapped read-only (*@bytes long); NULL when there are none. */
static const struct ublk_pattern_counts *ublk_pattern_map(unsigned int dev_id,
							   unsigned int *n, size_t *bytes)
{
	const struct ublk_pattern_counts *c;
	char path[PATH_MAX];
	struct stat st;
	int fd;

	ublk_pattern_path(dev_id, path, sizeof(path));
	fd = ublk_state_openat(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(*c) ||
	    st.st_size > (off_t)(UBLK_MAX_QUEUES * sizeof(*c))) {
		close(fd);
		return NULL;
	}
	*n = st.st_size / sizeof(*c);
	*bytes = st.st_size;
	c = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return c == MAP_FAILED ? NULL : c;
}

static void ublk_pattern_sum(const struct ublk_pattern_counts *c, unsigned int n,
			     unsigned long long *seq, unsigned long long *rnd)
{
	unsigned int i;

	*seq = *rnd = 0;
	for (i = 0; i < n; i++) {
		*seq += ublk_load(&c[i].hint_sequential);
		*rnd += ublk_load(&c[i].hint_random);
	}
}

static const char *ublk_queue_hint(const struct ublk_pattern_counts *q)
{
	return ublk_hint_name(__atomic_load_n(&q->hint, __ATOMIC_RELAXED));
}

bool ublk_pattern_stats_print(unsigned int dev_id, const char *lead)
{
	const struct ublk_pattern_counts *c;
	unsigned long long seq, rnd;
	unsigned int n, i;
	size_t bytes;

	c = ublk_pattern_map(dev_id, &n, &bytes);
	if (!c)
		return false;
	ublk_pattern_sum(c, n, &seq, &rnd);
	fputs(lead, stdout);
	printf("  io_uring path (IO pattern hint)\n    hint_sequential: %llu\n"
	       "    hint_random: %llu\n", seq, rnd);
	for (i = 0; i < n; i++)
		printf("    queue %u: hint %s, %llu sequential, %llu random\n", i,
		       ublk_queue_hint(&c[i]), ublk_load(&c[i].hint_sequential),
		       ublk_load(&c[i].hint_random));
	munmap((void *)c, bytes);
	return true;
}

json_t *ublk_pattern_stats_json(unsigned int dev_id)
{
	const struct ublk_pattern_counts *c;
	unsigned long long seq, rnd;
	json_t *queues, *v;
	unsigned int n, i;
	size_t bytes;

	c = ublk_pattern_map(dev_id, &n, &bytes);
	if (!c)
		return NULL;
	ublk_pattern_sum(c, n, &seq, &rnd);
	queues = json_array();
	for (i = 0; queues && i < n; i++)
		json_array_append_new(queues, json_pack("{s:s,s:o,s:o}", "hint",
							ublk_queue_hint(&c[i]), "hint_sequential",
							ublk_json_u64(ublk_load(&c[i].hint_sequential)),
							"hint_random",
							ublk_json_u64(ublk_load(&c[i].hint_random))));
	v = json_pack("{s:o,s:o,s:o}", "hint_sequential", ublk_json_u64(seq),
		      "hint_random", ublk_json_u64(rnd), "queues", queues);
	munmap((void *)c, bytes);
	return v;
}
