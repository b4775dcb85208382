/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One entry of the verb table: everything main() needs to dispatch a verb,
 * print its help and complete its options. Each user/cmd_<verb>.c defines
 * one `const struct ublk_verb ublk_verb_<verb>`; user/verbs.c lists them.
 */
#ifndef UBLK_BPF_VERB_H
#define UBLK_BPF_VERB_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

struct ublk_verb {
	const char *name;
	/* Its command line after "ublk-bpf ", one line or several. */
	const char *synopsis;
	/* What it does and what its options mean: `ublk-bpf VERB --help`. */
	const char *help;
	/* It takes a target (add, load): its help lists them. */
	bool takes_target;
	/* Its first words (ctrl: add, del, list), for completion; NULL-ended, or NULL. */
	const char *const *actions;
	/* Its long options, for completion; ended by a { NULL } entry. */
	const struct option *(*options)(void);
	/* Bytes of the options struct parse() fills and run() reads. */
	size_t opts_size;
	/* The verb's words (argv[0]: the verb) into @opts; 0, or -EINVAL said. */
	int (*parse)(int argc, char **argv, void *opts);
	/* Does the work; returns the exit status (0 done, 1 failed). */
	int (*run)(void *opts);
};

/* NULL-ended, in the order `help` lists them. */
extern const struct ublk_verb *const ublk_verbs[];
const struct ublk_verb *ublk_find_verb(const char *name);

#endif
