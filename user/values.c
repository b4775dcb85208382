// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ublk_tgt_common.h"
#include "values.h"

/* The multiplier of the suffix at @s (none: 1); 0 when more follows it. */
static unsigned long long ublk_size_suffix(const char *s)
{
	unsigned long long mult = 1;

	switch (*s) {
	case 'k': case 'K': mult = 1ULL << 10; s++; break;
	case 'm': case 'M': mult = 1ULL << 20; s++; break;
	case 'g': case 'G': mult = 1ULL << 30; s++; break;
	case 't': case 'T': mult = 1ULL << 40; s++; break;
	}
	if (mult > 1 && (!strcmp(s, "iB") || !strcmp(s, "B")))
		s += strlen(s);
	return *s ? 0 : mult;
}

int ublk_parse_u64(const char *s, bool hex, unsigned long long *out)
{
	unsigned long long v, mult;
	int base = 10;
	char *end;

	if (!s)
		return -EINVAL;
	if (hex && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		      (*s >= 'A' && *s <= 'F')))
			return -EINVAL;
		/* strtoull() in base 16 skips a "0x" of its own: "0x0x10" is no number. */
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			return -EINVAL;
	} else if (*s < '0' || *s > '9') {
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno)
		return -ERANGE;
	mult = ublk_size_suffix(end);
	if (!mult)
		return -EINVAL;
	if (v && mult > ULLONG_MAX / v)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int ublk_parse_size(const char *s, unsigned long long *out)
{
	return ublk_parse_u64(s, false, out) ? -EINVAL : 0;
}

int ublk_parse_uint(const char *s, const char *what, unsigned int min,
		    unsigned int max, unsigned int *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = s && *s >= '0' && *s <= '9' ? strtoul(s, &end, 10) : ULONG_MAX;
	if (v == ULONG_MAX || errno || *end || v < min || v > max) {
		ublk_err("%s must be a number from %u to %u, got '%s'", what, min, max,
			 s ? s : "");
		return -EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
}

int ublk_parse_text(const char *s, const char *name, char *dst, size_t len)
{
	size_t n = strlen(s);

	if (!n || n >= len) {
		ublk_err("--%s must be 1 to %zu characters, got '%s'", name, len - 1, s);
		return -EINVAL;
	}
	memcpy(dst, s, n + 1);
	return 0;
}

int ublk_parse_chunk(const char *s, unsigned int *shift)
{
	unsigned long long v;

	if (ublk_parse_size(s, &v) || v < (1ULL << UBLK_STRIPE_MIN_CHUNK_SHIFT) ||
	    v > (1ULL << UBLK_STRIPE_MAX_CHUNK_SHIFT) || (v & (v - 1))) {
		ublk_err("--chunk must be a power of two from 4k to 512k, got '%s'", s);
		return -EINVAL;
	}
	*shift = (unsigned int)__builtin_ctzll(v);
	return 0;
}
