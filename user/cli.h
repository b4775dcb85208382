/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line parsing of every verb; no side effects (but --run-dir, which
 * sets the state folder of state.c), so unit-testable. Each parser takes
 * the verb's words, argv[0] being the verb itself.
 */
#ifndef UBLK_BPF_CLI_H
#define UBLK_BPF_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "ublk.h"
#include "values.h"

/* Options of the verbs that name existing devices (del, list). */
struct ublk_sel_opts {
	int dev_id;		/* -1: none given */
	bool all;		/* -a; list: every device, with kublk's detail */
	bool json;
	unsigned int watch;	/* stats --watch[=SECONDS]: 0, or the period */
	unsigned long long size;	/* resize --size, bytes: 0, or a multiple of 512 */
	bool safe;		/* del --safe: leave a device that is in use */
};

/* Options of ctrl: ctrl add [--id N] -q Q -d D | del -n ID | list [--json]. */
enum ublk_ctrl_action { UBLK_CTRL_ADD, UBLK_CTRL_DEL, UBLK_CTRL_LIST };
struct ublk_ctrl_opts {
	enum ublk_ctrl_action action;
	int id;			/* add --id, del -n; -1: none given */
	unsigned int nr_queues;	/* add -q */
	unsigned int depth;	/* add -d */
	bool json;		/* list --json */
};

/* Options of serve. */
struct ublk_serve_opts {
	const char *name;	/* NAME of NAME.conf */
	const char *conf_dir;	/* --config-dir, default /etc/ublk-bpf */
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
int ublk_parse_resize(int argc, char **argv, struct ublk_sel_opts *o);
int ublk_parse_upgrade(int argc, char **argv, struct ublk_sel_opts *o);
/*
 * recover in kublk's form: `recover -n ID` followed by the command line the
 * device was added with (-t TARGET ...). Parses it as add into @o and
 * returns 1; returns 0 when @argv is not that form (`recover -n ID`
 * alone), -EINVAL when it is but does not parse.
 */
int ublk_parse_recover_as_add(int argc, char **argv, struct ublk_dev_opts *o);
/*
 * Options of recover: -n ID (@sel), or kublk's recover -n ID -t TARGET ...
 * (@as_add, the add command line in @dev). Here, not in cmd_recover.c, so
 * that whoever drives the verb table's parse (the fuzzer) can free @dev.
 */
struct ublk_recover_opts {
	struct ublk_sel_opts sel;
	struct ublk_dev_opts dev;
	bool as_add;
};

/* A verb with no options but --run-dir (features); @argv[0] is its name. */
int ublk_parse_none(int argc, char **argv, struct ublk_sel_opts *o);

int ublk_parse_ctrl(int argc, char **argv, struct ublk_ctrl_opts *o);
const struct option *ublk_ctrl_longopts(void);

int ublk_parse_serve(int argc, char **argv, struct ublk_serve_opts *o);
const struct option *ublk_serve_longopts(void);

/* The long options of add and load (the common ones, kublk's, the targets'). */
const struct option *ublk_add_longopts(void);
/* The long options of a verb parsed into struct ublk_sel_opts. */
const struct option *ublk_sel_verb_longopts(const char *verb);

#endif
