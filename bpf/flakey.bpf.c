// SPDX-License-Identifier: GPL-2.0
/*
 * Paths: BPF only (no twin: it needs the kfunc-shim; an IO it redirected
 * would fail with -EIO).
 *
 * flakey: backing file 0 as the device (like loop), with faults injected
 * where and when the user says, as dm-flakey and dm-dust do. Two pinned
 * maps, changed live with bpftool while IO runs, take effect on the next IO:
 *
 * - fault_ranges: up to FLAKEY_MAX_RANGES entries {start, end, flags}, in
 *   512-byte sectors, end excluded; an entry with end <= start is unused.
 *   An IO touching a range gets the range's flags.
 * - fault_every: {nth, flags}: with nth > 0, every nth IO that the flags
 *   concern (reads for FLAKEY_FAIL_READS, writes for the write flags) gets
 *   the flags too.
 *
 * Flags: FLAKEY_FAIL_READS (1) fails a read with -EIO; FLAKEY_FAIL_WRITES
 * (2) fails a write, discard or write-zeroes with -EIO, writing nothing;
 * FLAKEY_DROP_WRITES (4) completes it as done without writing (a lost
 * write). How an IO flows: the program looks the IO's sectors up in the
 * ranges (a bounded loop), counts it against fault_every, and then fails
 * it, drops it, or serves it as loop does with one aio at the same offset.
 * fault_stats counts what was injected.
 *
 *   bpftool map update pinned /sys/fs/bpf/ublk/ID/fault_ranges key 0 0 0 0 \
 *       value START(8 bytes, little endian) END(8 bytes) FLAGS(4) 0 0 0 0
 */
#include "ublk_tgt.bpf.h"

#define FLAKEY_MAX_RANGES	16

enum flakey_flags {
	FLAKEY_FAIL_READS	= 1,
	FLAKEY_FAIL_WRITES	= 2,
	FLAKEY_DROP_WRITES	= 4,
};

/* Sectors [start, end) of the device that misbehave as @flags say. */
struct flakey_range {
	__u64 start;
	__u64 end;
	__u32 flags;
	__u32 reserved;
};

/* Every @nth IO concerned by @flags misbehaves as they say; 0: off. */
struct flakey_every {
	__u32 nth;
	__u32 flags;
};

/* What flakey did. */
struct flakey_stats {
	__u64 failed_reads;
	__u64 failed_writes;
	__u64 dropped_writes;
	__u64 every_seen;	/* IOs counted against fault_every */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLAKEY_MAX_RANGES);
	__type(key, __u32);
	__type(value, struct flakey_range);
} fault_ranges SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flakey_every);
} fault_every SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flakey_stats);
} fault_stats SEC(".maps");

/* The flags of every range that sectors [start, end) touch. */
static __always_inline __u32 flakey_range_flags(__u64 start, __u64 end)
{
	struct flakey_range *r;
	__u32 i, key, flags = 0;

	/*
	 * Unrolled: the key's stack slot, passed to the helper, loses the
	 * bounds the verifier needs to see a loop end.
	 */
#pragma clang loop unroll(full)
	for (i = 0; i < FLAKEY_MAX_RANGES; i++) {
		key = i;
		r = bpf_map_lookup_elem(&fault_ranges, &key);
		if (r && r->start < r->end && start < r->end && r->start < end)
			flags |= r->flags;
	}
	return flags;
}

/* The flags fault_every gives this IO (@concerns: the flags it could take). */
static __always_inline __u32 flakey_every_flags(struct flakey_stats *s, __u32 concerns)
{
	__u32 zero = 0, flags;
	struct flakey_every *e = bpf_map_lookup_elem(&fault_every, &zero);
	__u64 n;

	if (!e || !e->nth || !s)
		return 0;
	flags = e->flags & concerns;
	if (!flags)
		return 0;
	n = __sync_fetch_and_add(&s->every_seen, 1) + 1;
	return n % e->nth ? 0 : flags;
}

UBLK_TGT_QUEUE_IO(flakey_queue_io, UBLK_TGT_FLUSH_ALL)
{
	__u32 zero = 0, concerns, flags;
	struct flakey_stats *s = bpf_map_lookup_elem(&fault_stats, &zero);

	concerns = t->op == UBLK_IO_OP_READ ? FLAKEY_FAIL_READS :
		   FLAKEY_FAIL_WRITES | FLAKEY_DROP_WRITES;
	flags = flakey_range_flags(t->iod->start_sector,
				   t->iod->start_sector + t->iod->nr_sectors);
	flags = (flags & concerns) | flakey_every_flags(s, concerns);

	if (flags & (FLAKEY_FAIL_READS | FLAKEY_FAIL_WRITES)) {
		if (s && t->op == UBLK_IO_OP_READ)
			__sync_fetch_and_add(&s->failed_reads, 1);
		else if (s)
			__sync_fetch_and_add(&s->failed_writes, 1);
		return ublk_tgt_fail(-EIO);
	}
	if (flags & FLAKEY_DROP_WRITES) {
		if (s)
			__sync_fetch_and_add(&s->dropped_writes, 1);
		return ublk_bpf_io_continue(t->len);
	}
	return ublk_tgt_serve(t, t->len, 0, t->pos);
}

UBLK_TGT_OPS(flakey_ops, "flakey", flakey_queue_io);
