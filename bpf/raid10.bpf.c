// SPDX-License-Identifier: GPL-2.0
/*
 * Paths: BPF and io_uring (twin: user/targets/raid10.c, which fills
 * config.chunk_shift and serves every IO without the kfunc-shim).
 *
 * raid10: chunks of 2^chunk_shift bytes striped over nr_files / 2 mirror
 * sets of two legs (files 0,1 are set 0, files 2,3 set 1, ...); the layout
 * is ublk_raid10_map() and friends, shared with the io_uring twin.
 *
 * How an IO flows: like stripe, each call serves the piece of the IO that
 * ends at the next chunk boundary and returns CONTINUE with its length; the
 * module calls again for the rest and ends the IO when every aio is done.
 * A write, discard or write-zeroes piece becomes one aio per leg of its set
 * (a failing leg fails the IO), a flush an fdatasync of every file. A read
 * piece becomes one aio on the leg ublk_raid10_read_leg() picks from the
 * row, so reads spread over both legs. When a read aio fails,
 * raid10_aio_complete() submits the same slice again on the twin leg and
 * answers HANDLED, so the IO does not fail; only when the twin fails too
 * does the IO fail. Failed aios are counted per leg in the pinned leg_stats
 * map (and in stats.aio_errors).
 */
#define UBLK_TGT_OWN_AIO_COMPLETE
#include "ublk_tgt.bpf.h"

/* Counters of one backing file (a leg), by file index in leg_stats. */
struct raid10_leg_stats {
	__u64 read_errors;	/* reads of this leg that failed */
	__u64 write_errors;	/* writes, discards, flushes that failed */
	__u64 reads_taken_over;	/* failed reads of its twin this leg served */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UBLK_RAID10_MAX_FILES);
	__type(key, __u32);
	__type(value, struct raid10_leg_stats);
} leg_stats SEC(".maps");

static __always_inline struct raid10_leg_stats *raid10_leg(__u32 file)
{
	return bpf_map_lookup_elem(&leg_stats, &file);
}

UBLK_TGT_QUEUE_IO(raid10_queue_io, UBLK_TGT_FLUSH_ALL | UBLK_TGT_PIECES)
{
	__u32 nr_sets = config.nr_files / UBLK_RAID10_LEGS, leg;
	struct ublk_raid10_piece p;

	if (!nr_sets)
		return ublk_tgt_fail(-EINVAL);
	ublk_raid10_map(t->pos, t->len - t->off, config.chunk_shift, nr_sets, &p);
	if (t->op != UBLK_IO_OP_READ)
		return ublk_tgt_serve_copies(t, p.len, ublk_raid10_file(p.set, 0, UBLK_RAID10_LEGS),
					     UBLK_RAID10_LEGS, p.file_off);
	leg = ublk_raid10_read_leg(p.file_off, config.chunk_shift, UBLK_RAID10_LEGS);
	return ublk_tgt_serve(t, p.len, ublk_raid10_file(p.set, leg, UBLK_RAID10_LEGS),
			      p.file_off);
}

/* A failed leg is counted; a failed read is tried again on its twin. */
int UBLK_BPF_OPS_PROG(raid10_aio_complete, struct ublk_bpf_io *io,
		      struct ublk_bpf_aio *aio, int res)
{
	__u32 file = aio->file_idx, twin;
	struct raid10_leg_stats *ls;
	int is_read = (aio->op & UBLK_BPF_AIO_OP_MASK) == UBLK_BPF_AIO_OP_READ;

	if (res >= 0)
		return 0;
	ublk_tgt_count(aio_errors, 1);
	ls = raid10_leg(file);
	if (ls && is_read)
		__sync_fetch_and_add(&ls->read_errors, 1);
	else if (ls)
		__sync_fetch_and_add(&ls->write_errors, 1);
	if (!is_read)
		return 0;
	twin = ublk_raid10_next_leg(file, aio->pos, config.chunk_shift, UBLK_RAID10_LEGS);
	if (twin >= config.nr_files)
		return 0;
	if (ublk_tgt_submit(io, UBLK_BPF_AIO_OP_READ, aio->off, aio->len, twin, aio->pos))
		return 0;
	ls = raid10_leg(twin);
	if (ls)
		__sync_fetch_and_add(&ls->reads_taken_over, 1);
	return UBLK_BPF_AIO_HANDLED;
}

UBLK_TGT_OPS_AIO(raid10_ops, "raid10", raid10_queue_io, raid10_aio_complete);
