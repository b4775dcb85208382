/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel does not keep about a device (its target, its files) is
 * kept in <run dir>/<id>.json while the
 * daemon runs.
 */
#ifndef UBLK_BPF_STATE_H
#define UBLK_BPF_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "ublk.h"

/*
 * The run dir: --run-dir DIR (ublk_state_set_dir()), else
 * $UBLK_BPF_RUN_DIR, else /run/ublk-bpf.
 */
const char *ublk_state_dir(void);
/* Sets --run-dir (NULL: forget it); one line and -EINVAL when unusable. */
int ublk_state_set_dir(const char *dir);
/*
 * The run dir opened (O_NOFOLLOW), and refused in one line unless it is
 * this user's and writable by no one else; @create: made 0700 if missing.
 * A directory fd, or a negative errno.
 */
int ublk_state_dir_fd(bool create);
/*
 * @name in the run dir: never through a symlink; with O_CREAT made anew
 * (0600, O_EXCL after removing any old one); -EPERM unless it is a regular
 * file of this user's that no one else may write. An fd, or -errno.
 */
int ublk_state_openat(const char *name, int flags);
int ublk_state_unlinkat(const char *name);
/*
 * Writes @dev_id's state file; @made_immutable: bit i, the tool set the
 * immutable flag of opts->files[i] (struct ublk_dev's made_immutable).
 */
int ublk_state_write(unsigned int dev_id, const struct ublk_dev_opts *opts, int pid,
		     unsigned int made_immutable);
/*
 * The string @key ("target", "path": bpf, bpf-only (no io_uring twin: what the
 * program redirects fails) or io_uring, "object", "cwd") recorded for
 * @dev_id, into @buf; -ENOENT when there is no state file (or no such
 * key), -EINVAL when the file is damaged or the value does not fit.
 */
int ublk_state_get(unsigned int dev_id, const char *key, char *buf, size_t len);
/*
 * Are @opts' files (and BPF object), as named now, the very files the
 * device was made with (device and inode kept in its state file)? 0, or
 * one line and -ESTALE; -ENOENT/-EINVAL as ublk_state_get().
 */
int ublk_state_check_files(unsigned int dev_id, const struct ublk_dev_opts *opts);
/* The backing files as recorded (real paths), comma-separated into @buf. */
int ublk_state_get_files(unsigned int dev_id, char *buf, size_t len);
/*
 * The files whose immutable flag the tool set for @dev_id, as bits of
 * *@mask (0 when the file says none); -ENOENT/-EINVAL as ublk_state_get().
 */
int ublk_state_made_immutable(unsigned int dev_id, unsigned int *mask);
/*
 * File @i of @dev_id as recorded: its real path into @path, its "DEV:INO"
 * into @id; -ENOENT/-EINVAL as ublk_state_get() for the file itself,
 * -EINVAL when it records no file @i, -ENOENT when no id for it.
 */
int ublk_state_get_file(unsigned int dev_id, unsigned int i, char *path, size_t len,
			char *id, size_t id_len);
void ublk_state_remove(unsigned int dev_id);

#define UBLK_STATE_MAX_ARGS	128

/* The command line a device was made with, and the folder it ran in. */
struct ublk_state_cmdline {
	char cwd[4096];
	char buf[16384];
	char *argv[UBLK_STATE_MAX_ARGS + 1];
	int argc;
};

/*
 * -ENOENT: no state file; -EINVAL: a damaged one (not JSON, a key missing
 * or of the wrong type, no command line, one too long for @cl).
 */
int ublk_state_get_cmdline(unsigned int dev_id, struct ublk_state_cmdline *cl);
/* How the last state file read with -EINVAL was damaged: one line. */
const char *ublk_state_why(void);

#endif
