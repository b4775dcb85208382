// SPDX-License-Identifier: GPL-2.0
/*
 * The state file (<run dir>/<id>.json): a command line of any bytes comes
 * back exactly, and every damaged file is an error with a reason, not a
 * crash or a half-read command line.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "unit.h"

#define ID 3

static char run_dir[] = "/tmp/unit_state.XXXXXX";

/* The refusals print a line each: keep the TAP stream clean. */
static void quiet_stderr(void)
{
	if (!freopen("/dev/null", "w", stderr))
		perror("freopen");
}
static struct ublk_state_cmdline cl;

static void put_file(const char *text, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d.json", run_dir, ID);
	f = fopen(path, "w");
	fwrite(text, 1, len, f);
	fclose(f);
}

static void put(const char *text)
{
	put_file(text, strlen(text));
}

/* The state file as written: malloc'd text, its length in *@len. */
static char *get_file(size_t *len)
{
	char path[PATH_MAX], *buf = calloc(1, 1 << 16);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d.json", run_dir, ID);
	f = fopen(path, "r");
	*len = f ? fread(buf, 1, (1 << 16) - 1, f) : 0;
	if (f)
		fclose(f);
	return buf;
}

/* Every reader calls @text damaged, with a reason. */
#define ASSERT_DAMAGED(text) do {						\
	char _t[64];								\
	put(text);								\
	ASSERT_EQ(ublk_state_get_cmdline(ID, &cl), -EINVAL);			\
	ASSERT_EQ(cl.argc, 0);							\
	ASSERT_EQ(ublk_state_get(ID, "target", _t, sizeof(_t)), -EINVAL);	\
	ASSERT_TRUE(ublk_state_why()[0] != '\0');				\
	ASSERT_TRUE(!strpbrk(ublk_state_why(), "\n\r"));			\
} while (0)

/* A good file but for @field, which is @value. */
static char *with(const char *field, const char *value)
{
	static char buf[64 << 10];
	const char *keys[] = { "id", "target", "path", "object", "pid", "recovery", "cwd",
			       "argv", "files" };
	const char *good[] = { "3", "\"loop\"", "\"io_uring\"", "\"\"", "42", "true", "\"/\"",
			       "[\"add\",\"-t\",\"loop\"]", "[]" };
	size_t used = 0, i;

	used += snprintf(buf + used, sizeof(buf) - used, "{");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		used += snprintf(buf + used, sizeof(buf) - used, "%s\"%s\":%s", i ? "," : "",
				 keys[i], strcmp(keys[i], field) ? good[i] : value);
	snprintf(buf + used, sizeof(buf) - used, "}\n");
	return buf;
}

static const char *const odd_args[] = {
	"add", "-t", "loop",
	"quote\"back\\slash",
	"tab\tnl\ncr\rbell\x01" "del\x7f",
	"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x92\xbe",	/* UTF-8: 2, 3 and 4 bytes */
	"latin1 caf\xe9",				/* not UTF-8 */
	"\xff\xfe",
	"\xc0\xaf",					/* overlong '/' */
	"\xed\xa0\x80",					/* a UTF-16 surrogate */
	"\xf4\x90\x80\x80",				/* above U+10FFFF */
	"cut \xe2\x9c",					/* a sequence cut short */
	"\\u0041 is not unescaped twice",
	"",
};

static void write_odd(const char *file)
{
	struct ublk_dev_opts o = { 0 };

	o.target = "lo\"op\xff";
	o.argc = sizeof(odd_args) / sizeof(odd_args[0]);
	o.argv = (char **)odd_args;
	o.files[0] = file;
	o.nr_files = 1;
	o.recovery = 1;
	ublk_state_write(ID, &o, 42, 0);
}

UNIT_TEST(cmdline_round_trip)
{
	char target[32], home[PATH_MAX], odd_dir[PATH_MAX];
	unsigned int i;

	/* A folder whose name is a quote, a backslash and a byte that is not UTF-8. */
	snprintf(odd_dir, sizeof(odd_dir), "%s/q\"b\\\xfe", run_dir);
	ASSERT_EQ(mkdir(odd_dir, 0755), 0);
	ASSERT_TRUE(getcwd(home, sizeof(home)) != NULL);
	ASSERT_EQ(chdir(odd_dir), 0);
	write_odd("/no/such\xff/file");
	ASSERT_EQ(chdir(home), 0);
	rmdir(odd_dir);

	ASSERT_EQ(ublk_state_get_cmdline(ID, &cl), 0);
	ASSERT_EQ(cl.argc, sizeof(odd_args) / sizeof(odd_args[0]));
	for (i = 0; i < (unsigned int)cl.argc; i++)
		ASSERT_STR_EQ(cl.argv[i], odd_args[i]);
	ASSERT_TRUE(cl.argv[cl.argc] == NULL);
	ASSERT_STR_EQ(cl.cwd, odd_dir);
	ASSERT_EQ(ublk_state_get(ID, "target", target, sizeof(target)), 0);
	ASSERT_STR_EQ(target, "lo\"op\xff");
	ASSERT_EQ(ublk_state_get(ID, "path", target, sizeof(target)), 0);
	ASSERT_STR_EQ(target, "io_uring");
	ASSERT_EQ(ublk_state_get(ID, "object", target, sizeof(target)), 0);
	ASSERT_STR_EQ(target, "");
	ASSERT_EQ(ublk_state_get(ID, "no-such-key", target, sizeof(target)), -ENOENT);
	/* Too long for the caller's buffer: refused, not cut. */
	ASSERT_EQ(ublk_state_get(ID, "target", target, 4), -EINVAL);
}

/* What the file holds: one line of JSON, UTF-8 as text, other bytes as hex. */
UNIT_TEST(file_is_json)
{
	json_error_t err;
	json_t *root, *argv;
	size_t len;
	char *text;

	write_odd("/no/such\xff/file");
	text = get_file(&len);
	ASSERT_TRUE(len > 0 && text[len - 1] == '\n' && !memchr(text, '\n', len - 1));
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	ASSERT_TRUE(root != NULL);
	argv = json_object_get(root, "argv");
	ASSERT_STR_EQ(json_string_value(json_array_get(argv, 3)), "quote\"back\\slash");
	ASSERT_STR_EQ(json_string_value(json_array_get(argv, 5)),
		      "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x92\xbe");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(argv, 6), "hex")),
		      "6c6174696e3120636166e9");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(argv, 7), "hex")),
		      "fffe");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(
		      json_object_get(root, "files"), 0), "hex")),
		      "2f6e6f2f73756368ff2f66696c65");
	ASSERT_EQ(json_integer_value(json_object_get(root, "pid")), 42);
	ASSERT_TRUE(json_is_true(json_object_get(root, "recovery")));
	ASSERT_TRUE(strstr(text, "\"path\":\"io_uring\"") != NULL);
	json_decref(root);
	free(text);
}

/* Files the tool wrote before jansson read the same. */
UNIT_TEST(old_files_read)
{
	put("{\"id\":3,\"target\":\"loop\",\"path\":\"io_uring\",\"object\":\"\",\"pid\":7,"
	    "\"recovery\":true,\"cwd\":\"/tmp/a\\\"b\",\"argv\":[\"add\",\"-t\",\"loop\","
	    "\"--file\",\"x\\u0009y\\\\z\"],\"files\":[\"/tmp/x\"]}\n");
	ASSERT_EQ(ublk_state_get_cmdline(ID, &cl), 0);
	ASSERT_EQ(cl.argc, 5);
	ASSERT_STR_EQ(cl.argv[4], "x\ty\\z");
	ASSERT_STR_EQ(cl.cwd, "/tmp/a\"b");
}

UNIT_TEST(missing_file)
{
	char buf[16];

	ublk_state_remove(ID);
	ASSERT_EQ(ublk_state_get_cmdline(ID, &cl), -ENOENT);
	ASSERT_EQ(ublk_state_get(ID, "target", buf, sizeof(buf)), -ENOENT);
}

/* Every cut of a good file short of its last brace. */
UNIT_TEST(truncated)
{
	size_t len, n;
	char *text;

	write_odd("/f");
	text = get_file(&len);
	for (n = 0; n + 1 < len; n++) {
		put_file(text, n);
		if (ublk_state_get_cmdline(ID, &cl) != -EINVAL) {
			UNIT_FAIL("a cut at %zu of %zu bytes was read", n, len);
			break;
		}
	}
	free(text);
}

UNIT_TEST(not_json)
{
	ASSERT_DAMAGED("");
	ASSERT_DAMAGED("\n");
	ASSERT_DAMAGED("{\"id\":");
	ASSERT_DAMAGED("[1,2]");
	ASSERT_DAMAGED("\"a string\"");
	ASSERT_DAMAGED("null");
	ASSERT_DAMAGED("{\"id\":3,\"target\":\"loop\"} trailing");
	ASSERT_DAMAGED("{'id':3}");
	ASSERT_DAMAGED("{\"id\":3,\"cwd\":\"\\u12\r\n\"}");	/* the reason quotes it */
	put_file("{\"id\":3\0}", 9);			/* a NUL byte */
	ASSERT_EQ(ublk_state_get_cmdline(ID, &cl), -EINVAL);
}

UNIT_TEST(wrong_types)
{
	ASSERT_DAMAGED(with("id", "\"3\""));
	ASSERT_DAMAGED(with("id", "4"));		/* another device's */
	ASSERT_DAMAGED(with("id", "3.0"));
	ASSERT_DAMAGED(with("target", "7"));
	ASSERT_DAMAGED(with("target", "null"));
	ASSERT_DAMAGED(with("path", "\"sideways\""));
	ASSERT_DAMAGED(with("pid", "\"42\""));
	ASSERT_DAMAGED(with("recovery", "\"yes\""));
	ASSERT_DAMAGED(with("cwd", "[\"/\"]"));
	ASSERT_DAMAGED(with("argv", "\"add -t loop\""));
	ASSERT_DAMAGED(with("argv", "[]"));
	ASSERT_DAMAGED(with("argv", "[\"add\",1]"));
	ASSERT_DAMAGED(with("argv", "[\"add\",{\"hex\":\"6\"}]"));	/* odd length */
	ASSERT_DAMAGED(with("argv", "[\"add\",{\"hex\":\"zz\"}]"));
	ASSERT_DAMAGED(with("argv", "[\"add\",{\"hex\":\"4100\"}]"));	/* a NUL */
	ASSERT_DAMAGED(with("argv", "[\"add\",{\"hex\":\"41\",\"more\":1}]"));
	ASSERT_DAMAGED(with("argv", "[\"add\",{\"text\":\"41\"}]"));
	ASSERT_DAMAGED(with("files", "{}"));
	ASSERT_DAMAGED("{\"id\":3}");
	/* The good file itself reads: the cases above fail for their field. */
	put(with("", ""));
	ASSERT_EQ(ublk_state_get_cmdline(ID, &cl), 0);
	ASSERT_EQ(cl.argc, 3);
}

/*
 * made_immutable: which files' flag the tool set, for del after a dead
 * daemon; written, read back, absent in older files, and checked.
 */
UNIT_TEST(made_immutable)
{
	char path[PATH_MAX], id[48], text[1024], *base;
	struct ublk_dev_opts o = { 0 };
	static const char *const args[] = { "load", "x.o", "--file", "/tmp", "--file", "/" };
	unsigned int mask = 7;

	o.target = "bmap";
	o.argc = 6;
	o.argv = (char **)args;
	o.files[0] = "/tmp";
	o.files[1] = "/";
	o.nr_files = 2;
	ASSERT_EQ(ublk_state_write(ID, &o, 42, 2), 0);
	ASSERT_EQ(ublk_state_made_immutable(ID, &mask), 0);
	ASSERT_EQ(mask, 2U);
	ASSERT_EQ(ublk_state_get_file(ID, 1, path, sizeof(path), id, sizeof(id)), 0);
	ASSERT_STR_EQ(path, "/");
	ASSERT_TRUE(strchr(id, ':') != NULL);
	ASSERT_EQ(ublk_state_write(ID, &o, 42, 0), 0);
	ASSERT_EQ(ublk_state_made_immutable(ID, &mask), 0);
	ASSERT_EQ(mask, 0U);
	/* Older files have no such key: nothing to clear. */
	put(with("", ""));
	mask = 7;
	ASSERT_EQ(ublk_state_made_immutable(ID, &mask), 0);
	ASSERT_EQ(mask, 0U);
	/* Indices of files, each once, with an id. */
	base = with("files", "[\"/a\"]");
	snprintf(text, sizeof(text), "%.*s,\"made_immutable\":[0]}", (int)strlen(base) - 2, base);
	put(text);
	ASSERT_EQ(ublk_state_made_immutable(ID, &mask), -EINVAL);	/* no file_ids */
	snprintf(text, sizeof(text), "%.*s,\"file_ids\":[\"1:2\"],\"made_immutable\":[0]}",
		 (int)strlen(base) - 2, base);
	put(text);
	ASSERT_EQ(ublk_state_made_immutable(ID, &mask), 0);
	ASSERT_EQ(mask, 1U);
	ASSERT_EQ(ublk_state_get_file(ID, 0, path, sizeof(path), id, sizeof(id)), 0);
	ASSERT_STR_EQ(id, "1:2");
	ASSERT_EQ(ublk_state_get_file(ID, 1, path, sizeof(path), id, sizeof(id)), -EINVAL);
	{
		static const char *const bad[] = { "[1]", "[0,0]", "[-1]", "[\"0\"]", "{}", "0",
						   "[0.0]" };
		unsigned int i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(text, sizeof(text),
				 "%.*s,\"file_ids\":[\"1:2\"],\"made_immutable\":%s}",
				 (int)strlen(base) - 2, base, bad[i]);
			ASSERT_DAMAGED(text);
		}
	}
}

UNIT_TEST(duplicate_keys)
{
	char text[600];

	snprintf(text, sizeof(text), "%.*s,\"argv\":[\"del\"]}", (int)strlen(with("", "")) - 2,
		 with("", ""));
	ASSERT_DAMAGED(text);
	ASSERT_TRUE(strstr(ublk_state_why(), "duplicate") != NULL);
}

UNIT_TEST(u_escapes)
{
	ASSERT_DAMAGED(with("cwd", "\"\\u"));
	ASSERT_DAMAGED(with("cwd", "\"\\u00"));
	ASSERT_DAMAGED(with("cwd", "\"\\u004\""));
	ASSERT_DAMAGED(with("cwd", "\"\\u00zz\""));
	ASSERT_DAMAGED(with("cwd", "\"\\ud800\""));	/* a lone surrogate */
	ASSERT_DAMAGED(with("cwd", "\"\\u0000\""));	/* a NUL inside */
	ASSERT_DAMAGED(with("cwd", "\"\\x41\""));
	ASSERT_DAMAGED(with("cwd", "\"raw \xff byte\""));	/* not UTF-8 */
	put("{\"id\":3,\"cwd\":\"\\u");			/* the file ends in the escape */
	ASSERT_EQ(ublk_state_get_cmdline(ID, &cl), -EINVAL);
	/* What the old reader took as one byte and four steps: a real character now. */
	put(with("cwd", "\"/\\u00e9\\ud83d\\udcbe\""));
	ASSERT_EQ(ublk_state_get_cmdline(ID, &cl), 0);
	ASSERT_STR_EQ(cl.cwd, "/\xc3\xa9\xf0\x9f\x92\xbe");
}

UNIT_TEST(huge)
{
	size_t big = 2 << 20, i, used;
	char *text = malloc(big + 600);

	/* Valid JSON, but padded past any state file the tool writes. */
	memset(text, ' ', big);
	strcpy(text + big, with("", ""));
	put(text);
	ASSERT_EQ(ublk_state_get_cmdline(ID, &cl), -EINVAL);
	ASSERT_TRUE(strstr(ublk_state_why(), "larger than") != NULL);

	/* More arguments than a command line holds. */
	used = sprintf(text, "[\"add\"");
	for (i = 0; i < UBLK_STATE_MAX_ARGS + 1; i++)
		used += sprintf(text + used, ",\"a\"");
	strcpy(text + used, "]");
	ASSERT_DAMAGED(with("argv", text));

	/* An argument longer than the command line's room. */
	text[0] = '[';
	text[1] = '"';
	memset(text + 2, 'a', sizeof(cl.buf));
	strcpy(text + 2 + sizeof(cl.buf), "\"]");
	ASSERT_DAMAGED(with("argv", text));
	/* A cwd longer than a path. */
	text[0] = '"';
	memset(text + 1, 'a', sizeof(cl.cwd));
	strcpy(text + 1 + sizeof(cl.cwd), "\"");
	ASSERT_DAMAGED(with("cwd", text));
	free(text);
}

/*
 * The run dir is trusted only when it is ours and no one else may write
 * it; files in it are never reached through links, and a planted
 * <id>.json.tmp link does not redirect the write.
 */
UNIT_TEST(run_dir_trust)
{
	char path[PATH_MAX + 32], victim[PATH_MAX + 32], buf[64];
	FILE *f;

	quiet_stderr();
	/* A planted link in place of the temporary file is not followed. */
	snprintf(victim, sizeof(victim), "%s/victim", run_dir);
	f = fopen(victim, "w");
	ASSERT_TRUE(f != NULL);
	fputs("keep", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%d.json.tmp", run_dir, ID);
	ASSERT_EQ(symlink(victim, path), 0);
	write_odd("/x");
	f = fopen(victim, "r");
	ASSERT_TRUE(f && fgets(buf, sizeof(buf), f));
	fclose(f);
	ASSERT_STR_EQ(buf, "keep");
	ASSERT_EQ(ublk_state_get_cmdline(ID, &cl), 0);
	/* A state file that is a link, or another user's, is not ours. */
	snprintf(path, sizeof(path), "%s/%d.json", run_dir, ID);
	ASSERT_EQ(chown(path, 65534, 65534), 0);
	ASSERT_EQ(ublk_state_get_cmdline(ID, &cl), -EINVAL);
	ASSERT_TRUE(strstr(ublk_state_why(), "not this tool's") != NULL);
	ASSERT_EQ(unlink(path), 0);
	ASSERT_EQ(symlink(victim, path), 0);
	ASSERT_EQ(ublk_state_get_cmdline(ID, &cl), -EINVAL);
	ASSERT_EQ(unlink(path), 0);
	/* A folder others may write, or another user's: nothing written. */
	ASSERT_EQ(chmod(run_dir, 0777), 0);
	ASSERT_EQ(ublk_state_dir_fd(false), -EPERM);
	write_odd("/x");
	ASSERT_EQ(access(path, F_OK), -1);
	ASSERT_EQ(chmod(run_dir, 0700), 0);
	ASSERT_EQ(chown(run_dir, 65534, 65534), 0);
	ASSERT_EQ(ublk_state_dir_fd(false), -EPERM);
	ASSERT_EQ(chown(run_dir, getuid(), getgid()), 0);
	write_odd("/x");
	ASSERT_EQ(ublk_state_get_cmdline(ID, &cl), 0);
	unlink(victim);
	unlink(path);
}

static void setup(void)
{
	if (!mkdtemp(run_dir) || ublk_state_set_dir(run_dir)) {
		perror("unit_state: run dir");
		exit(1);
	}
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run_dir);
	if (system(cmd))
		perror("unit_state: rm");
}

int main(void)
{
	static const struct unit_case cases[] = {
		UNIT_CASE(cmdline_round_trip), UNIT_CASE(file_is_json), UNIT_CASE(old_files_read),
		UNIT_CASE(missing_file), UNIT_CASE(truncated), UNIT_CASE(not_json),
		UNIT_CASE(wrong_types), UNIT_CASE(made_immutable), UNIT_CASE(duplicate_keys),
		UNIT_CASE(u_escapes),
		UNIT_CASE(huge), UNIT_CASE(run_dir_trust),
	};
	int ret;

	setup();
	ret = unit_main("state", cases, sizeof(cases) / sizeof(cases[0]));
	teardown();
	return ret;
}
