// SPDX-License-Identifier: GPL-2.0
/*
 * The verb table, and what it drives besides dispatch: `help`, each verb's
 * --help, and the words shell completion offers (`ublk-bpf complete`).
 */
#include <stdio.h>
#include <string.h>

#include "targets.h"
#include "verb.h"

/*
 * Every verb, in the order `help` lists them: one word here and a
 * user/cmd_NAME.c defining ublk_verb_NAME add one.
 */
#define UBLK_VERB_LIST(X) \
	X(add) X(load) X(serve) X(recover) X(upgrade) X(resize) X(del) X(list) X(stats) X(ctrl) X(features)

#define UBLK_VERB_DECLARE(name) extern const struct ublk_verb ublk_verb_##name;
#define UBLK_VERB_ENTRY(name) &ublk_verb_##name,
UBLK_VERB_LIST(UBLK_VERB_DECLARE)

const struct ublk_verb *const ublk_verbs[] = {
	UBLK_VERB_LIST(UBLK_VERB_ENTRY)
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
