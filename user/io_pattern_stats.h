/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The io_uring path's IO pattern counters: each queue thread classifies its
 * IOs (include/ublk_io_pattern.h) and counts the hint in a file of the run
 * dir, <id>.pattern, that the daemon maps shared, so that `ublk-bpf stats`
 * (another process) reads them while the device runs.
 */
#ifndef UBLK_BPF_IO_PATTERN_STATS_H
#define UBLK_BPF_IO_PATTERN_STATS_H

#include <jansson.h>
#include <linux/types.h>
#include <stdbool.h>

/* One queue's slot of <id>.pattern; written by that queue's thread only. */
struct ublk_pattern_counts {
	__u64 hint_sequential;	/* reads and writes served with each hint */
	__u64 hint_random;
	__u32 hint;		/* UBLK_IO_PATTERN_* now */
	__u32 reserved;
};

struct ublk_dev;

/*
 * Maps @dev's counters, one slot per queue, into dev->pattern_counts:
 * shared through <run dir>/<id>.pattern, or private memory when the file
 * cannot be made (the counters then go unseen). 0 or -ENOMEM.
 */
int ublk_pattern_stats_open(struct ublk_dev *dev);
void ublk_pattern_stats_close(struct ublk_dev *dev);
/* Removes @dev_id's file (with its state file). */
void ublk_pattern_stats_remove(unsigned int dev_id);
/*
 * Prints @lead, then @dev_id's counters summed and per queue. False when
 * there are none (no daemon, or one older than the counters): nothing is
 * printed.
 */
bool ublk_pattern_stats_print(unsigned int dev_id, const char *lead);
/* The same as JSON ({"hint_sequential":..,"queues":[..]}); NULL when none. */
json_t *ublk_pattern_stats_json(unsigned int dev_id);

#endif
