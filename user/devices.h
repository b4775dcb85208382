/* SPDX-License-Identifier: GPL-2.0 */
/* The ublk devices of this machine and the daemons that serve them. */
#ifndef UBLK_BPF_DEVICES_H
#define UBLK_BPF_DEVICES_H

#include <stdbool.h>

/* The most devices one verb lists or deletes. */
#define UBLK_MAX_LISTED 4096

/* Ids of every ublk device, from the class of their char devices; sorted. */
int ublk_list_ids(unsigned int *ids, unsigned int max);
/* Is @pid alive? A process that is gone or a zombie holds no device. */
bool ublk_pid_alive(int pid);
/* The driver's module parameter capping the number of devices. */
#define UBLK_UBLKS_MAX_PARAM "/sys/module/ublk_drv/parameters/ublks_max"
/*
 * The cap in @param (UBLK_UBLKS_MAX_PARAM but in tests) when @nr_devs
 * devices reach it, else 0: what an ADD_DEV refused with EACCES ran into.
 */
unsigned int ublk_ublks_max_reached(const char *param, unsigned int nr_devs);
/* LIVE, QUIESCED, DEAD (UBLK_S_DEV_*), else UNKNOWN. */
const char *ublk_dev_state_name(unsigned int state);

#endif
