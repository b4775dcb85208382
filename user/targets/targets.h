/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The target table: every target the tool serves on the io_uring path, by
 * name, and the checking of the options each target keeps to itself. The
 * verbs use it; no target does (a target knows only user/ublk.h).
 */
#ifndef UBLK_BPF_TARGETS_H
#define UBLK_BPF_TARGETS_H

#include <stddef.h>

#include "ublk.h"

/* NULL-ended; the order is the one `help` lists them in. */
extern const struct ublk_tgt_ops *const ublk_targets[];
const struct ublk_tgt_ops *ublk_find_target(const char *name);
/* "null, loop, ..." into @buf. */
void ublk_target_names(char *buf, size_t len);
/* Is --@name an option of some target of the table? Its has_arg, or -1. */
int ublk_tgt_option_has_arg(const char *name);
/*
 * Checks @opts->tgt_args against @tgt's options and parses them into
 * @data (tgt->data_size bytes); one line and -EINVAL on the first bad one.
 */
int ublk_tgt_parse_args(const struct ublk_tgt_ops *tgt,
			const struct ublk_dev_opts *opts, void *data);
/*
 * The same into a new @opts->tgt_opts, before anything is created: each
 * device's tgt_data starts as a copy of it.
 */
int ublk_tgt_check_args(const struct ublk_tgt_ops *tgt, struct ublk_dev_opts *opts);
/* The io_uring side of a BPF target without a twin (not in the table). */
extern const struct ublk_tgt_ops ublk_tgt_bpf_only;

#endif
