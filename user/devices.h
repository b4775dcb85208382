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
/* LIVE, QUIESCED, DEAD (UBLK_S_DEV_*), else UNKNOWN. */
const char *ublk_dev_state_name(unsigned int state);

#endif
