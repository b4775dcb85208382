/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the network targets (nbd, nvme-tcp) share about their TCP
 * connections: finding a vanished peer, and short sends (a sendmsg() on the
 * queue's ring may move fewer bytes than asked, and the rest goes again).
 */
#ifndef UBLK_BPF_NET_H
#define UBLK_BPF_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * A TCP peer that vanishes (host down, cable cut) sends no FIN: keepalive
 * probes find it when the connection is idle, TCP_USER_TIMEOUT when data
 * waits for its acknowledgement; either way within about @dead_s seconds,
 * and the connection's recv or send then fails. A failure to set them is
 * logged as @who's warning, not fatal.
 */
void ublk_tcp_liveness(int fd, unsigned int dead_s, const char *who);

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
