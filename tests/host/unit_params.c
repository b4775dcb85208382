// SPDX-License-Identifier: GPL-2.0
/* Encoding of struct ublk_params, and the target table. */
#include "commands.h"
#include "params.h"
#include "targets.h"
#include "ublk.h"
#include "unit.h"

UNIT_TEST(basic_params)
{
	struct ublk_params p;

	ublk_params_init(&p, 64ULL << 20, 9, 512 << 10);
	ASSERT_EQ(p.len, sizeof(p));
	ASSERT_EQ(p.types, UBLK_PARAM_TYPE_BASIC);
	ASSERT_EQ(p.basic.dev_sectors, (64 << 20) >> 9);
	ASSERT_EQ(p.basic.logical_bs_shift, 9);
	ASSERT_EQ(p.basic.physical_bs_shift, 12);
	ASSERT_EQ(p.basic.max_sectors, 1024);
	ASSERT_EQ(p.basic.attrs, 0);
}

UNIT_TEST(large_block_params)
{
	struct ublk_params p;

	ublk_params_init(&p, 1ULL << 30, 12, 512 << 10);
	ASSERT_EQ(p.basic.logical_bs_shift, 12);
	ASSERT_EQ(p.basic.physical_bs_shift, 12);
	ASSERT_EQ(p.basic.io_min_shift, 12);
}

UNIT_TEST(cache_and_discard)
{
	struct ublk_params p;

	ublk_params_init(&p, 1ULL << 30, 9, 512 << 10);
	ublk_params_set_cache(&p);
	ublk_params_set_discard(&p, 4096, 512 << 10);
	ASSERT_EQ(p.types, UBLK_PARAM_TYPE_BASIC | UBLK_PARAM_TYPE_DISCARD);
	ASSERT_EQ(p.basic.attrs, UBLK_ATTR_VOLATILE_CACHE | UBLK_ATTR_FUA);
	ASSERT_EQ(p.discard.discard_granularity, 4096);
	ASSERT_EQ(p.discard.max_discard_sectors, 1024);
	ASSERT_EQ(p.discard.max_write_zeroes_sectors, 1024);
	ASSERT_EQ(p.discard.max_discard_segments, 1);
}

UNIT_TEST(target_table)
{
	unsigned int i;

	ASSERT_STR_EQ(ublk_find_target("null")->name, "null");
	ASSERT_STR_EQ(ublk_find_target("loop")->name, "loop");
	ASSERT_STR_EQ(ublk_find_target("stripe")->name, "stripe");
	ASSERT_STR_EQ(ublk_find_target("mirror")->name, "mirror");
	ASSERT_TRUE(ublk_find_target("nosuch") == NULL);
	ASSERT_TRUE(ublk_find_target(NULL) == NULL);
	for (i = 0; ublk_targets[i]; i++) {
		ASSERT_TRUE(ublk_targets[i]->init != NULL);
		ASSERT_TRUE(ublk_targets[i]->queue_io != NULL);
		ASSERT_TRUE(ublk_find_target(ublk_targets[i]->name) == ublk_targets[i]);
	}
	ASSERT_TRUE(i >= 4);
}

UNIT_TEST(feature_names)
{
	unsigned int bit;

	/* Every bit the 6.12 uAPI defines has a name: 0 to 8. */
	for (bit = 0; bit <= 8; bit++)
		ASSERT_TRUE(ublk_feature_name(1ULL << bit) != NULL);
	ASSERT_STR_EQ(ublk_feature_name(UBLK_F_USER_COPY), "USER_COPY");
	ASSERT_TRUE(ublk_feature_name(1ULL << 40) == NULL);
}

UNIT_TEST(user_data)
{
	uint64_t ud = ublk_tgt_user_data(1023, UBLK_IO_OP_WRITE, 129);

	ASSERT_TRUE(ud & UBLK_UD_TGT);
	ASSERT_EQ(UBLK_UD_TAG(ud), 1023);
	ASSERT_EQ(ublk_ud_op(ud), UBLK_IO_OP_WRITE);
	ASSERT_EQ(ublk_ud_piece(ud), 129);
	ASSERT_TRUE(!(5 & UBLK_UD_TGT));
}

UNIT_MAIN("params",
	  UNIT_CASE(basic_params), UNIT_CASE(large_block_params),
	  UNIT_CASE(cache_and_discard), UNIT_CASE(target_table),
	  UNIT_CASE(feature_names), UNIT_CASE(user_data))
