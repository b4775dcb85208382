// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "units.h"

unsigned long long ublk_size_suffix(const char *s)
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
