// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "state.h"

/* --run-dir, made absolute (the daemon leaves its folder); "": not given. */
static char ublk_run_dir_opt[PATH_MAX - 32];

int ublk_state_set_dir(const char *dir)
{
	struct stat st;
	int n;

	if (!dir) {
		ublk_run_dir_opt[0] = '\0';
		return 0;
	}
	if (!*dir) {
		ublk_err("--run-dir needs a folder, got ''");
		return -EINVAL;
	}
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		ublk_err("--run-dir %s is not a folder", dir);
		return -EINVAL;
	}
	if (*dir == '/') {
		n = snprintf(ublk_run_dir_opt, sizeof(ublk_run_dir_opt), "%s", dir);
	} else {
		char cwd[PATH_MAX];

		n = getcwd(cwd, sizeof(cwd)) ?
		    snprintf(ublk_run_dir_opt, sizeof(ublk_run_dir_opt), "%s/%s", cwd, dir) : -1;
	}
	if (n < 0 || (size_t)n >= sizeof(ublk_run_dir_opt)) {
		ublk_run_dir_opt[0] = '\0';
		ublk_err("--run-dir %s: path too long", dir);
		return -EINVAL;
	}
	return 0;
}

/* --run-dir wins over $UBLK_BPF_RUN_DIR, which wins over the default. */
const char *ublk_state_dir(void)
{
	const char *dir = getenv("UBLK_BPF_RUN_DIR");

	if (ublk_run_dir_opt[0])
		return ublk_run_dir_opt;
	return dir && *dir ? dir : "/run/ublk-bpf";
}

static void ublk_state_path(unsigned int dev_id, const char *suffix, char *buf,
			    size_t len)
{
	snprintf(buf, len, "%u.json%s", dev_id, suffix);
}

/*
 * Is @st ours to trust: owned by this user and writable by no one else?
 * What the run dir holds is run again as root by recover, so a folder or
 * file another user could write is refused (sshd's StrictModes).
 */
static bool ublk_state_trusted(const struct stat *st)
{
	return st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

int ublk_state_dir_fd(bool create)
{
	const char *dir = ublk_state_dir();
	struct stat st;
	int fd, err;

	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		ublk_err("cannot create the run dir %s: %s", dir, strerror(errno));
		return err;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !ublk_state_trusted(&st)) {
		ublk_err("the run dir %s is owned by uid %u with mode %04o: it must be uid %u's and writable by no one else",
			 dir, (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777),
			 (unsigned int)geteuid());
		close(fd);
		return -EPERM;
	}
	return fd;
}

int ublk_state_openat(const char *name, int flags)
{
	int dfd = ublk_state_dir_fd(flags & O_CREAT), fd, err;
	struct stat st;

	if (dfd < 0)
		return dfd;
	/* A new file is made anew: never an old one, nor through a link. */
	if (flags & O_CREAT) {
		unlinkat(dfd, name, 0);
		flags |= O_EXCL;
	}
	fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	err = -errno;
	close(dfd);
	if (fd < 0)
		return err;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !ublk_state_trusted(&st)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

int ublk_state_unlinkat(const char *name)
{
	int dfd = ublk_state_dir_fd(false), ret;

	if (dfd < 0)
		return dfd;
	ret = unlinkat(dfd, name, 0) ? -errno : 0;
	close(dfd);
	return ret;
}

/* Why the last read called a state file damaged, for ublk_state_why(). */
static char ublk_state_damage[160];

static int ublk_state_damaged(const char *fmt, ...)
{
	va_list ap;
	char *c;

	va_start(ap, fmt);
	vsnprintf(ublk_state_damage, sizeof(ublk_state_damage), fmt, ap);
	va_end(ap);
	/* It quotes the file (jansson's "near '...'"): kept to one line. */
	for (c = ublk_state_damage; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	return -EINVAL;
}

const char *ublk_state_why(void)
{
	return ublk_state_damage;
}

/*
 * @s exactly. jansson takes UTF-8 only, and a path or an argument is any
 * bytes: what is not UTF-8 is kept as {"hex":"<its bytes>"}, which no
 * string can be mistaken for, so recover gets back the very bytes.
 */
static json_t *ublk_state_bytes(const char *s)
{
	json_t *v = json_stringn(s, strlen(s));

	return v ? v : json_pack("{s:o}", "hex", ublk_json_hex(s, strlen(s), ""));
}

/* A value ublk_state_bytes() made, into @buf of @len bytes; 0 or -EINVAL. */
static int ublk_state_unbytes(json_t *v, const char *what, char *buf, size_t len)
{
	const char *s = json_string_value(v), *hex;
	size_t n, i;

	if (s) {
		n = json_string_length(v);
		if (n >= len)
			return ublk_state_damaged("%s longer than %zu bytes", what, len - 1);
		memcpy(buf, s, n + 1);
		return 0;
	}
	if (json_unpack(v, "{s:s!}", "hex", &hex))
		return ublk_state_damaged("%s is neither a string nor {\"hex\":...}", what);
	n = strlen(hex);
	if (n % 2 || n / 2 >= len)
		return ublk_state_damaged("%s: hex of odd length or longer than %zu bytes", what,
					  len - 1);
	for (i = 0; i < n / 2; i++) {
		unsigned int byte;

		if (!isxdigit((unsigned char)hex[2 * i]) || !isxdigit((unsigned char)hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &byte) != 1 || !byte)
			return ublk_state_damaged("%s: not hex of bytes without NUL", what);
		buf[i] = (char)byte;
	}
	buf[n / 2] = '\0';
	return 0;
}

/* Appends @s to *@a; on failure drops the array: *@a NULL. */
static void ublk_state_append(json_t **a, const char *s)
{
	if (*a && json_array_append_new(*a, ublk_state_bytes(s))) {
		json_decref(*a);
		*a = NULL;
	}
}

/* "DEV:INO" of @path, or "" when it cannot be stat'ed. */
static json_t *ublk_state_file_id(const char *path)
{
	char id[48] = "";
	struct stat st;

	if (path && !stat(path, &st))
		snprintf(id, sizeof(id), "%llu:%llu", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
	return json_string(id);
}

/* The ids of @opts' files, then of its BPF object. */
static json_t *ublk_state_file_ids(const struct ublk_dev_opts *opts)
{
	json_t *ids = json_array();
	unsigned int i;

	for (i = 0; ids && i < opts->nr_files; i++)
		json_array_append_new(ids, ublk_state_file_id(opts->files[i]));
	if (ids && opts->bpf_obj)
		json_array_append_new(ids, ublk_state_file_id(opts->bpf_obj));
	return ids;
}

/* The indices of the files whose immutable flag the tool set (bits of @mask). */
static json_t *ublk_state_immutable(unsigned int mask, unsigned int nr_files)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a && i < nr_files; i++)
		if (mask & (1U << i))
			json_array_append_new(a, json_integer(i));
	return a;
}

int ublk_state_write(unsigned int dev_id, const struct ublk_dev_opts *opts, int pid,
		     unsigned int made_immutable)
{
	char tmp[PATH_MAX], path[PATH_MAX], cwd[PATH_MAX], real[PATH_MAX];
	json_t *root, *argv = json_array(), *files = json_array();
	unsigned int i;
	int ret = 0, fd, dfd;
	FILE *f;

	for (i = 0; i < (unsigned int)opts->argc; i++)
		ublk_state_append(&argv, opts->argv[i]);
	for (i = 0; i < opts->nr_files; i++)
		ublk_state_append(&files, realpath(opts->files[i], real) ? real : opts->files[i]);
	root = json_pack("{s:I,s:o,s:s,s:o,s:i,s:b,s:o,s:o,s:o}",
			 "id", (json_int_t)dev_id,
			 "target", ublk_state_bytes(opts->target ? opts->target : ""),
			 "path", !opts->bpf_obj ? "io_uring" : opts->tgt->bpf_only ? "bpf-only" : "bpf",
			 "object", ublk_state_bytes(opts->bpf_obj ? opts->bpf_obj : ""),
			 "pid", pid,
			 "recovery", opts->recovery != 0,
			 "cwd", ublk_state_bytes(getcwd(cwd, sizeof(cwd)) ? cwd : "/"),
			 "argv", argv, "files", files);
	if (!root)
		return -ENOMEM;
	/*
	 * Which files these are (device and inode): recover serves the same
	 * ones or none, whatever their names point at by then.
	 */
	json_object_set_new(root, "file_ids", ublk_state_file_ids(opts));
	/* Whose immutable flag is the tool's to clear: del clears it after a dead daemon. */
	json_object_set_new(root, "made_immutable",
			    ublk_state_immutable(made_immutable, opts->nr_files));
	/* Why a BPF target is on the io_uring path: list says it. */
	if (opts->fallback)
		json_object_set_new(root, "fallback", json_string(opts->fallback));
	/* Written aside, then renamed: a reader sees the old file or the new, whole. */
	ublk_state_path(dev_id, ".tmp", tmp, sizeof(tmp));
	ublk_state_path(dev_id, "", path, sizeof(path));
	fd = ublk_state_openat(tmp, O_WRONLY | O_CREAT);
	dfd = fd < 0 ? fd : ublk_state_dir_fd(false);
	f = dfd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		ret = fd < 0 ? fd : dfd < 0 ? dfd : -errno;
		if (fd >= 0)
			close(fd);
		if (dfd >= 0)
			close(dfd);
		json_decref(root);
		return ret;
	}
	if (json_dumpf(root, f, JSON_COMPACT) || fputc('\n', f) == EOF)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && renameat(dfd, tmp, dfd, path))
		ret = -errno;
	if (ret)
		unlinkat(dfd, tmp, 0);
	close(dfd);
	json_decref(root);
	return ret;
}

/* A state file is a few KiB at most: anything bigger is not ours. */
#define UBLK_STATE_MAX_BYTES	(1 << 20)

struct ublk_state_reader {
	FILE *f;
	size_t total;
	bool too_big;
};

static size_t ublk_state_read_some(void *buf, size_t len, void *data)
{
	struct ublk_state_reader *r = data;
	size_t n = fread(buf, 1, len, r->f);

	r->total += n;
	if (r->total > UBLK_STATE_MAX_BYTES) {
		r->too_big = true;
		return (size_t)-1;
	}
	return n ? n : ferror(r->f) ? (size_t)-1 : 0;
}

/* @root's command line into @cl; 0 or -EINVAL. */
static int ublk_state_cmdline(json_t *root, struct ublk_state_cmdline *cl)
{
	json_t *argv = json_object_get(root, "argv");
	size_t i, used = 0;
	int ret;

	ret = ublk_state_unbytes(json_object_get(root, "cwd"), "cwd", cl->cwd, sizeof(cl->cwd));
	if (ret)
		return ret;
	if (!json_array_size(argv))
		return ublk_state_damaged("no command line");
	if (json_array_size(argv) > UBLK_STATE_MAX_ARGS)
		return ublk_state_damaged("more than %d arguments", UBLK_STATE_MAX_ARGS);
	for (i = 0; i < json_array_size(argv); i++) {
		ret = ublk_state_unbytes(json_array_get(argv, i), "argv", cl->buf + used,
					 sizeof(cl->buf) - used);
		if (ret)
			return ret;
		cl->argv[i] = cl->buf + used;
		used += strlen(cl->buf + used) + 1;
	}
	cl->argv[i] = NULL;
	cl->argc = (int)i;
	return 0;
}

/*
 * Every key ublk_state_write() writes, of its type (more keys are let be);
 * the command line into @cl. 0 or -EINVAL: one damaged file is damaged
 * for every reader, whichever key it wants.
 */
static int ublk_state_check(json_t *root, unsigned int dev_id, struct ublk_state_cmdline *cl)
{
	json_t *target, *object, *cwd, *argv, *files, *v;
	int pid, recovery, ret;
	const char *path_kind;
	char scratch[PATH_MAX];
	json_error_t je;
	json_int_t id;
	size_t i;

	if (json_unpack_ex(root, &je, 0, "{s:I,s:o,s:s,s:o,s:i,s:b,s:o,s:o,s:o}",
			   "id", &id, "target", &target, "path", &path_kind, "object", &object,
			   "pid", &pid, "recovery", &recovery, "cwd", &cwd, "argv", &argv,
			   "files", &files))
		return ublk_state_damaged("%s", je.text);
	if (id != dev_id)
		return ublk_state_damaged("it is device %lld's", (long long)id);
	if (strcmp(path_kind, "io_uring") && strcmp(path_kind, "bpf") &&
	    strcmp(path_kind, "bpf-only"))
		return ublk_state_damaged("unknown path '%s'", path_kind);
	if (!json_is_array(files))
		return ublk_state_damaged("files is not an array");
	json_array_foreach(files, i, v) {
		ret = ublk_state_unbytes(v, "files", scratch, sizeof(scratch));
		if (ret)
			return ret;
	}
	/* Optional (older files lack it): indices into files, each once. */
	v = json_object_get(root, "made_immutable");
	if (v) {
		json_t *x, *ids = json_object_get(root, "file_ids");
		unsigned int seen = 0;
		json_int_t n;

		if (!json_is_array(v))
			return ublk_state_damaged("made_immutable is not an array");
		json_array_foreach(v, i, x) {
			n = json_is_integer(x) ? json_integer_value(x) : -1;
			if (n < 0 || (size_t)n >= json_array_size(files) || n >= UBLK_MAX_FILES ||
			    seen & (1U << n))
				return ublk_state_damaged("made_immutable: not an index of files, once");
			seen |= 1U << n;
			if (!json_is_string(json_array_get(ids, (size_t)n)))
				return ublk_state_damaged("made_immutable: file %lld has no id",
							  (long long)n);
		}
	}
	ret = ublk_state_unbytes(target, "target", scratch, sizeof(scratch));
	if (!ret)
		ret = ublk_state_unbytes(object, "object", scratch, sizeof(scratch));
	return ret ? ret : ublk_state_cmdline(root, cl);
}

/*
 * @dev_id's state file, parsed and checked, its command line in @cl. NULL
 * with *@err -ENOENT (no file) or -EINVAL (damaged: ublk_state_why()).
 */
static json_t *ublk_state_load(unsigned int dev_id, struct ublk_state_cmdline *cl, int *err)
{
	struct ublk_state_reader r = { 0 };
	char path[PATH_MAX];
	json_error_t je;
	json_t *root;
	int fd;

	cl->argc = 0;
	cl->argv[0] = NULL;
	ublk_state_path(dev_id, "", path, sizeof(path));
	fd = ublk_state_openat(path, O_RDONLY);
	if (fd == -EPERM || fd == -ELOOP) {
		*err = ublk_state_damaged("not this tool's: it must be uid %u's, writable by no one else, and no link",
					  (unsigned int)geteuid());
		return NULL;
	}
	r.f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!r.f) {
		if (fd >= 0)
			close(fd);
		*err = -ENOENT;
		return NULL;
	}
	root = json_load_callback(ublk_state_read_some, &r, JSON_REJECT_DUPLICATES, &je);
	fclose(r.f);
	if (!root) {
		if (r.too_big)
			*err = ublk_state_damaged("larger than %d bytes", UBLK_STATE_MAX_BYTES);
		else
			*err = ublk_state_damaged("line %d column %d: %s", je.line, je.column, je.text);
		return NULL;
	}
	*err = ublk_state_check(root, dev_id, cl);
	if (*err) {
		cl->argc = 0;
		cl->argv[0] = NULL;
		json_decref(root);
		return NULL;
	}
	return root;
}

int ublk_state_get(unsigned int dev_id, const char *key, char *buf, size_t len)
{
	static struct ublk_state_cmdline scratch;
	json_t *root, *v;
	int ret;

	root = ublk_state_load(dev_id, &scratch, &ret);
	if (!root)
		return ret;
	v = json_object_get(root, key);
	ret = v ? ublk_state_unbytes(v, key, buf, len) : -ENOENT;
	json_decref(root);
	return ret;
}

int ublk_state_get_files(unsigned int dev_id, char *buf, size_t len)
{
	static struct ublk_state_cmdline scratch;
	char one[PATH_MAX];
	size_t used = 0, n;
	json_t *root, *v;
	size_t i;
	int ret;

	root = ublk_state_load(dev_id, &scratch, &ret);
	if (!root)
		return ret;
	buf[0] = '\0';
	json_array_foreach(json_object_get(root, "files"), i, v) {
		ret = ublk_state_unbytes(v, "files", one, sizeof(one));
		if (ret)
			break;
		n = strlen(one);
		if (used + n + 2 > len) {
			ret = -ENAMETOOLONG;
			break;
		}
		used += sprintf(buf + used, "%s%s", i ? "," : "", one);
	}
	json_decref(root);
	return ret;
}

int ublk_state_get_cmdline(unsigned int dev_id, struct ublk_state_cmdline *cl)
{
	int ret;

	json_decref(ublk_state_load(dev_id, cl, &ret));
	return ret;
}

int ublk_state_made_immutable(unsigned int dev_id, unsigned int *mask)
{
	static struct ublk_state_cmdline scratch;
	json_t *root, *v;
	size_t i;
	int ret;

	*mask = 0;
	root = ublk_state_load(dev_id, &scratch, &ret);
	if (!root)
		return ret;
	/* ublk_state_check() made sure of the indices. */
	json_array_foreach(json_object_get(root, "made_immutable"), i, v)
		*mask |= 1U << json_integer_value(v);
	json_decref(root);
	return 0;
}

int ublk_state_get_file(unsigned int dev_id, unsigned int i, char *path, size_t len,
			char *id, size_t id_len)
{
	static struct ublk_state_cmdline scratch;
	const char *s;
	json_t *root;
	int ret;

	root = ublk_state_load(dev_id, &scratch, &ret);
	if (!root)
		return ret;
	ret = ublk_state_unbytes(json_array_get(json_object_get(root, "files"), i), "files", path,
				 len);
	s = json_string_value(json_array_get(json_object_get(root, "file_ids"), i));
	if (!ret && (!s || strlen(s) >= id_len))
		ret = -ENOENT;
	if (!ret)
		strcpy(id, s);
	json_decref(root);
	return ret;
}

void ublk_state_remove(unsigned int dev_id)
{
	char path[PATH_MAX];

	ublk_state_path(dev_id, "", path, sizeof(path));
	ublk_state_unlinkat(path);
}

int ublk_state_check_files(unsigned int dev_id, const struct ublk_dev_opts *opts)
{
	static struct ublk_state_cmdline scratch;
	json_t *root, *was, *now;
	unsigned int i, n;
	int ret;

	root = ublk_state_load(dev_id, &scratch, &ret);
	if (!root)
		return ret;
	was = json_object_get(root, "file_ids");
	now = ublk_state_file_ids(opts);
	n = opts->nr_files + (opts->bpf_obj ? 1 : 0);
	ret = 0;
	for (i = 0; i < n && !ret; i++) {
		const char *a = json_string_value(json_array_get(was, i));
		const char *b = json_string_value(json_array_get(now, i));
		const char *name = i < opts->nr_files ? opts->files[i] : opts->bpf_obj;

		if (!a || !b || !*b || strcmp(a, b)) {
			ublk_err("device %u: %s is not the file it was made with (moved, replaced or gone): not recovered",
				 dev_id, name);
			ret = -ESTALE;
		}
	}
	json_decref(now);
	json_decref(root);
	return ret;
}
