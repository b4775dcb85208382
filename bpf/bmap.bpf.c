// SPDX-License-Identifier: GPL-2.0
/*
 * bmap: a loop device without the file system in the IO path. The device
 * is a preallocated file; `ublk-bpf load` asks the file system where the
 * file's blocks lie (FIEMAP, user/fiemap.c), puts those extents in the
 * "extents" map, and registers the block device under the file system as
 * backing file 0 (opened O_DIRECT). Each IO is then mapped here, extent by
 * extent, to aios on that block device: no page cache, no extent tree walk,
 * no journal, no inode lock per IO.
 *
 * It is only right while the file's blocks stay where FIEMAP saw them, so
 * the loader refuses files with holes, unwritten (fallocated, never
 * written) or shared (reflinked) extents, and marks the file immutable
 * (FS_IMMUTABLE_FL) while the device lives: truncate, unlink, writes through
 * the file system, defragmentation (EXT4_IOC_MOVE_EXT) and reflink all
 * refuse an immutable file. `del` restores the flag. Someone who clears the
 * flag and truncates or defragments anyway moves blocks under the device:
 * its IO then reads and writes blocks the file system may have given to
 * another file or to its own metadata. That is the contract, as with swap
 * files; the README says so.
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

int UBLK_BPF_OPS_PROG(bmap_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	const struct ublksrv_io_desc *iod = ublk_bpf_get_iod(io);
	__u32 len = iod->nr_sectors << 9;
	const struct ublk_bmap_extent *e;
	struct ublk_bmap_piece p;
	int op = ublk_tgt_aio_op(iod), ret;
	__u64 pos;

	if (off == 0)
		ublk_tgt_begin(io, iod);
	if (op < 0)
		return ublk_tgt_fail(op);
	switch (ublk_tgt_op(iod)) {
	case UBLK_IO_OP_FLUSH:
		return ublk_tgt_flush_all(io);
	case UBLK_IO_OP_READ:
	case UBLK_IO_OP_WRITE:
		break;
	default:
		return ublk_tgt_fail(-EOPNOTSUPP);
	}
	if (off >= len)
		return ublk_tgt_fail(-EINVAL);
	pos = (iod->start_sector << 9) + off;
	e = bmap_find(pos);
	if (!e)
		return ublk_tgt_fail(-EIO);
	ublk_bmap_map(e, pos, len - off, &p);
	ret = ublk_tgt_submit(io, op, off, p.len, 0, p.dev_off);
	if (ret)
		return ublk_tgt_fail(ret);
	return ublk_bpf_io_continue(p.len);
}

UBLK_TGT_OPS(bmap_ops, "bmap", bmap_queue_io);
