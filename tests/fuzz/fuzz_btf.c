// SPDX-License-Identifier: GPL-2.0
/*
 * `--set` and --help-params on a crafted object: tests/bpf/params.bpf.o
 * (UBLK_FUZZ_BTF_OBJ) whose BTF the input rewrites in place, as a list of
 * 8-byte edits: a type id (u16), which 32-bit word of that type's record
 * (u8), how (u8: set, add, xor), and a value (u32). Sizes, element types,
 * counts, encodings, a section's offsets and sizes: a BTF that lies about
 * the data. What libbpf opens is then given every variable it names with
 * values of each kind, under fuzz_set.h's oracle.
 */
#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>

#include "fuzz_set.h"
#include "../host/btf_section.h"

#define FUZZ_MAX_EDITS	16

static const char *default_obj = ".output/tests/bpf/params.bpf.o";
static char *elf;		/* the object's bytes */
static size_t elf_size;
static off_t btf_off;		/* its .BTF section */
static size_t btf_size;
static __u32 *type_off;		/* each type's record, from the start of .BTF */
static __u32 *type_words;	/* and its length in 32-bit words */
static __u32 nr_types;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *env = getenv("UBLK_FUZZ_BTF_OBJ");
	const char *path = env && *env ? env : default_obj;
	const char *base;
	struct btf *btf;
	struct stat st;
	__u32 id;
	FILE *f;

	libbpf_set_print(fuzz_libbpf_quiet);
	f = fopen(path, "r");
	if (!f || fstat(fileno(f), &st) || btf_section(path, &btf_off, &btf_size)) {
		fprintf(stderr, "fuzz_btf: no BTF in %s (make fuzz-build builds it)\n", path);
		exit(1);
	}
	elf_size = st.st_size;
	elf = malloc(elf_size);
	if (!elf || fread(elf, 1, elf_size, f) != elf_size)
		exit(1);
	fclose(f);
	/* Where each type's record lies, found through libbpf's own reading. */
	btf = btf__new(elf + btf_off, btf_size);
	if (!btf)
		exit(1);
	nr_types = btf__type_cnt(btf);
	type_off = calloc(nr_types, sizeof(*type_off));
	type_words = calloc(nr_types, sizeof(*type_words));
	base = btf__raw_data(btf, &id);
	for (id = 1; id < nr_types; id++) {
		const char *t = (const char *)btf__type_by_id(btf, id);
		const char *next = id + 1 < nr_types ? (const char *)btf__type_by_id(btf, id + 1) :
				   t + sizeof(struct btf_type);

		/* Offsets within libbpf's copy are those of the section. */
		type_off[id] = (__u32)(t - base);
		type_words[id] = (__u32)((next - t) / 4);
	}
	btf__free(btf);
	devnull = fopen("/dev/null", "w");
	return 0;
}

/* The edits of @data applied to @copy's BTF. */
static void apply_edits(char *copy, const uint8_t *data, size_t size)
{
	unsigned int k;

	for (k = 0; k < FUZZ_MAX_EDITS && size >= 8; k++, data += 8, size -= 8) {
		__u32 id = (__u32)(data[0] | data[1] << 8) % nr_types, w, v, *p;

		if (!id)
			continue;
		w = data[2] % type_words[id];
		memcpy(&v, data + 4, 4);
		p = (__u32 *)(copy + btf_off + type_off[id]) + w;
		if ((char *)(p + 1) > copy + btf_off + btf_size)
			continue;
		switch (data[3] % 3) {
		case 0: *p = v; break;
		case 1: *p += v; break;
		default: *p ^= v;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const values[] = {
		"1", "-1", "255", "0x7fffffff", "4G", "1,2,3,4,5", "true", "MODE_SAFE",
		"a string of some length", "",
	};
	static struct fuzz_sections now;
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "fuzz");
	char *copy = malloc(elf_size), assignment[512];
	struct bpf_object *obj;
	const struct btf *btf;
	int n, id, i;
	unsigned int j;

	FUZZ_CHECK(copy);
	memcpy(copy, elf, elf_size);
	apply_edits(copy, data, size);
	obj = bpf_object__open_mem(copy, elf_size, &opts);
	if (!obj) {
		free(copy);
		return 0;
	}
	ublk_bpf_params_print(obj, devnull);
	fuzz_sections_save(obj, &now);
	btf = bpf_object__btf(obj);
	n = btf ? (int)btf__type_cnt(btf) : 0;
	for (id = 1; id < n; id++) {
		const struct btf_type *sec = btf__type_by_id(btf, id);
		const struct btf_var_secinfo *v;

		if (!btf_is_datasec(sec))
			continue;
		for (i = 0, v = btf_var_secinfos(sec); i < btf_vlen(sec); i++, v++) {
			const struct btf_type *var = btf__type_by_id(btf, v->type);
			const char *name = var ? btf__name_by_offset(btf, var->name_off) : NULL;

			if (!var || !btf_is_var(var) || !name)
				continue;
			for (j = 0; j < sizeof(values) / sizeof(values[0]); j++) {
				snprintf(assignment, sizeof(assignment), "%s=%s", name, values[j]);
				fuzz_set_one(obj, &now, assignment);
			}
		}
	}
	ublk_bpf_params_print(obj, devnull);
	bpf_object__close(obj);
	free(copy);
	return 0;
}
