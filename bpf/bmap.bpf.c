// SPDX-License-Identifier: GPL-2.0
/*
 * Paths: BPF and io_uring (twin: user/targets/bmap.c, which maps the file
 * and fills the extents map with its bpf_setup hook).
 *
 * bmap: a loop device without the file system in the IO path. The device
 * is a preallocated file; `ublk-bpf load` asks the file system where the
 * file's blocks lie (FIEMAP, user/targets/bmap_fiemap.c), puts those
 * extents in the "extents" map, and registers the block device under the
 * file system as backing file 0 (opened O_DIRECT). Each IO is then mapped
 * here, extent by extent, to aios on that block device: no page cache, no
 * extent tree walk, no journal, no inode lock per IO.
 *
 * It is only right while the file's blocks stay where FIEMAP saw them, so
 * the loader (user/targets/bmap_fiemap.c) takes only ext4 and xfs files
 * (no realtime, no swap file), refuses holes, unwritten (fallocated, never
 * written) and shared (reflinked) extents, marks the file immutable
 * (FS_IMMUTABLE_FL: no new writable open, truncate, unlink or write) and
 * holds a read lease on it while the device lives, which refuses the load
 * while anyone has the file open for writing (such an fd could still run
 * EXT4_IOC_MOVE_EXT) and stops the device should a writer get in later.
 * `del` restores the flag. Not guarded: xfs lets the immutable file be
 * the source of a reflink, whose copy then shares the blocks this writes
 * in place; and whoever clears the flag and moves blocks with no lease
 * held (the daemon killed) moves them under the device. That is the
 * contract, as with swap files; usage.md says so.
 *
 * Lookup: a binary search over the whole array (entries past the last
 * extent repeat it), UBLK_BMAP_SEARCH_STEPS array lookups. Each call serves
 * the piece of the IO up to the end of its extent and returns CONTINUE with
 * its length, as stripe does. Read, write (FUA kept) and flush (an
 * fdatasync of the block device); no discard: the device does not offer it.
 */
#include "ublk_tgt.bpf.h"
#include "ublk_bmap.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UBLK_BMAP_MAX_EXTENTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ublk_bmap_extent);
} extents SEC(".maps");

static __always_inline const struct ublk_bmap_extent *bmap_find(__u64 pos)
{
	__u32 lo = 0, step = UBLK_BMAP_MAX_EXTENTS / 2, idx;
	const struct ublk_bmap_extent *e;
	int i;

	for (i = 0; i < UBLK_BMAP_SEARCH_STEPS; i++) {
		idx = lo + step;
		e = bpf_map_lookup_elem(&extents, &idx);
		if (e && e->file_off <= pos)
			lo = idx;
		step >>= 1;
	}
	e = bpf_map_lookup_elem(&extents, &lo);
	return e && ublk_bmap_holds(e, pos) ? e : NULL;
}

UBLK_TGT_QUEUE_IO(bmap_queue_io, UBLK_TGT_FLUSH_ALL | UBLK_TGT_RW_ONLY | UBLK_TGT_PIECES)
{
	const struct ublk_bmap_extent *e = bmap_find(t->pos);
	struct ublk_bmap_piece p;

	if (!e)
		return ublk_tgt_fail(-EIO);
	ublk_bmap_map(e, t->pos, t->len - t->off, &p);
	return ublk_tgt_serve(t, p.len, 0, p.dev_off);
}

UBLK_TGT_OPS(bmap_ops, "bmap", bmap_queue_io);
