// SPDX-License-Identifier: GPL-2.0
/*
 * The NBD handshake, blocking: connect, check the greeting, send
 * NBD_OPT_GO asking for the block sizes, read NBD_REP_INFO replies up to
 * NBD_REP_ACK. Every step is bounded by socket timeouts, so a server that
 * accepts and then says nothing fails the handshake instead of hanging.
 */
#include <endian.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "nbd_client.h"

#define NBD_HANDSHAKE_TIMEOUT_S	10
#define NBD_MAX_REPLY_DATA	4096

const char *nbd_addr_name(const struct nbd_addr *addr, char *buf, size_t len)
{
	if (addr->unix_path[0])
		snprintf(buf, len, "%s", addr->unix_path);
	else
		snprintf(buf, len, "%s:%s", addr->host, addr->port);
	return buf;
}

int nbd_reply_errno(uint32_t nbd_error)
{
	switch (nbd_error) {
	case 0:
		return 0;
	case 1:		/* EPERM */
	case 22:	/* EINVAL */
	case 28:	/* ENOSPC */
	case 12:	/* ENOMEM */
	case 75:	/* EOVERFLOW */
	case 95:	/* ENOTSUP */
		return -(int)nbd_error;
	case 108:	/* ESHUTDOWN */
		return -ESHUTDOWN;
	default:	/* EIO, and anything the protocol does not name */
		return -EIO;
	}
}

static int nbd_set_timeout(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

static int nbd_socket_unix(const struct nbd_addr *addr)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	memcpy(sun.sun_path, addr->unix_path, sizeof(sun.sun_path) - 1);
	if (nbd_set_timeout(fd, NBD_HANDSHAKE_TIMEOUT_S) == 0 &&
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	err = -errno;
	close(fd);
	return err;
}

static int nbd_socket_tcp(const struct nbd_addr *addr)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, err = -EHOSTUNREACH, one = 1, ret;

	ret = getaddrinfo(addr->host, addr->port, &hints, &res);
	if (ret) {
		ublk_err("nbd: cannot resolve %s: %s", addr->host, gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		/* SO_SNDTIMEO bounds connect() too. */
		if (nbd_set_timeout(fd, NBD_HANDSHAKE_TIMEOUT_S) == 0 &&
		    connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return err;
	/* Requests are small and many: no Nagle delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int nbd_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n == 0)
			return -ECONNRESET;
		p += n;
		len -= n;
	}
	return 0;
}

static int nbd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		p += n;
		len -= n;
	}
	return 0;
}

static int nbd_send_option(int fd, uint32_t option, const void *data, uint32_t len)
{
	struct {
		uint64_t magic;
		uint32_t option;
		uint32_t len;
	} __attribute__((packed)) hdr = {
		htobe64(NBD_MAGIC_OPT), htobe32(option), htobe32(len),
	};
	int ret = nbd_write_all(fd, &hdr, sizeof(hdr));

	return ret ? ret : nbd_write_all(fd, data, len);
}

/* NBD_OPT_GO: the export's name, and one information request. */
static int nbd_send_go(int fd, const char *name)
{
	char buf[4 + sizeof(((struct nbd_addr *)0)->export_name) + 4];
	uint32_t name_len = (uint32_t)strlen(name), be32 = htobe32(name_len);
	uint16_t be16;

	memcpy(buf, &be32, 4);
	memcpy(buf + 4, name, name_len);
	be16 = htobe16(1);
	memcpy(buf + 4 + name_len, &be16, 2);
	be16 = htobe16(NBD_INFO_BLOCK_SIZE);
	memcpy(buf + 6 + name_len, &be16, 2);
	return nbd_send_option(fd, NBD_OPT_GO, buf, name_len + 8);
}

/* One NBD_REP_INFO's data into @exp; unknown information is skipped. */
static void nbd_parse_info(const unsigned char *d, uint32_t len, struct nbd_export *exp,
			   bool *have_export)
{
	uint16_t type;
	uint64_t v64;
	uint32_t v32[3];

	if (len < 2)
		return;
	memcpy(&type, d, 2);
	type = be16toh(type);
	if (type == NBD_INFO_EXPORT && len >= 12) {
		memcpy(&v64, d + 2, 8);
		memcpy(&exp->flags, d + 10, 2);
		exp->size = be64toh(v64);
		exp->flags = be16toh(exp->flags);
		*have_export = true;
	} else if (type == NBD_INFO_BLOCK_SIZE && len >= 14) {
		memcpy(v32, d + 2, 12);
		exp->min_block = be32toh(v32[0]);
		exp->pref_block = be32toh(v32[1]);
		exp->max_block = be32toh(v32[2]);
	}
}

/* An error reply to NBD_OPT_GO, as one line; the server's text when it sent one. */
static int nbd_go_refused(const struct nbd_addr *addr, uint32_t type,
			  unsigned char *msg, uint32_t len)
{
	const char *why;
	char where[300];
	uint32_t i;

	for (i = 0; i < len; i++)
		if (msg[i] < 0x20 || msg[i] > 0x7e)
			msg[i] = ' ';
	msg[len] = '\0';
	nbd_addr_name(addr, where, sizeof(where));
	switch (type) {
	case NBD_REP_ERR_UNKNOWN:
		ublk_err("nbd: %s has no export '%s'%s%s", where, addr->export_name,
			 len ? ": " : "", msg);
		return -ENOENT;
	case NBD_REP_ERR_TLS_REQD:
		why = "requires TLS, which this target does not speak";
		break;
	case NBD_REP_ERR_POLICY:
		why = "refuses the export by policy";
		break;
	case NBD_REP_ERR_SHUTDOWN:
		why = "is shutting down";
		break;
	case NBD_REP_ERR_UNSUP:
		why = "does not know NBD_OPT_GO (older than the INFO extension)";
		break;
	default:
		why = "refuses the export";
		break;
	}
	ublk_err("nbd: %s %s (export '%s', reply 0x%x)%s%s", where, why, addr->export_name,
		 type, len ? ": " : "", msg);
	return -EACCES;
}

static void nbd_abort(int fd)
{
	nbd_send_option(fd, NBD_OPT_ABORT, NULL, 0);
}

static int nbd_handshake(int fd, const struct nbd_addr *addr, struct nbd_export *exp)
{
	struct {
		uint64_t magic;
		uint32_t option;
		uint32_t type;
		uint32_t len;
	} __attribute__((packed)) rep;
	unsigned char greeting[18], data[NBD_MAX_REPLY_DATA + 1];
	uint64_t magic1, magic2;
	uint32_t client_flags;
	uint16_t hs_flags;
	bool have_export = false;
	int ret;

	ret = nbd_read_all(fd, greeting, sizeof(greeting));
	if (ret)
		return ret;
	memcpy(&magic1, greeting, 8);
	memcpy(&magic2, greeting + 8, 8);
	memcpy(&hs_flags, greeting + 16, 2);
	hs_flags = be16toh(hs_flags);
	if (be64toh(magic1) != NBD_MAGIC_INIT || be64toh(magic2) != NBD_MAGIC_OPT)
		return -EPROTO;
	if (!(hs_flags & NBD_FLAG_FIXED_NEWSTYLE))
		return -EPROTONOSUPPORT;
	client_flags = htobe32(NBD_FLAG_C_FIXED_NEWSTYLE |
			       (hs_flags & NBD_FLAG_NO_ZEROES ? NBD_FLAG_C_NO_ZEROES : 0));
	ret = nbd_write_all(fd, &client_flags, sizeof(client_flags));
	if (!ret)
		ret = nbd_send_go(fd, addr->export_name);
	memset(exp, 0, sizeof(*exp));
	while (!ret) {
		ret = nbd_read_all(fd, &rep, sizeof(rep));
		if (ret)
			return ret;
		rep.type = be32toh(rep.type);
		rep.len = be32toh(rep.len);
		if (be64toh(rep.magic) != NBD_MAGIC_OPT_REPLY ||
		    be32toh(rep.option) != NBD_OPT_GO || rep.len > NBD_MAX_REPLY_DATA)
			return -EPROTO;
		ret = nbd_read_all(fd, data, rep.len);
		if (ret)
			return ret;
		if (rep.type & NBD_REP_ERR) {
			nbd_abort(fd);
			return nbd_go_refused(addr, rep.type, data, rep.len);
		}
		if (rep.type == NBD_REP_INFO)
			nbd_parse_info(data, rep.len, exp, &have_export);
		else if (rep.type == NBD_REP_ACK)
			break;
	}
	if (!ret && !have_export)
		return -EPROTO;
	return ret;
}

int nbd_connect(const struct nbd_addr *addr, struct nbd_export *exp)
{
	char where[300];
	int fd, ret;

	nbd_addr_name(addr, where, sizeof(where));
	fd = addr->unix_path[0] ? nbd_socket_unix(addr) : nbd_socket_tcp(addr);
	if (fd == -EHOSTUNREACH)
		return fd;
	if (fd < 0) {
		ublk_err("nbd: cannot connect to %s: %s", where, strerror(-fd));
		return fd;
	}
	ret = nbd_handshake(fd, addr, exp);
	if (ret == -EPROTO || ret == -EPROTONOSUPPORT)
		ublk_err("nbd: %s does not speak the fixed-newstyle NBD handshake", where);
	else if (ret == -ECONNRESET || ret == -ETIMEDOUT)
		ublk_err("nbd: %s %s during the handshake (export '%s')", where,
			 ret == -ETIMEDOUT ? "went silent" : "closed the connection",
			 addr->export_name);
	else if (ret && ret != -ENOENT && ret != -EACCES)
		ublk_err("nbd: handshake with %s: %s", where, strerror(-ret));
	if (!ret)
		ret = nbd_set_timeout(fd, 0);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

void nbd_disconnect(int fd)
{
	struct nbd_request req = {
		.magic = htobe32(NBD_MAGIC_REQUEST),
		.type = htobe16(NBD_CMD_DISC),
	};

	if (fd < 0)
		return;
	nbd_set_timeout(fd, 1);
	nbd_write_all(fd, &req, sizeof(req));
	close(fd);
}
