// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_forged: bpf/nvme.bpf.c with a hostile streak, for the kfunc-shim's
 * IO-path guarantees (shim test nvme_io, tests/shim/nvme_io_tests.sh).
 * For each IO, before its real command:
 * - it tries commands the shim must refuse, each on an aio of its own: a
 *   Read into a WRITE request's pages (-EPERM), the admin queue and a queue
 *   past the last (-ENXIO), a namespace the shim did not identify
 *   (-EINVAL). The map "hostile" counts the refusals with that errno,
 *   other refusals ("wrong") and any the shim took ("accepted");
 * - it writes into the real command what the shim must overwrite: PRP1,
 *   PRP2 and MPTR pointing at guest physical pages 1-3, NLB 0xffff,
 *   command id 0xbeef, FUSE and PSDT (SGLs) in CDW0, PRINFO in CDW12, the
 *   reference tags of CDW14/15. fio verify passes only if none survives.
 */
#define UBLK_TGT_OWN_AIO_COMPLETE	/* as nvme.bpf.c, included below */
#include "ublk_tgt.bpf.h"
#include "ublk_bpf_pci.bpf.h"

struct hostile {
	__u64 refused;
	__u64 wrong;
	__u64 accepted;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hostile);
} hostile SEC(".maps");

/* One command the shim must refuse with @want. */
static __always_inline void nvme_try(struct ublk_bpf_io *io, __u32 len, __u32 *sqe,
				     __u32 qid, int want)
{
	struct ublk_bpf_aio *aio;
	__u32 zero = 0;
	struct hostile *h = bpf_map_lookup_elem(&hostile, &zero);
	int ret;

	if (!h)
		return;
	aio = ublk_bpf_aio_alloc(io);
	if (!aio)
		return;
	if (len && ublk_bpf_aio_attach(aio, 0, len)) {
		ublk_bpf_aio_release(aio);
		return;
	}
	ret = ublk_bpf_nvme_io_submit(aio, qid, sqe, UBLK_BPF_NVME_SQE_SIZE);
	if (!ret)
		__sync_fetch_and_add(&h->accepted, 1);
	else if (ret == want)
		__sync_fetch_and_add(&h->refused, 1);
	else
		__sync_fetch_and_add(&h->wrong, 1);
}

static __always_inline void nvme_forge(struct ublk_bpf_io *io, __u32 *sqe, __u32 len)
{
	__u32 qid = ublk_bpf_get_queue_id(io) + 1;
	__u32 bad[16];

	__builtin_memcpy(bad, sqe, sizeof(bad));
	if (sqe[0] == UBLK_BPF_NVME_OP_WRITE) {
		bad[0] = UBLK_BPF_NVME_OP_READ;
		nvme_try(io, len, bad, qid, -EPERM);
		bad[0] = sqe[0];
	}
	nvme_try(io, sqe[0] == UBLK_BPF_NVME_OP_FLUSH ? 0 : len, bad, 0, -ENXIO);
	nvme_try(io, sqe[0] == UBLK_BPF_NVME_OP_FLUSH ? 0 : len, bad,
		 UBLK_BPF_NVME_NR_QUEUES, -ENXIO);
	bad[1] = 77;
	nvme_try(io, sqe[0] == UBLK_BPF_NVME_OP_FLUSH ? 0 : len, bad, qid, -EINVAL);

	sqe[0] |= 0xbeefu << 16 | 3 << 8 | 3 << 14;
	sqe[4] = 0x3000;			/* MPTR */
	sqe[6] = 0x1000;			/* PRP1 */
	sqe[8] = 0x2000;			/* PRP2 */
	sqe[12] |= 0xffff | 0xfu << 26;		/* NLB, PRINFO */
	sqe[14] = 0xffffffff;
	sqe[15] = 0xffffffff;
}

#define NVME_FORGE(io, sqe, len) nvme_forge(io, sqe, len)
#include "../../bpf/nvme.bpf.c"
