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
#include "state.h"
#include "ublk.h"
#include "ublk_io_pattern.h"

static void ublk_pattern_path(unsigned int dev_id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%u.pattern", ublk_state_dir(), dev_id);
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
	if (mkdir(ublk_state_dir(), 0755) == 0 || errno == EEXIST)
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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
	unlink(path);
}

static const char *ublk_hint_name(__u32 hint)
{
	return hint == UBLK_IO_PATTERN_SEQUENTIAL ? "sequential" : "random";
}

static unsigned long long ublk_load(const __u64 *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

bool ublk_pattern_stats_print(unsigned int dev_id, const char *lead, bool json)
{
	const struct ublk_pattern_counts *c;
	unsigned long long seq = 0, rnd = 0;
	char path[PATH_MAX];
	unsigned int n, i;
	struct stat st;
	int fd;

	ublk_pattern_path(dev_id, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(*c) ||
	    st.st_size > (off_t)(UBLK_MAX_QUEUES * sizeof(*c))) {
		close(fd);
		return false;
	}
	n = st.st_size / sizeof(*c);
	c = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (c == MAP_FAILED)
		return false;
	for (i = 0; i < n; i++) {
		seq += ublk_load(&c[i].hint_sequential);
		rnd += ublk_load(&c[i].hint_random);
	}
	fputs(lead, stdout);
	if (json)
		printf(",\"io_uring\":{\"hint_sequential\":%llu,\"hint_random\":%llu,\"queues\":[",
		       seq, rnd);
	else
		printf("  io_uring path (IO pattern hint)\n    hint_sequential: %llu\n"
		       "    hint_random: %llu\n", seq, rnd);
	for (i = 0; i < n; i++) {
		const char *hint = ublk_hint_name(__atomic_load_n(&c[i].hint, __ATOMIC_RELAXED));

		if (json)
			printf("%s{\"hint\":\"%s\",\"hint_sequential\":%llu,\"hint_random\":%llu}",
			       i ? "," : "", hint, ublk_load(&c[i].hint_sequential),
			       ublk_load(&c[i].hint_random));
		else
			printf("    queue %u: hint %s, %llu sequential, %llu random\n", i, hint,
			       ublk_load(&c[i].hint_sequential), ublk_load(&c[i].hint_random));
	}
	if (json)
		printf("]}");
	munmap((void *)c, st.st_size);
	return true;
}
