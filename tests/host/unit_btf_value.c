// SPDX-License-Identifier: GPL-2.0
/* Values printed and summed through BTF built here, as `stats` does with a map's. */
#include <bpf/btf.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf_value.h"
#include "json.h"
#include "unit.h"

/* The BTF of struct sample, laid out as the compiler does (lo and hi share the word of in). */
struct sample {
	__u64 ios;
	__u32 per[3];
	char name[8];
	struct {
		__s16 x;
	} in;
	__u32 lo : 4;
	__u32 hi : 12;
	__u32 e;
};

static struct btf *sample_btf(int *id)
{
	struct btf *btf = btf__new_empty();
	int u64, u32, s16, chr, arr3, arr8, inner, en;

	u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	s16 = btf__add_int(btf, "short", 2, BTF_INT_SIGNED);
	chr = btf__add_int(btf, "char", 1, BTF_INT_CHAR);
	arr3 = btf__add_array(btf, u32, u32, 3);
	arr8 = btf__add_array(btf, u32, chr, 8);
	inner = btf__add_struct(btf, NULL, 2);
	btf__add_field(btf, "x", s16, 0, 0);
	en = btf__add_enum(btf, "state", 4);
	btf__add_enum_value(btf, "IDLE", 0);
	btf__add_enum_value(btf, "BUSY", 1);
	*id = btf__add_struct(btf, "sample", sizeof(struct sample));
	btf__add_field(btf, "ios", u64, 0, 0);
	btf__add_field(btf, "per", arr3, 64, 0);
	btf__add_field(btf, "name", arr8, 160, 0);
	btf__add_field(btf, "in", inner, 224, 0);
	btf__add_field(btf, "lo", u32, 240, 4);
	btf__add_field(btf, "hi", u32, 244, 12);
	btf__add_field(btf, "e", en, 256, 0);
	return btf;
}

static char *capture(struct btf *btf, int id, const void *v, bool json)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	if (json)
		ublk_json_put(ublk_btf_json(btf, id, v), f);
	else
		ublk_btf_text(btf, id, v, NULL, "  ", f);
	fclose(f);
	return buf;
}

UNIT_TEST(json_by_field)
{
	struct sample v = { .ios = 7, .per = { 1, 2, 3 }, .name = "abc", .in = { -5 },
			    .lo = 9, .hi = 1000, .e = 1 };
	int id;
	struct btf *btf = sample_btf(&id);

	ASSERT_STR_EQ(capture(btf, id, &v, true),
		      "{\"ios\":7,\"per\":[1,2,3],\"name\":\"abc\",\"in\":{\"x\":-5},"
		      "\"lo\":9,\"hi\":1000,\"e\":\"BUSY\"}");
	ASSERT_TRUE(strstr(capture(btf, id, &v, false), "  in.x                       -5\n") != NULL);
	btf__free(btf);
}

/* Strings of any bytes and counters past INT64_MAX still print as JSON that parses. */
UNIT_TEST(json_odd_values)
{
	struct sample v = { .ios = ~0ULL, .name = "q\"\\\xff\n" };
	json_t *back;
	char *out;
	int id;
	struct btf *btf = sample_btf(&id);

	out = capture(btf, id, &v, true);
	ASSERT_TRUE(strstr(out, "\"ios\":\"18446744073709551615\"") != NULL);
	ASSERT_TRUE(strstr(out, "\"name\":\"q\\\"\\\\\xef\xbf\xbd\\n\"") != NULL);
	back = json_loads(out, 0, NULL);
	ASSERT_TRUE(json_is_object(back));
	json_decref(back);
	btf__free(btf);
}

UNIT_TEST(sum_per_field)
{
	struct sample a = { .ios = 7, .per = { 1, 2, 3 }, .name = "abc", .in = { 2 } };
	struct sample b = { .ios = 5, .per = { 10, 20, 30 }, .name = "xyz", .in = { 3 } };
	int id;
	struct btf *btf = sample_btf(&id);

	ublk_btf_sum(btf, id, &a, &b);
	ASSERT_EQ(a.ios, 12);
	ASSERT_EQ(a.per[2], 33);
	ASSERT_EQ(a.in.x, 5);
	ASSERT_STR_EQ(a.name, "abc");	/* strings are not summed */
	btf__free(btf);
}

UNIT_MAIN("btf_value", UNIT_CASE(json_by_field), UNIT_CASE(json_odd_values),
	  UNIT_CASE(sum_per_field))
