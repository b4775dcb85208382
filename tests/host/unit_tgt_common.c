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

UNIT_MAIN("tgt_common",
	  UNIT_CASE(stripe_first_chunks), UNIT_CASE(stripe_piece_ends_at_chunk),
	  UNIT_CASE(stripe_is_a_bijection), UNIT_CASE(mirror_reads_spread))
