/* SPDX-License-Identifier: GPL-2.0 */
/* The verbs of ublk-bpf; each returns the process exit status. */
#ifndef UBLK_BPF_COMMANDS_H
#define UBLK_BPF_COMMANDS_H

#include <stdint.h>

#include "cli.h"

int ublk_cmd_add(const struct ublk_dev_opts *opts);
int ublk_cmd_load(struct ublk_dev_opts *opts);
int ublk_cmd_del(const struct ublk_sel_opts *opts);
int ublk_cmd_recover(const struct ublk_sel_opts *opts);
/* recover in kublk's form: @opts is the add command line, with the id. */
int ublk_cmd_recover_as(struct ublk_dev_opts *opts);
int ublk_cmd_list(const struct ublk_sel_opts *opts);
int ublk_cmd_stats(const struct ublk_sel_opts *opts);
int ublk_cmd_features(void);

/* LIVE, QUIESCED, DEAD (UBLK_S_DEV_*), else UNKNOWN. */
const char *ublk_dev_state_name(unsigned int state);
/* list_detail.c: one device's detail, laid out as kublk's `list`. */
struct ublk_ctrl;
void ublk_print_dev_detail(struct ublk_ctrl *ctrl, unsigned int dev_id);

/* Name of one UBLK_F_* bit, NULL when this build does not know it. */
const char *ublk_feature_name(uint64_t flag);

#endif
