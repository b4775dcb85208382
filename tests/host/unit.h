/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal TAP harness for the host unit tests: UNIT_TEST(name) defines a
 * case, ASSERT_* say what failed and where, unit_main() runs the cases.
 */
#ifndef UBLK_BPF_UNIT_H
#define UBLK_BPF_UNIT_H

#include <stdio.h>
#include <string.h>

struct unit_case {
	const char *name;
	void (*fn)(int *failed);
};

#define UNIT_TEST(name) static void name(int *unit_failed)

#define UNIT_FAIL(fmt, ...) do {						\
	printf("#   %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__);	\
	*unit_failed = 1;							\
} while (0)

#define ASSERT_TRUE(cond) do {							\
	if (!(cond))								\
		UNIT_FAIL("expected true: %s", #cond);				\
} while (0)

#define ASSERT_EQ(a, b) do {							\
	long long _a = (long long)(a), _b = (long long)(b);			\
	if (_a != _b)								\
		UNIT_FAIL("%s == %s: %lld != %lld", #a, #b, _a, _b);		\
} while (0)

#define ASSERT_STR_EQ(a, b) do {						\
	const char *_a = (a), *_b = (b);					\
	if (!_a || !_b || strcmp(_a, _b))					\
		UNIT_FAIL("%s == %s: '%s' != '%s'", #a, #b, _a ? _a : "(null)",	\
			  _b ? _b : "(null)");					\
} while (0)

static inline int unit_main(const char *suite, const struct unit_case *cases,
			    unsigned int n)
{
	unsigned int i, failures = 0;

	printf("# %s\n", suite);
	for (i = 0; i < n; i++) {
		int failed = 0;

		cases[i].fn(&failed);
		printf("%sok %u %s.%s\n", failed ? "not " : "", i + 1, suite, cases[i].name);
		failures += failed;
	}
	return failures ? 1 : 0;
}

#define UNIT_CASE(fn) { #fn, fn }
#define UNIT_MAIN(suite, ...)							\
int main(void)									\
{										\
	static const struct unit_case cases[] = { __VA_ARGS__ };		\
	return unit_main(suite, cases, sizeof(cases) / sizeof(cases[0]));	\
}

#endif
