/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bmap target's extent table, shared by its BPF program (bpf/bmap.bpf.c)
 * and its io_uring twin (user/tgt_bmap.c): where each byte range of the
 * backing file lies on the block device under the file system.
 */
#ifndef UBLK_BMAP_H
#define UBLK_BMAP_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Entries of the "extents" map; a power of two for the BPF binary search. */
#define UBLK_BMAP_MAX_EXTENTS	4096
#define UBLK_BMAP_SEARCH_STEPS	12	/* log2(UBLK_BMAP_MAX_EXTENTS) */

/*
 * @len bytes at @file_off in the file are @len bytes at @dev_off on the
 * block device. Sorted by @file_off, no gaps; the entries past the last
 * extent repeat it, so a search over the whole array needs no count.
 */
struct ublk_bmap_extent {
	__u64 file_off;
	__u64 dev_off;
	__u64 len;
};

/* Where the piece of an IO at file offset @pos (inside @e) goes. */
struct ublk_bmap_piece {
	__u64 dev_off;
	__u32 len;
};

/* The piece at @pos, inside extent @e, with @left bytes of the IO left. */
static inline void ublk_bmap_map(const struct ublk_bmap_extent *e, __u64 pos, __u32 left,
				 struct ublk_bmap_piece *p)
{
	__u64 room = e->len - (pos - e->file_off);

	p->dev_off = e->dev_off + (pos - e->file_off);
	p->len = room < left ? (__u32)room : left;
}

/* Does extent @e hold file offset @pos? */
static inline int ublk_bmap_holds(const struct ublk_bmap_extent *e, __u64 pos)
{
	return pos >= e->file_off && pos - e->file_off < e->len;
}

#endif
