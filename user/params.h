/* SPDX-License-Identifier: GPL-2.0 */
/* Encoding of the device parameters sent with UBLK_U_CMD_SET_PARAMS. */
#ifndef UBLK_BPF_PARAMS_H
#define UBLK_BPF_PARAMS_H

#include <linux/ublk_cmd.h>

/*
 * Basic parameters: @size bytes (a multiple of the logical block), logical
 * block of 1 << @lbs_shift bytes, IOs of at most @max_io_bytes.
 */
void ublk_params_init(struct ublk_params *p, unsigned long long size,
		      unsigned int lbs_shift, unsigned int max_io_bytes);
/* Advertise a volatile write cache (so flush reaches us) and FUA. */
void ublk_params_set_cache(struct ublk_params *p);
/* Advertise discard and write-zeroes in units of @granularity bytes. */
void ublk_params_set_discard(struct ublk_params *p, unsigned int granularity,
			     unsigned int max_bytes);

#endif
