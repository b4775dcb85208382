// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"

size_t ublk_utf8_seq(const unsigned char *s, size_t n)
{
	/* The second byte's range for each lead: no overlong, no surrogate, <= U+10FFFF. */
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (!n)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

json_t *ublk_json_text(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, used = 0, k;
	char *buf;
	json_t *v;

	/* Valid UTF-8 (the rule) goes as is; NUL would end jansson's string too. */
	v = memchr(s, '\0', n) ? NULL : json_stringn(s, n);
	if (v)
		return v;
	buf = malloc(3 * n + 1);
	if (!buf)
		return NULL;
	while (i < n && p[i]) {
		k = ublk_utf8_seq(p + i, n - i);
		if (k) {
			memcpy(buf + used, p + i, k);
			used += k;
			i += k;
		} else {
			memcpy(buf + used, "\xef\xbf\xbd", 3);
			used += 3;
			i++;
		}
	}
	v = json_stringn(buf, used);
	free(buf);
	return v;
}

json_t *ublk_json_hex(const void *data, size_t n, const char *prefix)
{
	const unsigned char *p = data;
	size_t len = strlen(prefix), i;
	char *buf = malloc(len + 2 * n + 1);
	json_t *v;

	if (!buf)
		return NULL;
	memcpy(buf, prefix, len);
	for (i = 0; i < n; i++)
		snprintf(buf + len + 2 * i, 3, "%02x", p[i]);
	buf[len + 2 * n] = '\0';
	v = json_string(buf);
	free(buf);
	return v;
}

json_t *ublk_json_u64(unsigned long long v)
{
	char digits[24];

	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	snprintf(digits, sizeof(digits), "%llu", v);
	return json_string(digits);
}

int ublk_json_put(json_t *v, FILE *out)
{
	int ret = v && !json_dumpf(v, out, JSON_COMPACT | JSON_ENCODE_ANY) ? 0 : -ENOMEM;

	if (ret)
		fputs("(out of memory)", out);
	json_decref(v);
	return ret;
}

int ublk_json_print(json_t *v)
{
	int ret = ublk_json_put(v, stdout);

	putchar('\n');
	if (ret)
		ublk_err("cannot write the JSON out: out of memory");
	return ret;
}
