// SPDX-License-Identifier: GPL-2.0
/*
 * shim_targets: one ublk_bpf_ops instance whose behaviour the test loader
 * picks at run time (cfg[CFG_MODE]), to exercise every path of the
 * kfunc-shim module:
 *
 *   NULL         complete every IO from queue_io_cmd() (->queue_rq())
 *   LOOP         one aio per IO on file 0, UBLK_BPF_IO_CONTINUE of all bytes:
 *                the IO completes by itself when the aio is done
 *   LOOP_QUEUED  same aio, UBLK_BPF_IO_QUEUED, completed from aio_complete()
 *                except IOs starting in sectors [cfg[CFG_HOLD], + 1024): the
 *                program keeps those until it is unregistered
 *   STRIPE       cfg[CFG_CHUNK] bytes per file over cfg[CFG_NR_FILES] files,
 *                one slice per queue_io_cmd() call (CONTINUE | slice)
 *   DAEMON       queue_io_cmd() redirects, queue_io_cmd_daemon() (sleepable,
 *                in the ublk server's task) does LOOP
 *   REDIRECT_ODD odd tags go to the ublk server, even ones LOOP
 *   RETRY        redirect to the server until it sets cfg[CFG_RETRY_OK];
 *                the server then commits -EAGAIN and BPF gets the IO again
 *   BAD_DIR      also try to read into every WRITE request (refused), LOOP
 *   DOUBLE       complete every IO twice (the second call is refused), NULL
 *   LOSE         never complete the first READ of sector LOSE_SECTOR (the
 *                block timeout must), complete everything else at once
 *   BUSY         answer -EBUSY the first 5 times (the IO must be retried),
 *                then NULL
 *   RESUBMIT     keep the first READ of sector LOSE_SECTOR with an fsync aio
 *                on file 0 and, for RESUBMIT_NS, submit a new one from each
 *                aio_complete() without ever completing the IO (the block
 *                timeout must end it all the same); complete the rest at once
 *
 * Counters in cnt[] tell the loader what the program saw.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/errno.h>
#include <linux/ublk_cmd.h>
#include <bpf/bpf_helpers.h>
#include "ublk_bpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#include "shim_targets.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CFG_MAX);
	__type(key, __u32);
	__type(value, __u64);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} cnt SEC(".maps");

static __u64 cfg_get(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&cfg, &key);

	return v ? *v : 0;
}

static void cnt_inc(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&cnt, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* One aio for bytes [off, off + len) of the IO, on @file at @fpos. */
static __always_inline int submit_slice(struct ublk_bpf_io *io, __u32 ublk_op, __u32 flags,
			__u32 off, __u32 len, __u32 file, __u64 fpos)
{
	int op = ublk_bpf_aio_op_of(ublk_op | flags), ret;

	if (op < 0)
		return op;
	ret = ublk_bpf_submit_slice(io, op, off, len, file, fpos);
	if (ret)
		cnt_inc(CNT_SUBMIT_ERR);
	return ret;
}

static __always_inline int do_loop(struct ublk_bpf_io *io, int continue_mode)
{
	const struct ublksrv_io_desc *iod = ublk_bpf_get_iod(io);
	__u32 ublk_op = iod->op_flags & 0xff;
	__u32 bytes = iod->nr_sectors << 9;
	int ret;

	/* a flush has no position */
	ret = submit_slice(io, ublk_op, iod->op_flags, 0, bytes, 0,
			   bytes ? iod->start_sector << 9 : 0);
	if (ret)
		return ret;
	return continue_mode ? ublk_bpf_io_continue(bytes) : UBLK_BPF_IO_QUEUED;
}

static __always_inline int do_stripe(struct ublk_bpf_io *io, __u32 off)
{
	const struct ublksrv_io_desc *iod = ublk_bpf_get_iod(io);
	__u32 ublk_op = iod->op_flags & 0xff;
	__u32 bytes = iod->nr_sectors << 9;
	__u64 chunk = cfg_get(CFG_CHUNK);
	__u64 nr = cfg_get(CFG_NR_FILES);
	__u64 pos, idx, in_chunk, len;
	int i, ret;

	if (!chunk || !nr || nr > 8)
		return -EINVAL;

	if (ublk_op == UBLK_IO_OP_FLUSH) {
		for (i = 0; i < 8 && i < nr; i++) {
			ret = submit_slice(io, ublk_op, 0, 0, 0, i, 0);
			if (ret)
				return ret;
		}
		return ublk_bpf_io_continue(0);
	}

	pos = (iod->start_sector << 9) + off;
	idx = pos / chunk;
	in_chunk = pos % chunk;
	len = chunk - in_chunk;
	if (len > bytes - off)
		len = bytes - off;
	ret = submit_slice(io, ublk_op, iod->op_flags, off, len, idx % nr,
			   (idx / nr) * chunk + in_chunk);
	if (ret)
		return ret;
	return ublk_bpf_io_continue(len);
}

/* RESUBMIT: one more fsync aio on file 0 for @io; -ENOMEM if refused */
static __always_inline int resubmit_fsync(struct ublk_bpf_io *io)
{
	struct ublk_bpf_aio *aio = ublk_bpf_aio_alloc(io);

	if (!aio) {
		cnt_inc(CNT_ALLOC_NULL);
		return -ENOMEM;
	}
	if (ublk_bpf_aio_submit(aio, UBLK_BPF_AIO_OP_FSYNC, 0, 0)) {
		cnt_inc(CNT_SUBMIT_ERR);
		return -EINVAL;
	}
	cnt_inc(CNT_RESUBMIT);
	return 0;
}

int UBLK_BPF_OPS_PROG(shim_queue_io_cmd, struct ublk_bpf_io *io, __u32 off)
{
	const struct ublksrv_io_desc *iod = ublk_bpf_get_iod(io);
	__u32 ublk_op = iod->op_flags & 0xff;
	__u32 bytes = iod->nr_sectors << 9;
	struct ublk_bpf_aio *aio;

	cnt_inc(CNT_QUEUE);
	switch (cfg_get(CFG_MODE)) {
	case MODE_NULL:
		ublk_bpf_complete_io(io, bytes);
		return UBLK_BPF_IO_QUEUED;
	case MODE_LOOP:
		return do_loop(io, 1);
	case MODE_LOOP_QUEUED:
		return do_loop(io, 0);
	case MODE_STRIPE:
		return do_stripe(io, off);
	case MODE_DAEMON:
		return UBLK_BPF_IO_REDIRECT;
	case MODE_REDIRECT_ODD:
		if (ublk_bpf_get_io_tag(io) & 1)
			return UBLK_BPF_IO_REDIRECT;
		return do_loop(io, 1);
	case MODE_RETRY:
		if (!cfg_get(CFG_RETRY_OK))
			return UBLK_BPF_IO_REDIRECT;
		return do_loop(io, 1);
	case MODE_BAD_DIR:
		if (ublk_op == UBLK_IO_OP_WRITE) {
			aio = ublk_bpf_aio_alloc(io);
			if (!aio)
				return -ENOMEM;
			if (ublk_bpf_aio_attach(aio, 0, bytes)) {
				ublk_bpf_aio_release(aio);
				return -EINVAL;
			}
			if (ublk_bpf_aio_submit(aio, UBLK_BPF_AIO_OP_READ, 0,
						iod->start_sector << 9) == -EPERM)
				cnt_inc(CNT_EPERM);
		}
		return do_loop(io, 1);
	case MODE_DOUBLE:
		ublk_bpf_complete_io(io, bytes);
		if (ublk_bpf_complete_io(io, bytes) == -EALREADY)
			cnt_inc(CNT_EALREADY);
		return UBLK_BPF_IO_QUEUED;
	case MODE_LOSE:
		if (ublk_op == UBLK_IO_OP_READ && iod->start_sector == LOSE_SECTOR &&
		    !cfg_get(CFG_LOST)) {
			__u32 key = CFG_LOST;
			__u64 one = 1;

			bpf_map_update_elem(&cfg, &key, &one, BPF_ANY);
			cnt_inc(CNT_LOST);
			return UBLK_BPF_IO_QUEUED;
		}
		ublk_bpf_complete_io(io, bytes);
		return UBLK_BPF_IO_QUEUED;
	case MODE_BUSY:
		if (cfg_get(CFG_LOST) < 5) {
			__u32 key = CFG_LOST;
			__u64 *v = bpf_map_lookup_elem(&cfg, &key);

			if (v)
				__sync_fetch_and_add(v, 1);
			return -EBUSY;
		}
		ublk_bpf_complete_io(io, bytes);
		return UBLK_BPF_IO_QUEUED;
	case MODE_RESUBMIT:
		if (ublk_op == UBLK_IO_OP_READ && iod->start_sector == LOSE_SECTOR &&
		    !cfg_get(CFG_LOST)) {
			__u32 key = CFG_LOST;
			__u64 v = 1;

			bpf_map_update_elem(&cfg, &key, &v, BPF_ANY);
			key = CFG_T0;
			v = bpf_ktime_get_ns();
			bpf_map_update_elem(&cfg, &key, &v, BPF_ANY);
			cnt_inc(CNT_LOST);
			return resubmit_fsync(io) ?: UBLK_BPF_IO_QUEUED;
		}
		ublk_bpf_complete_io(io, bytes);
		return UBLK_BPF_IO_QUEUED;
	}
	return -EINVAL;
}

int UBLK_BPF_OPS_PROG_SLEEPABLE(shim_queue_io_cmd_daemon,
				struct ublk_bpf_io *io, __u32 off)
{
	cnt_inc(CNT_DAEMON);
	if (cfg_get(CFG_MODE) != MODE_DAEMON)
		return UBLK_BPF_IO_REDIRECT;
	return do_loop(io, 1);
}

void UBLK_BPF_OPS_PROG(shim_release_io_cmd, struct ublk_bpf_io *io)
{
	cnt_inc(CNT_RELEASE);
}

int UBLK_BPF_OPS_PROG(shim_aio_complete, struct ublk_bpf_io *io,
		      struct ublk_bpf_aio *aio, int res)
{
	const struct ublksrv_io_desc *iod;
	__u64 hold;

	cnt_inc(CNT_AIO_DONE);
	if (res < 0)
		cnt_inc(CNT_AIO_ERR);
	if (cfg_get(CFG_MODE) == MODE_RESUBMIT) {
		/* keeps the IO alive while the module lets it */
		if (bpf_ktime_get_ns() - cfg_get(CFG_T0) < RESUBMIT_NS)
			resubmit_fsync(io);
		return 0;
	}
	if (cfg_get(CFG_MODE) != MODE_LOOP_QUEUED)
		return 0;
	iod = ublk_bpf_get_iod(io);
	hold = cfg_get(CFG_HOLD);
	if (hold && iod->start_sector >= hold && iod->start_sector < hold + 1024)
		return 0;
	ublk_bpf_complete_io(io, res < 0 ? res : iod->nr_sectors << 9);
	return 0;
}

int UBLK_BPF_OPS_PROG(shim_attach_dev, __u32 dev_id)
{
	cnt_inc(CNT_ATTACH);
	return 0;
}

void UBLK_BPF_OPS_PROG(shim_detach_dev, __u32 dev_id)
{
	cnt_inc(CNT_DETACH);
}

UBLK_BPF_OPS(shim_targets_ops, SHIM_TARGETS_OPS_ID, "shim_targets",
	.queue_io_cmd = (void *)shim_queue_io_cmd,
	.queue_io_cmd_daemon = (void *)shim_queue_io_cmd_daemon,
	.release_io_cmd = (void *)shim_release_io_cmd,
	.aio_complete = (void *)shim_aio_complete,
	.attach_dev = (void *)shim_attach_dev,
	.detach_dev = (void *)shim_detach_dev,
);
