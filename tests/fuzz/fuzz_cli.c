// SPDX-License-Identifier: GPL-2.0
/*
 * The command line of every verb: the input split at NUL bytes is argv,
 * argv[0] the verb (any other word: the verb picked by its first byte),
 * parsed by the verb table's parse(), kublk's mapping included, as main()
 * would before run(). Parsing only: run() is never called. What a parse
 * accepted is checked against the limits the verbs rely on, and for load,
 * its target options go through every target's parser as load would once
 * it knows the object's target.
 */
#include <errno.h>
#include <limits.h>

#include "cli.h"
#include "fuzz.h"
#include "state.h"
#include "targets.h"
#include "verb.h"

#define FUZZ_MAX_WORDS	256

/* What add and load accepted: within what dev.c and the targets assume. */
static void check_dev(const struct ublk_dev_opts *o, bool is_add)
{
	unsigned int i;

	FUZZ_CHECK(o->dev_id >= -1);
	FUZZ_CHECK(o->count >= 1 && o->count <= UBLK_MAX_COUNT);
	FUZZ_CHECK(o->nr_queues >= 1 && o->nr_queues <= UBLK_MAX_QUEUES);
	FUZZ_CHECK(o->queue_depth >= 1 && o->queue_depth <= UBLK_MAX_DEPTH);
	FUZZ_CHECK(o->nr_files <= UBLK_MAX_FILES);
	FUZZ_CHECK(o->nr_tgt_args <= UBLK_MAX_TGT_ARGS);
	FUZZ_CHECK(o->nr_sets <= UBLK_MAX_SETS);
	FUZZ_CHECK(o->size % 512 == 0 && o->size <= UBLK_MAX_DEV_SIZE);
	FUZZ_CHECK(o->scheduler);
	for (i = 0; i < o->nr_files; i++)
		FUZZ_CHECK(o->files[i] && strlen(o->files[i]) < SIZE_MAX);
	for (i = 0; i < o->nr_tgt_args; i++)
		FUZZ_CHECK(o->tgt_args[i].name && ublk_tgt_option_has_arg(o->tgt_args[i].name) >= 0);
	for (i = 0; i < o->nr_sets; i++)
		FUZZ_CHECK(o->sets[i] != NULL);
	if (is_add) {
		FUZZ_CHECK(o->tgt && o->tgt == ublk_find_target(o->target));
		FUZZ_CHECK(o->tgt_opts);
		FUZZ_CHECK(!o->bpf_obj);
	} else {
		FUZZ_CHECK(o->bpf_obj);
		FUZZ_CHECK(!o->need_get_data);
	}
}

/* load: its target options as each target would take them. */
static void load_targets(struct ublk_dev_opts *o)
{
	unsigned int i;

	for (i = 0; ublk_targets[i]; i++) {
		if (!ublk_tgt_check_args(ublk_targets[i], o))
			FUZZ_CHECK(o->tgt_opts);
	}
	free(o->tgt_opts);
	o->tgt_opts = NULL;
}

static void check_sel(const struct ublk_sel_opts *o)
{
	FUZZ_CHECK(o->dev_id >= -1);
	FUZZ_CHECK(o->watch <= 3600);
}

/* The same words parsed again agree: nothing of one parse leaks into the next. */
static void check_again(const struct ublk_verb *v, const uint8_t *data, size_t size, int ret,
			const void *first)
{
	int argc, ret2;
	char **argv = fuzz_words(data, size, FUZZ_MAX_WORDS, &argc);
	void *opts = calloc(1, v->opts_size);

	FUZZ_CHECK(opts);
	free(argv[0]);
	argv[0] = strdup(v->name);
	ret2 = v->parse(argc, argv, opts);
	FUZZ_CHECK(ret2 == ret);
	if (!strcmp(v->name, "add") || !strcmp(v->name, "load") || !strcmp(v->name, "recover")) {
		const struct ublk_dev_opts *a = first, *b = opts;

		if (!strcmp(v->name, "recover")) {
			const struct ublk_recover_opts *ra = first, *rb = opts;

			FUZZ_CHECK(ra->as_add == rb->as_add);
			FUZZ_CHECK(!memcmp(&ra->sel, &rb->sel, sizeof(ra->sel)));
			a = &ra->dev;
			b = &rb->dev;
			if (rb->as_add)
				free(rb->dev.argv);
		}
		FUZZ_CHECK(a->dev_id == b->dev_id && a->count == b->count);
		FUZZ_CHECK(a->nr_queues == b->nr_queues && a->queue_depth == b->queue_depth);
		FUZZ_CHECK(a->nr_files == b->nr_files && a->nr_tgt_args == b->nr_tgt_args);
		FUZZ_CHECK(a->nr_sets == b->nr_sets && a->size == b->size);
		FUZZ_CHECK(a->recovery == b->recovery && a->bpf_mode == b->bpf_mode);
		FUZZ_CHECK(a->tgt == b->tgt && a->buffered == b->buffered);
		free(b->tgt_opts);
	} else if (!strcmp(v->name, "del") || !strcmp(v->name, "list") ||
		   !strcmp(v->name, "stats") || !strcmp(v->name, "features")) {
		FUZZ_CHECK(!memcmp(first, opts, sizeof(struct ublk_sel_opts)));
	}
	free(opts);
	ublk_state_set_dir(NULL);
	fuzz_free_words(argv, argc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ublk_verb *v;
	const struct option *lo;
	unsigned int nverbs;
	int argc, ret;
	char **argv;
	void *opts;

	for (nverbs = 0; ublk_verbs[nverbs]; nverbs++)
		;
	argv = fuzz_words(data, size, FUZZ_MAX_WORDS, &argc);
	v = ublk_find_verb(argv[0]);
	if (!v) {
		v = ublk_verbs[(size ? data[0] : 0) % nverbs];
		free(argv[0]);
		argv[0] = strdup(v->name);
	}
	/* Completion's words: every verb's long options are named. */
	for (lo = v->options(); lo->name; lo++)
		FUZZ_CHECK(*lo->name);

	opts = calloc(1, v->opts_size);
	FUZZ_CHECK(opts);
	ret = v->parse(argc, argv, opts);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	ublk_state_set_dir(NULL);
	check_again(v, data, size, ret, opts);

	if (!strcmp(v->name, "add") || !strcmp(v->name, "load")) {
		struct ublk_dev_opts *o = opts;

		if (!ret)
			check_dev(o, !strcmp(v->name, "add"));
		if (!ret && !strcmp(v->name, "load"))
			load_targets(o);
		free(o->tgt_opts);
	} else if (!strcmp(v->name, "recover")) {
		struct ublk_recover_opts *o = opts;

		if (!ret && o->as_add) {
			check_dev(&o->dev, true);
			FUZZ_CHECK(o->dev.dev_id >= 0 && o->dev.recovery);
		} else if (!ret) {
			check_sel(&o->sel);
			FUZZ_CHECK(o->sel.dev_id >= 0);
		}
		free(o->dev.tgt_opts);
		if (o->as_add)
			free(o->dev.argv);	/* the add command line it made */
	} else if (!strcmp(v->name, "serve")) {
		const struct ublk_serve_opts *o = opts;

		FUZZ_CHECK(ret || (o->name && o->conf_dir));
	} else if (!ret && v->opts_size == sizeof(struct ublk_sel_opts)) {
		check_sel(opts);
	}
	free(opts);
	/* --run-dir is the one thing a parse keeps: forgotten between inputs. */
	ublk_state_set_dir(NULL);
	fuzz_free_words(argv, argc);
	return 0;
}
