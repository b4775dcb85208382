// SPDX-License-Identifier: GPL-2.0
/*
 * A null-like target with one `const volatile` variable of every kind
 * `--set` writes, and things it must refuse to write: a map, a variable
 * the program may change (.data/.bss), a const one that is not volatile.
 * The tests read the values back from the pinned .rodata ("config").
 */
#include "ublk_tgt.bpf.h"

enum params_mode { MODE_OFF, MODE_FAST, MODE_SAFE = 7 };

const volatile _Bool p_bool;
const volatile __s8 p_s8 = -1;
const volatile __u8 p_u8;
const volatile __s16 p_s16;
const volatile __u16 p_u16;
const volatile __s32 p_s32;
const volatile __u32 p_u32 = 42;
const volatile __s64 p_s64;
const volatile __u64 p_u64;
const volatile enum params_mode p_mode;
const volatile char p_label[8] = "dflt";
const volatile __u32 p_table[4] = { 1, 2 };
const __u32 p_plain_const = 5;
__u32 p_counter;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} p_map SEC(".maps");

int UBLK_BPF_OPS_PROG(params_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&p_map, &zero);

	ublk_tgt_begin(io, ublk_bpf_get_iod(io));
	p_counter += p_plain_const;
	if (v)
		*v = p_u64 + p_u32 + p_table[1] + p_label[0] + p_mode + p_bool + p_s8 +
		     p_u8 + p_s16 + p_u16 + p_s32 + p_s64;
	ublk_bpf_complete_io(io, 0);
	return UBLK_BPF_IO_QUEUED;
}

UBLK_TGT_OPS(params_ops, "params", params_queue_io);
