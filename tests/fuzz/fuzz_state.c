// SPDX-License-Identifier: GPL-2.0
/*
 * The state file reader (user/state.c): the input is <run dir>/3.json in a
 * run dir of this process's own, read by every reader the verbs use. What
 * comes back is checked: a value fits the caller's buffer exactly (each
 * buffer its own allocation, so ASan sees one byte too many), a command
 * line is whole and NULL-ended or absent, a damaged file says why in one
 * line. A command line read is then parsed as recover would (add/load),
 * and written back by ublk_state_write() to come back byte for byte.
 */
#include <errno.h>
#include <limits.h>

#include "cli.h"
#include "fuzz.h"
#include "state.h"

#define ID	3
#define ID_BACK	4

static const char *run_dir;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	run_dir = fuzz_private_dir();
	if (ublk_state_set_dir(run_dir))
		exit(1);
	return 0;
}

/* ublk_state_get() into a buffer of @len bytes of its own; its result. */
static int get(unsigned int id, const char *key, size_t len, char **out)
{
	char *buf = malloc(len);
	int ret;

	FUZZ_CHECK(buf);
	ret = ublk_state_get(id, key, buf, len);
	FUZZ_CHECK(ret == 0 || ret == -ENOENT || ret == -EINVAL);
	if (!ret)
		FUZZ_CHECK(memchr(buf, '\0', len));
	*out = buf;
	return ret;
}

/* A value that fits in n + 1 bytes fits in no fewer, and reads the same. */
static void check_key(const char *key)
{
	char *big, *exact, *short_;
	size_t n;
	int ret;

	ret = get(ID, key, PATH_MAX, &big);
	if (!ret) {
		n = strlen(big);
		FUZZ_CHECK(get(ID, key, n + 1, &exact) == 0);
		FUZZ_CHECK(!strcmp(exact, big));
		free(exact);
		if (n) {
			FUZZ_CHECK(get(ID, key, n, &short_) == -EINVAL);
			free(short_);
		}
	}
	free(big);
}

/*
 * File @i as recorded, and the immutable flags the tool set: as the
 * header says, within the buffers (exactly: one byte fewer does not do).
 */
static void check_file(unsigned int i, size_t nr_files)
{
	char *path = malloc(PATH_MAX), *id = malloc(64), *p2, *id2;
	size_t pn, idn;
	int ret;

	FUZZ_CHECK(path && id);
	ret = ublk_state_get_file(ID, i, path, PATH_MAX, id, 64);
	FUZZ_CHECK(ret == 0 || ret == -ENOENT || ret == -EINVAL);
	if (i >= nr_files)	/* none there (-EINVAL, as unit_state wants, not the header's -ENOENT) */
		FUZZ_CHECK(ret != 0);
	if (!ret) {
		pn = strlen(path);
		idn = strlen(id);
		p2 = malloc(pn + 1);
		id2 = malloc(idn + 1);
		FUZZ_CHECK(p2 && id2);
		FUZZ_CHECK(!ublk_state_get_file(ID, i, p2, pn + 1, id2, idn + 1));
		FUZZ_CHECK(!strcmp(p2, path) && !strcmp(id2, id));
		if (pn)
			FUZZ_CHECK(ublk_state_get_file(ID, i, p2, pn, id2, idn + 1) == -EINVAL);
		FUZZ_CHECK(ublk_state_get_file(ID, i, p2, pn + 1, id2, idn) == -ENOENT);
		free(p2);
		free(id2);
	}
	free(path);
	free(id);
}

static void check_damaged(void)
{
	const char *why = ublk_state_why();

	FUZZ_CHECK(why[0] && !strpbrk(why, "\n\r"));
}

/* A command line that was read: whole, inside @cl, NULL-ended. */
static void check_cmdline(const struct ublk_state_cmdline *cl)
{
	int i;

	FUZZ_CHECK(cl->argc > 0 && cl->argc <= UBLK_STATE_MAX_ARGS);
	FUZZ_CHECK(memchr(cl->cwd, '\0', sizeof(cl->cwd)));
	for (i = 0; i < cl->argc; i++) {
		const char *a = cl->argv[i];

		FUZZ_CHECK(a >= cl->buf && a < cl->buf + sizeof(cl->buf));
		FUZZ_CHECK(memchr(a, '\0', cl->buf + sizeof(cl->buf) - a));
	}
	FUZZ_CHECK(cl->argv[cl->argc] == NULL);
}

/* recover: the command line parsed as the verb it names; then freed. */
static void parse_as_recover(struct ublk_state_cmdline *cl)
{
	struct ublk_dev_opts *o = calloc(1, sizeof(*o));
	char **argv = calloc(cl->argc + 1, sizeof(*argv));

	FUZZ_CHECK(o && argv);
	memcpy(argv, cl->argv, cl->argc * sizeof(*argv));	/* getopt permutes it */
	if (!strcmp(argv[0], "add"))
		ublk_parse_add(cl->argc, argv, o);
	else if (!strcmp(argv[0], "load"))
		ublk_parse_load(cl->argc, argv, o);
	ublk_state_set_dir(run_dir);	/* whatever --run-dir it named */
	free(o->tgt_opts);
	free(o);
	free(argv);
}

/* ublk_state_write() of the same command line reads back the same bytes. */
static void round_trip(const struct ublk_state_cmdline *cl)
{
	static struct ublk_state_cmdline back;
	struct ublk_dev_opts o = { 0 };
	int i;

	o.argc = cl->argc;
	o.argv = (char **)cl->argv;
	o.target = cl->argc > 1 && strlen(cl->argv[1]) < 64 ? cl->argv[1] : "";
	FUZZ_CHECK(!ublk_state_write(ID_BACK, &o, 1, 0));
	FUZZ_CHECK(!ublk_state_get_cmdline(ID_BACK, &back));
	FUZZ_CHECK(back.argc == cl->argc);
	for (i = 0; i < cl->argc; i++)
		FUZZ_CHECK(!strcmp(back.argv[i], cl->argv[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "target", "path", "object", "cwd", "fallback" };
	struct ublk_state_cmdline *cl = malloc(sizeof(*cl));
	struct ublk_dev_opts files = { 0 };
	size_t i, len;
	char *buf;
	int ret;

	FUZZ_CHECK(cl);
	fuzz_put_file(run_dir, "3.json", data, size);

	ret = ublk_state_get_cmdline(ID, cl);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret) {
		FUZZ_CHECK(cl->argc == 0 && cl->argv[0] == NULL);
		check_damaged();
	} else {
		check_cmdline(cl);
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		check_key(keys[i]);

	/* The files, comma-separated, in buffers from tight to roomy. */
	for (len = 1; len <= 4096; len *= 8) {
		buf = malloc(len);
		FUZZ_CHECK(buf);
		if (!ublk_state_get_files(ID, buf, len))
			FUZZ_CHECK(memchr(buf, '\0', len));
		free(buf);
	}
	/* One file at a time, and the immutable flags, on a file every reader took. */
	if (!ublk_state_get_cmdline(ID, cl)) {
		char *all = malloc(1 << 16);
		unsigned int mask = ~0U, nr = 0, f;

		FUZZ_CHECK(all);
		/*
		 * At least as many files as there are: the comma-separated
		 * list's commas and one (a path may hold commas too).
		 */
		if (!ublk_state_get_files(ID, all, 1 << 16))
			for (nr = 1, buf = all; (buf = strchr(buf, ',')); buf++)
				nr++;
		FUZZ_CHECK(!ublk_state_made_immutable(ID, &mask));
		FUZZ_CHECK(nr >= 32 || !(mask >> nr));
		FUZZ_CHECK(!(mask >> UBLK_MAX_FILES));
		for (f = 0; f < nr + 2 && f < UBLK_MAX_FILES + 2; f++)
			check_file(f, f < nr ? nr : 0);
		free(all);
	}
	/* Compared with files that exist, by device and inode. */
	files.files[0] = "/";
	files.files[1] = run_dir;
	files.nr_files = 2;
	files.bpf_obj = "/proc/self/exe";
	ret = ublk_state_check_files(ID, &files);
	FUZZ_CHECK(ret == 0 || ret == -ESTALE || ret == -EINVAL);

	if (!ublk_state_get_cmdline(ID, cl)) {
		parse_as_recover(cl);
		round_trip(cl);
	}
	free(cl);
	return 0;
}
