// SPDX-License-Identifier: GPL-2.0
/*
 * `--set NAME=VALUE` and `--help-params`. A settable variable is a global
 * of a .rodata section whose type is both const and volatile (plain const
 * ones the compiler may have folded into the code already). Types: integers
 * of any width and sign (decimal or 0x hex, k/M/G/T suffixes), bool, enums
 * (by enumerator name or number), char arrays (strings, NUL included), and
 * arrays of integers (comma lists; missing entries become 0). `config` is
 * the tool's: it fills it from the device (-n, --file, target options).
 */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_params.h"
#include "log.h"
#include "values.h"

/* The tool's own configuration variable (struct ublk_tgt_config). */
#define UBLK_CONFIG_VAR "config"

struct ublk_param {
	const char *name;
	const struct btf_type *type;	/* modifiers and typedefs stripped */
	__u32 type_id;
	bool is_const, is_volatile;
	bool loops;			/* its modifiers or typedefs loop: a broken object */
	bool outside;			/* its entry lies past its section's data */
	__u32 offset;			/* of its entry in the section */
	const char *section;
	char *data;			/* its bytes in the section's initial value */
	__u32 size;			/* of its entry in the section */
	long long type_size;		/* of its BTF type; negative when unknown */
};

/* As many typedefs and modifiers as libbpf follows (its MAX_RESOLVE_DEPTH). */
#define UBLK_MAX_TYPE_DEPTH	32

/*
 * The variable's type, past typedefs and modifiers, noting const/volatile.
 * libbpf opens an object whose chain of them loops (a crafted one): past
 * UBLK_MAX_TYPE_DEPTH, 0 (void) and @p->loops.
 */
static __u32 ublk_param_strip(const struct btf *btf, __u32 id, struct ublk_param *p)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	unsigned int depth = 0;

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		if (++depth > UBLK_MAX_TYPE_DEPTH) {
			p->loops = true;
			return 0;
		}
		if (btf_is_const(t))
			p->is_const = true;
		if (btf_is_volatile(t))
			p->is_volatile = true;
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return id;
}

/* The initial bytes of the internal map holding section @sec. */
static char *ublk_section_data(struct bpf_object *obj, const char *sec, size_t *size)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		size_t nl = strlen(name), sl = strlen(sec);

		/* libbpf names internal maps "<obj prefix>.rodata[.x]". */
		if (bpf_map__is_internal(map) && nl >= sl && !strcmp(name + nl - sl, sec))
			return bpf_map__initial_value(map, size);
	}
	return NULL;
}

/* Finds global @name; 0, or -ENOENT. Fills @p. */
static int ublk_param_find(struct bpf_object *obj, const char *name, struct ublk_param *p)
{
	const struct btf *btf = bpf_object__btf(obj);
	int n = btf ? (int)btf__type_cnt(btf) : 0, id, i;

	for (id = 1; id < n; id++) {
		const struct btf_type *sec = btf__type_by_id(btf, id);
		const struct btf_var_secinfo *v;

		if (!btf_is_datasec(sec))
			continue;
		for (i = 0, v = btf_var_secinfos(sec); i < btf_vlen(sec); i++, v++) {
			const struct btf_type *var = btf__type_by_id(btf, v->type);
			size_t size = 0;
			char *data;

			if (!btf_is_var(var) || strcmp(btf__name_by_offset(btf, var->name_off), name))
				continue;
			memset(p, 0, sizeof(*p));
			p->name = name;
			p->section = btf__name_by_offset(btf, sec->name_off);
			p->type_id = ublk_param_strip(btf, var->type, p);
			p->type = btf__type_by_id(btf, p->type_id);
			/* An array's qualifiers sit on its elements. */
			if (p->type && btf_is_array(p->type))
				ublk_param_strip(btf, btf_array(p->type)->type, p);
			p->size = v->size;
			/*
			 * What is written follows the type: a type larger than
			 * its entry (a crafted object) would write past it.
			 */
			p->type_size = btf__resolve_size(btf, var->type);
			data = ublk_section_data(obj, p->section, &size);
			/* In 64 bits: a crafted offset near 4 GiB wraps in 32. */
			p->offset = v->offset;
			p->outside = data && (__u64)v->offset + v->size > size;
			p->data = data && !p->outside &&
				  p->type_size == (long long)v->size ? data + v->offset : NULL;
			return 0;
		}
	}
	return -ENOENT;
}

static bool ublk_is_rodata(const char *section)
{
	return !strncmp(section, ".rodata", 7);
}

/* An integer element: int or enum, of @size bytes, signed or not. */
static bool ublk_int_type(const struct btf_type *t, bool *is_signed, bool *is_bool)
{
	*is_bool = false;
	*is_signed = false;
	if (btf_is_int(t)) {
		__u8 enc = btf_int_encoding(t);

		*is_signed = enc & BTF_INT_SIGNED;
		*is_bool = enc & BTF_INT_BOOL;
		return btf_int_offset(t) == 0 && btf_int_bits(t) == t->size * 8 &&
		       (t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8);
	}
	if (btf_is_enum(t) || btf_is_enum64(t)) {
		*is_signed = btf_kflag(t);
		return t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8;
	}
	return false;
}

/* The element type of an array, stripped; NULL when @t is no array. */
static const struct btf_type *ublk_array_elem(const struct btf *btf, const struct btf_type *t,
					      __u32 *nelems)
{
	struct ublk_param dummy;
	__u32 id;

	if (!btf_is_array(t))
		return NULL;
	*nelems = btf_array(t)->nelems;
	id = ublk_param_strip(btf, btf_array(t)->type, &dummy);
	return btf__type_by_id(btf, id);
}

static bool ublk_is_char(const struct btf *btf, const struct btf_type *t)
{
	bool s, b;

	return t && ublk_int_type(t, &s, &b) && t->size == 1 && !b && btf_is_int(t) &&
	       (btf_int_encoding(t) & BTF_INT_CHAR || !strcmp(btf__name_by_offset(btf, t->name_off), "char"));
}

/* Enumerator @s of enum @t into *v; false if none. */
static bool ublk_enum_value(const struct btf *btf, const struct btf_type *t, const char *s,
			    long long *v)
{
	int i;

	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);

		for (i = 0; i < btf_vlen(t); i++, e++)
			if (!strcmp(btf__name_by_offset(btf, e->name_off), s)) {
				if (btf_kflag(t))
					*v = e->val;
				else
					*v = (__u32)e->val;
				return true;
			}
	} else if (btf_is_enum64(t)) {
		const struct btf_enum64 *e = btf_enum64(t);

		for (i = 0; i < btf_vlen(t); i++, e++)
			if (!strcmp(btf__name_by_offset(btf, e->name_off), s)) {
				*v = (long long)btf_enum64_value(e);
				return true;
			}
	}
	return false;
}

/* "42", "-3", "0x1f", "64k", "1G": into *out (two's complement); -EINVAL, -ERANGE. */
static int ublk_parse_int(const char *s, bool is_signed, unsigned int size,
			  unsigned long long *out)
{
	unsigned long long v, max;
	bool neg = *s == '-';
	int ret;

	ret = ublk_parse_u64(neg ? s + 1 : s, true, &v);
	if (ret)
		return ret;
	max = size == 8 ? ULLONG_MAX : (1ULL << (size * 8)) - 1;
	if (is_signed) {
		unsigned long long lim = (max >> 1) + neg;	/* 2^(bits-1) when negative */

		if (v > lim)
			return -ERANGE;
		*out = neg ? -v : v;
	} else {
		if (neg && v)
			return -ERANGE;
		if (v > max)
			return -ERANGE;
		*out = v;
	}
	return 0;
}

static void ublk_store(char *dst, unsigned int size, unsigned long long v)
{
	switch (size) {
	case 1: { __u8 x = v; memcpy(dst, &x, 1); break; }
	case 2: { __u16 x = v; memcpy(dst, &x, 2); break; }
	case 4: { __u32 x = v; memcpy(dst, &x, 4); break; }
	default: memcpy(dst, &v, 8);
	}
}

static long long ublk_load(const char *src, unsigned int size, bool is_signed)
{
	union { __u8 u8; __u16 u16; __u32 u32; __u64 u64; __s8 s8; __s16 s16; __s32 s32; } x;

	memcpy(&x, src, size);
	switch (size) {
	case 1: return is_signed ? (long long)x.s8 : (long long)x.u8;
	case 2: return is_signed ? (long long)x.s16 : (long long)x.u16;
	case 4: return is_signed ? (long long)x.s32 : (long long)x.u32;
	default: return (long long)x.u64;
	}
}

/* "u32", "s8", "bool", "enum mode": the type of an integer element. */
static void ublk_int_name(const struct btf *btf, const struct btf_type *t, char *buf, size_t len)
{
	bool is_signed, is_bool;

	ublk_int_type(t, &is_signed, &is_bool);
	if (is_bool)
		snprintf(buf, len, "bool");
	else if (btf_is_enum(t) || btf_is_enum64(t))
		snprintf(buf, len, "enum %s", btf__name_by_offset(btf, t->name_off));
	else
		snprintf(buf, len, "%c%u", is_signed ? 's' : 'u', t->size * 8);
}

/* One element of @t from @s into @dst; says why not in one line. */
static int ublk_set_elem(const struct btf *btf, const struct btf_type *t, const char *path,
			 const char *name, const char *s, char *dst)
{
	unsigned long long v;
	bool is_signed, is_bool;
	long long ev;
	char tname[64];
	int ret;

	ublk_int_type(t, &is_signed, &is_bool);
	ublk_int_name(btf, t, tname, sizeof(tname));
	if (is_bool) {
		if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes") || !strcmp(s, "on"))
			v = 1;
		else if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no") || !strcmp(s, "off"))
			v = 0;
		else {
			ublk_err("%s: --set %s: a bool is true or false, got '%s'", path, name, s);
			return -EINVAL;
		}
		ublk_store(dst, t->size, v);
		return 0;
	}
	if ((btf_is_enum(t) || btf_is_enum64(t)) && ublk_enum_value(btf, t, s, &ev)) {
		ublk_store(dst, t->size, (unsigned long long)ev);
		return 0;
	}
	ret = ublk_parse_int(s, is_signed, t->size, &v);
	if (ret == -ERANGE) {
		ublk_err("%s: --set %s: '%s' is out of range for %s", path, name, s, tname);
		return -EINVAL;
	}
	if (ret) {
		ublk_err("%s: --set %s: %s wants a number (suffixes k, M, G, T)%s, got '%s'", path,
			 name, tname, btf_is_int(t) ? "" : " or one of its names", s);
		return -EINVAL;
	}
	ublk_store(dst, t->size, v);
	return 0;
}

/* Why @p cannot be set, in one line; 0 when it can. */
static int ublk_param_settable(struct bpf_object *obj, const char *path, const struct ublk_param *p)
{
	if (!strcmp(p->name, UBLK_CONFIG_VAR) && btf_is_struct(p->type)) {
		ublk_err("%s: --set %s: the tool fills 'config' itself (from -n, --file and the target's options); --set takes the other variables",
			 path, p->name);
		return -EINVAL;
	}
	if (p->loops) {
		ublk_err("%s: --set %s: its BTF type refers to itself: a broken object", path, p->name);
		return -EINVAL;
	}
	if (!ublk_is_rodata(p->section) || !p->is_const || !p->is_volatile) {
		ublk_err("%s: --set %s: the variable is not 'const volatile' (it is in %s), so it cannot be set before load",
			 path, p->name, p->section);
		return -EINVAL;
	}
	if (p->type_size != (long long)p->size) {
		ublk_err("%s: --set %s: its BTF type has %lld bytes but its entry in %s %u: a broken object",
			 path, p->name, p->type_size, p->section, p->size);
		return -EINVAL;
	}
	if (p->outside) {
		ublk_err("%s: --set %s: its entry (%u bytes at %u) lies outside its section %s: a broken object",
			 path, p->name, p->size, p->offset, p->section);
		return -EINVAL;
	}
	if (!p->data) {
		ublk_err("%s: --set %s: its section %s has no data in the object", path, p->name,
			 p->section);
		return -EINVAL;
	}
	return 0;
}

/*
 * A comma list into the integer array @p of @nelems @elem, parsed into a
 * copy first so that a bad item leaves the variable as it was.
 */
static int ublk_set_int_list(const struct btf *btf, const struct btf_type *elem, __u32 nelems,
			     const struct ublk_param *p, const char *path, const char *value)
{
	char *list = strdup(value), *copy = calloc(1, p->size), *item, *save = NULL;
	__u32 i = 0;
	int ret = 0;

	if (!list || !copy) {
		ret = -ENOMEM;
		goto out;
	}
	for (item = strtok_r(list, ",", &save); item && !ret;
	     item = strtok_r(NULL, ",", &save), i++) {
		if (i == nelems) {
			ublk_err("%s: --set %s: more than %u items", path, p->name, nelems);
			ret = -EINVAL;
			goto out;
		}
		ret = ublk_set_elem(btf, elem, path, p->name, item, copy + i * elem->size);
	}
	if (!ret && !i) {
		ublk_err("%s: --set %s: an empty list", path, p->name);
		ret = -EINVAL;
	}
	if (!ret)
		memcpy(p->data, copy, p->size);
out:
	free(list);
	free(copy);
	return ret;
}

int ublk_bpf_param_set(struct bpf_object *obj, const char *path, const char *assignment)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_type *elem;
	const char *eq = strchr(assignment, '='), *value;
	bool is_signed, is_bool;
	struct bpf_map *map;
	struct ublk_param p;
	char name[128];
	__u32 nelems;
	int ret;

	if (!eq || eq == assignment || (size_t)(eq - assignment) >= sizeof(name)) {
		ublk_err("%s: --set wants NAME=VALUE, got '%s'", path, assignment);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - assignment), assignment);
	value = eq + 1;
	map = bpf_object__find_map_by_name(obj, name);
	if (map && !bpf_map__is_internal(map)) {
		ublk_err("%s: --set %s: that is a map, not a variable (update it live: bpftool map update pinned <pin dir>/%s ...)",
			 path, name, name);
		return -EINVAL;
	}
	if (ublk_param_find(obj, name, &p)) {
		ublk_err("%s: --set %s: no such variable (see ublk-bpf load %s --help-params)",
			 path, name, path);
		return -EINVAL;
	}
	ret = ublk_param_settable(obj, path, &p);
	if (ret)
		return ret;
	if (ublk_int_type(p.type, &is_signed, &is_bool))
		return ublk_set_elem(btf, p.type, path, name, value, p.data);
	elem = ublk_array_elem(btf, p.type, &nelems);
	if (elem && ublk_is_char(btf, elem)) {
		if (strlen(value) >= nelems) {
			ublk_err("%s: --set %s: '%s' is too long: char[%u] holds at most %u characters",
				 path, name, value, nelems, nelems ? nelems - 1 : 0);
			return -EINVAL;
		}
		memset(p.data, 0, nelems);
		memcpy(p.data, value, strlen(value));
		return 0;
	}
	if (!elem || !ublk_int_type(elem, &is_signed, &is_bool) || !nelems) {
		ublk_err("%s: --set %s: its type is neither an integer, bool, enum, char array nor integer array",
			 path, name);
		return -EINVAL;
	}
	return ublk_set_int_list(btf, elem, nelems, &p, path, value);
}

int ublk_bpf_params_apply(struct bpf_object *obj, const char *path,
			  const char *const *sets, unsigned int nr_sets)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < nr_sets && !ret; i++)
		ret = ublk_bpf_param_set(obj, path, sets[i]);
	return ret;
}

/* Type and value of @p, for --help-params. */
static void ublk_param_describe(const struct btf *btf, const struct ublk_param *p,
				char *type, size_t tlen, char *val, size_t vlen)
{
	const struct btf_type *elem;
	bool is_signed, is_bool;
	size_t used = 0;
	__u32 n = 0, i;

	if (ublk_int_type(p->type, &is_signed, &is_bool)) {
		long long v = ublk_load(p->data, p->type->size, is_signed);

		ublk_int_name(btf, p->type, type, tlen);
		if (is_bool)
			snprintf(val, vlen, "%s", v ? "true" : "false");
		else if (is_signed)
			snprintf(val, vlen, "%lld", v);
		else
			snprintf(val, vlen, "%llu", (unsigned long long)v);
		return;
	}
	elem = ublk_array_elem(btf, p->type, &n);
	if (elem && ublk_is_char(btf, elem)) {
		snprintf(type, tlen, "char[%u]", n);
		snprintf(val, vlen, "\"%.*s\"", (int)strnlen(p->data, n), p->data);
		return;
	}
	ublk_int_name(btf, elem, type, tlen);
	used = strlen(type);
	snprintf(type + used, tlen - used, "[%u]", n);
	val[0] = '\0';
	for (i = 0, used = 0; i < n && used < vlen; i++) {
		long long v = ublk_load(p->data + i * elem->size, elem->size, is_signed);

		used += snprintf(val + used, vlen - used, is_signed ? "%s%lld" : "%s%llu",
				 i ? "," : "", v);
	}
}

void ublk_bpf_params_print(struct bpf_object *obj, FILE *out)
{
	const struct btf *btf = bpf_object__btf(obj);
	int n = btf ? (int)btf__type_cnt(btf) : 0, id, i, shown = 0;
	char type[64], val[512];

	fprintf(out, "%-24s %-16s %s\n", "NAME", "TYPE", "DEFAULT");
	for (id = 1; id < n; id++) {
		const struct btf_type *sec = btf__type_by_id(btf, id);
		const struct btf_var_secinfo *v;

		if (!btf_is_datasec(sec) || !ublk_is_rodata(btf__name_by_offset(btf, sec->name_off)))
			continue;
		for (i = 0, v = btf_var_secinfos(sec); i < btf_vlen(sec); i++, v++) {
			const struct btf_type *var = btf__type_by_id(btf, v->type);
			const char *name = btf__name_by_offset(btf, var->name_off);
			const struct btf_type *elem;
			bool is_signed, is_bool;
			struct ublk_param p;
			__u32 nelems;

			if (!btf_is_var(var) || ublk_param_find(obj, name, &p) || !p.data ||
			    !p.is_const || !p.is_volatile)
				continue;
			if (!strcmp(name, UBLK_CONFIG_VAR) && btf_is_struct(p.type)) {
				fprintf(out, "%-24s %-16s %s\n", name, "struct",
					"(set by ublk-bpf: -n, --file, target options)");
				continue;
			}
			elem = ublk_array_elem(btf, p.type, &nelems);
			if (!ublk_int_type(p.type, &is_signed, &is_bool) &&
			    !(elem && (ublk_is_char(btf, elem) ||
				       ublk_int_type(elem, &is_signed, &is_bool))))
				continue;
			ublk_param_describe(btf, &p, type, sizeof(type), val, sizeof(val));
			fprintf(out, "%-24s %-16s %s\n", name, type, val);
			shown++;
		}
	}
	if (!shown)
		fprintf(out, "(no settable variables: declare them 'const volatile' in the program)\n");
}
