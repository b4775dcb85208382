// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	snprintf(buf, len, "%s/%u.json%s", ublk_state_dir(), dev_id, suffix);
}

static void ublk_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

int ublk_state_write(unsigned int dev_id, const struct ublk_dev_opts *opts, int pid)
{
	char tmp[PATH_MAX], path[PATH_MAX], real_cwd[PATH_MAX];
	unsigned int i;
	FILE *f;

	if (mkdir(ublk_state_dir(), 0755) < 0 && errno != EEXIST)
		return -errno;
	ublk_state_path(dev_id, ".tmp", tmp, sizeof(tmp));
	ublk_state_path(dev_id, "", path, sizeof(path));
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "{\"id\":%u,\"target\":", dev_id);
	ublk_json_string(f, opts->target);
	fprintf(f, ",\"path\":\"%s\",\"object\":", !opts->bpf_obj ? "io_uring" :
		opts->tgt->bpf_only ? "bpf-only" : "bpf");
	ublk_json_string(f, opts->bpf_obj ? opts->bpf_obj : "");
	fprintf(f, ",\"pid\":%d,\"recovery\":%s,\"cwd\":", pid,
		opts->recovery ? "true" : "false");
	ublk_json_string(f, getcwd(real_cwd, sizeof(real_cwd)) ? real_cwd : "/");
	fprintf(f, ",\"argv\":[");
	for (i = 0; i < (unsigned int)opts->argc; i++) {
		if (i)
			fputc(',', f);
		ublk_json_string(f, opts->argv[i]);
	}
	fprintf(f, "],\"files\":[");
	for (i = 0; i < opts->nr_files; i++) {
		char real[PATH_MAX];

		if (i)
			fputc(',', f);
		ublk_json_string(f, realpath(opts->files[i], real) ? real : opts->files[i]);
	}
	fprintf(f, "]}\n");
	if (fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return -errno;
	}
	return 0;
}

/* The state file's one line into @line; "" when it is empty. */
static int ublk_state_read(unsigned int dev_id, char *line, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	ublk_state_path(dev_id, "", path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	if (!fgets(line, (int)len, f))
		line[0] = '\0';
	fclose(f);
	return 0;
}

int ublk_state_get(unsigned int dev_id, const char *key, char *buf, size_t len)
{
	char line[4096], pattern[64], *p, *end;

	if (ublk_state_read(dev_id, line, sizeof(line)))
		return -ENOENT;
	snprintf(pattern, sizeof(pattern), "\"%s\":\"", key);
	p = strstr(line, pattern);
	if (!p)
		return -ENOENT;
	p += strlen(pattern);
	end = strchr(p, '"');
	if (!end || (size_t)(end - p) >= len)
		return -ENOENT;
	memcpy(buf, p, end - p);
	buf[end - p] = '\0';
	return 0;
}

/* One JSON string at *@p into @out (at most @len bytes); moves *@p past it. */
static int ublk_json_read_string(const char **p, char *out, size_t len)
{
	const char *s = *p;
	size_t n = 0;
	unsigned int u;

	if (*s++ != '"')
		return -EINVAL;
	for (; *s && *s != '"'; s++) {
		char c = *s;

		if (c == '\\') {
			c = *++s;
			if (c == 'u') {
				if (sscanf(s + 1, "%4x", &u) != 1 || u >= 0x80)
					return -EINVAL;
				c = (char)u;
				s += 4;
			} else if (c != '"' && c != '\\') {
				return -EINVAL;
			}
		}
		if (n + 1 >= len)
			return -E2BIG;
		out[n++] = c;
	}
	if (*s != '"')
		return -EINVAL;
	out[n] = '\0';
	*p = s + 1;
	return 0;
}

int ublk_state_get_cmdline(unsigned int dev_id, struct ublk_state_cmdline *cl)
{
	static char line[sizeof(cl->buf) + PATH_MAX + 1024];
	const char *p;
	size_t used = 0;

	cl->argc = 0;
	if (ublk_state_read(dev_id, line, sizeof(line)))
		return -ENOENT;
	p = strstr(line, "\"cwd\":");
	if (!p)
		return -EINVAL;
	p += strlen("\"cwd\":");
	if (ublk_json_read_string(&p, cl->cwd, sizeof(cl->cwd)) ||
	    strncmp(p, ",\"argv\":[", strlen(",\"argv\":[")))
		return -EINVAL;
	p += strlen(",\"argv\":[");
	while (*p != ']') {
		if (cl->argc == UBLK_STATE_MAX_ARGS ||
		    ublk_json_read_string(&p, cl->buf + used, sizeof(cl->buf) - used))
			return -EINVAL;
		cl->argv[cl->argc++] = cl->buf + used;
		used += strlen(cl->buf + used) + 1;
		if (*p == ',')
			p++;
		else if (*p != ']')
			return -EINVAL;
	}
	cl->argv[cl->argc] = NULL;
	return cl->argc ? 0 : -EINVAL;
}

void ublk_state_remove(unsigned int dev_id)
{
	char path[PATH_MAX];

	ublk_state_path(dev_id, "", path, sizeof(path));
	unlink(path);
}
