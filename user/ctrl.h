/* SPDX-License-Identifier: GPL-2.0 */
/* Control commands sent to /dev/ublk-control through io_uring (SQE128). */
#ifndef UBLK_BPF_CTRL_H
#define UBLK_BPF_CTRL_H

#include <liburing.h>
#include <sched.h>
#include <linux/ublk_cmd.h>
#include <stdbool.h>
#include <stdint.h>

#define UBLK_CONTROL_PATH "/dev/ublk-control"

/* Control commands one ring keeps in flight together (ublk_ctrl_run()). */
#define UBLK_CTRL_RING_DEPTH	64

struct ublk_ctrl {
	int fd;
	struct io_uring ring;
};

/* One control command of a batch; @res: its result once run. */
struct ublk_ctrl_req {
	unsigned int op;
	unsigned int dev_id;
	void *buf;
	unsigned int len;
	__u64 data0;
	int res;
};

/* Opens the control device; prints why on failure. Negative errno. */
int ublk_ctrl_open(struct ublk_ctrl *c);
void ublk_ctrl_close(struct ublk_ctrl *c);
/* Can the control device be opened? Says why not; negative errno. */
int ublk_ctrl_probe(void);

/*
 * Runs @n commands with up to UBLK_CTRL_RING_DEPTH in flight together: the
 * driver runs each in an io-wq worker, so they proceed side by side. Each
 * result lands in its ->res; returns a negative errno only when the ring
 * itself failed.
 */
int ublk_ctrl_run(struct ublk_ctrl *c, struct ublk_ctrl_req *reqs, unsigned int n);

/*
 * The opcode to send for UBLK_U_CMD_* or UBLK_U_IO_* @op: @op itself, or its
 * number (_IOC_NR) when the driver predates the ioctl encoding and
 * GET_FEATURES (Linux < 6.5, e.g. Debian 12's 6.1); known once a
 * ublk_ctrl_open() of this process succeeded.
 */
unsigned int ublk_cmd_op(unsigned int op);
bool ublk_ctrl_legacy_ops(void);

/* -EOPNOTSUPP from a driver without GET_FEATURES (ublk_ctrl_legacy_ops()). */
int ublk_ctrl_get_features(struct ublk_ctrl *c, uint64_t *features);
/* Does the driver report @bit in GET_FEATURES? False where it cannot say. */
bool ublk_ctrl_has_feature(struct ublk_ctrl *c, uint64_t bit);
/*
 * Adds a throw-away device asking for flags @want and deletes it again: the
 * flags the driver kept land in @kept (what a driver without GET_FEATURES
 * offers). Negative errno when the device could not be added.
 */
int ublk_ctrl_probe_flags(struct ublk_ctrl *c, uint64_t want, uint64_t *kept);
int ublk_ctrl_add_dev(struct ublk_ctrl *c, struct ublksrv_ctrl_dev_info *info);
int ublk_ctrl_set_params(struct ublk_ctrl *c, unsigned int dev_id,
			 struct ublk_params *params);
int ublk_ctrl_get_params(struct ublk_ctrl *c, unsigned int dev_id,
			 struct ublk_params *params);
int ublk_ctrl_get_info(struct ublk_ctrl *c, unsigned int dev_id,
		       struct ublksrv_ctrl_dev_info *info);
/* ublk_ctrl_get_info() that says why it failed ("device N does not exist"). */
int ublk_ctrl_dev_info(struct ublk_ctrl *c, unsigned int dev_id,
		       struct ublksrv_ctrl_dev_info *info);
int ublk_ctrl_start_dev(struct ublk_ctrl *c, unsigned int dev_id, int daemon_pid);
int ublk_ctrl_stop_dev(struct ublk_ctrl *c, unsigned int dev_id);
/* Takes back a QUIESCED device whose daemon died (UBLK_F_USER_RECOVERY). */
int ublk_ctrl_start_recovery(struct ublk_ctrl *c, unsigned int dev_id);
/* Once the new daemon's queues are ready: the device is LIVE again. */
int ublk_ctrl_end_recovery(struct ublk_ctrl *c, unsigned int dev_id, int daemon_pid);
int ublk_ctrl_del_dev(struct ublk_ctrl *c, unsigned int dev_id);
/* UBLK_F_UPDATE_SIZE: a started device's new size, in 512-byte sectors. */
int ublk_ctrl_update_size(struct ublk_ctrl *c, unsigned int dev_id, uint64_t sectors);
/*
 * UBLK_F_QUIESCE: the device's daemon gets its commands back aborted once it
 * finished its IO (within @timeout_ms, 0: no limit; else -EBUSY) and the
 * device waits, QUIESCED, for the next daemon.
 */
int ublk_ctrl_quiesce_dev(struct ublk_ctrl *c, unsigned int dev_id, uint64_t timeout_ms);
/* The CPUs whose IO the driver sends to queue @q_id. */
int ublk_ctrl_get_queue_affinity(struct ublk_ctrl *c, unsigned int dev_id,
				 unsigned int q_id, cpu_set_t *set);
/* A command whose payload is @len bytes at @buf (the kfunc-shim's ones). */
int ublk_ctrl_cmd_buf(struct ublk_ctrl *c, unsigned int op, unsigned int dev_id,
		      void *buf, unsigned int len);

#endif
