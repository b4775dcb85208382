/* SPDX-License-Identifier: GPL-2.0 */
/* The IO scheduler of a created device (/sys/block/ublkbN/queue/scheduler). */
#ifndef UBLK_BPF_IOSCHED_H
#define UBLK_BPF_IOSCHED_H

#include <stdbool.h>

/* The kernel's ELV_NAME_MAX: names are shorter. */
#define UBLK_SCHED_NAME_MAX	16
#define UBLK_SCHED_DEFAULT	"none"

/* Could @name be a scheduler's name at all (checked before anything exists). */
bool ublk_sched_name_ok(const char *name);
/* Switch live device @dev_id to scheduler @name; says why not. Negative errno. */
int ublk_set_scheduler(unsigned int dev_id, const char *name);
/* The same for @n devices at once; the first error. */
int ublk_set_schedulers(const unsigned int *dev_ids, unsigned int n, const char *name);

#endif
