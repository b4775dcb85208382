/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the libFuzzer harnesses share: the input as a C string or as words
 * (each word its own allocation, so ASan sees a read past any one of them),
 * a private folder, and FUZZ_CHECK, an oracle that aborts (libFuzzer then
 * keeps the input as a crash, as it does for a sanitizer's report).
 */
#ifndef UBLK_BPF_FUZZ_H
#define UBLK_BPF_FUZZ_H

#include <fcntl.h>
#include <sanitizer/common_interface_defs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libFuzzer's entry points. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * Said through the sanitizers' report stream: libFuzzer's -close_fd_mask
 * closes the target's stderr, not that.
 */
#define FUZZ_CHECK(cond) do {							\
	if (!(cond)) {								\
		char _m[512];							\
		snprintf(_m, sizeof(_m), "fuzz oracle failed: %s (%s:%d)", #cond, \
			 __FILE__, __LINE__);					\
		__sanitizer_report_error_summary(_m);				\
		abort();							\
	}									\
} while (0)

/* @data as a NUL-ended string (cut at its first NUL byte); free() it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_CHECK(s);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * @data split at NUL bytes into at most @max words, each malloc'd, in a
 * NULL-ended array of @max + 1; fuzz_free_words() frees both.
 */
static inline char **fuzz_words(const uint8_t *data, size_t size, int max, int *argc)
{
	char **argv = calloc(max + 1, sizeof(*argv));
	size_t start = 0, i;
	int n = 0;

	FUZZ_CHECK(argv);
	for (i = 0; i <= size && n < max; i++) {
		if (i < size && data[i])
			continue;
		if (i == size && i == start && n)	/* a trailing NUL ends the last word */
			break;
		argv[n] = malloc(i - start + 1);
		FUZZ_CHECK(argv[n]);
		memcpy(argv[n], data + start, i - start);
		argv[n++][i - start] = '\0';
		start = i + 1;
	}
	*argc = n;
	return argv;
}

static inline void fuzz_free_words(char **argv, int argc)
{
	int i;

	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* A folder of this process's own (0700) under $TMPDIR, removed at exit. */
static char fuzz_dir_path[256];

static inline void fuzz_dir_remove(void)
{
	char cmd[300];

	if (fuzz_dir_path[0] && snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir_path) > 0 &&
	    system(cmd))
		fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir_path);
}

static inline const char *fuzz_private_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (fuzz_dir_path[0])
		return fuzz_dir_path;
	snprintf(fuzz_dir_path, sizeof(fuzz_dir_path), "%s/ublk-fuzz.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fuzz_dir_path)) {
		perror("fuzz: mkdtemp");
		exit(1);
	}
	atexit(fuzz_dir_remove);
	return fuzz_dir_path;
}

/* Writes @len bytes of @data as @dir/@name, anew, mode 0600 (whatever the umask). */
static inline void fuzz_put_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(!len || write(fd, data, len) == (ssize_t)len);
	FUZZ_CHECK(!close(fd));
}

#endif
