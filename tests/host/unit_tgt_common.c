// SPDX-License-Identifier: GPL-2.0
/*
 * The shared target arithmetic (include/ublk_tgt_common.h), which the BPF
 * targets and their io_uring twins both use.
 */
#include "ublk_tgt_common.h"
#include "unit.h"

UNIT_TEST(stripe_first_chunks)
{
	struct ublk_stripe_piece p;

	/* 64 KiB chunks over 2 files: chunk 0 -> file 0, chunk 1 -> file 1. */
	ublk_stripe_map(0, 4096, 16, 2, &p);
	ASSERT_EQ(p.file, 0);
	ASSERT_EQ(p.file_off, 0);
	ASSERT_EQ(p.len, 4096);
	ublk_stripe_map(64 << 10, 4096, 16, 2, &p);
	ASSERT_EQ(p.file, 1);
	ASSERT_EQ(p.file_off, 0);
	ublk_stripe_map((2 << 16) + 512, 4096, 16, 2, &p);
	ASSERT_EQ(p.file, 0);
	ASSERT_EQ(p.file_off, (64 << 10) + 512);
}

UNIT_TEST(stripe_piece_ends_at_chunk)
{
	struct ublk_stripe_piece p;

	ublk_stripe_map((64 << 10) - 1024, 8192, 16, 3, &p);
	ASSERT_EQ(p.file, 0);
	ASSERT_EQ(p.len, 1024);
	ublk_stripe_map(64 << 10, 8192 - 1024, 16, 3, &p);
	ASSERT_EQ(p.file, 1);
	ASSERT_EQ(p.len, 7168);
}

/* Every byte of the device maps to exactly one byte of one file. */
UNIT_TEST(stripe_is_a_bijection)
{
	static unsigned char seen[4][64 << 10];
	unsigned int nr = 4, shift = 12, files_len = 64 << 10, i;
	unsigned long long dev = ublk_stripe_dev_size(files_len + 100, shift, nr), off;
	struct ublk_stripe_piece p;

	ASSERT_EQ(dev, 4ULL * files_len);
	memset(seen, 0, sizeof(seen));
	for (off = 0; off < dev; off += p.len) {
		ublk_stripe_map(off, 3 << 12, shift, nr, &p);
		ASSERT_TRUE(p.file < nr);
		ASSERT_TRUE(p.file_off + p.len <= files_len);
		for (i = 0; i < p.len; i++)
			seen[p.file][p.file_off + i]++;
	}
	for (i = 0; i < nr * files_len; i++)
		if (seen[i / files_len][i % files_len] != 1) {
			UNIT_FAIL("file %u byte %u mapped %u times", i / files_len,
				  i % files_len, seen[i / files_len][i % files_len]);
			break;
		}
}

UNIT_TEST(mirror_reads_spread)
{
	unsigned int hits[3] = { 0 }, i;

	for (i = 0; i < 300; i++)
		hits[ublk_mirror_read_leg((unsigned long long)i << UBLK_MIRROR_READ_SHIFT, 3)]++;
	ASSERT_EQ(hits[0], 100);
	ASSERT_EQ(hits[1], 100);
	ASSERT_EQ(hits[2], 100);
	ASSERT_EQ(ublk_mirror_read_leg(4096, 2), 0);
}

/* 4 files = 2 sets of 2 legs, 4 KiB chunks: chunk k in set k % 2, row k / 2. */
UNIT_TEST(raid10_first_chunks)
{
	struct ublk_raid10_piece p;

	ublk_raid10_map(0, 8192, 12, 2, &p);
	ASSERT_EQ(p.set, 0);
	ASSERT_EQ(p.file_off, 0);
	ASSERT_EQ(p.len, 4096);
	ublk_raid10_map(4096, 4096, 12, 2, &p);
	ASSERT_EQ(p.set, 1);
	ASSERT_EQ(p.file_off, 0);
	ublk_raid10_map(5 * 4096 + 512, 1024, 12, 2, &p);
	ASSERT_EQ(p.set, 1);
	ASSERT_EQ(p.file_off, 2 * 4096 + 512);
	ASSERT_EQ(p.len, 1024);
	ASSERT_EQ(ublk_raid10_file(1, 0, 2), 2);
	ASSERT_EQ(ublk_raid10_file(1, 1, 2), 3);
	ASSERT_EQ(ublk_raid10_file(2, 2, 3), 8);
	ASSERT_EQ(ublk_raid10_dev_size((1 << 20) + 100, 12, 3), 3ULL << 20);
}

/* Reads alternate legs by row, for every set alike. */
UNIT_TEST(raid10_reads_spread)
{
	unsigned int hits[3] = { 0 }, row;

	for (row = 0; row < 300; row++)
		hits[ublk_raid10_read_leg((unsigned long long)row << 16 | 512, 16, 3)]++;
	ASSERT_EQ(hits[0], 100);
	ASSERT_EQ(hits[1], 100);
	ASSERT_EQ(hits[2], 100);
	ASSERT_EQ(ublk_raid10_read_leg(4096, 12, 2), 1);
	ASSERT_EQ(ublk_raid10_read_leg(8192 + 4095, 12, 2), 0);
}

/*
 * After failures, a read visits every other leg of its own set exactly once
 * and then stops, whichever leg it started on, for 2 and 3 legs.
 */
UNIT_TEST(raid10_retry_visits_each_twin_once)
{
	unsigned int legs, set, row, tried, file, seen;

	for (legs = 2; legs <= 3; legs++)
		for (set = 0; set < 3; set++)
			for (row = 0; row < 6; row++) {
				unsigned long long off = (unsigned long long)row << 12;

				file = ublk_raid10_file(set, ublk_raid10_read_leg(off, 12, legs), legs);
				seen = 1U << file;
				for (tried = 1; ; tried++) {
					file = ublk_raid10_next_leg(file, off, 12, legs);
					if (file == UBLK_RAID10_NO_LEG)
						break;
					ASSERT_EQ(file / legs, set);
					ASSERT_TRUE(!(seen & (1U << file)));
					seen |= 1U << file;
				}
				ASSERT_EQ(tried, legs);
			}
}

/* Every byte of the device maps to exactly one byte of one set. */
UNIT_TEST(raid10_is_a_bijection)
{
	static unsigned char seen[3][32 << 10];
	unsigned int nr = 3, shift = 13, leg_len = 32 << 10, i;
	unsigned long long dev = ublk_raid10_dev_size(leg_len + 4000, shift, nr), off;
	struct ublk_raid10_piece p;

	ASSERT_EQ(dev, 3ULL * leg_len);
	memset(seen, 0, sizeof(seen));
	for (off = 0; off < dev; off += p.len) {
		ublk_raid10_map(off, 5 << 10, shift, nr, &p);
		ASSERT_TRUE(p.set < nr);
		ASSERT_TRUE(p.file_off + p.len <= leg_len);
		for (i = 0; i < p.len; i++)
			seen[p.set][p.file_off + i]++;
	}
	for (i = 0; i < nr * leg_len; i++)
		if (seen[i / leg_len][i % leg_len] != 1) {
			UNIT_FAIL("set %u byte %u mapped %u times", i / leg_len,
				  i % leg_len, seen[i / leg_len][i % leg_len]);
			break;
		}
}

UNIT_MAIN("tgt_common",
	  UNIT_CASE(stripe_first_chunks), UNIT_CASE(stripe_piece_ends_at_chunk),
	  UNIT_CASE(stripe_is_a_bijection), UNIT_CASE(mirror_reads_spread),
	  UNIT_CASE(raid10_first_chunks), UNIT_CASE(raid10_reads_spread),
	  UNIT_CASE(raid10_retry_visits_each_twin_once), UNIT_CASE(raid10_is_a_bijection))
