// SPDX-License-Identifier: GPL-2.0
/*
 * `--set NAME=VALUE` against real BPF objects' BTF: the input's first byte
 * picks the object, the rest split at NUL bytes are the assignments, given
 * in order as load gives them; then --help-params prints the values. The
 * objects (UBLK_FUZZ_BPF_OBJS, colon-separated; by default stripe's, with
 * its `config`, linear's, and tests/bpf/params' of every kind --set writes
 * and refuses) are opened once; their sections are put back before each
 * input.
 */
#include "fuzz_set.h"

#define FUZZ_MAX_OBJS	8
#define FUZZ_MAX_SETS	16

static const char *default_objs =
	".output/bpf/stripe.bpf.o:.output/bpf/linear.bpf.o:.output/tests/bpf/params.bpf.o";

static struct {
	struct bpf_object *obj;
	struct fuzz_sections initial;
} objs[FUZZ_MAX_OBJS];
static unsigned int nr_objs;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *env = getenv("UBLK_FUZZ_BPF_OBJS");
	char *list = strdup(env && *env ? env : default_objs), *path, *save = NULL;

	libbpf_set_print(fuzz_libbpf_quiet);
	for (path = strtok_r(list, ":", &save); path && nr_objs < FUZZ_MAX_OBJS;
	     path = strtok_r(NULL, ":", &save)) {
		struct bpf_object *obj = bpf_object__open_file(path, NULL);

		if (!obj) {
			fprintf(stderr, "fuzz_set: cannot open %s (make fuzz-build builds it)\n", path);
			exit(1);
		}
		objs[nr_objs].obj = obj;
		fuzz_sections_save(obj, &objs[nr_objs++].initial);
	}
	devnull = fopen("/dev/null", "w");
	if (!nr_objs || !devnull)
		exit(1);
	free(list);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_sections now;
	struct bpf_object *obj;
	char **sets;
	int i, n;

	if (!size)
		return 0;
	i = data[0] % nr_objs;
	obj = objs[i].obj;
	fuzz_sections_restore(&objs[i].initial);
	fuzz_sections_save(obj, &now);
	sets = fuzz_words(data + 1, size - 1, FUZZ_MAX_SETS, &n);
	for (i = 0; i < n; i++)
		fuzz_set_one(obj, &now, sets[i]);
	ublk_bpf_params_print(obj, devnull);
	fuzz_free_words(sets, n);
	return 0;
}
