/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Connecting to an NBD export: the socket (TCP or unix) and the
 * fixed-newstyle handshake, blocking but under one deadline for the whole
 * of it. The nbd target runs it once per queue at start (on the daemon's
 * main thread) and again to reconnect (on a thread of its own); the host
 * unit test runs it against real and hostile servers.
 */
#ifndef UBLK_BPF_NBD_CLIENT_H
#define UBLK_BPF_NBD_CLIENT_H

#include <stdint.h>
#include <sys/un.h>

#include "nbd_proto.h"

/* Connect and handshake, all of it, within this (the default). */
#define NBD_HANDSHAKE_MS	10000
/* At most this many replies to NBD_OPT_GO: a server that floods is refused. */
#define NBD_MAX_OPT_REPLIES	32
/*
 * A TCP connection whose peer stops acknowledging (or, idle, stops
 * answering keepalive probes) is dead after about this many seconds.
 */
#define NBD_TCP_DEAD_S		30

/* Where the export is: host and port, or a unix socket. */
struct nbd_addr {
	char host[256];
	char port[16];
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char export_name[256];
	unsigned int handshake_ms;	/* the handshake's deadline; 0: NBD_HANDSHAKE_MS */
};

/* What the server says of the export. */
struct nbd_export {
	uint64_t size;
	uint16_t flags;			/* NBD_FLAG_* transmission flags */
	uint32_t min_block, pref_block, max_block;	/* 0: not said */
};

/*
 * Connects and negotiates @addr's export into @exp; the socket, ready for
 * requests, or a negative errno after one line on stderr that says why.
 * Gives up when the deadline passes (-ETIMEDOUT), when *@stop (read
 * atomically; may be NULL) becomes non-zero (-ECANCELED), and when
 * SIGTERM, SIGINT, SIGHUP or SIGQUIT is pending for the process (-EINTR:
 * the daemon blocks them and takes them with sigwait, so one waiting means
 * it is asked to end). An export the device cannot present (see
 * nbd_export_lbs()) is refused too.
 */
int nbd_connect(const struct nbd_addr *addr, struct nbd_export *exp, const int *stop);
/* Says goodbye (NBD_CMD_DISC) if the socket takes it at once, and closes @fd. */
void nbd_disconnect(int fd);
/* "host:port" or the unix path, for messages. */
const char *nbd_addr_name(const struct nbd_addr *addr, char *buf, size_t len);
/* The error of a reply as a negative errno. */
int nbd_reply_errno(uint32_t nbd_error);
/*
 * The logical block size a device of @e has (its minimum block, at least
 * 512), or -EINVAL after one line naming the server's values: a size
 * beyond UBLK_MAX_DEV_SIZE or below one block, a minimum block that is no
 * power of two or above 4096, a maximum below it.
 */
int nbd_export_lbs(const struct nbd_addr *addr, const struct nbd_export *e);
/*
 * 0 when @e is what @first said of the export (size, flags, block sizes),
 * else -EINVAL after one line that names @who (a connection) and both.
 */
int nbd_export_same(const struct nbd_export *first, const struct nbd_export *e,
		    const char *who);

#endif
