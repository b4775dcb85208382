/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The nvme target's set-up: bpf/nvme.bpf.o's syscall program nvme_setup,
 * loaded alone (the struct_ops part is the device's, loaded later) and run
 * once with BPF_PROG_RUN on a controller bound to ublk_bpf_pci.
 */
#ifndef UBLK_BPF_NVME_SETUP_H
#define UBLK_BPF_NVME_SETUP_H

#include <linux/types.h>
#include "ublk_bpf_nvme.h"

struct bpf_object;

/* @path opened, its setup program found; NULL and one line when not. */
struct bpf_object *nvme_setup_open(const char *path);
/*
 * Loads nvme_setup of @obj and runs it with @s (its inputs filled): 0 with
 * the outputs in @s, or one line and a negative errno.
 */
int nvme_setup_run(struct bpf_object *obj, const char *path, const char *bdf,
		   struct ublk_bpf_nvme_setup *s);
void nvme_setup_close(struct bpf_object *obj);
/* "Identify Controller" for UBLK_BPF_NVME_STEP_ID_CTRL, ... */
const char *nvme_setup_step_name(__u32 step);

#endif
