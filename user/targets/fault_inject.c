// SPDX-License-Identifier: GPL-2.0
/*
 * fault_inject: a null device whose every IO completes only after
 * --delay-us microseconds, timed by an IORING_OP_TIMEOUT on the queue's
 * ring so the queue thread keeps serving other tags meanwhile. It keeps IOs
 * in the server for a known time: what the tests of a server killed while
 * it holds IO need (kublk's selftests use a target of the same name).
 */
#include <errno.h>

#include "values.h"
#include "ublk.h"

struct fault_inject_data {
	/* Read by the kernel when an SQE is submitted: lives with the device. */
	struct __kernel_timespec delay;
};

static const struct ublk_tgt_option fault_inject_options[] = {
	{ "delay-us", true },
	{ NULL },
};

/* --delay-us: up to a minute. */
static int fault_inject_parse_option(void *data, const char *name, const char *value)
{
	struct fault_inject_data *fd = data;
	unsigned int us;

	if (ublk_parse_uint(value, "--delay-us", 0, 60000000, &us))
		return -EINVAL;
	fd->delay.tv_sec = us / 1000000;
	fd->delay.tv_nsec = (long long)(us % 1000000) * 1000;
	return 0;
}

static void fault_inject_queue_io(struct ublk_queue *q, unsigned int tag,
				  const struct ublksrv_io_desc *iod)
{
	struct fault_inject_data *data = q->dev->tgt_data;
	struct io_uring_sqe *sqe;

	if (!data->delay.tv_sec && !data->delay.tv_nsec) {
		ublk_complete_io(q, tag, (int)ublk_iod_bytes(iod));
		return;
	}
	sqe = ublk_queue_get_sqe(q);
	io_uring_prep_timeout(sqe, &data->delay, 0, 0);
	ublk_queue_tgt_io(q, sqe, tag, ublksrv_get_op(iod), 0);
}

static int fault_inject_io_done(struct ublk_queue *q, unsigned int tag,
				const struct io_uring_cqe *cqe)
{
	/* A timeout that expired reports -ETIME: the delay is over. */
	return cqe->res == -ETIME || cqe->res == 0 ? 0 : cqe->res;
}

const struct ublk_tgt_ops ublk_tgt_fault_inject = {
	.name = "fault_inject",
	.usage = "[--size SIZE] (default 250G), [--delay-us N] (0-60000000), no --file",
	.options = fault_inject_options,
	.data_size = sizeof(struct fault_inject_data),
	.parse_option = fault_inject_parse_option,
	.init = ublk_no_backing_init,
	.queue_io = fault_inject_queue_io,
	.io_done = fault_inject_io_done,
};
