// SPDX-License-Identifier: GPL-2.0
/*
 * The helpers under every JSON the tool prints (list --json, stats --json):
 * what is printed parses back, whatever bytes it was made of.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "unit.h"

/* @v printed compact: a malloc'd string. */
static char *dump(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	json_decref(v);
	return s;
}

UNIT_TEST(utf8_sequences)
{
	ASSERT_EQ(ublk_utf8_seq((const unsigned char *)"a", 1), 1);
	ASSERT_EQ(ublk_utf8_seq((const unsigned char *)"\xc3\xa9", 2), 2);
	ASSERT_EQ(ublk_utf8_seq((const unsigned char *)"\xe2\x9c\x93", 3), 3);
	ASSERT_EQ(ublk_utf8_seq((const unsigned char *)"\xf0\x9f\x92\xbe", 4), 4);
	ASSERT_EQ(ublk_utf8_seq((const unsigned char *)"\xf4\x8f\xbf\xbf", 4), 4);	/* U+10FFFF */
	ASSERT_EQ(ublk_utf8_seq((const unsigned char *)"\xc3\xa9", 1), 0);	/* cut short */
	ASSERT_EQ(ublk_utf8_seq((const unsigned char *)"\x80", 1), 0);		/* a continuation */
	ASSERT_EQ(ublk_utf8_seq((const unsigned char *)"\xc0\xaf", 2), 0);	/* overlong */
	ASSERT_EQ(ublk_utf8_seq((const unsigned char *)"\xe0\x80\xaf", 3), 0);	/* overlong */
	ASSERT_EQ(ublk_utf8_seq((const unsigned char *)"\xed\xa0\x80", 3), 0);	/* surrogate */
	ASSERT_EQ(ublk_utf8_seq((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);	/* > U+10FFFF */
	ASSERT_EQ(ublk_utf8_seq((const unsigned char *)"\xff", 1), 0);
	ASSERT_EQ(ublk_utf8_seq((const unsigned char *)"\xe2\x28\xa1", 3), 0);
}

UNIT_TEST(text_escapes)
{
	char *s = dump(ublk_json_text("q\"b\\c\n\x01", 8));

	ASSERT_STR_EQ(s, "\"q\\\"b\\\\c\\n\\u0001\"");
	free(s);
	s = dump(ublk_json_text("caf\xc3\xa9", 5));	/* UTF-8 stays as it is */
	ASSERT_STR_EQ(s, "\"caf\xc3\xa9\"");
	free(s);
}

/* Bytes that are not UTF-8 (jansson refuses them) become U+FFFD, one each. */
UNIT_TEST(text_not_utf8)
{
	char *s = dump(ublk_json_text("a\xff" "b\xc3", 4));
	json_t *back;

	ASSERT_STR_EQ(s, "\"a\xef\xbf\xbd" "b\xef\xbf\xbd\"");
	back = json_loads(s, JSON_DECODE_ANY, NULL);
	ASSERT_TRUE(json_is_string(back));
	json_decref(back);
	free(s);
	/* The text ends at a NUL, as a C string would. */
	s = dump(ublk_json_text("ab\0cd", 5));
	ASSERT_STR_EQ(s, "\"ab\"");
	free(s);
	s = dump(ublk_json_text("\xff\0\xff", 3));
	ASSERT_STR_EQ(s, "\"\xef\xbf\xbd\"");
	free(s);
}

UNIT_TEST(u64_exact)
{
	char *s = dump(ublk_json_u64(INT64_MAX));

	ASSERT_STR_EQ(s, "9223372036854775807");
	free(s);
	s = dump(ublk_json_u64((unsigned long long)INT64_MAX + 1));
	ASSERT_STR_EQ(s, "\"9223372036854775808\"");
	free(s);
	s = dump(ublk_json_u64(UINT64_MAX));
	ASSERT_STR_EQ(s, "\"18446744073709551615\"");
	free(s);
}

UNIT_TEST(hex)
{
	char *s = dump(ublk_json_hex("\x0a\x1b\xff", 3, "0x"));

	ASSERT_STR_EQ(s, "\"0x0a1bff\"");
	free(s);
	s = dump(ublk_json_hex("", 0, ""));
	ASSERT_STR_EQ(s, "\"\"");
	free(s);
}

UNIT_TEST(put_null)
{
	char buf[64] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	ASSERT_TRUE(ublk_json_put(NULL, f) < 0);
	fclose(f);
	ASSERT_STR_EQ(buf, "(out of memory)");
}

UNIT_MAIN("json", UNIT_CASE(utf8_sequences), UNIT_CASE(text_escapes),
	  UNIT_CASE(text_not_utf8), UNIT_CASE(u64_exact), UNIT_CASE(hex), UNIT_CASE(put_null))
