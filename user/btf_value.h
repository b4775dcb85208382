/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Values printed through their BTF type, as bpftool does, for `stats`:
 * structs by field name, arrays, enums by name, char arrays as strings.
 */
#ifndef UBLK_BPF_BTF_VALUE_H
#define UBLK_BPF_BTF_VALUE_H

#include <jansson.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stdio.h>

struct btf;

/*
 * @data of type @id as JSON (objects, arrays, numbers, strings; unsigned
 * numbers above INT64_MAX as strings of their digits, see ublk_json_u64());
 * a new reference, NULL out of memory.
 */
json_t *ublk_btf_json(const struct btf *btf, __u32 id, const void *data);
/*
 * @data of type @id as lines "<indent>NAME VALUE": a struct's (or
 * section's) fields one per line, nested ones as a.b; anything else on one
 * line named @name.
 */
void ublk_btf_text(const struct btf *btf, __u32 id, const void *data, const char *name,
		   const char *indent, FILE *out);
/* Adds every integer of @src into @dst (per-CPU copies summed per field). */
void ublk_btf_sum(const struct btf *btf, __u32 id, void *dst, const void *src);

#endif
