// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_kublk.h"
#include "targets.h"
#include "iosched.h"
#include "log.h"
#include "values.h"
#include "state.h"

/* After getopt_long returned ':' or '?' (opterr is off: we say it once). */
static int ublk_bad_option(const char *verb, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		ublk_err("%s: option '%s' needs a value", verb, arg);
	else if (optopt)
		ublk_err("%s: unknown option '-%c' (see 'ublk-bpf help')", verb, optopt);
	else
		ublk_err("%s: unknown option '%s' (see 'ublk-bpf help')", verb, arg);
	return -EINVAL;
}

static void ublk_getopt_reset(void)
{
	optind = 0;
	opterr = 0;
}

static int ublk_no_extra_args(int argc, char **argv, const char *verb)
{
	if (optind < argc) {
		ublk_err("%s: unexpected argument '%s'", verb, argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* getopt_long's value for the target options, at their index in the table. */
#define UBLK_OPT_TGT	0x1000
#define UBLK_MAX_LONGOPTS	64

/* The common options of add and load, then every target's own. */
static const struct option *ublk_dev_longopts(void)
{
	static const struct option common[] = {
		{ "type", required_argument, NULL, 't' },
		{ "number", required_argument, NULL, 'n' },
		{ "queues", required_argument, NULL, 'q' },
		{ "depth", required_argument, NULL, 'd' },
		{ "file", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' },
		{ "buffered", no_argument, NULL, 'b' },
		{ "no-bpf", no_argument, NULL, 'N' },
		{ "require-bpf", no_argument, NULL, 'R' },
		{ "set", required_argument, NULL, 'S' },
		{ "help-params", no_argument, NULL, 'H' },
		{ "recovery", no_argument, NULL, 'E' },
		{ "reissue", no_argument, NULL, 'I' },
		{ "run-dir", required_argument, NULL, 'D' },
		{ "scheduler", required_argument, NULL, 'C' },
		{ "count", required_argument, NULL, 'K' },
	};
	static struct option all[UBLK_MAX_LONGOPTS];
	const struct ublk_tgt_option *to;
	unsigned int n, i, j;

	if (all[0].name)
		return all;
	memcpy(all, common, sizeof(common));
	n = sizeof(common) / sizeof(common[0]);
	for (i = 0; ublk_kublk_longopts[i].name; i++)	/* cli_kublk.c */
		all[n++] = ublk_kublk_longopts[i];
	for (i = 0; ublk_targets[i]; i++) {
		for (to = ublk_targets[i]->options; to && to->name; to++) {
			for (j = 0; j < n && strcmp(all[j].name, to->name); j++)
				;
			if (j < n || n == UBLK_MAX_LONGOPTS - 1)
				continue;
			all[n] = (struct option){ to->name, to->has_arg ? required_argument :
						  no_argument, NULL, UBLK_OPT_TGT + n };
			n++;
		}
	}
	return all;
}

/* An option of load given to add. */
static int ublk_load_only(const struct option *longopts, int c)
{
	while (longopts->name && longopts->val != c)
		longopts++;
	ublk_err("add: --%s is an option of load only", longopts->name);
	return -EINVAL;
}

/* Options of add and load; load takes OBJ instead of -t, and the BPF ones. */
static int ublk_parse_dev(int argc, char **argv, struct ublk_dev_opts *o, bool is_load)
{
	const char *verb = is_load ? "load" : "add";
	const struct option *longopts = ublk_dev_longopts();
	unsigned int v;
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->dev_id = -1;
	o->nr_queues = 1;
	o->queue_depth = UBLK_DEFAULT_DEPTH;
	o->scheduler = UBLK_SCHED_DEFAULT;
	o->count = 1;
	o->argc = argc;
	o->argv = argv;
	ublk_getopt_reset();
	while ((c = getopt_long(argc, argv, is_load ? ":n:q:d:f:s:" :
				":t:n:q:d:f:s:" UBLK_KUBLK_SHORTOPTS, longopts, NULL)) != -1) {
		if (c >= UBLK_OPT_TGT && c < UBLK_OPT_TGT + UBLK_MAX_LONGOPTS) {
			if (o->nr_tgt_args == UBLK_MAX_TGT_ARGS) {
				ublk_err("%s: at most %d target options", verb, UBLK_MAX_TGT_ARGS);
				return -EINVAL;
			}
			o->tgt_args[o->nr_tgt_args].name = longopts[c - UBLK_OPT_TGT].name;
			o->tgt_args[o->nr_tgt_args++].value = optarg;
			continue;
		}
		if (!is_load && (c == 'N' || c == 'R' || c == 'S' || c == 'H'))
			return ublk_load_only(longopts, c);
		switch (c) {
		case 'D':
			if (ublk_state_set_dir(optarg))
				return -EINVAL;
			break;
		case 't':
			o->target = optarg;
			break;
		case 'N':
		case 'R':
			if (o->bpf_mode != UBLK_BPF_AUTO) {
				ublk_err("load: --no-bpf and --require-bpf exclude each other");
				return -EINVAL;
			}
			o->bpf_mode = c == 'N' ? UBLK_BPF_NO : UBLK_BPF_REQUIRE;
			break;
		case 'S':
			if (o->nr_sets == UBLK_MAX_SETS) {
				ublk_err("load: at most %d --set", UBLK_MAX_SETS);
				return -EINVAL;
			}
			o->sets[o->nr_sets++] = optarg;
			break;
		case 'H':
			o->help_params = true;
			break;
		case 'n':
			if (ublk_parse_uint(optarg, "device id (-n)", 0, INT_MAX - 1, &v))
				return -EINVAL;
			o->dev_id = (int)v;
			break;
		case 'K':
			if (ublk_parse_uint(optarg, "--count", 1, UBLK_MAX_COUNT, &o->count))
				return -EINVAL;
			break;
		case 'q':
			if (ublk_parse_uint(optarg, "queue count (-q)", 1, UBLK_MAX_QUEUES,
					    &o->nr_queues))
				return -EINVAL;
			break;
		case 'd':
			if (ublk_parse_uint(optarg, "queue depth (-d)", 1, UBLK_MAX_DEPTH,
					    &o->queue_depth))
				return -EINVAL;
			break;
		case 'f':
			if (o->nr_files == UBLK_MAX_FILES) {
				ublk_err("at most %d --file", UBLK_MAX_FILES);
				return -EINVAL;
			}
			o->files[o->nr_files++] = optarg;
			break;
		case 's':
			if (ublk_parse_size(optarg, &o->size) || !o->size || o->size % 512) {
				ublk_err("--size must be a non-zero multiple of 512 bytes (suffixes k, M, G, T), got '%s'",
					 optarg);
				return -EINVAL;
			}
			break;
		case 'b':
			o->buffered = true;
			break;
		case 'C':
			if (!ublk_sched_name_ok(optarg)) {
				ublk_err("--scheduler: '%s' is not a scheduler name", optarg);
				return -EINVAL;
			}
			o->scheduler = optarg;
			break;
		case 'E':
			o->recovery |= UBLK_F_USER_RECOVERY;
			break;
		case 'I':
			o->recovery |= UBLK_F_USER_RECOVERY | UBLK_F_USER_RECOVERY_REISSUE;
			break;
		default:
			/* kublk's options (cli_kublk.c), else a bad one. */
			ret = ublk_kublk_dev_option(o, c, optarg, is_load);
			if (ret == 1)
				break;
			return ret ? -EINVAL : ublk_bad_option(verb, c, argv);
		}
	}
	/* add: kublk's positional backing files. */
	if (!is_load) {
		if (ublk_kublk_files(o, argc, argv, optind))
			return -EINVAL;
		optind = argc;
	}
	if (is_load) {
		if (optind >= argc) {
			ublk_err("load: which BPF object? (ublk-bpf load OBJ.bpf.o ...)");
			return -EINVAL;
		}
		o->bpf_obj = argv[optind++];
	}
	if (ublk_no_extra_args(argc, argv, verb))
		return -EINVAL;
	return 0;
}

int ublk_parse_load(int argc, char **argv, struct ublk_dev_opts *o)
{
	return ublk_parse_dev(argc, argv, o, true);
}

int ublk_parse_add(int argc, char **argv, struct ublk_dev_opts *o)
{
	char names[128];

	if (ublk_parse_dev(argc, argv, o, false))
		return -EINVAL;
	ublk_target_names(names, sizeof(names));
	if (!o->target) {
		ublk_err("add: which target? (-t %s)", names);
		return -EINVAL;
	}
	o->tgt = ublk_find_target(o->target);
	if (!o->tgt) {
		ublk_err("add: unknown target '%s' (%s)", o->target, names);
		return -EINVAL;
	}
	return ublk_tgt_check_args(o->tgt, o);
}

/* Which options a verb on existing devices takes. */
/* SEL_ALL: -n ID or -a, one of them; SEL_MAY_ALL: -a allowed (list, kublk's). */
enum { SEL_ALL = 1, SEL_JSON = 2, SEL_WATCH = 4, SEL_NEED_ID = 8, SEL_MAY_ALL = 16 };

static int ublk_parse_sel(int argc, char **argv, struct ublk_sel_opts *o,
			  const char *verb, unsigned int allowed)
{
	static const struct option longopts[] = {
		{ "number", required_argument, NULL, 'n' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "watch", no_argument, NULL, 'w' },
		{ "run-dir", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int v;
	int c;

	memset(o, 0, sizeof(*o));
	o->dev_id = -1;
	ublk_getopt_reset();
	while ((c = getopt_long(argc, argv, allowed & (SEL_ALL | SEL_MAY_ALL) ? ":n:a" : ":n:",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (ublk_parse_uint(optarg, "device id (-n)", 0, INT_MAX - 1, &v))
				return -EINVAL;
			o->dev_id = (int)v;
			break;
		case 'a':
			if (!(allowed & (SEL_ALL | SEL_MAY_ALL))) {
				optopt = 0;
				return ublk_bad_option(verb, '?', argv);
			}
			o->all = true;
			break;
		case 'D':
			if (ublk_state_set_dir(optarg))
				return -EINVAL;
			break;
		case 'j':
		case 'w':
			if (!(allowed & (c == 'j' ? SEL_JSON : SEL_WATCH))) {
				optopt = 0;
				return ublk_bad_option(verb, '?', argv);
			}
			if (c == 'j')
				o->json = true;
			else
				o->watch = true;
			break;
		default:
			return ublk_bad_option(verb, c, argv);
		}
	}
	if (ublk_no_extra_args(argc, argv, verb))
		return -EINVAL;
	if ((allowed & SEL_ALL) && (o->dev_id < 0) == !o->all) {
		ublk_err("%s: give either -n ID or -a", verb);
		return -EINVAL;
	}
	if ((allowed & SEL_MAY_ALL) && o->dev_id >= 0 && o->all) {
		ublk_err("%s: -n ID and -a exclude each other", verb);
		return -EINVAL;
	}
	if ((allowed & SEL_NEED_ID) && o->dev_id < 0) {
		ublk_err("%s: which device? (-n ID)", verb);
		return -EINVAL;
	}
	return 0;
}

int ublk_parse_del(int argc, char **argv, struct ublk_sel_opts *o)
{
	return ublk_parse_sel(argc, argv, o, "del", SEL_ALL);
}

int ublk_parse_list(int argc, char **argv, struct ublk_sel_opts *o)
{
	return ublk_parse_sel(argc, argv, o, "list", SEL_JSON | SEL_MAY_ALL);
}

int ublk_parse_recover(int argc, char **argv, struct ublk_sel_opts *o)
{
	return ublk_parse_sel(argc, argv, o, "recover", SEL_NEED_ID);
}

int ublk_parse_stats(int argc, char **argv, struct ublk_sel_opts *o)
{
	return ublk_parse_sel(argc, argv, o, "stats", SEL_JSON | SEL_WATCH | SEL_NEED_ID);
}

int ublk_parse_none(int argc, char **argv, const char *verb)
{
	static const struct option longopts[] = {
		{ "run-dir", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	ublk_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c != 'D')
			return ublk_bad_option(verb, c, argv);
		if (ublk_state_set_dir(optarg))
			return -EINVAL;
	}
	return ublk_no_extra_args(argc, argv, verb);
}
