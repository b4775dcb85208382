// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "timing.h"

bool ublk_timing_on(void)
{
	return getenv("UBLK_BPF_TIMING");
}

void ublk_timing(const char *step)
{
	static double start_ms = -1;
	struct timespec ts;
	double now;

	if (!ublk_timing_on())
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
	if (start_ms < 0)
		start_ms = now;
	fprintf(stderr, "ublk-bpf: timing %s %.1f\n", step, now - start_ms);
}
