// SPDX-License-Identifier: GPL-2.0
/*
 * A persistent device's configuration file (user/devconf.c): the input is
 * NAME.conf in a folder of this process's own, read by ublk_devconf_read()
 * as serve reads it, and split by ublk_devconf_split() alone; both must
 * give the same words, each inside the text, and a command line that
 * starts with add or load is then parsed as serve parses it.
 */
#include <errno.h>

#include "cli.h"
#include "devconf.h"
#include "fuzz.h"
#include "state.h"

static const char *conf_dir;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	conf_dir = fuzz_private_dir();
	return 0;
}

/* Every word lies inside @text (of @len bytes and its NUL), NUL-ended there. */
static void check_words(const struct ublk_devconf *c, const char *text, size_t len)
{
	int i;

	FUZZ_CHECK(c->argc >= 0 && c->argc <= UBLK_CONF_MAX_WORDS);
	FUZZ_CHECK(c->argv[c->argc] == NULL);
	for (i = 0; i < c->argc; i++) {
		FUZZ_CHECK(c->argv[i] >= text && c->argv[i] <= text + len);
		FUZZ_CHECK(memchr(c->argv[i], '\0', text + len + 1 - c->argv[i]));
		FUZZ_CHECK(i == 0 || c->argv[i] > c->argv[i - 1]);
	}
}

/*
 * The words written back, each in "..." with " and \ escaped, split into
 * the same words: what the syntax promises a hand-written file.
 */
static void round_trip(const struct ublk_devconf *c)
{
	static struct ublk_devconf back;
	size_t len = 1, i;
	char *text, *p;
	int w;

	for (w = 0; w < c->argc; w++)
		len += 2 * strlen(c->argv[w]) + 3;
	text = p = malloc(len);
	FUZZ_CHECK(text);
	for (w = 0; w < c->argc; w++) {
		*p++ = '"';
		for (i = 0; c->argv[w][i]; i++) {
			if (c->argv[w][i] == '"' || c->argv[w][i] == '\\')
				*p++ = '\\';
			*p++ = c->argv[w][i];
		}
		*p++ = '"';
		*p++ = ' ';
	}
	*p = '\0';
	snprintf(back.path, sizeof(back.path), "fuzz.conf");
	FUZZ_CHECK(!ublk_devconf_split(&back, text));
	FUZZ_CHECK(back.argc == c->argc);
	for (w = 0; w < c->argc; w++)
		FUZZ_CHECK(!strcmp(back.argv[w], c->argv[w]));
	free(text);
}

/* serve: add or load, parsed as such. */
static void parse_as_serve(struct ublk_devconf *c)
{
	struct ublk_dev_opts *o = calloc(1, sizeof(*o));

	FUZZ_CHECK(o);
	if (!strcmp(c->argv[0], "add"))
		ublk_parse_add(c->argc, c->argv, o);
	else if (!strcmp(c->argv[0], "load"))
		ublk_parse_load(c->argc, c->argv, o);
	ublk_state_set_dir(NULL);
	free(o->tgt_opts);
	free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ublk_devconf split, read;
	char *text = fuzz_cstr(data, size);
	size_t len = strlen(text);
	int ret, rret, i;

	snprintf(split.path, sizeof(split.path), "fuzz.conf");
	ret = ublk_devconf_split(&split, text);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -E2BIG);
	if (!ret) {
		check_words(&split, text, len);
		round_trip(&split);
	}

	fuzz_put_file(conf_dir, "fuzz.conf", data, size);
	rret = ublk_devconf_read(&read, conf_dir, "fuzz");
	if (memchr(data, '\0', size)) {
		FUZZ_CHECK(rret == -EINVAL);	/* not a text file */
	} else if (size <= (64 << 10)) {
		/* The same verdict and words as the split alone; none is no command line. */
		FUZZ_CHECK(ret ? rret == ret : split.argc ? !rret : rret == -EINVAL);
		if (!rret) {
			check_words(&read, read.text, size);
			FUZZ_CHECK(read.argc == split.argc);
			for (i = 0; i < read.argc; i++)
				FUZZ_CHECK(!strcmp(read.argv[i], split.argv[i]));
			parse_as_serve(&read);
		}
	}
	if (!rret)
		ublk_devconf_free(&read);
	free(text);
	return 0;
}
