// SPDX-License-Identifier: GPL-2.0
/*
 * The NBD handshake: connect, check the greeting, send NBD_OPT_GO asking
 * for the block sizes, read NBD_REP_INFO replies up to NBD_REP_ACK. The
 * socket is polled in short slices under one deadline for all of it, so a
 * server that says nothing, trickles its bytes or floods replies cannot
 * hold the caller past the deadline, and a daemon asked to end (or a
 * caller that cancels) is not held at all.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "nbd_client.h"
#include "ublk.h"

#define NBD_MAX_REPLY_DATA	4096
/* How often a wait looks at the deadline, the stop flag and signals. */
#define NBD_SLICE_MS		100

/* One handshake: its socket, its deadline and what may cut it short. */
struct nbd_hs {
	int fd;
	long long deadline_ns;		/* CLOCK_MONOTONIC */
	const int *stop;
};

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

static long long nbd_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A signal that ends the daemon waits for it (blocked, see dev.c). */
static bool nbd_asked_to_end(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	sigset_t pending;
	unsigned int i;

	if (sigpending(&pending))
		return false;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigismember(&pending, sigs[i]) == 1)
			return true;
	return false;
}

/* 0 while the handshake may go on, else why it may not. */
static int nbd_hs_check(const struct nbd_hs *hs)
{
	if (hs->stop && __atomic_load_n(hs->stop, __ATOMIC_ACQUIRE))
		return -ECANCELED;
	if (nbd_asked_to_end())
		return -EINTR;
	return nbd_mono_ns() >= hs->deadline_ns ? -ETIMEDOUT : 0;
}

/* Waits for @events on the socket (or for an error or hang-up on it). */
static int nbd_wait(const struct nbd_hs *hs, short events)
{
	struct pollfd pfd = { .fd = hs->fd, .events = events };
	long long left_ms;
	int ret;

	for (;;) {
		ret = nbd_hs_check(hs);
		if (ret)
			return ret;
		left_ms = (hs->deadline_ns - nbd_mono_ns()) / 1000000 + 1;
		ret = poll(&pfd, 1, left_ms < NBD_SLICE_MS ? (int)left_ms : NBD_SLICE_MS);
		if (ret > 0)
			return 0;
		if (ret < 0 && errno != EINTR)
			return -errno;
	}
}

static int nbd_read_all(const struct nbd_hs *hs, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;
	int ret;

	while (len) {
		n = recv(hs->fd, p, len, MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		ret = nbd_wait(hs, POLLIN);
		if (ret)
			return ret;
	}
	return 0;
}

static int nbd_write_all(const struct nbd_hs *hs, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;
	int ret;

	while (len) {
		n = send(hs->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		ret = nbd_wait(hs, POLLOUT);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * connect() on @hs's non-blocking socket, under its deadline. A unix
 * listener with a full backlog says EAGAIN: try again shortly.
 */
static int nbd_connect_fd(const struct nbd_hs *hs, const struct sockaddr *sa, socklen_t len)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	socklen_t elen = sizeof(int);
	int err, ret;

	for (;;) {
		if (connect(hs->fd, sa, len) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			ret = nbd_hs_check(hs);
			if (ret)
				return ret;
			nanosleep(&pause, NULL);
			continue;
		}
		if (errno != EINPROGRESS)
			return -errno;
		ret = nbd_wait(hs, POLLOUT);
		if (ret)
			return ret;
		if (getsockopt(hs->fd, SOL_SOCKET, SO_ERROR, &err, &elen))
			return -errno;
		return -err;
	}
}

static int nbd_socket_unix(struct nbd_hs *hs, const struct nbd_addr *addr)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int ret;

	hs->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (hs->fd < 0)
		return -errno;
	memcpy(sun.sun_path, addr->unix_path, sizeof(sun.sun_path) - 1);
	ret = nbd_connect_fd(hs, (struct sockaddr *)&sun, sizeof(sun));
	if (ret) {
		close(hs->fd);
		hs->fd = -1;
	}
	return ret;
}

static int nbd_socket_tcp(struct nbd_hs *hs, const struct nbd_addr *addr)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int err = -EHOSTUNREACH, one = 1, ret;

	ret = getaddrinfo(addr->host, addr->port, &hints, &res);
	if (ret) {
		ublk_err("nbd: cannot resolve %s: %s", addr->host, gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		hs->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
				ai->ai_protocol);
		if (hs->fd < 0) {
			err = -errno;
			continue;
		}
		err = nbd_connect_fd(hs, ai->ai_addr, ai->ai_addrlen);
		if (!err)
			break;
		close(hs->fd);
		hs->fd = -1;
		/* The deadline, a stop or a signal ends the whole attempt. */
		if (err == -ETIMEDOUT || err == -ECANCELED || err == -EINTR)
			break;
	}
	freeaddrinfo(res);
	if (hs->fd < 0)
		return err;
	/* Requests are small and many: no Nagle delay. */
	setsockopt(hs->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

static int nbd_send_option(const struct nbd_hs *hs, uint32_t option, const void *data,
			   uint32_t len)
{
	struct {
		uint64_t magic;
		uint32_t option;
		uint32_t len;
	} __attribute__((packed)) hdr = {
		htobe64(NBD_MAGIC_OPT), htobe32(option), htobe32(len),
	};
	int ret = nbd_write_all(hs, &hdr, sizeof(hdr));

	return ret ? ret : nbd_write_all(hs, data, len);
}

/* NBD_OPT_GO: the export's name, and one information request. */
static int nbd_send_go(const struct nbd_hs *hs, const char *name)
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
	return nbd_send_option(hs, NBD_OPT_GO, buf, name_len + 8);
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

/*
 * The handshake on @hs's connected socket. -ENOENT, -EACCES and -E2BIG
 * (too many replies) have been said; other errors are the caller's to say.
 */
static int nbd_handshake(const struct nbd_hs *hs, const struct nbd_addr *addr,
			 struct nbd_export *exp)
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
	unsigned int replies = 0;
	char where[300];
	int ret;

	ret = nbd_read_all(hs, greeting, sizeof(greeting));
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
	ret = nbd_write_all(hs, &client_flags, sizeof(client_flags));
	if (!ret)
		ret = nbd_send_go(hs, addr->export_name);
	memset(exp, 0, sizeof(*exp));
	while (!ret) {
		if (++replies > NBD_MAX_OPT_REPLIES) {
			ublk_err("nbd: %s sent more than %u replies to NBD_OPT_GO (export '%s'): refused",
				 nbd_addr_name(addr, where, sizeof(where)), NBD_MAX_OPT_REPLIES,
				 addr->export_name);
			return -E2BIG;
		}
		ret = nbd_read_all(hs, &rep, sizeof(rep));
		if (ret)
			return ret;
		rep.type = be32toh(rep.type);
		rep.len = be32toh(rep.len);
		if (be64toh(rep.magic) != NBD_MAGIC_OPT_REPLY ||
		    be32toh(rep.option) != NBD_OPT_GO || rep.len > NBD_MAX_REPLY_DATA)
			return -EPROTO;
		ret = nbd_read_all(hs, data, rep.len);
		if (ret)
			return ret;
		if (rep.type & NBD_REP_ERR) {
			nbd_send_option(hs, NBD_OPT_ABORT, NULL, 0);
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

/* Says why the handshake with @addr failed, unless it was said or asked for. */
static void nbd_say_failed(const struct nbd_addr *addr, unsigned int ms, bool connected,
			   int ret)
{
	char where[300];

	nbd_addr_name(addr, where, sizeof(where));
	switch (ret) {
	case -ENOENT:
	case -EACCES:
	case -E2BIG:
	case -EINVAL:
	case -ECANCELED:	/* the caller stopped it: it knows why */
		if (connected || ret == -ECANCELED)
			return;
		break;
	case -EINTR:
		ublk_err("nbd: %s: %s given up, the daemon is asked to end", where,
			 connected ? "handshake" : "connecting");
		return;
	case -ETIMEDOUT:
		ublk_err("nbd: %s %s within %u.%u s (export '%s')", where,
			 connected ? "did not complete the handshake" : "did not answer",
			 ms / 1000, ms % 1000 / 100, addr->export_name);
		return;
	case -EPROTO:
	case -EPROTONOSUPPORT:
		if (connected) {
			ublk_err("nbd: %s does not speak the fixed-newstyle NBD handshake", where);
			return;
		}
		break;
	case -ECONNRESET:
		if (connected) {
			ublk_err("nbd: %s closed the connection during the handshake (export '%s')",
				 where, addr->export_name);
			return;
		}
		break;
	}
	if (connected)
		ublk_err("nbd: handshake with %s: %s", where, strerror(-ret));
	else
		ublk_err("nbd: cannot connect to %s: %s", where, strerror(-ret));
}

int nbd_connect(const struct nbd_addr *addr, struct nbd_export *exp, const int *stop)
{
	unsigned int ms = addr->handshake_ms ? addr->handshake_ms : NBD_HANDSHAKE_MS;
	struct nbd_hs hs = { .fd = -1, .stop = stop };
	int ret, flags;

	hs.deadline_ns = nbd_mono_ns() + ms * 1000000LL;
	ret = addr->unix_path[0] ? nbd_socket_unix(&hs, addr) : nbd_socket_tcp(&hs, addr);
	if (ret == -EHOSTUNREACH && !addr->unix_path[0])
		return ret;		/* said by nbd_socket_tcp() */
	if (ret) {
		nbd_say_failed(addr, ms, false, ret);
		return ret;
	}
	ret = nbd_handshake(&hs, addr, exp);
	if (!ret) {
		ret = nbd_export_lbs(addr, exp);
		ret = ret < 0 ? ret : 0;
	}
	/* The queue's io_uring waits on a blocking socket (O_NONBLOCK: -EAGAIN). */
	flags = fcntl(hs.fd, F_GETFL);
	if (!ret && (flags < 0 || fcntl(hs.fd, F_SETFL, flags & ~O_NONBLOCK)))
		ret = -errno;
	if (ret) {
		nbd_say_failed(addr, ms, true, ret);
		close(hs.fd);
		return ret;
	}
	if (!addr->unix_path[0])
		ublk_tcp_liveness(hs.fd, NBD_TCP_DEAD_S, "nbd");
	return hs.fd;
}

void nbd_disconnect(int fd)
{
	struct nbd_request req = {
		.magic = htobe32(NBD_MAGIC_REQUEST),
		.type = htobe16(NBD_CMD_DISC),
	};

	if (fd < 0)
		return;
	/* A server that does not read any more gets no goodbye: never wait for it. */
	send(fd, &req, sizeof(req), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

int nbd_export_lbs(const struct nbd_addr *addr, const struct nbd_export *e)
{
	unsigned int lbs = e->min_block > 512 ? e->min_block : 512;
	char where[300];

	nbd_addr_name(addr, where, sizeof(where));
	if (e->size > UBLK_MAX_DEV_SIZE) {
		ublk_err("nbd: %s says export '%s' holds %llu bytes: more than a block device addresses (%llu)",
			 where, addr->export_name, (unsigned long long)e->size,
			 (unsigned long long)UBLK_MAX_DEV_SIZE);
		return -EINVAL;
	}
	if ((e->min_block & (e->min_block - 1)) || e->min_block > 4096 ||
	    (e->max_block && e->max_block < lbs)) {
		ublk_err("nbd: %s's block sizes for export '%s' (minimum %u, preferred %u, maximum %u) are unusable: the minimum must be a power of two up to 4096 and the maximum at least %u",
			 where, addr->export_name, e->min_block, e->pref_block, e->max_block, lbs);
		return -EINVAL;
	}
	if (e->size < lbs) {
		ublk_err("nbd: %s says export '%s' holds %llu bytes: less than one %u-byte block",
			 where, addr->export_name, (unsigned long long)e->size, lbs);
		return -EINVAL;
	}
	return (int)lbs;
}

int nbd_export_same(const struct nbd_export *first, const struct nbd_export *e,
		    const char *who)
{
	if (e->size == first->size && e->flags == first->flags &&
	    e->min_block == first->min_block && e->pref_block == first->pref_block &&
	    e->max_block == first->max_block)
		return 0;
	ublk_err("nbd: %s sees another export than the first connection: %llu bytes, flags 0x%x, blocks %u/%u/%u (the first: %llu bytes, flags 0x%x, blocks %u/%u/%u)",
		 who, (unsigned long long)e->size, e->flags, e->min_block, e->pref_block,
		 e->max_block, (unsigned long long)first->size, first->flags, first->min_block,
		 first->pref_block, first->max_block);
	return -EINVAL;
}
