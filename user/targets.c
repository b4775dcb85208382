// SPDX-License-Identifier: GPL-2.0
/* The target table: every target the tool knows, by name. */
#include <string.h>

#include "ublk.h"

extern const struct ublk_tgt_ops ublk_tgt_null;
extern const struct ublk_tgt_ops ublk_tgt_loop;
extern const struct ublk_tgt_ops ublk_tgt_stripe;
extern const struct ublk_tgt_ops ublk_tgt_mirror;
extern const struct ublk_tgt_ops ublk_tgt_fault_inject;

const struct ublk_tgt_ops *const ublk_targets[] = {
	&ublk_tgt_null,
	&ublk_tgt_loop,
	&ublk_tgt_stripe,
	&ublk_tgt_mirror,
	&ublk_tgt_fault_inject,
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
