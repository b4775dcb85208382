/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Short sends of the network targets (nbd, nvme-tcp): a sendmsg() on the
 * queue's ring may move fewer bytes than asked, and the rest goes again.
 */
#ifndef UBLK_BPF_MSG_ADVANCE_H
#define UBLK_BPF_MSG_ADVANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Steps @msg's iovec past @done bytes sent; true while some remain. */
static inline bool msg_advance(struct msghdr *msg, size_t done)
{
	while (msg->msg_iovlen && done >= msg->msg_iov->iov_len) {
		done -= msg->msg_iov->iov_len;
		msg->msg_iov++;
		msg->msg_iovlen--;
	}
	if (!msg->msg_iovlen)
		return false;
	msg->msg_iov->iov_base = (char *)msg->msg_iov->iov_base + done;
	msg->msg_iov->iov_len -= done;
	return true;
}

#endif
