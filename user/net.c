// SPDX-License-Identifier: GPL-2.0
/* TCP settings the network targets share (net.h). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "net.h"

void ublk_tcp_liveness(int fd, unsigned int dead_s, const char *who)
{
	int one = 1, idle = dead_s / 2, intvl = dead_s / 6, cnt = 3;
	unsigned int user_ms = dead_s * 1000;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms, sizeof(user_ms)))
		ublk_warn("%s: TCP keepalive and user timeout: %s (a vanished peer is found later)",
			  who, strerror(errno));
}
