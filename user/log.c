// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static bool to_syslog;

void ublk_log_to_syslog(void)
{
	openlog("ublk-bpf", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	to_syslog = true;
}

bool ublk_log_is_journal(void)
{
	static int is = -1;
	const char *env;
	unsigned long dev, ino;
	struct stat st;

	if (is < 0) {
		env = getenv("JOURNAL_STREAM");
		is = env && sscanf(env, "%lu:%lu", &dev, &ino) == 2 &&
		     !fstat(STDERR_FILENO, &st) && st.st_dev == dev && st.st_ino == ino;
	}
	return is;
}

void ublk_log(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (to_syslog)
		syslog(prio, "%s", line);
	else if (ublk_log_is_journal())
		fprintf(stderr, "<%d>%s\n", prio, line);
	else
		fprintf(stderr, "ublk-bpf: %s\n", line);
}

bool ublk_ratelimit_ok(struct ublk_ratelimit *rl, unsigned int period, unsigned int burst,
		       unsigned int *missed)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct timespec now;
	bool ok;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&lock);
	if (now.tv_sec - rl->window >= (long)period) {
		rl->window = now.tv_sec;
		rl->printed = 0;
	}
	ok = rl->printed < burst;
	if (ok) {
		rl->printed++;
		*missed = rl->missed;
		rl->missed = 0;
	} else {
		rl->missed++;
	}
	pthread_mutex_unlock(&lock);
	return ok;
}
