/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command line of the kernel's ublk selftest server (kublk), for the
 * verbs it shares with ublk-bpf, mapped onto ublk-bpf's own options so its
 * scripts can drive this tool: -g, -r 0|1, -i 0|1, -z (refused),
 * --chunk_size BYTES, --delay_us N, backing files as positional arguments,
 * and `recover` given the whole add command line. Parsing only.
 */
#ifndef UBLK_BPF_CLI_KUBLK_H
#define UBLK_BPF_CLI_KUBLK_H

#include <getopt.h>
#include <stdbool.h>

#include "ublk.h"

/* kublk's short options that add takes besides ublk-bpf's own. */
#define UBLK_KUBLK_SHORTOPTS	"gr:i:z"

/* kublk's long options (and --need-get-data), ended by a { NULL } entry. */
extern const struct option ublk_kublk_longopts[];

/*
 * Option @c of the kublk set, with @arg: into @o. 1 when it was one of
 * them, 0 when not, -EINVAL (with one line said) when its value is bad.
 */
int ublk_kublk_dev_option(struct ublk_dev_opts *o, int c, const char *arg, bool is_load);

/* add: the arguments left after the options are backing files. */
int ublk_kublk_files(struct ublk_dev_opts *o, int argc, char **argv, int first);

#endif
