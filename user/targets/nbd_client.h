/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Connecting to an NBD export: the socket (TCP or unix) and the
 * fixed-newstyle handshake, blocking and bounded in time. The nbd target
 * runs it once per queue at start and again to reconnect; the host unit
 * test runs it against a real server.
 */
#ifndef UBLK_BPF_NBD_CLIENT_H
#define UBLK_BPF_NBD_CLIENT_H

#include <stdint.h>
#include <sys/un.h>

#include "nbd_proto.h"

/* Where the export is: host and port, or a unix socket. */
struct nbd_addr {
	char host[256];
	char port[16];
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char export_name[256];
};

/* What the server says of the export. */
struct nbd_export {
	uint64_t size;
	uint16_t flags;			/* NBD_FLAG_* transmission flags */
	uint32_t min_block, pref_block, max_block;
};

/*
 * Connects and negotiates @addr's export into @exp; the socket, ready for
 * requests, or a negative errno after one line on stderr that says why.
 */
int nbd_connect(const struct nbd_addr *addr, struct nbd_export *exp);
/* Says goodbye (NBD_CMD_DISC) and closes @fd. */
void nbd_disconnect(int fd);
/* "host:port" or the unix path, for messages. */
const char *nbd_addr_name(const struct nbd_addr *addr, char *buf, size_t len);
/* The error of a reply as a negative errno. */
int nbd_reply_errno(uint32_t nbd_error);

#endif
