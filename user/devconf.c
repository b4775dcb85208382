// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devconf.h"
#include "log.h"

#define UBLK_CONF_MAX_BYTES	(64 << 10)

static int ublk_devconf_name_ok(const char *name)
{
	const char *p;

	if (!*name || *name == '.' || strlen(name) > 64)
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

int ublk_devconf_split(struct ublk_devconf *c, char *text)
{
	char *in = text, *out = text, quote;
	bool comment = false;

	c->argc = 0;
	while (*in) {
		/* A backslash ending a line joins it to the next, as in a shell. */
		if (!comment && in[0] == '\\' && in[1] == '\n') {
			in += 2;
			continue;
		}
		/* Blanks, and comments up to the end of their line. */
		if (comment || *in == '#' || *in == ' ' || *in == '\t' || *in == '\n' ||
		    *in == '\r') {
			comment = (comment || *in == '#') && *in != '\n';
			in++;
			continue;
		}
		if (c->argc == UBLK_CONF_MAX_WORDS) {
			ublk_err("%s: more than %d words", c->path, UBLK_CONF_MAX_WORDS);
			return -E2BIG;
		}
		c->argv[c->argc++] = out;
		while (*in && *in != ' ' && *in != '\t' && *in != '\n' && *in != '\r') {
			if (*in != '"' && *in != '\'') {
				*out++ = *in++;
				continue;
			}
			quote = *in++;
			while (*in && *in != quote) {
				if (quote == '"' && *in == '\\' && (in[1] == '"' || in[1] == '\\'))
					in++;
				*out++ = *in++;
			}
			if (!*in) {
				ublk_err("%s: a %c quote is not closed", c->path, quote);
				return -EINVAL;
			}
			in++;
		}
		/* The word's end; @in has moved at least as far as @out. */
		if (*in)
			in++;
		*out++ = '\0';
	}
	c->argv[c->argc] = NULL;
	return 0;
}

int ublk_devconf_read(struct ublk_devconf *c, const char *dir, const char *name)
{
	struct stat st;
	ssize_t n;
	int fd, ret;

	memset(c, 0, sizeof(*c));
	if (!ublk_devconf_name_ok(name)) {
		ublk_err("'%s' is not a device name (letters, digits, '.', '_', '-')", name);
		return -EINVAL;
	}
	snprintf(c->path, sizeof(c->path), "%s/%s.conf", dir, name);
	fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = -errno;
		ublk_err("%s: %s", c->path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > UBLK_CONF_MAX_BYTES) {
		ublk_err("%s: not a regular file of at most %d bytes", c->path, UBLK_CONF_MAX_BYTES);
		close(fd);
		return -EINVAL;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		ublk_err("%s: must be owned by uid %u and writable by no one else (it says what runs as that user)",
			 c->path, (unsigned int)geteuid());
		close(fd);
		return -EPERM;
	}
	c->text = calloc(1, st.st_size + 1);
	if (!c->text) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, c->text, st.st_size);
	close(fd);
	if (n != st.st_size) {
		ublk_err("%s: short read", c->path);
		ublk_devconf_free(c);
		return -EIO;
	}
	if (memchr(c->text, '\0', n)) {
		ublk_err("%s: not a text file", c->path);
		ublk_devconf_free(c);
		return -EINVAL;
	}
	ret = ublk_devconf_split(c, c->text);
	if (!ret && !c->argc) {
		ublk_err("%s: no command line (add ... or load ...)", c->path);
		ret = -EINVAL;
	}
	if (ret)
		ublk_devconf_free(c);
	return ret;
}

void ublk_devconf_free(struct ublk_devconf *c)
{
	free(c->text);
	c->text = NULL;
	c->argc = 0;
}
