/* SPDX-License-Identifier: GPL-2.0 */
/* Sizes as people write them: "64k", "1M", "2GiB". */
#ifndef UBLK_BPF_UNITS_H
#define UBLK_BPF_UNITS_H

/*
 * The multiplier of the size suffix at @s (k, M, G, T, optionally followed
 * by "iB" or "B"; none: 1), if nothing follows it; 0 when something does.
 */
unsigned long long ublk_size_suffix(const char *s);

#endif
