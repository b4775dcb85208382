/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ublk-bpf: the hooks the patched ublk_drv.c calls.
 *
 * This is the only header ublk_drv-hooks.patch includes. Everything the
 * driver needs from the BPF side goes through these functions, so the patch
 * stays a list of one-line calls and the driver's own structures stay
 * private to ublk_drv.c.
 */
#ifndef UBLK_BPF_H
#define UBLK_BPF_H

#include <linux/types.h>
#include <linux/blk-mq.h>
#include <linux/mutex.h>
#include <linux/io_uring/cmd.h>
#include <uapi/linux/ublk_cmd.h>
#include "ublk_bpf_uapi.h"

struct ublk_bpf_dev;

int ublk_bpf_init(void);
void ublk_bpf_exit(void);

int ublk_bpf_check_dev_flags(u64 flags);

/*
 * Tag set flags a device needs: BPF devices start aios from ->queue_rq(),
 * which therefore may sleep.
 */
static inline unsigned int ublk_bpf_tag_set_flags(u64 dev_flags)
{
	return (dev_flags & UBLK_F_BPF) ? BLK_MQ_F_BLOCKING : 0;
}

int ublk_bpf_ctrl_cmd(struct ublk_bpf_dev **pbd,
		      const struct ublksrv_ctrl_dev_info *info,
		      struct mutex *dev_mutex, struct io_uring_cmd *cmd);
int ublk_bpf_dev_start(struct ublk_bpf_dev *bd, u64 dev_flags);
void ublk_bpf_dev_stop(struct ublk_bpf_dev *bd);
void ublk_bpf_dev_free(struct ublk_bpf_dev *bd);

bool ublk_bpf_queue_rq(struct ublk_bpf_dev *bd, struct request *rq,
		       const struct ublksrv_io_desc *iod, u16 q_id);
bool ublk_bpf_task_work(struct ublk_bpf_dev *bd, struct request *rq,
			const struct ublksrv_io_desc *iod, u16 q_id);
bool ublk_bpf_commit_retry(struct ublk_bpf_dev *bd, struct request *rq,
			   int res);
bool ublk_bpf_timeout(struct ublk_bpf_dev *bd, struct request *rq, u16 q_id,
		      enum blk_eh_timer_return *ret);

/*
 * A BPF device made with UBLK_F_USER_RECOVERY outlives its daemon without
 * a pause: its program, maps and files are not the daemon's. The driver
 * asks ublk_bpf_quiesce() instead of quiescing the queue when the daemon
 * is gone (true: the queue stays live, the device is only marked
 * QUIESCED), ublk_queue_rq() offers IO to the program even on a canceling
 * queue while ublk_bpf_serves_alone(), and requeues without a kick what
 * the program redirects while ublk_bpf_no_server(). ublk_bpf_unquiesce()
 * ends that (END_USER_RECOVERY, or the device stopping): true when the
 * queue was never quiesced, and the caller kicks the requeue list.
 */
bool ublk_bpf_serves_alone(struct ublk_bpf_dev *bd);
bool ublk_bpf_no_server(struct ublk_bpf_dev *bd);
bool ublk_bpf_quiesce(struct ublk_bpf_dev *bd);
bool ublk_bpf_unquiesce(struct ublk_bpf_dev *bd, struct request_queue *q);

/*
 * Controllers (ublk_bpf_tagctrl.c, backports/0201-shared-tag-set.patch):
 * ublk_bpf_ctrlr_cmd() runs CREATE/REMOVE/GET_CTRL_INFO, which name no
 * device (-ENOIOCTLCMD: not one of them); JOIN_CTRL gets a controller's set
 * with ublk_bpf_ctrlr_get() under the device's mutex, and the device's
 * release gives it back with ublk_bpf_ctrlr_put().
 */
int ublk_bpf_ctrlr_cmd(struct io_uring_cmd *cmd, const struct blk_mq_ops *ops,
		       unsigned int cmd_size);
struct blk_mq_tag_set *ublk_bpf_ctrlr_get(u64 id, u16 nr_hw_queues, u16 depth);
void ublk_bpf_ctrlr_put(struct blk_mq_tag_set *set);
void ublk_bpf_ctrlr_exit(void);

/*
 * Every tag set of the module, a device's own or a controller's, is made and
 * freed through these, so that /sys/module/ublk_drv/parameters/tagset_bytes
 * is the bytes of all of them (ublk_bpf_tagset_bytes()).
 */
int ublk_bpf_tagset_alloc(struct blk_mq_tag_set *set);
void ublk_bpf_tagset_free(struct blk_mq_tag_set *set);
u64 ublk_bpf_tagset_bytes(const struct blk_mq_tag_set *set);

#endif /* UBLK_BPF_H */
