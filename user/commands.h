/* SPDX-License-Identifier: GPL-2.0 */
/* The verbs of ublk-bpf; each returns the process exit status. */
#ifndef UBLK_BPF_COMMANDS_H
#define UBLK_BPF_COMMANDS_H

#include <stdint.h>

#include "cli.h"

int ublk_cmd_add(const struct ublk_dev_opts *opts);
int ublk_cmd_load(struct ublk_dev_opts *opts);
int ublk_cmd_del(const struct ublk_sel_opts *opts);
int ublk_cmd_list(const struct ublk_sel_opts *opts);
int ublk_cmd_stats(const struct ublk_sel_opts *opts);
int ublk_cmd_features(void);

struct ublk_ctrl;
struct ublk_bpf_obj;
/* load.c: the BPF steps of a device's set-up and teardown, in its daemon. */
int ublk_bpf_dev_attach(struct ublk_ctrl *ctrl, struct ublk_dev *dev,
			const char *path, struct ublk_bpf_obj *bo);
void ublk_bpf_dev_detach(struct ublk_dev *dev, struct ublk_bpf_obj *bo);

/* Name of one UBLK_F_* bit, NULL when this build does not know it. */
const char *ublk_feature_name(uint64_t flag);

#endif
