// SPDX-License-Identifier: GPL-2.0
/*
 * The sequential/random hint (include/ublk_io_pattern.h), which the
 * kfunc-shim and the io_uring server both compute.
 */
#include <stdlib.h>

#include "ublk_io_pattern.h"
#include "unit.h"

/* @n IOs of @sectors, back to back from @start; the last hint. */
static __u32 feed_sequential(struct ublk_io_pattern *p, __u64 start, __u32 sectors,
			     unsigned int n)
{
	__u32 hint = p->hint;

	while (n--) {
		hint = ublk_io_pattern_update(p, start, sectors);
		start += sectors;
	}
	return hint;
}

/* @n IOs of 8 sectors at pseudo-random 4k-aligned places of a 1 GiB disk. */
static __u32 feed_random(struct ublk_io_pattern *p, unsigned int n, unsigned int *seed)
{
	__u32 hint = p->hint;

	while (n--)
		hint = ublk_io_pattern_update(p, (__u64)(rand_r(seed) % 262144) * 8, 8);
	return hint;
}

UNIT_TEST(starts_random)
{
	struct ublk_io_pattern p = { 0 };

	ASSERT_EQ(p.hint, UBLK_IO_PATTERN_RANDOM);
}

/*
 * A stream's first IO is random (nothing ends there); the hint flips after
 * exactly UBLK_IO_PATTERN_FLIP IOs that continue it.
 */
UNIT_TEST(sequential_after_flip_ios)
{
	struct ublk_io_pattern p = { 0 };
	__u64 start = 1 << 20;

	ASSERT_EQ(feed_sequential(&p, start, 8, UBLK_IO_PATTERN_FLIP), UBLK_IO_PATTERN_RANDOM);
	ASSERT_EQ(feed_sequential(&p, start + 8 * UBLK_IO_PATTERN_FLIP, 8, 1),
		  UBLK_IO_PATTERN_SEQUENTIAL);
}

/* Far from every stream is random; close to one, either side, is not. */
UNIT_TEST(near_is_sequential)
{
	struct ublk_io_pattern p = { 0 };

	ublk_io_pattern_update(&p, 1 << 20, 8);
	ublk_io_pattern_update(&p, (1 << 20) + 8 + UBLK_IO_PATTERN_NEAR, 8);
	ASSERT_EQ(p.disagree, 1);
	ublk_io_pattern_update(&p, (1 << 20) + 16 + 2 * UBLK_IO_PATTERN_NEAR + 1, 8);
	ASSERT_EQ(p.disagree, 0);
	ublk_io_pattern_update(&p, 3 << 20, 8);
	ublk_io_pattern_update(&p, (3 << 20) - UBLK_IO_PATTERN_NEAR + 8, 8);
	ASSERT_EQ(p.disagree, 1);
}

UNIT_TEST(random_after_flip_misses)
{
	struct ublk_io_pattern p = { 0 };
	unsigned int seed = 1;

	feed_sequential(&p, 0, 256, 100);
	ASSERT_EQ(p.hint, UBLK_IO_PATTERN_SEQUENTIAL);
	ASSERT_EQ(feed_random(&p, UBLK_IO_PATTERN_FLIP - 1, &seed), UBLK_IO_PATTERN_SEQUENTIAL);
	ASSERT_EQ(feed_random(&p, 1, &seed), UBLK_IO_PATTERN_RANDOM);
}

/* One stray IO in a sequential stream does not flip the hint. */
UNIT_TEST(one_stray_io_keeps_the_hint)
{
	struct ublk_io_pattern p = { 0 };

	feed_sequential(&p, 0, 8, 50);
	ASSERT_EQ(ublk_io_pattern_update(&p, 123456, 8), UBLK_IO_PATTERN_SEQUENTIAL);
	ASSERT_EQ(feed_sequential(&p, 400, 8, 50), UBLK_IO_PATTERN_SEQUENTIAL);
	ASSERT_EQ(p.disagree, 0);
}

/* Random 4k IOs never look sequential. */
UNIT_TEST(random_stays_random)
{
	struct ublk_io_pattern p = { 0 };
	unsigned int seed = 7, i;

	for (i = 0; i < 10000; i++)
		ASSERT_EQ(feed_random(&p, 1, &seed), UBLK_IO_PATTERN_RANDOM);
}

/* Streams interleaved IO by IO, and one stream's IOs swapped in pairs. */
UNIT_TEST(interleaved_and_reordered_streams)
{
	struct ublk_io_pattern p = { 0 };
	__u64 a = 1 << 20, b = 5 << 20, c = 9 << 20;
	unsigned int i;

	for (i = 0; i < 100; i++) {
		ublk_io_pattern_update(&p, a, 16);
		ublk_io_pattern_update(&p, b, 16);
		ublk_io_pattern_update(&p, c, 16);
		a += 16;
		b += 16;
		c += 16;
	}
	ASSERT_EQ(p.hint, UBLK_IO_PATTERN_SEQUENTIAL);

	p = (struct ublk_io_pattern){ 0 };
	for (i = 0; i < 100; i += 2) {
		/* IO i + 1 first, then IO i */
		ublk_io_pattern_update(&p, 4096 + (i + 1) * 8, 8);
		ublk_io_pattern_update(&p, 4096 + i * 8, 8);
	}
	ASSERT_EQ(p.hint, UBLK_IO_PATTERN_SEQUENTIAL);
}

UNIT_MAIN("io_pattern",
	  UNIT_CASE(starts_random), UNIT_CASE(sequential_after_flip_ios), UNIT_CASE(near_is_sequential),
	  UNIT_CASE(random_after_flip_misses), UNIT_CASE(one_stray_io_keeps_the_hint),
	  UNIT_CASE(random_stays_random), UNIT_CASE(interleaved_and_reordered_streams))
