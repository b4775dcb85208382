// SPDX-License-Identifier: GPL-2.0
/*
 * shifted: a target this tool has no io_uring twin for, the way a user
 * writes one. The device is backing file 0 from byte `file_offset` on (set
 * with --set file_offset=SIZE). Each IO is one aio at the shifted offset.
 * While `knobs.fail_reads` is non-zero (bpftool map update, live), reads
 * fail with -EIO; while `knobs.redirect` is, every IO is redirected (which
 * fails with -EIO, the target having no twin).
 */
#include "ublk_tgt.bpf.h"

const volatile __u64 file_offset;

struct shifted_knobs {
	__u32 fail_reads;
	__u32 redirect;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct shifted_knobs);
} knobs SEC(".maps");

int UBLK_BPF_OPS_PROG(shifted_queue_io, struct ublk_bpf_io *io, __u32 off)
{
	const struct ublksrv_io_desc *iod = ublk_bpf_get_iod(io);
	__u32 len = iod->nr_sectors << 9, zero = 0;
	int op = ublk_tgt_aio_op(iod), ret;
	struct shifted_knobs *k = bpf_map_lookup_elem(&knobs, &zero);

	if (k && k->redirect)
		return ublk_tgt_redirect();
	ublk_tgt_begin(io, iod);
	if (k && k->fail_reads && ublk_tgt_op(iod) == UBLK_IO_OP_READ)
		return ublk_tgt_fail(-EIO);
	if (op < 0)
		return ublk_tgt_fail(op);
	if (ublk_tgt_op(iod) == UBLK_IO_OP_FLUSH)
		len = 0;
	ret = ublk_tgt_submit(io, op, 0, len, 0, file_offset + (iod->start_sector << 9));
	if (ret)
		return ublk_tgt_fail(ret);
	return ublk_bpf_io_continue(len);
}

UBLK_TGT_OPS(shifted_ops, "shifted", shifted_queue_io);
