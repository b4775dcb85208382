// SPDX-License-Identifier: GPL-2.0
/*
 * bad_other_ops: must NOT load. A struct_ops program of another type (here
 * the bpf_dummy_ops test type of the kernel) calls a ublk-bpf kfunc; the
 * module's kfunc filter only lets ublk_bpf_ops programs call them.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct ublk_bpf_io {
};
struct bpf_dummy_ops_state;
extern int ublk_bpf_get_io_tag(struct ublk_bpf_io *io) __ksym;

struct bpf_dummy_ops {
	int (*test_1)(struct bpf_dummy_ops_state *cb);
};

SEC("struct_ops/test_1")
int BPF_PROG(other_test_1, struct bpf_dummy_ops_state *cb)
{
	return ublk_bpf_get_io_tag((struct ublk_bpf_io *)cb);
}

SEC(".struct_ops")
struct bpf_dummy_ops other_ops = {
	.test_1 = (void *)other_test_1,
};
