// SPDX-License-Identifier: GPL-2.0
/*
 * The number parser (user/values.c) against a reference written from its
 * contract in values.h, one character at a time: same verdict, same value.
 * The input is the string (up to its first NUL).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>

#include "fuzz.h"
#include "log.h"
#include "ublk.h"
#include "ublk_tgt_common.h"
#include "values.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * values.h: digits (decimal, or 0x hex with @hex), then one of k M G T
 * (either case, powers of 1024) optionally followed by "iB" or "B", then
 * nothing. -ERANGE when the digits do not fit 64 bits (whatever follows
 * them) or the product does not; -EINVAL when malformed.
 */
static int ref_u64(const char *s, bool hex, unsigned long long *out)
{
	unsigned long long v = 0, mult = 1;
	unsigned int base = 10, digits = 0;
	bool overflow = false;
	int d;

	if (hex && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; (d = hexval(*s)) >= 0 && (unsigned int)d < base; s++, digits++)
		if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v))
			overflow = true;
	if (!digits)
		return -EINVAL;
	if (overflow)
		return -ERANGE;
	switch (*s) {
	case 'k': case 'K': mult = 1ULL << 10; break;
	case 'm': case 'M': mult = 1ULL << 20; break;
	case 'g': case 'G': mult = 1ULL << 30; break;
	case 't': case 'T': mult = 1ULL << 40; break;
	}
	if (mult > 1) {
		s++;
		if (!strcmp(s, "iB") || !strcmp(s, "B"))
			s += strlen(s);
	}
	if (*s)
		return -EINVAL;
	if (__builtin_mul_overflow(v, mult, &v))
		return -ERANGE;
	*out = v;
	return 0;
}

/* Decimal digits only, the whole string, in [min, max]. */
static bool ref_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	unsigned long long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*out = (unsigned int)v;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int bounds[][2] = {
		{ 0, INT_MAX - 1 }, { 1, UBLK_MAX_QUEUES }, { 1, UBLK_MAX_DEPTH }, { 1, 3600 },
		{ 1, 65535 }, { 0, 1 }, { 0, 60000000 }, { 0, UINT_MAX - 1 },
	};
	char *s = fuzz_cstr(data, size);
	unsigned long long got = 0, want = 0;
	unsigned int i, u = 0, ru = 0, shift = 0;
	int ret, rret;
	bool hex;

	for (hex = false; ; hex = true) {
		ret = ublk_parse_u64(s, hex, &got);
		rret = ref_u64(s, hex, &want);
		FUZZ_CHECK(ret == rret);
		FUZZ_CHECK(ret || got == want);
		if (hex)
			break;
	}
	/* Decimal: -ERANGE folded into -EINVAL. */
	ret = ublk_parse_size(s, &got);
	rret = ref_u64(s, false, &want);
	FUZZ_CHECK(ret == (rret ? -EINVAL : 0));
	FUZZ_CHECK(ret || got == want);

	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		bool ok = ref_uint(s, bounds[i][0], bounds[i][1], &ru);

		u = 0xdeadbeef;
		ret = ublk_parse_uint(s, "fuzz", bounds[i][0], bounds[i][1], &u);
		FUZZ_CHECK(ok == !ret);
		FUZZ_CHECK(ret ? u == 0xdeadbeef : u == ru);
	}

	/* --chunk: a power of two from 4k to 512k, as its log2. */
	ret = ublk_parse_chunk(s, &shift);
	rret = ref_u64(s, false, &want);
	if (!rret && want >= (1ULL << UBLK_STRIPE_MIN_CHUNK_SHIFT) &&
	    want <= (1ULL << UBLK_STRIPE_MAX_CHUNK_SHIFT) && !(want & (want - 1))) {
		FUZZ_CHECK(!ret);
		FUZZ_CHECK((1ULL << shift) == want);
	} else {
		FUZZ_CHECK(ret == -EINVAL);
	}
	free(s);
	return 0;
}
