// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing of every verb's command line into its options struct; no side
 * effects but --run-dir (the state folder of state.c), so unit-testable.
 * Long options are matched exactly, never by abbreviation
 * (ublk_exact_longopts()); those without a short form have values from
 * enum ublk_long_opt, never a letter.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ublk_bpf_uapi.h"	/* UBLK_F_USER_RECOVERY_FAIL_IO */
#include "cli_kublk.h"
#include "devconf.h"
#include "targets.h"
#include "iosched.h"
#include "log.h"
#include "values.h"
#include "state.h"

/* getopt_long values of the long options without a short letter. */
enum ublk_long_opt {
	OPT_NO_BPF = 0x100,
	OPT_REQUIRE_BPF,
	OPT_SET,
	OPT_HELP_PARAMS,
	OPT_RECOVERY,
	OPT_REISSUE,
	OPT_FAIL_IO,
	OPT_NO_RECOVERY,
	OPT_RUN_DIR,
	OPT_SCHEDULER,
	OPT_COUNT,
	OPT_CTRL,
	OPT_BUFFERED,
	OPT_SIZE,
	OPT_FILE_LONG,
	OPT_JSON,
	OPT_WATCH,
	OPT_CONFIG_DIR,
	OPT_SHOW,
	OPT_SAFE,
	OPT_ID,
};

/* After getopt_long returned ':' or '?' (opterr is off: we say it once). */
static int ublk_bad_option(const char *verb, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		ublk_err("%s: option '%s' needs a value", verb, arg);
	else if (optopt > 0 && optopt < 0x100)
		ublk_err("%s: unknown option '-%c' (see 'ublk-bpf %s --help')", verb, optopt, verb);
	else
		ublk_err("%s: unknown option '%s' (see 'ublk-bpf %s --help')", verb, arg, verb);
	return -EINVAL;
}

static const struct option *ublk_find_longopt(const struct option *longopts,
					      const char *name, size_t len)
{
	for (; longopts->name; longopts++)
		if (strlen(longopts->name) == len && !strncmp(longopts->name, name, len))
			return longopts;
	return NULL;
}

/*
 * getopt_long takes "--he" for "--help-params" when no other option starts
 * so: a typo or a shortened option would silently mean another. Walks
 * @argv as getopt will (values of options skipped, up to "--") and refuses
 * any long option that is not spelt out, naming what the user typed.
 */
static int ublk_exact_longopts(int argc, char **argv, const char *shortopts,
			       const struct option *longopts, const char *verb)
{
	const struct option *o;
	const char *w, *eq, *p;
	int i;

	for (i = 1; i < argc; i++) {
		w = argv[i];
		if (!strcmp(w, "--"))
			break;
		if (!strncmp(w, "--", 2)) {
			eq = strchr(w, '=');
			o = ublk_find_longopt(longopts, w + 2, eq ? (size_t)(eq - w - 2) : strlen(w + 2));
			if (!o) {
				ublk_err("%s: unknown option '%.*s' (see 'ublk-bpf %s --help')", verb,
					 eq ? (int)(eq - w) : (int)strlen(w), w, verb);
				return -EINVAL;
			}
			if (eq && o->has_arg == no_argument) {
				ublk_err("%s: option '--%s' takes no value, got '%s'", verb, o->name, w);
				return -EINVAL;
			}
			if (!eq && o->has_arg == required_argument)
				i++;
			continue;
		}
		if (w[0] != '-' || !w[1])
			continue;
		/* A cluster of short options; the first that takes a value ends it. */
		for (p = w + 1; *p; p++) {
			const char *spec = strchr(shortopts, *p);

			if (*p != ':' && spec && spec[1] == ':') {
				if (!p[1])
					i++;
				break;
			}
		}
	}
	return 0;
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
		{ "buffered", no_argument, NULL, OPT_BUFFERED },
		{ "no-bpf", no_argument, NULL, OPT_NO_BPF },
		{ "require-bpf", no_argument, NULL, OPT_REQUIRE_BPF },
		{ "set", required_argument, NULL, OPT_SET },
		{ "help-params", no_argument, NULL, OPT_HELP_PARAMS },
		{ "recovery", no_argument, NULL, OPT_RECOVERY },
		{ "reissue", no_argument, NULL, OPT_REISSUE },
		{ "fail-io", no_argument, NULL, OPT_FAIL_IO },
		{ "no-recovery", no_argument, NULL, OPT_NO_RECOVERY },
		{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
		{ "scheduler", required_argument, NULL, OPT_SCHEDULER },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "ctrl", required_argument, NULL, OPT_CTRL },
		{ "show", no_argument, NULL, OPT_SHOW },
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

const struct option *ublk_add_longopts(void)
{
	return ublk_dev_longopts();
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
	/* load's target comes from OBJ: no -t. */
	const char *shortopts = is_load ? ":n:q:d:f:s:" UBLK_KUBLK_SHORTOPTS :
				":t:n:q:d:f:s:" UBLK_KUBLK_SHORTOPTS;
	unsigned int v;
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->dev_id = -1;
	o->nr_queues = 1;
	o->queue_depth = UBLK_DEFAULT_DEPTH;
	o->scheduler = UBLK_SCHED_DEFAULT;
	o->count = 1;
	o->ctrl_id = -1;
	o->argc = argc;
	o->argv = argv;
	ublk_getopt_reset();
	if (ublk_exact_longopts(argc, argv, shortopts, longopts, verb))
		return -EINVAL;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c >= UBLK_OPT_TGT && c < UBLK_OPT_TGT + UBLK_MAX_LONGOPTS) {
			if (o->nr_tgt_args == UBLK_MAX_TGT_ARGS) {
				ublk_err("%s: at most %d target options", verb, UBLK_MAX_TGT_ARGS);
				return -EINVAL;
			}
			o->tgt_args[o->nr_tgt_args].name = longopts[c - UBLK_OPT_TGT].name;
			o->tgt_args[o->nr_tgt_args++].value = optarg;
			continue;
		}
		if (!is_load && (c == OPT_NO_BPF || c == OPT_REQUIRE_BPF || c == OPT_SET ||
				  c == OPT_HELP_PARAMS || c == OPT_NO_RECOVERY))
			return ublk_load_only(longopts, c);
		switch (c) {
		case OPT_RUN_DIR:
			if (ublk_state_set_dir(optarg))
				return -EINVAL;
			break;
		case 't':
			o->target = optarg;
			break;
		case OPT_NO_BPF:
		case OPT_REQUIRE_BPF:
			if (o->bpf_mode != UBLK_BPF_AUTO) {
				ublk_err("load: --no-bpf and --require-bpf exclude each other");
				return -EINVAL;
			}
			o->bpf_mode = c == OPT_NO_BPF ? UBLK_BPF_NO : UBLK_BPF_REQUIRE;
			break;
		case OPT_SET:
			if (o->nr_sets == UBLK_MAX_SETS) {
				ublk_err("load: at most %d --set", UBLK_MAX_SETS);
				return -EINVAL;
			}
			o->sets[o->nr_sets++] = optarg;
			break;
		case OPT_HELP_PARAMS:
			o->help_params = true;
			break;
		case 'n':
			if (ublk_parse_uint(optarg, "device id (-n)", 0, INT_MAX - 1, &v))
				return -EINVAL;
			o->dev_id = (int)v;
			break;
		case OPT_COUNT:
			if (ublk_parse_uint(optarg, "--count", 1, UBLK_MAX_COUNT, &o->count))
				return -EINVAL;
			break;
		case OPT_CTRL:
			if (ublk_parse_uint(optarg, "--ctrl (a controller id)", 0,
					    UBLK_MAX_CTRL_ID, &v))
				return -EINVAL;
			o->ctrl_id = (int)v;
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
			if (ublk_parse_size(optarg, &o->size) || !o->size || o->size % 512 ||
			    o->size > UBLK_MAX_DEV_SIZE) {
				ublk_err("--size must be a non-zero multiple of 512 bytes up to %llu (suffixes k, M, G, T), got '%s'",
					 UBLK_MAX_DEV_SIZE, optarg);
				return -EINVAL;
			}
			break;
		case OPT_SHOW:
			o->show = true;
			break;
		case OPT_BUFFERED:
			o->buffered = true;
			break;
		case OPT_SCHEDULER:
			if (!ublk_sched_name_ok(optarg)) {
				ublk_err("--scheduler: '%s' is not a scheduler name", optarg);
				return -EINVAL;
			}
			o->scheduler = optarg;
			break;
		case OPT_RECOVERY:
			o->recovery |= UBLK_F_USER_RECOVERY;
			break;
		case OPT_REISSUE:
			o->recovery |= UBLK_F_USER_RECOVERY | UBLK_F_USER_RECOVERY_REISSUE;
			break;
		case OPT_FAIL_IO:
			o->recovery |= UBLK_F_USER_RECOVERY | UBLK_F_USER_RECOVERY_FAIL_IO;
			break;
		case OPT_NO_RECOVERY:
			o->no_recovery = true;
			break;
		default:
			/* kublk's options (cli_kublk.c), else a bad one. */
			ret = ublk_kublk_dev_option(o, c, optarg, is_load);
			if (ret == 1)
				break;
			return ret ? -EINVAL : ublk_bad_option(verb, c, argv);
		}
	}
	/* what IO does without a daemon: wait and be served again, or fail */
	if ((o->recovery & UBLK_F_USER_RECOVERY_REISSUE) &&
	    (o->recovery & UBLK_F_USER_RECOVERY_FAIL_IO)) {
		ublk_err("%s: --reissue or --fail-io, not both", verb);
		return -EINVAL;
	}
	if (o->no_recovery && o->recovery) {
		ublk_err("load: --no-recovery (-r 0) and --recovery/--reissue/--fail-io exclude each other");
		return -EINVAL;
	}
	if (is_load) {
		if (optind >= argc) {
			ublk_err("load: which BPF object? (ublk-bpf load OBJ.bpf.o ...)");
			return -EINVAL;
		}
		o->bpf_obj = argv[optind++];
	}
	/* kublk's positional backing files, after OBJ for load. */
	if (ublk_kublk_files(o, argc, argv, optind))
		return -EINVAL;
	optind = argc;
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
enum { SEL_ALL = 1, SEL_JSON = 2, SEL_WATCH = 4, SEL_NEED_ID = 8, SEL_MAY_ALL = 16,
       SEL_ID = 32, SEL_SIZE = 64, SEL_SAFE = 128 };
#define SEL_DEL		(SEL_ID | SEL_ALL | SEL_SAFE)
#define SEL_LIST	(SEL_ID | SEL_JSON | SEL_MAY_ALL)
#define SEL_RECOVER	(SEL_ID | SEL_NEED_ID)
#define SEL_STATS	(SEL_ID | SEL_JSON | SEL_WATCH | SEL_NEED_ID)
#define SEL_RESIZE	(SEL_ID | SEL_NEED_ID | SEL_SIZE)
#define SEL_NONE	0

/* The long options of a verb that takes @allowed; ended by { NULL }. */
static const struct option *ublk_sel_longopts(unsigned int allowed, struct option *buf)
{
	static const struct { struct option opt; unsigned int needs; } all[] = {
		{ { "number", required_argument, NULL, 'n' }, SEL_ID },
		{ { "all", no_argument, NULL, 'a' }, SEL_ALL | SEL_MAY_ALL },
		{ { "json", no_argument, NULL, OPT_JSON }, SEL_JSON },
		{ { "watch", optional_argument, NULL, OPT_WATCH }, SEL_WATCH },
		{ { "size", required_argument, NULL, 's' }, SEL_SIZE },
		{ { "safe", no_argument, NULL, OPT_SAFE }, SEL_SAFE },
		{ { "run-dir", required_argument, NULL, OPT_RUN_DIR }, 0 },
	};
	unsigned int i, n = 0;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!all[i].needs || (all[i].needs & allowed))
			buf[n++] = all[i].opt;
	buf[n] = (struct option){ NULL, 0, NULL, 0 };
	return buf;
}

static int ublk_parse_sel(int argc, char **argv, struct ublk_sel_opts *o,
			  const char *verb, unsigned int allowed)
{
	struct option buf[8];
	const struct option *longopts = ublk_sel_longopts(allowed, buf);
	const char *shortopts = allowed & (SEL_ALL | SEL_MAY_ALL) ? ":n:a" :
				allowed & SEL_SIZE ? ":n:s:" :
				allowed & SEL_ID ? ":n:" : ":";
	unsigned int v;
	int c;

	memset(o, 0, sizeof(*o));
	o->dev_id = -1;
	ublk_getopt_reset();
	if (ublk_exact_longopts(argc, argv, shortopts, longopts, verb))
		return -EINVAL;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (ublk_parse_uint(optarg, "device id (-n)", 0, INT_MAX - 1, &v))
				return -EINVAL;
			o->dev_id = (int)v;
			break;
		case 'a':
			o->all = true;
			break;
		case 's':
			if (ublk_parse_size(optarg, &o->size) || !o->size || o->size % 512) {
				ublk_err("%s: --size '%s': a size in bytes, a multiple of 512 (suffixes k, M, G, T)",
					 verb, optarg);
				return -EINVAL;
			}
			break;
		case OPT_RUN_DIR:
			if (ublk_state_set_dir(optarg))
				return -EINVAL;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_SAFE:
			o->safe = true;
			break;
		case OPT_WATCH:
			o->watch = 1;
			if (optarg && ublk_parse_uint(optarg, "--watch seconds", 1, 3600, &o->watch))
				return -EINVAL;
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
	if ((allowed & SEL_SIZE) && !o->size) {
		ublk_err("%s: which size? (--size SIZE)", verb);
		return -EINVAL;
	}
	return 0;
}

int ublk_parse_del(int argc, char **argv, struct ublk_sel_opts *o)
{
	return ublk_parse_sel(argc, argv, o, "del", SEL_DEL);
}

int ublk_parse_list(int argc, char **argv, struct ublk_sel_opts *o)
{
	return ublk_parse_sel(argc, argv, o, "list", SEL_LIST);
}

int ublk_parse_recover(int argc, char **argv, struct ublk_sel_opts *o)
{
	return ublk_parse_sel(argc, argv, o, "recover", SEL_RECOVER);
}

int ublk_parse_stats(int argc, char **argv, struct ublk_sel_opts *o)
{
	return ublk_parse_sel(argc, argv, o, "stats", SEL_STATS);
}

int ublk_parse_upgrade(int argc, char **argv, struct ublk_sel_opts *o)
{
	return ublk_parse_sel(argc, argv, o, "upgrade", SEL_RECOVER);
}

int ublk_parse_resize(int argc, char **argv, struct ublk_sel_opts *o)
{
	return ublk_parse_sel(argc, argv, o, "resize", SEL_RESIZE);
}

int ublk_parse_none(int argc, char **argv, struct ublk_sel_opts *o)
{
	return ublk_parse_sel(argc, argv, o, argv[0], SEL_NONE);
}

const struct option *ublk_sel_verb_longopts(const char *verb)
{
	static struct option buf[8];
	unsigned int allowed = !strcmp(verb, "del") ? SEL_DEL : !strcmp(verb, "list") ? SEL_LIST :
			       !strcmp(verb, "recover") || !strcmp(verb, "upgrade") ? SEL_RECOVER :
			       !strcmp(verb, "resize") ? SEL_RESIZE :
			       !strcmp(verb, "stats") ? SEL_STATS : SEL_NONE;

	return ublk_sel_longopts(allowed, buf);
}

static const struct option ublk_ctrl_opts_all[] = {
	{ "id", required_argument, NULL, OPT_ID },
	{ "queues", required_argument, NULL, 'q' },
	{ "depth", required_argument, NULL, 'd' },
	{ "number", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

const struct option *ublk_ctrl_longopts(void)
{
	return ublk_ctrl_opts_all;
}

/*
 * ctrl ACTION [OPTIONS]: each action takes its own options only (add: --id,
 * -q, -d; del: -n; list: --json), so a stray one is said, not ignored.
 */
int ublk_parse_ctrl(int argc, char **argv, struct ublk_ctrl_opts *o)
{
	static const char *const names[] = { "ctrl add", "ctrl del", "ctrl list" };
	static const char *const shorts[] = { ":q:d:", ":n:", ":" };
	struct option buf[sizeof(ublk_ctrl_opts_all) / sizeof(ublk_ctrl_opts_all[0])];
	const char *act = argc > 1 ? argv[1] : "";
	unsigned int i, n = 0, v;
	const char *verb;
	int c;

	memset(o, 0, sizeof(*o));
	o->id = -1;
	if (!strcmp(act, "add"))
		o->action = UBLK_CTRL_ADD;
	else if (!strcmp(act, "del"))
		o->action = UBLK_CTRL_DEL;
	else if (!strcmp(act, "list"))
		o->action = UBLK_CTRL_LIST;
	else {
		ublk_err("ctrl: %s%s%s: give add, del or list", *act ? "unknown action '" : "no action",
			 act, *act ? "'" : "");
		return -EINVAL;
	}
	verb = names[o->action];
	/* this action's long options only */
	for (i = 0; ublk_ctrl_opts_all[i].name; i++) {
		int val = ublk_ctrl_opts_all[i].val;

		if ((o->action == UBLK_CTRL_ADD && (val == OPT_ID || val == 'q' || val == 'd')) ||
		    (o->action == UBLK_CTRL_DEL && val == 'n') ||
		    (o->action == UBLK_CTRL_LIST && val == OPT_JSON))
			buf[n++] = ublk_ctrl_opts_all[i];
	}
	memset(&buf[n], 0, sizeof(buf[n]));
	argc--;
	argv++;
	ublk_getopt_reset();
	if (ublk_exact_longopts(argc, argv, shorts[o->action], buf, verb))
		return -EINVAL;
	while ((c = getopt_long(argc, argv, shorts[o->action], buf, NULL)) != -1) {
		switch (c) {
		case OPT_ID:
		case 'n':
			if (ublk_parse_uint(optarg, c == 'n' ? "controller id (-n)" : "controller id (--id)",
					    0, UBLK_MAX_CTRL_ID, &v))
				return -EINVAL;
			o->id = (int)v;
			break;
		case 'q':
			if (ublk_parse_uint(optarg, "queue count (-q)", 1, UBLK_MAX_QUEUES,
					    &o->nr_queues))
				return -EINVAL;
			break;
		case 'd':
			if (ublk_parse_uint(optarg, "queue depth (-d)", 1, UBLK_MAX_DEPTH,
					    &o->depth))
				return -EINVAL;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		default:
			return ublk_bad_option(verb, c, argv);
		}
	}
	if (ublk_no_extra_args(argc, argv, verb))
		return -EINVAL;
	if (o->action == UBLK_CTRL_ADD && (!o->nr_queues || !o->depth)) {
		ublk_err("ctrl add: give the controller's -q QUEUES and -d DEPTH (its devices must use the same)");
		return -EINVAL;
	}
	if (o->action == UBLK_CTRL_DEL && o->id < 0) {
		ublk_err("ctrl del: which controller? (-n ID)");
		return -EINVAL;
	}
	return 0;
}

/* Does @argv name a target (-t T, -tT, --type T, --type=T)? */
static bool ublk_kublk_has_type(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strncmp(argv[i], "-t", 2) || !strcmp(argv[i], "--type") ||
		    !strncmp(argv[i], "--type=", 7))
			return true;
	return false;
}

int ublk_parse_recover_as_add(int argc, char **argv, struct ublk_dev_opts *o)
{
	char **add_argv;

	if (!ublk_kublk_has_type(argc, argv))
		return 0;
	/* Parsed, and kept in the state file, as the add it repeats. */
	add_argv = calloc(argc + 1, sizeof(*add_argv));
	if (!add_argv)
		return -ENOMEM;
	memcpy(add_argv, argv, argc * sizeof(*add_argv));
	add_argv[0] = "add";
	if (ublk_parse_add(argc, add_argv, o)) {
		free(add_argv);
		return -EINVAL;
	}
	if (o->dev_id < 0) {
		ublk_err("recover: which device? (-n ID)");
		free(add_argv);
		return -EINVAL;
	}
	if (!o->recovery) {
		ublk_err("recover: kublk's form repeats the add command line, -r 1 included");
		free(add_argv);
		return -EINVAL;
	}
	return 1;
}

const struct option *ublk_serve_longopts(void)
{
	static const struct option longopts[] = {
		{ "config-dir", required_argument, NULL, OPT_CONFIG_DIR },
		{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
		{ NULL, 0, NULL, 0 },
	};

	return longopts;
}

int ublk_parse_serve(int argc, char **argv, struct ublk_serve_opts *o)
{
	const struct option *longopts = ublk_serve_longopts();
	int c;

	memset(o, 0, sizeof(*o));
	o->conf_dir = UBLK_CONF_DIR;
	ublk_getopt_reset();
	if (ublk_exact_longopts(argc, argv, ":", longopts, "serve"))
		return -EINVAL;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG_DIR:
			o->conf_dir = optarg;
			break;
		case OPT_RUN_DIR:
			if (ublk_state_set_dir(optarg))
				return -EINVAL;
			break;
		default:
			return ublk_bad_option("serve", c, argv);
		}
	}
	if (optind >= argc) {
		ublk_err("serve: which device? (ublk-bpf serve NAME, for %s/NAME.conf)", o->conf_dir);
		return -EINVAL;
	}
	o->name = argv[optind++];
	return ublk_no_extra_args(argc, argv, "serve");
}
