// SPDX-License-Identifier: GPL-2.0
/*
 * ublk-bpf: ublk devices served by BPF targets in the kernel or by io_uring
 * targets in user space. main() only dispatches through the verb table
 * (user/verbs.c); each verb lives in user/cmd_<verb>.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "targets.h"
#include "verb.h"

#ifndef UBLK_BPF_VERSION
#define UBLK_BPF_VERSION "unknown"
#endif

/* Exit statuses: the work done, the work failed, the command line refused. */
enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/*
 * A verb's synopsis, @prefix before its first line: a line that starts
 * with a space goes on the form above it, any other is another form.
 */
static void print_synopsis(const char *prefix, const char *synopsis)
{
	const char *line = synopsis, *nl;
	int width = (int)strlen(prefix);

	for (; *line; line = nl + 1) {
		nl = strchrnul(line, '\n');
		if (line == synopsis)
			printf("%s", prefix);
		else if (*line == ' ')
			printf("%*s", width, "");
		else if (width > 9 && !strcmp(prefix + width - 9, "ublk-bpf "))
			printf("%*sublk-bpf ", width - 9, "");
		else
			printf("%s", prefix);
		printf("%.*s\n", (int)(nl - line), line);
		if (!*nl)
			break;
	}
}

static void print_targets(void)
{
	unsigned int i;

	printf("\ntargets (add -t NAME, or the name of a BPF object's ops):\n");
	for (i = 0; ublk_targets[i]; i++)
		printf("  %-12s %s\n", ublk_targets[i]->name, ublk_targets[i]->usage);
	printf("SIZE takes the suffixes k, M, G, T (powers of 1024).\n");
}

static void print_verb_help(const struct ublk_verb *v)
{
	print_synopsis("usage: ublk-bpf ", v->synopsis);
	printf("\n%s\n", v->help);
	printf("  --run-dir DIR       the folder of device state (default\n"
	       "                      $UBLK_BPF_RUN_DIR, else /run/ublk-bpf)\n");
	if (v->takes_target)
		print_targets();
	printf("\nExit status: 0 done, 1 failed, 2 bad command line.\n");
}

static void print_usage(void)
{
	unsigned int i;

	printf("usage: ublk-bpf VERB [OPTIONS]\n"
	       "       ublk-bpf VERB --help | help [VERB] | --version\n\nverbs:\n");
	for (i = 0; ublk_verbs[i]; i++)
		print_synopsis("  ", ublk_verbs[i]->synopsis);
	print_targets();
	printf("Every verb takes --run-dir DIR, the folder of device state; without it\n"
	       "$UBLK_BPF_RUN_DIR, else /run/ublk-bpf.\n"
	       "Exit status: 0 done, 1 failed, 2 bad command line.\n");
}

/*
 * `ublk-bpf complete WORD...`: the words after "ublk-bpf" typed so far, the
 * last one being completed. Prints the candidates, one a line, for the
 * shell's completion to filter: verbs, then a verb's options, or targets
 * after -t.
 */
static int complete(int argc, char **argv)
{
	const struct ublk_verb *v = argc > 1 ? ublk_find_verb(argv[0]) : NULL;
	const char *prev = argc > 1 ? argv[argc - 2] : "";
	const char *cur = argc > 0 ? argv[argc - 1] : "";
	const struct option *o;
	unsigned int i;

	if (argc <= 1) {
		for (i = 0; ublk_verbs[i]; i++)
			printf("%s\n", ublk_verbs[i]->name);
		printf("help\n");
		return EXIT_DONE;
	}
	if (!strcmp(argv[0], "help")) {
		for (i = 0; argc == 2 && ublk_verbs[i]; i++)
			printf("%s\n", ublk_verbs[i]->name);
		return EXIT_DONE;
	}
	if (!v)
		return EXIT_DONE;
	if (!strcmp(prev, "-t") || !strcmp(prev, "--type")) {
		for (i = 0; ublk_targets[i]; i++)
			printf("%s\n", ublk_targets[i]->name);
		return EXIT_DONE;
	}
	if (argc == 2 && v->actions && cur[0] != '-') {
		for (i = 0; v->actions[i]; i++)
			printf("%s\n", v->actions[i]);
		return EXIT_DONE;
	}
	if (cur[0] == '-') {
		for (o = v->options(); o->name; o++)
			printf("--%s\n", o->name);
		printf("--help\n");
	}
	return EXIT_DONE;
}

/* Is --help or -h among the verb's words (before "--")? */
static int wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const struct ublk_verb *v;
	void *opts;
	int ret;

	if (argc < 2) {
		ublk_err("no verb given (try 'ublk-bpf help')");
		return EXIT_USAGE;
	}
	argc--;
	argv++;
	if (!strcmp(argv[0], "--version") || !strcmp(argv[0], "version")) {
		printf("ublk-bpf %s\n", UBLK_BPF_VERSION);
		return EXIT_DONE;
	}
	if (!strcmp(argv[0], "complete"))
		return complete(argc - 1, argv + 1);
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		if (argc < 2) {
			print_usage();
			return EXIT_DONE;
		}
		v = ublk_find_verb(argv[1]);
		if (!v || argc > 2) {
			ublk_err("help: %s '%s' (try 'ublk-bpf help')",
				 v ? "unexpected argument" : "unknown verb", argv[v ? 2 : 1]);
			return EXIT_USAGE;
		}
		print_verb_help(v);
		return EXIT_DONE;
	}
	v = ublk_find_verb(argv[0]);
	if (!v) {
		ublk_err("unknown verb '%s' (try 'ublk-bpf help')", argv[0]);
		return EXIT_USAGE;
	}
	if (wants_help(argc, argv)) {
		print_verb_help(v);
		return EXIT_DONE;
	}
	opts = calloc(1, v->opts_size);
	if (!opts) {
		ublk_err("%s: out of memory", v->name);
		return EXIT_FAILED;
	}
	ret = v->parse(argc, argv, opts) ? EXIT_USAGE : v->run(opts);
	free(opts);
	return ret;
}
