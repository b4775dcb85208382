/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line parsing of every verb; no side effects (but --run-dir, which
 * sets the state folder of state.c), so unit-testable.
 */
#ifndef UBLK_BPF_CLI_H
#define UBLK_BPF_CLI_H

#include <stdbool.h>

#include "ublk.h"
#include "values.h"

/* Options of the verbs that name existing devices (del, list). */
struct ublk_sel_opts {
	int dev_id;		/* -1: none given */
	bool all;		/* -a; list: every device, with kublk's detail */
	bool json;
	bool watch;
};

int ublk_parse_add(int argc, char **argv, struct ublk_dev_opts *o);
/*
 * load: like add, with the BPF object instead of -t (its target is read
 * later, and its target options checked then).
 */
int ublk_parse_load(int argc, char **argv, struct ublk_dev_opts *o);
int ublk_parse_del(int argc, char **argv, struct ublk_sel_opts *o);
int ublk_parse_list(int argc, char **argv, struct ublk_sel_opts *o);
int ublk_parse_stats(int argc, char **argv, struct ublk_sel_opts *o);
int ublk_parse_recover(int argc, char **argv, struct ublk_sel_opts *o);
int ublk_parse_none(int argc, char **argv, const char *verb);

#endif
