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

/* cmd_features.c: the name of one UBLK_F_* bit, NULL when this build does not know it. */
const char *ublk_feature_name(uint64_t flag);

#endif
