/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few helpers every JSON the tool writes shares (list --json, stats
 * --json, the state files), on top of jansson.
 */
#ifndef UBLK_BPF_JSON_H
#define UBLK_BPF_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Length of the valid UTF-8 sequence at @s (at most @n bytes); 0: none. */
size_t ublk_utf8_seq(const unsigned char *s, size_t n);
/*
 * @n bytes of @s as a JSON string for people and scripts: each byte that
 * starts no valid UTF-8 sequence becomes U+FFFD. NULL only out of memory.
 */
json_t *ublk_json_text(const char *s, size_t n);
/* @prefix and the @n bytes at @data in hex ("0x0a1b"); NULL out of memory. */
json_t *ublk_json_hex(const void *data, size_t n, const char *prefix);
/*
 * An unsigned 64-bit number: jansson's integers are signed, so one above
 * INT64_MAX is a string of its decimal digits, exact either way.
 */
json_t *ublk_json_u64(unsigned long long v);
/*
 * @v compact (keys in the order they were set) on @out; drops the caller's
 * reference. 0, or -ENOMEM when @v is NULL (something it was built of
 * could not be made) or cannot be written: "(out of memory)" is written.
 */
int ublk_json_put(json_t *v, FILE *out);
/* ublk_json_put() on stdout and a newline; one line on stderr when it fails. */
int ublk_json_print(json_t *v);

#endif
