// SPDX-License-Identifier: GPL-2.0
/*
 * FIEMAP of a bmap target's file, and what keeps its blocks where FIEMAP
 * saw them while the device serves them.
 *
 * Only ext4 and xfs, whose files sit on the one block device of st_dev
 * (an xfs realtime file, on the realtime device, is refused). The file is
 * made immutable: no new writable open, truncate, unlink or write. That
 * does not reach a writable fd opened before, and ext4's EXT4_IOC_MOVE_EXT
 * moves the blocks of a file it holds open for writing even when the file
 * is immutable. So a read lease is taken next (F_SETLEASE fails while any
 * writable open of the file exists anywhere) and held on the fd the daemon
 * keeps for the device's life; at load a write lease is tried first, which
 * fails while anyone else has the file open at all (another device on the
 * same file, whose end would clear the flag under this one). An opener
 * that passed the permission check before the flag was set breaks the
 * lease: checked once the extents are read, and after that the daemon gets
 * SIGIO and stops the device (dev.c). Then every byte must sit in a plain,
 * written, unshared extent.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "bmap_fiemap.h"
#include "log.h"

#define FIEMAP_BATCH	256

/* Extent flags that say the bytes are not simply at fe_physical. */
#define FIEMAP_UNMAPPABLE (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC | \
			   FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DATA_ENCRYPTED | \
			   FIEMAP_EXTENT_NOT_ALIGNED | FIEMAP_EXTENT_DATA_INLINE | \
			   FIEMAP_EXTENT_DATA_TAIL)

/* A name for the refusal of common file systems other than ext4 and xfs. */
static const char *fs_name(unsigned long type)
{
	switch (type) {
	case EXT4_SUPER_MAGIC:	return "ext4";
	case XFS_SUPER_MAGIC:	return "xfs";
	case BTRFS_SUPER_MAGIC:	return "btrfs";
	case TMPFS_MAGIC:	return "tmpfs";
	case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
	case NFS_SUPER_MAGIC:	return "nfs";
	case F2FS_SUPER_MAGIC:	return "f2fs";
	case V9FS_MAGIC:	return "9p";
	default:		return NULL;
	}
}

/*
 * Refuses a file not on ext4 or xfs, or on xfs's realtime device: FIEMAP
 * would give places on another device than st_dev's, or none at all.
 */
static int check_fs(struct ublk_file_map *m, const char *path)
{
	struct fsxattr fsx;
	struct statfs sfs;
	const char *name;
	int err;

	if (fstatfs(m->file_fd, &sfs) < 0) {
		err = errno;
		ublk_err("bmap: statfs of %s: %s", path, strerror(err));
		return -err;
	}
	if (sfs.f_type != EXT4_SUPER_MAGIC && sfs.f_type != XFS_SUPER_MAGIC) {
		name = fs_name((unsigned long)sfs.f_type);
		if (name)
			ublk_err("bmap: %s is on %s: only files on ext4 or xfs can be served", path,
				 name);
		else
			ublk_err("bmap: %s is on a file system of type 0x%lx: only files on ext4 or xfs can be served",
				 path, (unsigned long)sfs.f_type);
		return -EINVAL;
	}
	if (ioctl(m->file_fd, FS_IOC_FSGETXATTR, &fsx) < 0) {
		err = errno;
		ublk_err("bmap: cannot read the attributes of %s: %s", path, strerror(err));
		return -err;
	}
	if (fsx.fsx_xflags & FS_XFLAG_REALTIME) {
		ublk_err("bmap: %s is a realtime file (on xfs's realtime device, not the one FIEMAP maps onto)",
			 path);
		return -EINVAL;
	}
	return 0;
}

/* Is @st an active swap file (listed in /proc/swaps, octal escapes undone)? */
static bool is_swap(const struct stat *st)
{
	char line[4200], name[4096];
	bool found = false;
	struct stat s;
	unsigned int c;
	size_t i, n;
	FILE *f = fopen("/proc/swaps", "r");

	while (f && !found && fgets(line, sizeof(line), f)) {
		for (i = n = 0; line[i] && line[i] != ' ' && line[i] != '\t' && n + 1 < sizeof(name);
		     i++) {
			if (line[i] == '\\' && sscanf(line + i + 1, "%3o", &c) == 1) {
				name[n++] = (char)c;
				i += 3;
			} else {
				name[n++] = line[i];
			}
		}
		name[n] = '\0';
		found = name[0] == '/' && !stat(name, &s) && s.st_dev == st->st_dev &&
			s.st_ino == st->st_ino;
	}
	if (f)
		fclose(f);
	return found;
}

/* Opens the block device @dev (a file's st_dev) through sysfs's name for it. */
static int open_bdev(const char *path, dev_t dev)
{
	char sys[64], line[128], node[160] = "";
	struct stat st;
	FILE *f;
	int fd;

	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/uevent", major(dev), minor(dev));
	f = fopen(sys, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "DEVNAME=", 8))
			snprintf(node, sizeof(node), "/dev/%.*s", (int)strcspn(line + 8, "\n"),
				 line + 8);
	if (f)
		fclose(f);
	if (!*node) {
		ublk_err("bmap: %s is not on a file system on one block device (device %u:%u)",
			 path, major(dev), minor(dev));
		return -EINVAL;
	}
	fd = open(node, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != dev) {
		ublk_err("bmap: cannot open %s, the block device under %s: %s", node, path,
			 fd < 0 ? strerror(errno) : "not that device");
		if (fd >= 0)
			close(fd);
		return -ENODEV;
	}
	return fd;
}

/* Appends @len bytes at @file_off -> @dev_off, merging with the last extent. */
static int add_extent(struct ublk_file_map *m, const char *path, unsigned long long file_off,
		      unsigned long long dev_off, unsigned long long len)
{
	struct ublk_bmap_extent *last = m->nr_ext ? &m->ext[m->nr_ext - 1] : NULL;

	if (last && last->file_off + last->len == file_off && last->dev_off + last->len == dev_off) {
		last->len += len;
		return 0;
	}
	if (m->nr_ext == UBLK_BMAP_MAX_EXTENTS) {
		ublk_err("bmap: %s has more than %d extents: defragment or rewrite it",
			 path, UBLK_BMAP_MAX_EXTENTS);
		return -E2BIG;
	}
	m->ext[m->nr_ext++] = (struct ublk_bmap_extent){ file_off, dev_off, len };
	return 0;
}

/* Why extent @fe cannot serve the device, or NULL when it can. */
static const char *extent_problem(const struct fiemap_extent *fe, unsigned int lbs)
{
	if (fe->fe_flags & FIEMAP_EXTENT_UNWRITTEN)
		return "is unwritten (fallocated, never written: write the file first, e.g. with dd)";
	if (fe->fe_flags & FIEMAP_EXTENT_SHARED)
		return "is shared with another file (reflink or snapshot)";
	if (fe->fe_flags & FIEMAP_UNMAPPABLE)
		return "is not plain blocks on the device (inline, encrypted, encoded or delayed)";
	if ((fe->fe_logical | fe->fe_physical | fe->fe_length) % lbs)
		return "is not aligned to the device's logical block";
	return NULL;
}

static int map_extents(struct ublk_file_map *m, const char *path)
{
	struct fiemap *fm = calloc(1, sizeof(*fm) + FIEMAP_BATCH * sizeof(struct fiemap_extent));
	unsigned long long next = 0, len;
	const struct fiemap_extent *fe;
	const char *why;
	unsigned int i;
	int ret = 0;

	m->ext = calloc(UBLK_BMAP_MAX_EXTENTS, sizeof(*m->ext));
	if (!fm || !m->ext) {
		free(fm);
		return -ENOMEM;
	}
	while (next < m->size && !ret) {
		memset(fm, 0, sizeof(*fm));
		fm->fm_start = next;
		fm->fm_length = m->size - next;
		fm->fm_flags = FIEMAP_FLAG_SYNC;
		fm->fm_extent_count = FIEMAP_BATCH;
		if (ioctl(m->file_fd, FS_IOC_FIEMAP, fm) < 0) {
			ret = -errno;
			ublk_err("bmap: FIEMAP of %s: %s", path, strerror(errno));
			break;
		}
		for (i = 0; i < fm->fm_mapped_extents && next < m->size && !ret; i++) {
			fe = &fm->fm_extents[i];
			why = extent_problem(fe, m->lbs);
			if (fe->fe_logical != next) {
				ublk_err("bmap: %s has a hole at offset %llu: every block must be written",
					 path, next);
				ret = -EINVAL;
			} else if (why) {
				ublk_err("bmap: %s: the extent at offset %llu %s", path,
					 (unsigned long long)fe->fe_logical, why);
				ret = -EINVAL;
			} else {
				len = fe->fe_length < m->size - next ? fe->fe_length : m->size - next;
				ret = add_extent(m, path, next, fe->fe_physical, len);
				next += fe->fe_length;
			}
		}
		if (!ret && next < m->size && (!fm->fm_mapped_extents ||
		    fm->fm_extents[fm->fm_mapped_extents - 1].fe_flags & FIEMAP_EXTENT_LAST)) {
			ublk_err("bmap: %s has a hole at offset %llu: every block must be written",
				 path, next);
			ret = -EINVAL;
		}
	}
	free(fm);
	return ret;
}

static int set_immutable(struct ublk_file_map *m, const char *path)
{
	int flags;

	if (ioctl(m->file_fd, FS_IOC_GETFLAGS, &flags) < 0) {
		ublk_err("bmap: cannot read the flags of %s: %s", path, strerror(errno));
		return -errno;
	}
	if (flags & FS_IMMUTABLE_FL)
		return 0;
	flags |= FS_IMMUTABLE_FL;
	if (ioctl(m->file_fd, FS_IOC_SETFLAGS, &flags) < 0) {
		ublk_err("bmap: cannot make %s immutable: %s", path, strerror(errno));
		return -errno;
	}
	m->made_immutable = true;
	return 0;
}

/*
 * The read lease that stays while the daemon holds m->file_fd: refused
 * while any writable open of the file exists. At load (not @recovering) a
 * write lease first: refused while anyone else has the file open.
 */
static int take_lease(struct ublk_file_map *m, const char *path, bool recovering)
{
	int err;

	if (fcntl(m->file_fd, F_SETLEASE, F_RDLCK) < 0) {
		err = errno;
		if (err == EAGAIN)
			ublk_err("bmap: %s is open for writing by some process: close it first (its blocks could be moved under the device)",
				 path);
		else
			ublk_err("bmap: cannot take a read lease on %s (fs.leases-enable?): %s", path,
				 strerror(err));
		return err == EAGAIN ? -EBUSY : -err;
	}
	if (recovering)
		return 0;
	if (fcntl(m->file_fd, F_SETLEASE, F_WRLCK) < 0) {
		err = errno;
		if (err == EAGAIN)
			ublk_err("bmap: %s is open elsewhere (another ublk device or a program): close it first",
				 path);
		else
			ublk_err("bmap: cannot take a lease on %s: %s", path, strerror(err));
		return err == EAGAIN ? -EBUSY : -err;
	}
	if (fcntl(m->file_fd, F_SETLEASE, F_RDLCK) < 0) {
		err = errno;
		ublk_err("bmap: cannot take a read lease on %s: %s", path, strerror(err));
		return -err;
	}
	return 0;
}

/* The lease not broken meanwhile: no writable open got past the flag. */
static int lease_held(struct ublk_file_map *m, const char *path)
{
	if (fcntl(m->file_fd, F_GETLEASE) == F_RDLCK)
		return 0;
	ublk_err("bmap: %s was opened for writing while it was being mapped: close that first", path);
	return -EBUSY;
}

int ublk_file_map(const char *path, bool recovering, struct ublk_file_map *m)
{
	struct stat st;
	int bs, ret;

	memset(m, 0, sizeof(*m));
	m->bdev_fd = -1;
	m->file_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->file_fd < 0 || fstat(m->file_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ublk_err("bmap: %s: %s", path, m->file_fd < 0 ? strerror(errno) : "not a regular file");
		ret = -EINVAL;
		goto fail;
	}
	ret = check_fs(m, path);
	if (ret < 0)
		goto fail;
	if (is_swap(&st)) {
		ublk_err("bmap: %s is an active swap file", path);
		ret = -EBUSY;
		goto fail;
	}
	ret = open_bdev(path, st.st_dev);
	if (ret < 0)
		goto fail;
	m->bdev_fd = ret;
	m->lbs = ioctl(m->bdev_fd, BLKSSZGET, &bs) == 0 && bs >= 512 ? (unsigned int)bs : 512;
	m->size = st.st_size - st.st_size % m->lbs;
	if (!m->size) {
		ublk_err("bmap: %s is smaller than one %u-byte block", path, m->lbs);
		ret = -EINVAL;
		goto fail;
	}
	/* The flag first: once it is set, only an opener already past it can break the lease. */
	ret = set_immutable(m, path);
	if (!ret)
		ret = take_lease(m, path, recovering);
	if (!ret)
		ret = map_extents(m, path);
	if (!ret)
		ret = lease_held(m, path);
	if (ret)
		goto fail;
	/* From here the device writes under the page cache: drop what it holds. */
	posix_fadvise(m->file_fd, 0, 0, POSIX_FADV_DONTNEED);
	return 0;
fail:
	ublk_file_unmap(m);
	return ret;
}

void ublk_file_unmap(struct ublk_file_map *m)
{
	int flags;

	if (m->file_fd >= 0) {
		posix_fadvise(m->file_fd, 0, 0, POSIX_FADV_DONTNEED);
		if (m->made_immutable && ioctl(m->file_fd, FS_IOC_GETFLAGS, &flags) == 0) {
			flags &= ~FS_IMMUTABLE_FL;
			if (ioctl(m->file_fd, FS_IOC_SETFLAGS, &flags) < 0)
				ublk_err("bmap: cannot clear the immutable flag again: %s",
					 strerror(errno));
		}
		close(m->file_fd);
	}
	if (m->bdev_fd >= 0)
		close(m->bdev_fd);
	free(m->ext);
	memset(m, 0, sizeof(*m));
	m->file_fd = m->bdev_fd = -1;
}

const struct ublk_bmap_extent *ublk_file_map_find(const struct ublk_file_map *m,
						   unsigned long long pos)
{
	unsigned int lo = 0, hi = m->nr_ext, mid;

	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (m->ext[mid].file_off <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return m->nr_ext && ublk_bmap_holds(&m->ext[lo], pos) ? &m->ext[lo] : NULL;
}
