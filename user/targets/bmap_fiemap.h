/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A file pinned to its blocks, for the bmap target: on ext4 or xfs, made
 * immutable, a lease held against writable opens, mapped with FIEMAP to the
 * block device under its file system, and that device opened O_DIRECT.
 */
#ifndef UBLK_BPF_FIEMAP_H
#define UBLK_BPF_FIEMAP_H

#include <stdbool.h>

#include "ublk_bmap.h"

struct ublk_file_map {
	int file_fd;			/* holds the lease; restores the flags at release */
	int bdev_fd;			/* the block device under the file system */
	bool made_immutable;		/* we set FS_IMMUTABLE_FL, so we clear it */
	unsigned long long size;	/* bytes served: the file's, in whole blocks */
	unsigned int lbs;		/* the block device's logical block size */
	struct ublk_bmap_extent *ext;	/* sorted, no gaps, adjacent ones merged */
	unsigned int nr_ext;
};

/*
 * Maps @path; refuses (one line, negative errno, the file as it was) a file
 * not on ext4 or xfs, an xfs realtime file, an active swap file, a file
 * open for writing anywhere (or, unless @recovering, open at all
 * elsewhere), one with holes, unwritten, shared or otherwise unmappable
 * extents, or more than UBLK_BMAP_MAX_EXTENTS extents.
 */
int ublk_file_map(const char *path, bool recovering, struct ublk_file_map *m);
/* Drops the file's stale page cache, restores its flags, closes both. */
void ublk_file_unmap(struct ublk_file_map *m);
/* The extent holding file offset @pos, NULL past the end. */
const struct ublk_bmap_extent *ublk_file_map_find(const struct ublk_file_map *m,
						   unsigned long long pos);

#endif
