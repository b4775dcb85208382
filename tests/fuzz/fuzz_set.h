/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `--set NAME=VALUE` (user/bpf_params.c) on an opened BPF object, with its
 * oracle: a refused assignment changes no byte of any section, an accepted
 * one only bytes of a variable of that name (ASan cannot see a write past
 * a variable into its neighbour: both lie in one buffer). Shared by
 * fuzz_set (real objects) and fuzz_btf (crafted BTF).
 */
#ifndef UBLK_BPF_FUZZ_SET_H
#define UBLK_BPF_FUZZ_SET_H

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>

#include "bpf_params.h"
#include "fuzz.h"

#define FUZZ_MAX_MAPS	16

static int fuzz_libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* The initial bytes of every internal map (.rodata, .data, ...) of @obj. */
struct fuzz_sections {
	unsigned int n;
	const char *name[FUZZ_MAX_MAPS];
	char *data[FUZZ_MAX_MAPS];	/* the object's own buffer */
	char *copy[FUZZ_MAX_MAPS];
	size_t size[FUZZ_MAX_MAPS];
};

static inline void fuzz_sections_save(struct bpf_object *obj, struct fuzz_sections *s)
{
	struct bpf_map *map;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		free(s->copy[i]);
	s->n = 0;
	bpf_object__for_each_map(map, obj) {
		size_t size = 0;
		char *data;

		if (!bpf_map__is_internal(map) || s->n == FUZZ_MAX_MAPS)
			continue;
		data = bpf_map__initial_value(map, &size);
		if (!data)
			continue;
		s->name[s->n] = bpf_map__name(map);
		s->data[s->n] = data;
		s->size[s->n] = size;
		s->copy[s->n] = malloc(size ? size : 1);
		FUZZ_CHECK(s->copy[s->n]);
		memcpy(s->copy[s->n], data, size);
		s->n++;
	}
}

/* Puts back what fuzz_sections_save() saw. */
static inline void fuzz_sections_restore(struct fuzz_sections *s)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		memcpy(s->data[i], s->copy[i], s->size[i]);
}

/* Is byte @off of the map named @map inside a variable called @name? */
static inline bool fuzz_in_var(const struct btf *btf, const char *map, size_t off,
			       const char *name)
{
	int n = btf ? (int)btf__type_cnt(btf) : 0, id, i;

	for (id = 1; id < n; id++) {
		const struct btf_type *sec = btf__type_by_id(btf, id);
		const struct btf_var_secinfo *v;
		const char *sname;
		size_t ml, sl;

		if (!btf_is_datasec(sec))
			continue;
		sname = btf__name_by_offset(btf, sec->name_off);
		ml = strlen(map);
		sl = sname ? strlen(sname) : 0;
		if (!sl || ml < sl || strcmp(map + ml - sl, sname))
			continue;
		for (i = 0, v = btf_var_secinfos(sec); i < btf_vlen(sec); i++, v++) {
			const struct btf_type *var = btf__type_by_id(btf, v->type);
			const char *vname = var ? btf__name_by_offset(btf, var->name_off) : NULL;

			if (var && btf_is_var(var) && vname && !strcmp(vname, name) &&
			    off >= v->offset && off < (size_t)v->offset + v->size)
				return true;
		}
	}
	return false;
}

/* One --set, checked against its oracle; @s is saved anew after it. */
static inline int fuzz_set_one(struct bpf_object *obj, struct fuzz_sections *s,
			       const char *assignment)
{
	const struct btf *btf = bpf_object__btf(obj);
	const char *eq = strchr(assignment, '=');
	char name[256];
	unsigned int i;
	size_t b;
	int ret;

	snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - assignment) : 0, assignment);
	ret = ublk_bpf_param_set(obj, "fuzz.bpf.o", assignment);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
	for (i = 0; i < s->n; i++) {
		for (b = 0; b < s->size[i]; b++) {
			if (s->data[i][b] == s->copy[i][b])
				continue;
			FUZZ_CHECK(ret == 0);
			FUZZ_CHECK(fuzz_in_var(btf, s->name[i], b, name));
		}
		memcpy(s->copy[i], s->data[i], s->size[i]);
	}
	return ret;
}

#endif
