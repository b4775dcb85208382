/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Values as people write them on a command line: sizes ("64k", "1M",
 * "2GiB"), bounded counts, chunk sizes. The one parser of numbers of the
 * tool: the CLI, the targets' own options and --set all use it. Each says
 * nothing and returns a negative errno, but ublk_parse_uint(),
 * ublk_parse_text() and ublk_parse_chunk(), which name the option in one
 * line.
 */
#ifndef UBLK_BPF_VALUES_H
#define UBLK_BPF_VALUES_H

#include <stdbool.h>
#include <stddef.h>

/*
 * "4096", "64k", "1M", "2GiB", with @hex also "0x1f", "0x10k": into *out.
 * Decimal otherwise: "010" is ten. Suffixes k, M, G, T (powers of 1024),
 * optionally followed by "iB" or "B". -EINVAL when malformed, -ERANGE when
 * it does not fit 64 bits.
 */
int ublk_parse_u64(const char *s, bool hex, unsigned long long *out);
/* ublk_parse_u64() in decimal, -ERANGE folded into -EINVAL. */
int ublk_parse_size(const char *s, unsigned long long *out);
/* Decimal in [min, max]; -EINVAL (with a message naming @what) otherwise. */
int ublk_parse_uint(const char *s, const char *what, unsigned int min,
		    unsigned int max, unsigned int *out);
/*
 * A target's text option --@name: @s copied into @dst (@len bytes with its
 * NUL), 1 to @len - 1 characters; -EINVAL with a message naming it otherwise.
 */
int ublk_parse_text(const char *s, const char *name, char *dst, size_t len);
/* --chunk of stripe and raid10: a power of two from 4k to 512k, as log2. */
int ublk_parse_chunk(const char *s, unsigned int *shift);

#endif
