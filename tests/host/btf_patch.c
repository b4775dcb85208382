// SPDX-License-Identifier: GPL-2.0
/*
 * Makes a crafted BPF object for the tests of what `load` must refuse: a
 * copy of OBJ whose BTF says something its sections do not hold.
 *   btf_patch IN OUT array VAR NELEMS    VAR's array type gets NELEMS
 *   btf_patch IN OUT member STRUCT MEMBER BYTES   MEMBER moved to BYTES
 *   btf_patch IN OUT loop VAR            VAR's first modifier or typedef
 *                                        names itself: a chain that loops
 *   btf_patch IN OUT offset VAR BYTES    VAR's entry in its section moved to BYTES
 *                                        (the section's size set, so that libbpf
 *                                        keeps the entries' offsets as they are)
 * The BTF is rewritten in place (same size), the rest copied as is.
 */
#include <bpf/btf.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btf_section.h"

static int die(const char *what)
{
	fprintf(stderr, "btf_patch: %s\n", what);
	return 1;
}

static struct btf_type *find_named(struct btf *btf, const char *name, int kind)
{
	int id = btf__find_by_name_kind(btf, name, kind);

	return id > 0 ? (struct btf_type *)btf__type_by_id(btf, id) : NULL;
}

int main(int argc, char **argv)
{
	const void *raw;
	struct btf *btf;
	struct btf_type *t;
	char cmd[8192];
	__u32 raw_size;
	size_t size;
	off_t off;
	int fd, i;

	if (argc != 5 && argc != 6 && argc != 7)
		return die("usage: btf_patch IN OUT array VAR NELEMS | member STRUCT MEMBER BYTES | loop VAR | offset VAR BYTES");
	btf = btf__parse_elf(argv[1], NULL);
	if (!btf || btf_section(argv[1], &off, &size))
		return die("no BTF in IN");
	if (!strcmp(argv[3], "array") && argc == 6) {
		t = find_named(btf, argv[4], BTF_KIND_VAR);
		while (t && !btf_is_array(t))
			t = (struct btf_type *)btf__type_by_id(btf, t->type);
		if (!t)
			return die("no such array variable");
		btf_array(t)->nelems = strtoul(argv[5], NULL, 0);
	} else if (!strcmp(argv[3], "member") && argc == 7) {
		struct btf_member *m;

		t = find_named(btf, argv[4], BTF_KIND_STRUCT);
		if (!t)
			return die("no such struct");
		for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++)
			if (!strcmp(btf__name_by_offset(btf, m->name_off), argv[5]))
				break;
		if (i == btf_vlen(t))
			return die("no such member");
		m->offset = strtoul(argv[6], NULL, 0) * 8;
	} else if (!strcmp(argv[3], "offset") && argc == 6) {
		int var = btf__find_by_name_kind(btf, argv[4], BTF_KIND_VAR), id, n = btf__type_cnt(btf);
		struct btf_var_secinfo *v = NULL;

		for (id = 1; var > 0 && !v && id < n; id++) {
			t = (struct btf_type *)btf__type_by_id(btf, id);
			if (!btf_is_datasec(t))
				continue;
			for (i = 0; i < btf_vlen(t); i++)
				if (btf_var_secinfos(t)[i].type == (__u32)var)
					v = &btf_var_secinfos(t)[i];
		}
		if (!v)
			return die("no such variable in a section");
		v->offset = strtoul(argv[5], NULL, 0);
		/* libbpf fills in the offsets of a section of size 0 (clang's). */
		t = (struct btf_type *)btf__type_by_id(btf, id - 1);
		if (!t->size)
			t->size = 1;
	} else if (!strcmp(argv[3], "loop") && argc == 5) {
		struct btf_type *m;

		t = find_named(btf, argv[4], BTF_KIND_VAR);
		if (!t)
			return die("no such variable");
		m = (struct btf_type *)btf__type_by_id(btf, t->type);
		if (!m || !(btf_is_mod(m) || btf_is_typedef(m)))
			return die("its type is no modifier nor typedef");
		m->type = t->type;
	} else {
		return die("unknown patch");
	}
	raw = btf__raw_data(btf, &raw_size);
	if (!raw || raw_size != size)
		return die("the BTF changed size");
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", argv[1], argv[2]);
	if (system(cmd))
		return die("cannot copy IN");
	fd = open(argv[2], O_WRONLY);
	if (fd < 0 || pwrite(fd, raw, raw_size, off) != (ssize_t)raw_size)
		return die("cannot write OUT");
	close(fd);
	btf__free(btf);
	return 0;
}
