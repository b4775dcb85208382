// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "params.h"

void ublk_params_init(struct ublk_params *p, unsigned long long size,
		      unsigned int lbs_shift, unsigned int max_io_bytes)
{
	unsigned int pbs_shift = lbs_shift > 12 ? lbs_shift : 12;

	memset(p, 0, sizeof(*p));
	p->len = sizeof(*p);
	p->types = UBLK_PARAM_TYPE_BASIC;
	p->basic.logical_bs_shift = lbs_shift;
	p->basic.physical_bs_shift = pbs_shift;
	p->basic.io_min_shift = lbs_shift;
	p->basic.io_opt_shift = pbs_shift;
	p->basic.max_sectors = max_io_bytes >> 9;
	p->basic.dev_sectors = size >> 9;
}

void ublk_params_set_cache(struct ublk_params *p)
{
	p->basic.attrs |= UBLK_ATTR_VOLATILE_CACHE | UBLK_ATTR_FUA;
}

void ublk_params_set_discard(struct ublk_params *p, unsigned int granularity,
			     unsigned int max_bytes)
{
	p->types |= UBLK_PARAM_TYPE_DISCARD;
	p->discard.discard_granularity = granularity;
	p->discard.max_discard_sectors = max_bytes >> 9;
	p->discard.max_write_zeroes_sectors = max_bytes >> 9;
	p->discard.max_discard_segments = 1;
}
