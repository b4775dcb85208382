/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A persistent device's configuration: /etc/ublk-bpf/NAME.conf holds the
 * add or load command line that makes it (with a fixed -n ID), '#' starts
 * a comment, lines are joined (a backslash ending a line is dropped). Words split at blanks; "..." or '...'
 * keep blanks, and in "..." a backslash escapes " and \.
 */
#ifndef UBLK_BPF_DEVCONF_H
#define UBLK_BPF_DEVCONF_H

#define UBLK_CONF_DIR		"/etc/ublk-bpf"
#define UBLK_CONF_MAX_WORDS	128

struct ublk_devconf {
	char path[4096];
	char *text;			/* the words, each NUL-ended, in one buffer */
	int argc;
	char *argv[UBLK_CONF_MAX_WORDS + 1];
};

/*
 * Reads @dir/@name.conf into @c. @name is letters, digits, '.', '_', '-'.
 * The file must be root's and writable by no one else: it says what runs
 * as root. One line and a negative errno on any fault.
 */
int ublk_devconf_read(struct ublk_devconf *c, const char *dir, const char *name);
/* Splits @text in place into @c->argv; -EINVAL (said) on a bad quote. */
int ublk_devconf_split(struct ublk_devconf *c, char *text);
void ublk_devconf_free(struct ublk_devconf *c);

#endif
