/* SPDX-License-Identifier: GPL-2.0 */
/* The life cycle of a device: the one place that creates, serves and ends it. */
#ifndef UBLK_BPF_DEV_H
#define UBLK_BPF_DEV_H

#include "ublk.h"

/*
 * Forks the daemon that serves a device as @opts says (@opts->tgt set and
 * its options checked; @opts->bpf_obj set for the BPF path) and returns
 * once it is live, having printed "dev id N"; or once the daemon failed,
 * having said why and undone everything. Returns the exit status.
 */
int ublk_dev_create(const struct ublk_dev_opts *opts);
/*
 * Opens /dev/ublkc<@dev_id> once ADD_DEV made it (udev may hold it a
 * while): the fd, or -1 having said why. Also for shim_test's server.
 */
int ublk_open_cdev(unsigned int dev_id);

#endif
