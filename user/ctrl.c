// SPDX-License-Identifier: GPL-2.0
/*
 * Control plane: each command is one IORING_OP_URING_CMD on the control
 * device, carrying a struct ublksrv_ctrl_cmd in the 128-byte SQE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctrl.h"
#include "log.h"
#include "ublk_bpf_uapi.h"	/* UPDATE_SIZE, QUIESCE_DEV on a 6.12 header */

/*
 * How the driver takes its command opcodes. A driver before Linux 6.5 (the
 * 6.1 that Debian 12 boots by default among them) has no
 * UBLK_U_CMD_GET_FEATURES and knows its commands by number only (UBLK_CMD_*,
 * UBLK_IO_*: the _IOC_NR of the ioctl encoding this tool sends). The first
 * ublk_ctrl_open() of a process asks GET_FEATURES once; when the driver does
 * not know it, every later command, control and IO alike, goes by number.
 * -1: not asked yet.
 */
static int ublk_legacy_ops = -1;

unsigned int ublk_cmd_op(unsigned int op)
{
	return ublk_legacy_ops == 1 ? _IOC_NR(op) : op;
}

bool ublk_ctrl_legacy_ops(void)
{
	return ublk_legacy_ops == 1;
}

static void ublk_ctrl_detect_ops(struct ublk_ctrl *c);

int ublk_ctrl_open(struct ublk_ctrl *c)
{
	int ret;

	c->fd = open(UBLK_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (c->fd < 0) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ENODEV || ret == -ENXIO)
			ublk_err("%s not found: the ublk_drv module is not loaded (modprobe ublk_drv)",
				 UBLK_CONTROL_PATH);
		else if (ret == -EACCES || ret == -EPERM)
			ublk_err("%s: permission denied (ublk devices are managed as root)",
				 UBLK_CONTROL_PATH);
		else
			ublk_err("cannot open %s: %s", UBLK_CONTROL_PATH, strerror(-ret));
		return ret;
	}
	ret = io_uring_queue_init(UBLK_CTRL_RING_DEPTH, &c->ring, IORING_SETUP_SQE128);
	if (ret < 0) {
		ublk_err("cannot set up the control io_uring: %s", strerror(-ret));
		close(c->fd);
		c->fd = -1;
		return ret;
	}
	if (ublk_legacy_ops < 0)
		ublk_ctrl_detect_ops(c);
	return 0;
}

int ublk_ctrl_probe(void)
{
	struct ublk_ctrl c;
	int ret = ublk_ctrl_open(&c);

	if (ret == 0)
		ublk_ctrl_close(&c);
	return ret;
}

void ublk_ctrl_close(struct ublk_ctrl *c)
{
	if (c->fd < 0)
		return;
	io_uring_queue_exit(&c->ring);
	close(c->fd);
	c->fd = -1;
}

/* Fills the SQ from @reqs[*next] on while there is room; how many it took. */
static unsigned int ublk_ctrl_queue_reqs(struct ublk_ctrl *c, struct ublk_ctrl_req *reqs,
					 unsigned int n, unsigned int *next)
{
	struct io_uring_sqe *sqe;
	unsigned int taken = 0;

	for (; *next < n && (sqe = io_uring_get_sqe(&c->ring)); (*next)++, taken++) {
		struct ublk_ctrl_req *r = &reqs[*next];
		struct ublksrv_ctrl_cmd cmd = {
			.dev_id = r->dev_id,
			.queue_id = (__u16)-1,
			.addr = (__u64)(uintptr_t)r->buf,
			.len = (__u16)r->len,
			.data = { r->data0 },
		};

		memset(sqe, 0, 2 * sizeof(*sqe));
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = c->fd;
		sqe->cmd_op = ublk_cmd_op(r->op);
		memcpy(sqe->cmd, &cmd, sizeof(cmd));
		io_uring_sqe_set_data64(sqe, *next);
	}
	return taken;
}

int ublk_ctrl_run(struct ublk_ctrl *c, struct ublk_ctrl_req *reqs, unsigned int n)
{
	unsigned int next = 0, inflight = 0, done = 0;
	struct io_uring_cqe *cqe;
	int ret;

	while (done < n) {
		/*
		 * Refill only an empty ring: 6.12 may read a command's SQE again
		 * when it runs it later from io-wq (ublk's control commands all
		 * go there), and a slot refilled meanwhile would hand it the
		 * next command's header: two ADD_DEVs on one buffer, the second
		 * refused with EINVAL ("dev id not match"), past 64 in flight.
		 */
		if (!inflight)
			inflight += ublk_ctrl_queue_reqs(c, reqs, n, &next);
		ret = io_uring_submit_and_wait(&c->ring, 1);
		if (ret == -EINTR)
			continue;
		if (ret < 0 && !inflight)
			return ret;
		while (io_uring_peek_cqe(&c->ring, &cqe) == 0) {
			reqs[cqe->user_data].res = cqe->res;
			io_uring_cqe_seen(&c->ring, cqe);
			inflight--;
			done++;
		}
	}
	return 0;
}

static int ublk_ctrl_cmd(struct ublk_ctrl *c, unsigned int op,
			 const struct ublksrv_ctrl_cmd *cmd)
{
	struct ublk_ctrl_req req = {
		.op = op,
		.dev_id = cmd->dev_id,
		.buf = (void *)(uintptr_t)cmd->addr,
		.len = cmd->len,
		.data0 = cmd->data[0],
	};
	int ret = ublk_ctrl_run(c, &req, 1);

	return ret < 0 ? ret : req.res;
}

static struct ublksrv_ctrl_cmd ublk_cmd_for(unsigned int dev_id, void *buf,
					    unsigned int len)
{
	struct ublksrv_ctrl_cmd cmd = {
		.dev_id = dev_id,
		.queue_id = (__u16)-1,
		.addr = (__u64)(uintptr_t)buf,
		.len = (__u16)len,
	};
	return cmd;
}

static void ublk_ctrl_detect_ops(struct ublk_ctrl *c)
{
	uint64_t features = 0;
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(-1, &features, sizeof(features));
	int ret;

	ublk_legacy_ops = 0;
	ret = ublk_ctrl_cmd(c, UBLK_U_CMD_GET_FEATURES, &cmd);
	/*
	 * An old driver looks up device -1 for a command it does not know
	 * (-ENODEV) or refuses it (-EOPNOTSUPP); a current one never answers
	 * GET_FEATURES so. Anything else (-EPERM) decides nothing: keep the
	 * encoding the current drivers take.
	 */
	if (ret == -ENODEV || ret == -EOPNOTSUPP)
		ublk_legacy_ops = 1;
}

int ublk_ctrl_get_features(struct ublk_ctrl *c, uint64_t *features)
{
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(-1, features, sizeof(*features));

	if (ublk_legacy_ops == 1)
		return -EOPNOTSUPP;
	return ublk_ctrl_cmd(c, UBLK_U_CMD_GET_FEATURES, &cmd);
}

bool ublk_ctrl_has_feature(struct ublk_ctrl *c, uint64_t bit)
{
	uint64_t features = 0;

	return ublk_ctrl_get_features(c, &features) >= 0 && (features & bit);
}

int ublk_ctrl_probe_flags(struct ublk_ctrl *c, uint64_t want, uint64_t *kept)
{
	struct ublksrv_ctrl_dev_info info = {
		.nr_hw_queues = 1,
		.queue_depth = 1,
		.max_io_buf_bytes = 4096,
		.dev_id = (__u32)-1,
		.ublksrv_pid = getpid(),
		.flags = want,
	};
	int ret = ublk_ctrl_add_dev(c, &info);

	if (ret < 0)
		return ret;
	*kept = info.flags;
	ret = ublk_ctrl_del_dev(c, info.dev_id);
	if (ret < 0)
		ublk_err("device %u (added to probe the driver's flags): UBLK_CMD_DEL_DEV failed: %s",
			 info.dev_id, strerror(-ret));
	return 0;
}

int ublk_ctrl_add_dev(struct ublk_ctrl *c, struct ublksrv_ctrl_dev_info *info)
{
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(info->dev_id, info, sizeof(*info));

	return ublk_ctrl_cmd(c, UBLK_U_CMD_ADD_DEV, &cmd);
}

int ublk_ctrl_set_params(struct ublk_ctrl *c, unsigned int dev_id,
			 struct ublk_params *params)
{
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(dev_id, params, sizeof(*params));

	params->len = sizeof(*params);
	return ublk_ctrl_cmd(c, UBLK_U_CMD_SET_PARAMS, &cmd);
}

int ublk_ctrl_get_params(struct ublk_ctrl *c, unsigned int dev_id,
			 struct ublk_params *params)
{
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(dev_id, params, sizeof(*params));

	memset(params, 0, sizeof(*params));
	params->len = sizeof(*params);
	return ublk_ctrl_cmd(c, UBLK_U_CMD_GET_PARAMS, &cmd);
}

int ublk_ctrl_get_info(struct ublk_ctrl *c, unsigned int dev_id,
		       struct ublksrv_ctrl_dev_info *info)
{
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(dev_id, info, sizeof(*info));

	return ublk_ctrl_cmd(c, UBLK_U_CMD_GET_DEV_INFO, &cmd);
}

int ublk_ctrl_dev_info(struct ublk_ctrl *c, unsigned int dev_id,
		       struct ublksrv_ctrl_dev_info *info)
{
	int ret = ublk_ctrl_get_info(c, dev_id, info);

	if (ret == -ENODEV || ret == -ENOENT)
		ublk_err("device %u does not exist", dev_id);
	else if (ret < 0)
		ublk_err("device %u: UBLK_U_CMD_GET_DEV_INFO failed: %s", dev_id, strerror(-ret));
	return ret;
}

int ublk_ctrl_start_dev(struct ublk_ctrl *c, unsigned int dev_id, int daemon_pid)
{
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(dev_id, NULL, 0);

	cmd.data[0] = daemon_pid;
	return ublk_ctrl_cmd(c, UBLK_U_CMD_START_DEV, &cmd);
}

int ublk_ctrl_start_recovery(struct ublk_ctrl *c, unsigned int dev_id)
{
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(dev_id, NULL, 0);

	return ublk_ctrl_cmd(c, UBLK_U_CMD_START_USER_RECOVERY, &cmd);
}

int ublk_ctrl_end_recovery(struct ublk_ctrl *c, unsigned int dev_id, int daemon_pid)
{
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(dev_id, NULL, 0);

	cmd.data[0] = daemon_pid;
	return ublk_ctrl_cmd(c, UBLK_U_CMD_END_USER_RECOVERY, &cmd);
}

int ublk_ctrl_stop_dev(struct ublk_ctrl *c, unsigned int dev_id)
{
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(dev_id, NULL, 0);

	return ublk_ctrl_cmd(c, UBLK_U_CMD_STOP_DEV, &cmd);
}

int ublk_ctrl_update_size(struct ublk_ctrl *c, unsigned int dev_id, uint64_t sectors)
{
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(dev_id, NULL, 0);

	cmd.data[0] = sectors;
	return ublk_ctrl_cmd(c, UBLK_U_CMD_UPDATE_SIZE, &cmd);
}

int ublk_ctrl_quiesce_dev(struct ublk_ctrl *c, unsigned int dev_id, uint64_t timeout_ms)
{
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(dev_id, NULL, 0);

	cmd.data[0] = timeout_ms;
	return ublk_ctrl_cmd(c, UBLK_U_CMD_QUIESCE_DEV, &cmd);
}

int ublk_ctrl_del_dev(struct ublk_ctrl *c, unsigned int dev_id)
{
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(dev_id, NULL, 0);

	return ublk_ctrl_cmd(c, UBLK_U_CMD_DEL_DEV, &cmd);
}

int ublk_ctrl_get_queue_affinity(struct ublk_ctrl *c, unsigned int dev_id,
				 unsigned int q_id, cpu_set_t *set)
{
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(dev_id, set, sizeof(*set));

	CPU_ZERO(set);
	cmd.data[0] = q_id;
	return ublk_ctrl_cmd(c, UBLK_U_CMD_GET_QUEUE_AFFINITY, &cmd);
}

int ublk_ctrl_cmd_buf(struct ublk_ctrl *c, unsigned int op, unsigned int dev_id,
		      void *buf, unsigned int len)
{
	struct ublksrv_ctrl_cmd cmd = ublk_cmd_for(dev_id, buf, len);

	return ublk_ctrl_cmd(c, op, &cmd);
}
