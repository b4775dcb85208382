// SPDX-License-Identifier: GPL-2.0
/*
 * The verb table, and what it drives besides dispatch: `help`, each verb's
 * --help, and the words shell completion offers (`ublk-bpf complete`).
 */
#include <stdio.h>
#include <string.h>

#include "targets.h"
#include "verb.h"

extern const struct ublk_verb ublk_verb_add;
extern const struct ublk_verb ublk_verb_load;
extern const struct ublk_verb ublk_verb_recover;
extern const struct ublk_verb ublk_verb_del;
extern const struct ublk_verb ublk_verb_list;
extern const struct ublk_verb ublk_verb_stats;
extern const struct ublk_verb ublk_verb_features;

const struct ublk_verb *const ublk_verbs[] = {
	&ublk_verb_add,
	&ublk_verb_load,
	&ublk_verb_recover,
	&ublk_verb_del,
	&ublk_verb_list,
	&ublk_verb_stats,
	&ublk_verb_features,
	NULL,
};

const struct ublk_verb *ublk_find_verb(const char *name)
{
	unsigned int i;

	for (i = 0; name && ublk_verbs[i]; i++)
		if (!strcmp(ublk_verbs[i]->name, name))
			return ublk_verbs[i];
	return NULL;
}
