// SPDX-License-Identifier: GPL-2.0
/*
 * kublk's command line (the kernel selftest server's), mapped onto
 * ublk-bpf's options. Kept apart from cli.c, which calls in here from its
 * option loop and after it; this file calls nothing of cli.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_kublk.h"
#include "log.h"
#include "values.h"

/*
 * getopt_long's values of the long ones: above every letter cli.c uses and
 * below its target options (UBLK_OPT_TGT).
 */
#define UBLK_KUBLK_CHUNK_SIZE	0x800
#define UBLK_KUBLK_DELAY_US	0x801

const struct option ublk_kublk_longopts[] = {
	{ "chunk_size", required_argument, NULL, UBLK_KUBLK_CHUNK_SIZE },
	{ "delay_us", required_argument, NULL, UBLK_KUBLK_DELAY_US },
	{ "need-get-data", no_argument, NULL, 'g' },
	{ NULL, 0, NULL, 0 },
};

/* A target option under its ublk-bpf name; the target checks the value. */
static int ublk_kublk_tgt_arg(struct ublk_dev_opts *o, const char *name, const char *value)
{
	if (o->nr_tgt_args == UBLK_MAX_TGT_ARGS) {
		ublk_err("at most %d target options", UBLK_MAX_TGT_ARGS);
		return -EINVAL;
	}
	o->tgt_args[o->nr_tgt_args].name = name;
	o->tgt_args[o->nr_tgt_args++].value = value;
	return 1;
}

/* -r and -i take 0 or 1, as kublk's do. */
static int ublk_kublk_bool(const char *arg, char opt, bool *on)
{
	unsigned int v;
	char what[8] = "-x";

	what[1] = opt;
	if (ublk_parse_uint(arg, what, 0, 1, &v))
		return -EINVAL;
	*on = v;
	return 0;
}

int ublk_kublk_dev_option(struct ublk_dev_opts *o, int c, const char *arg, bool is_load)
{
	bool on;

	switch (c) {
	case UBLK_KUBLK_CHUNK_SIZE:
		/* Stripe's --chunk takes bytes as well as k/M suffixes. */
		return ublk_kublk_tgt_arg(o, "chunk", arg);
	case UBLK_KUBLK_DELAY_US:
		return ublk_kublk_tgt_arg(o, "delay-us", arg);
	case 'g':
		if (is_load) {
			ublk_err("load: -g (NEED_GET_DATA) is for the io_uring path only: use add");
			return -EINVAL;
		}
		o->need_get_data = true;
		return 1;
	case 'r':
		if (ublk_kublk_bool(arg, 'r', &on))
			return -EINVAL;
		if (on)
			o->recovery |= UBLK_F_USER_RECOVERY;
		else if (is_load)
			o->no_recovery = true;	/* load's default is on */
		return 1;
	case 'i':
		if (ublk_kublk_bool(arg, 'i', &on))
			return -EINVAL;
		if (on)
			o->recovery |= UBLK_F_USER_RECOVERY | UBLK_F_USER_RECOVERY_REISSUE;
		return 1;
	case 'z':
		ublk_err("-z (zero copy) is not supported by ublk-bpf's io_uring path");
		return -EINVAL;
	default:
		return 0;
	}
}

int ublk_kublk_files(struct ublk_dev_opts *o, int argc, char **argv, int first)
{
	int i;

	for (i = first; i < argc; i++) {
		if (o->nr_files == UBLK_MAX_FILES) {
			ublk_err("at most %d backing files", UBLK_MAX_FILES);
			return -EINVAL;
		}
		o->files[o->nr_files++] = argv[i];
	}
	return 0;
}
