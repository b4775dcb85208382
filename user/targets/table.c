// SPDX-License-Identifier: GPL-2.0
/*
 * The target table: every target with an io_uring implementation, by name,
 * and the checking of the options each target keeps to itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "targets.h"

/*
 * Every target of the io_uring path, in the order `help` lists them: one
 * word here and a user/targets/NAME.c defining ublk_tgt_NAME add one.
 */
#define UBLK_TARGET_LIST(X) \
	X(null) X(loop) X(stripe) X(mirror) X(fault_inject) X(raid10) X(nbd) X(nvme_tcp) X(rbd) X(nvme) X(bmap)

#define UBLK_TARGET_DECLARE(name) extern const struct ublk_tgt_ops ublk_tgt_##name;
#define UBLK_TARGET_ENTRY(name) &ublk_tgt_##name,
UBLK_TARGET_LIST(UBLK_TARGET_DECLARE)

const struct ublk_tgt_ops *const ublk_targets[] = {
	UBLK_TARGET_LIST(UBLK_TARGET_ENTRY)
	NULL,
};

const struct ublk_tgt_ops *ublk_find_target(const char *name)
{
	unsigned int i;

	for (i = 0; name && ublk_targets[i]; i++)
		if (!strcmp(ublk_targets[i]->name, name))
			return ublk_targets[i];
	return NULL;
}

void ublk_target_names(char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; ublk_targets[i] && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 ublk_targets[i]->name);
}

static const struct ublk_tgt_option *ublk_tgt_option(const struct ublk_tgt_ops *tgt,
						      const char *name)
{
	const struct ublk_tgt_option *o;

	for (o = tgt->options; o && o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

int ublk_tgt_option_has_arg(const char *name)
{
	const struct ublk_tgt_option *o;
	unsigned int i;

	for (i = 0; ublk_targets[i]; i++) {
		o = ublk_tgt_option(ublk_targets[i], name);
		if (o)
			return o->has_arg;
	}
	return -1;
}

/* "the stripe target" or "the stripe and raid10 targets": who takes --@name. */
static void ublk_option_owners(const char *name, char *buf, size_t len)
{
	unsigned int i, n = 0;
	size_t used = 0;

	for (i = 0; ublk_targets[i] && used < len; i++)
		if (ublk_tgt_option(ublk_targets[i], name))
			used += snprintf(buf + used, len - used, "%s%s", n++ ? " and " : "",
					 ublk_targets[i]->name);
	if (used < len)
		snprintf(buf + used, len - used, " target%s", n > 1 ? "s" : "");
}

int ublk_tgt_parse_args(const struct ublk_tgt_ops *tgt,
			const struct ublk_dev_opts *opts, void *data)
{
	const struct ublk_tgt_arg *a;
	char owners[128];
	unsigned int i;
	int ret;

	for (i = 0; i < opts->nr_tgt_args; i++) {
		a = &opts->tgt_args[i];
		if (!ublk_tgt_option(tgt, a->name) || !tgt->parse_option) {
			ublk_option_owners(a->name, owners, sizeof(owners));
			ublk_err("--%s is for the %s only", a->name, owners);
			return -EINVAL;
		}
		ret = tgt->parse_option(data, a->name, a->value);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int ublk_tgt_check_args(const struct ublk_tgt_ops *tgt, struct ublk_dev_opts *opts)
{
	void *data = calloc(1, tgt->data_size ? tgt->data_size : 1);
	int ret;

	if (!data)
		return -ENOMEM;
	ret = ublk_tgt_parse_args(tgt, opts, data);
	if (ret) {
		free(data);
		return ret;
	}
	free(opts->tgt_opts);
	opts->tgt_opts = data;
	return 0;
}
