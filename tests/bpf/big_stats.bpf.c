// SPDX-License-Identifier: GPL-2.0
/*
 * A null-like target whose own `stats` map is nothing like ublk-bpf's: a
 * per-CPU value much larger than struct ublk_tgt_stats, with nested
 * structs, a bitfield, an enum, a bool and a string; beside it a hash map
 * keyed by op and a ring buffer (which `stats` cannot read and says so).
 * `ublk-bpf stats` must print all of it by field name, summed over CPUs.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "ublk_bpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

enum big_state { BIG_IDLE, BIG_BUSY };

struct big_stats {
	__u64 ios;
	__u64 sectors;
	__u64 spread[64];		/* ios by start sector % 64 */
	struct {
		__u32 reads;
		__u32 writes;
	} by_dir;
	__u32 low_bits : 4;
	__u32 high_bits : 28;
	enum big_state state;
	_Bool seen;
	char label[12];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct big_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} ios_by_op SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

int UBLK_BPF_OPS_PROG(big_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	const struct ublksrv_io_desc *iod = ublk_bpf_get_iod(io);
	__u32 zero = 0, op = iod->op_flags & 0xff;
	struct big_stats *s = bpf_map_lookup_elem(&stats, &zero);
	__u64 one = 1, *n = bpf_map_lookup_elem(&ios_by_op, &op);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&ios_by_op, &op, &one, BPF_NOEXIST);
	if (s) {
		s->ios++;
		s->sectors += iod->nr_sectors;
		s->spread[iod->start_sector & 63]++;
		if (op == UBLK_IO_OP_READ)
			s->by_dir.reads++;
		else if (op == UBLK_IO_OP_WRITE)
			s->by_dir.writes++;
		s->low_bits = 5;
		s->high_bits = 1000;
		s->state = BIG_BUSY;
		s->seen = 1;
		__builtin_memcpy(s->label, "big-stats", 10);
	}
	ublk_bpf_complete_io(io, 0);
	return UBLK_BPF_IO_QUEUED;
}

UBLK_BPF_OPS(big_ops, 0, "big_stats",
	.queue_io_cmd = (void *)big_queue_io,
);
