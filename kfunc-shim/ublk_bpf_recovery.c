// SPDX-License-Identifier: GPL-2.0
/*
 * ublk-bpf: a BPF device with UBLK_F_USER_RECOVERY outlives its daemon.
 *
 * Its program, maps and backing files are not the daemon's, so when the
 * daemon dies the driver's quiesce work asks ublk_bpf_quiesce() instead of
 * quiescing the queue: IO goes on through the program, and only what the
 * program redirects (to the server, or to queue_io_cmd_daemon(), which
 * runs in the server's task) waits, requeued without a kick, for the next
 * daemon. END_USER_RECOVERY, or the stop, ends that with
 * ublk_bpf_unquiesce(). no_server is written under the device's mutex and
 * read on the IO path without a lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include "ublk_bpf_priv.h"

/**
 * ublk_bpf_serves_alone - whether the device serves IO without a daemon
 * @bd: BPF state of the device, or NULL
 *
 * Return: true for a started BPF device with user recovery: IO goes on
 * through its program while no daemon serves it.
 */
bool ublk_bpf_serves_alone(struct ublk_bpf_dev *bd)
{
	return bd && bd->recovery && READ_ONCE(bd->started);
}

/**
 * ublk_bpf_no_server - whether redirected IO must wait for a new daemon
 * @bd: BPF state of the device, or NULL
 *
 * Return: true from ublk_bpf_quiesce() until ublk_bpf_unquiesce().
 */
bool ublk_bpf_no_server(struct ublk_bpf_dev *bd)
{
	return bd && READ_ONCE(bd->no_server);
}

/**
 * ublk_bpf_quiesce - the daemon is gone: keep the device serving
 * @bd: BPF state of the device, or NULL
 *
 * Called by the driver's quiesce work with the device's mutex held, after
 * the requests the dead daemon held were requeued, instead of quiescing
 * the queue and waiting for every started request.
 *
 * Return: true if the queue stays live (the caller marks the device
 * QUIESCED all the same, which START_USER_RECOVERY requires); false if
 * the driver quiesces it as usual.
 */
bool ublk_bpf_quiesce(struct ublk_bpf_dev *bd)
{
	if (!ublk_bpf_serves_alone(bd))
		return false;
	WRITE_ONCE(bd->no_server, true);
	pr_info("dev %u: no daemon, serving through the program; redirected IO waits for recovery (fails with FAIL_IO)\n",
		bd->dev_id);
	return true;
}

/**
 * ublk_bpf_unquiesce - a daemon is back, or the device is stopping
 * @bd: BPF state of the device, or NULL
 * @q: the device's request queue
 *
 * Called with the device's mutex held, where the driver unquiesces a
 * quiesced device. Waits for the ->queue_rq() calls that may still have
 * seen no_server, so that what they requeued is on the requeue list
 * before the caller kicks it.
 *
 * Return: true if ublk_bpf_quiesce() had left the queue live (the caller
 * must not unquiesce it); false otherwise.
 */
bool ublk_bpf_unquiesce(struct ublk_bpf_dev *bd, struct request_queue *q)
{
	if (!bd || !bd->no_server)
		return false;
	WRITE_ONCE(bd->no_server, false);
	blk_mq_quiesce_queue(q);
	blk_mq_unquiesce_queue(q);
	return true;
}
