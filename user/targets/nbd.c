// SPDX-License-Identifier: GPL-2.0
/*
 * nbd: a device backed by an export of an NBD server (TCP or unix socket).
 *
 * One connection per queue, made by init() (so a refused or unknown export
 * fails `add` before any device exists); the size, block sizes and which
 * commands the server takes come from its NBD_OPT_GO reply. On a queue's
 * ring, one sendmsg at a time carries every request queued since the last
 * (header, and data of a write), and one recv at a time reads the replies,
 * which name their request by cookie = tag, in any order.
 *
 * The server gone (the recv reads EOF or an error, a send fails, TCP
 * keepalive or TCP_USER_TIMEOUT gives up on the peer) or stalled (a
 * request has had no reply for --timeout seconds, 30 by default: checked
 * every NBD_TICK_MS by a timeout SQE on the ring while requests wait):
 * every IO in flight on that connection fails with -EIO, and the
 * connection is closed. The next IO of the queue reconnects, at most once
 * a second (meanwhile IOs fail with -EIO at once), on a thread of its own:
 * the queue thread never waits for a server, and the IOs that come while
 * the handshake runs wait for it (under their deadline). The new
 * connection must see the export the first one saw (size, flags, block
 * sizes), so the device serves again as soon as the server is back.
 * Nothing is retried: what a failed write left on the server is unknown,
 * and the file system above decides.
 *
 * So no IO waits on a server longer than --timeout, and `del` or SIGTERM
 * (whose STOP_DEV waits for the IOs in flight) are not held longer either.
 */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "values.h"
#include "log.h"
#include "net.h"
#include "nbd_client.h"
#include "params.h"
#include "ublk.h"

#define NBD_RECONNECT_NS	1000000000LL
/* How often the deadlines of waiting requests are checked. */
#define NBD_TICK_MS		500
#define NBD_DEFAULT_TIMEOUT_S	30
#define NBD_MAX_TIMEOUT_S	86400
#define NBD_MAX_IOV		1024
#define NBD_MAX_DISCARD		(1U << 30)
/* The target's own SQEs on a queue's ring (ublk_queue_own_io()). */
#define NBD_OWN_SEND		0
#define NBD_OWN_RECV		1
#define NBD_OWN_TICK		2
#define NBD_OWN_REDIAL		3

enum nbd_tag_state { NBD_TAG_IDLE, NBD_TAG_QUEUED, NBD_TAG_SENT };

struct nbd_tag {
	struct nbd_request req;		/* on the wire, big-endian */
	unsigned char state;
	unsigned char cmd;
	long long deadline_ns;		/* no reply by then: the connection is dropped */
};

/*
 * A reconnect, run by a thread of its own; it says it is done on @efd,
 * which the queue's ring reads.
 */
struct nbd_redial {
	pthread_t thread;
	const struct nbd_addr *addr;
	int efd;
	int stop;			/* atomic: give up (the daemon ends) */
	int fd;				/* the result: a socket or a negative errno */
	struct nbd_export exp;
	uint64_t efd_val;		/* the ring's read of efd lands here */
};

/* A queue's connection. Only its queue thread touches it once started. */
struct nbd_conn {
	int fd;				/* -1: none; reconnect on the next IO */
	bool dead;			/* failed; closed once send and recv are back */
	bool sending, receiving;	/* the one sendmsg / recv in flight */
	bool ticking;			/* the deadline check's timeout SQE in flight */
	bool redialing;			/* @redial's thread runs, its efd read in flight */
	long long next_try_ns;		/* no reconnect before (CLOCK_MONOTONIC) */
	struct nbd_redial redial;
	struct __kernel_timespec tick;
	unsigned int depth;
	struct nbd_tag *tags;
	unsigned int *sendq;		/* tags to send, a ring of depth entries */
	unsigned int sendq_head, sendq_len;
	unsigned int nr_inflight;	/* tags queued or sent */
	struct iovec *iov;		/* of the sendmsg in flight */
	struct msghdr msg;
	struct nbd_simple_reply reply;
	unsigned int rx_done;		/* bytes of the header or data read */
	int rx_tag;			/* reading the data of this read; -1: a header */
};

struct nbd_data {
	struct nbd_addr addr;
	struct nbd_export exp;
	unsigned long long size;	/* the device's: exp.size in whole blocks */
	unsigned int timeout_s;		/* --timeout; 0: NBD_DEFAULT_TIMEOUT_S */
	struct nbd_conn *conns;
	unsigned int nr_conns;
};

static const struct ublk_tgt_option nbd_options[] = {
	{ "host", true },
	{ "port", true },
	{ "export", true },
	{ "unix", true },
	{ "timeout", true },
	{ NULL },
};

static int nbd_parse_option(void *data, const char *name, const char *value)
{
	struct nbd_data *nd = data;
	struct nbd_addr *a = &nd->addr;
	unsigned int port;

	if (!strcmp(name, "host"))
		return ublk_parse_text(value, name, a->host, sizeof(a->host));
	if (!strcmp(name, "unix"))
		return ublk_parse_text(value, name, a->unix_path, sizeof(a->unix_path));
	if (!strcmp(name, "export")) {
		/* The empty name is the server's default export. */
		if (strlen(value) >= sizeof(a->export_name)) {
			ublk_err("--export must be shorter than %zu characters", sizeof(a->export_name));
			return -EINVAL;
		}
		memcpy(a->export_name, value, strlen(value) + 1);
		return 0;
	}
	if (!strcmp(name, "timeout"))
		return ublk_parse_uint(value, "--timeout (seconds)", 1, NBD_MAX_TIMEOUT_S,
				       &nd->timeout_s) ? -EINVAL : 0;
	if (ublk_parse_uint(value, "--port", 1, 65535, &port))
		return -EINVAL;
	snprintf(a->port, sizeof(a->port), "%u", port);
	return 0;
}

static long long nbd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void nbd_conn_free(struct nbd_conn *c)
{
	/* Only when its queue thread ended early: the redial is its own. */
	if (c->redialing) {
		__atomic_store_n(&c->redial.stop, 1, __ATOMIC_RELEASE);
		pthread_join(c->redial.thread, NULL);
		nbd_disconnect(c->redial.fd);
		c->redialing = false;
	}
	if (c->redial.efd >= 0)
		close(c->redial.efd);
	c->redial.efd = -1;
	nbd_disconnect(c->fd);
	c->fd = -1;
	free(c->tags);
	free(c->sendq);
	free(c->iov);
}

static void nbd_deinit(struct ublk_dev *dev)
{
	struct nbd_data *nd = dev->tgt_data;

	while (nd->nr_conns)
		nbd_conn_free(&nd->conns[--nd->nr_conns]);
	free(nd->conns);
	nd->conns = NULL;
}

/* Connection @i of @n; each after the first must see the first's export. */
static int nbd_conn_init(struct nbd_data *nd, struct nbd_conn *c, unsigned int depth,
			 unsigned int i, unsigned int n)
{
	struct nbd_export exp;
	char who[48];

	c->fd = -1;
	c->rx_tag = -1;
	c->depth = depth;
	c->redial.efd = eventfd(0, EFD_CLOEXEC);
	c->tags = calloc(depth, sizeof(*c->tags));
	c->sendq = calloc(depth, sizeof(*c->sendq));
	c->iov = calloc(NBD_MAX_IOV, sizeof(*c->iov));
	if (c->redial.efd < 0 || !c->tags || !c->sendq || !c->iov)
		return -ENOMEM;
	c->fd = nbd_connect(&nd->addr, i ? &exp : &nd->exp, NULL);
	if (c->fd < 0)
		return c->fd;
	snprintf(who, sizeof(who), "connection %u of %u", i + 1, n);
	return i ? nbd_export_same(&nd->exp, &exp, who) : 0;
}

/* Block sizes and what the export offers, into the device's parameters. */
static int nbd_set_params(struct ublk_dev *dev, struct nbd_data *nd)
{
	const struct nbd_export *e = &nd->exp;
	int ret = nbd_export_lbs(&nd->addr, e);	/* nbd_connect() checked it */
	unsigned int lbs = ret > 0 ? (unsigned int)ret : 512;
	unsigned int max_io = UBLK_IO_BUF_BYTES;
	struct ublk_params *p = &dev->params;

	if (ret < 0)
		return ret;
	nd->size = e->size - e->size % lbs;
	if (e->max_block && e->max_block < max_io)
		max_io = e->max_block - e->max_block % lbs;
	if (max_io < lbs)
		max_io = lbs;
	dev->lbs = lbs;
	ublk_params_init(p, nd->size, __builtin_ctz(lbs), max_io);
	if (e->flags & NBD_FLAG_READ_ONLY)
		p->basic.attrs |= UBLK_ATTR_READ_ONLY;
	if (e->flags & NBD_FLAG_ROTATIONAL)
		p->basic.attrs |= UBLK_ATTR_ROTATIONAL;
	/* Without SEND_FLUSH the server writes through: no cache to flush. */
	if (e->flags & NBD_FLAG_SEND_FLUSH)
		p->basic.attrs |= UBLK_ATTR_VOLATILE_CACHE;
	if ((e->flags & NBD_FLAG_SEND_FLUSH) && (e->flags & NBD_FLAG_SEND_FUA))
		p->basic.attrs |= UBLK_ATTR_FUA;
	if (e->flags & (NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES)) {
		p->types |= UBLK_PARAM_TYPE_DISCARD;
		p->discard.discard_granularity = lbs > 4096 ? lbs : 4096;
		p->discard.max_discard_segments = 1;
		if (e->flags & NBD_FLAG_SEND_TRIM)
			p->discard.max_discard_sectors = NBD_MAX_DISCARD >> 9;
		if (e->flags & NBD_FLAG_SEND_WRITE_ZEROES)
			p->discard.max_write_zeroes_sectors = NBD_MAX_DISCARD >> 9;
	}
	return 0;
}

static int nbd_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts)
{
	struct nbd_data *nd = dev->tgt_data;
	unsigned int q;
	int ret;

	if (!nd->addr.host[0] == !nd->addr.unix_path[0]) {
		ublk_err("target nbd needs one of --host HOST or --unix PATH");
		return -EINVAL;
	}
	if (nd->addr.unix_path[0] && nd->addr.port[0]) {
		ublk_err("target nbd: --port goes with --host, not --unix");
		return -EINVAL;
	}
	if (opts->nr_files || opts->size || opts->buffered) {
		ublk_err("target nbd takes no --file, --size or --buffered: the server has the export");
		return -EINVAL;
	}
	if (!nd->addr.port[0])
		snprintf(nd->addr.port, sizeof(nd->addr.port), "%s", NBD_DEFAULT_PORT);
	if (!nd->timeout_s)
		nd->timeout_s = NBD_DEFAULT_TIMEOUT_S;
	nd->conns = calloc(opts->nr_queues, sizeof(*nd->conns));
	if (!nd->conns)
		return -ENOMEM;
	for (q = 0; q < opts->nr_queues; q++) {
		ret = nbd_conn_init(nd, &nd->conns[q], opts->queue_depth, q, opts->nr_queues);
		nd->nr_conns++;
		if (ret < 0)
			goto fail;
		/* A flush on one connection covers the others only with multi-conn. */
		ret = -EINVAL;
		if (q == 0 && opts->nr_queues > 1 && !(nd->exp.flags & NBD_FLAG_CAN_MULTI_CONN)) {
			ublk_err("nbd: the export does not allow several connections (no CAN_MULTI_CONN): use -q 1");
			goto fail;
		}
	}
	ret = nbd_set_params(dev, nd);
	if (!ret)
		return 0;
fail:
	nbd_deinit(dev);
	return ret;
}

static void nbd_finish_tag(struct ublk_queue *q, struct nbd_conn *c, unsigned int tag, int res)
{
	c->tags[tag].state = NBD_TAG_IDLE;
	c->nr_inflight--;
	ublk_complete_io(q, tag, res);
}

/* Close a dead connection once neither its send nor its recv is in flight. */
static void nbd_conn_reap(struct nbd_conn *c)
{
	if (!c->dead || c->sending || c->receiving)
		return;
	close(c->fd);
	c->fd = -1;
	c->dead = false;
}

/* Every IO the connection holds (queued or sent) fails with @res. */
static void nbd_conn_fail_ios(struct ublk_queue *q, struct nbd_conn *c, int res)
{
	unsigned int tag;

	c->sendq_len = 0;
	for (tag = 0; tag < c->depth; tag++)
		if (c->tags[tag].state != NBD_TAG_IDLE)
			nbd_finish_tag(q, c, tag, res);
}

/* The server is gone (@why): fail what is in flight, and close the socket. */
static void nbd_conn_fail(struct ublk_queue *q, struct nbd_conn *c, const char *why)
{
	if (c->dead)
		return;
	ublk_err("nbd: queue %u: connection lost (%s): failing %u IOs in flight",
		 q->q_id, why, c->nr_inflight);
	c->dead = true;
	/* Ends the other SQE in flight on it (shutdown, not close: io_uring holds the file). */
	shutdown(c->fd, SHUT_RDWR);
	c->rx_tag = -1;
	c->rx_done = 0;
	c->next_try_ns = nbd_now_ns() + NBD_RECONNECT_NS;
	nbd_conn_fail_ios(q, c, -EIO);
	nbd_conn_reap(c);
}

/* Keeps the deadline check ticking while the connection holds IOs. */
static void nbd_tick_arm(struct ublk_queue *q, struct nbd_conn *c)
{
	struct io_uring_sqe *sqe;

	if (c->ticking)
		return;
	c->tick.tv_sec = NBD_TICK_MS / 1000;
	c->tick.tv_nsec = NBD_TICK_MS % 1000 * 1000000LL;
	sqe = ublk_queue_get_sqe(q);
	io_uring_prep_timeout(sqe, &c->tick, 0, 0);
	ublk_queue_own_io(q, sqe, NBD_OWN_TICK);
	c->ticking = true;
}

/* A tick: an IO past its deadline drops the connection (or the reconnect's wait). */
static void nbd_tick_done(struct ublk_queue *q, struct nbd_data *nd, struct nbd_conn *c)
{
	long long now = nbd_now_ns();
	unsigned int tag, late = 0;
	char why[64];

	c->ticking = false;
	for (tag = 0; tag < c->depth; tag++)
		late += c->tags[tag].state != NBD_TAG_IDLE && c->tags[tag].deadline_ns <= now;
	if (late && c->fd >= 0) {
		snprintf(why, sizeof(why), "%u IOs had no reply within %u s", late, nd->timeout_s);
		nbd_conn_fail(q, c, why);
	} else if (late) {
		ublk_err("nbd: queue %u: still reconnecting after %u s: failing %u IOs",
			 q->q_id, nd->timeout_s, c->nr_inflight);
		nbd_conn_fail_ios(q, c, -EIO);
	}
	if (c->nr_inflight)
		nbd_tick_arm(q, c);
}

static void *nbd_redial_thread(void *arg)
{
	struct nbd_redial *rd = arg;
	uint64_t one = 1;

	/* As the queue thread: its allocations must not write to a device. */
	prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0);
	__atomic_store_n(&rd->fd, nbd_connect(rd->addr, &rd->exp, &rd->stop), __ATOMIC_RELEASE);
	if (write(rd->efd, &one, sizeof(one)) != sizeof(one))
		ublk_err("nbd: the reconnect cannot report: %s", strerror(errno));
	return NULL;
}

/* Starts a reconnect unless one was tried less than a second ago. */
static bool nbd_redial_start(struct ublk_queue *q, struct nbd_data *nd, struct nbd_conn *c)
{
	struct nbd_redial *rd = &c->redial;
	struct io_uring_sqe *sqe;
	long long now = nbd_now_ns();
	int ret;

	if (now < c->next_try_ns)
		return false;
	c->next_try_ns = now + NBD_RECONNECT_NS;
	rd->addr = &nd->addr;
	rd->stop = 0;
	rd->fd = -1;
	ret = pthread_create(&rd->thread, NULL, nbd_redial_thread, rd);
	if (ret) {
		ublk_err("nbd: queue %u: cannot start a reconnect: %s", q->q_id, strerror(ret));
		return false;
	}
	c->redialing = true;
	sqe = ublk_queue_get_sqe(q);
	io_uring_prep_read(sqe, rd->efd, &rd->efd_val, sizeof(rd->efd_val), 0);
	ublk_queue_own_io(q, sqe, NBD_OWN_REDIAL);
	return true;
}

static void nbd_post_recv(struct ublk_queue *q, struct nbd_conn *c);
static void nbd_kick_send(struct ublk_queue *q, struct nbd_conn *c);

/* The reconnect ended: serve the IOs that waited for it, or fail them. */
static void nbd_redial_done(struct ublk_queue *q, struct nbd_data *nd, struct nbd_conn *c,
			    int res)
{
	struct nbd_redial *rd = &c->redial;
	char who[48];
	int fd;

	if (res < 0)	/* the read failed: the thread may still run */
		__atomic_store_n(&rd->stop, 1, __ATOMIC_RELEASE);
	pthread_join(rd->thread, NULL);
	c->redialing = false;
	fd = __atomic_load_n(&rd->fd, __ATOMIC_ACQUIRE);
	snprintf(who, sizeof(who), "queue %u, reconnecting,", q->q_id);
	if (fd >= 0 && nbd_export_same(&nd->exp, &rd->exp, who)) {
		nbd_disconnect(fd);
		fd = -1;
	}
	if (fd < 0) {
		nbd_conn_fail_ios(q, c, -EIO);
		return;
	}
	c->fd = fd;
	ublk_info("nbd: queue %u: reconnected", q->q_id);
	if (!c->nr_inflight)
		return;
	nbd_kick_send(q, c);
	nbd_post_recv(q, c);
}

static void nbd_post_recv(struct ublk_queue *q, struct nbd_conn *c)
{
	struct io_uring_sqe *sqe = ublk_queue_get_sqe(q);
	char *buf;
	unsigned int len;

	if (c->rx_tag < 0) {
		buf = (char *)&c->reply + c->rx_done;
		len = sizeof(c->reply) - c->rx_done;
	} else {
		buf = (char *)ublk_io_buf(q, c->rx_tag) + c->rx_done;
		len = be32toh(c->tags[c->rx_tag].req.length) - c->rx_done;
	}
	io_uring_prep_recv(sqe, c->fd, buf, len, MSG_WAITALL);
	ublk_queue_own_io(q, sqe, NBD_OWN_RECV);
	c->receiving = true;
}

/*
 * The send or recv of @c ended with @res: true when there is nothing more
 * to do with it (the connection is dead, or dies now).
 */
static bool nbd_own_failed(struct ublk_queue *q, struct nbd_conn *c, int res)
{
	if (c->dead) {
		nbd_conn_reap(c);
		return true;
	}
	if (res <= 0) {
		nbd_conn_fail(q, c, strerror(res < 0 ? -res : ECONNRESET));
		return true;
	}
	return false;
}

static void nbd_post_send(struct ublk_queue *q, struct nbd_conn *c)
{
	struct io_uring_sqe *sqe = ublk_queue_get_sqe(q);

	io_uring_prep_sendmsg(sqe, c->fd, &c->msg, MSG_NOSIGNAL | MSG_WAITALL);
	ublk_queue_own_io(q, sqe, NBD_OWN_SEND);
	c->sending = true;
}

/* Sends every queued request in one sendmsg, unless one is in flight. */
static void nbd_kick_send(struct ublk_queue *q, struct nbd_conn *c)
{
	unsigned int n = 0, tag;
	struct nbd_tag *t;

	if (c->sending || !c->sendq_len)
		return;
	while (c->sendq_len && n + 2 <= NBD_MAX_IOV) {
		tag = c->sendq[c->sendq_head];
		c->sendq_head = (c->sendq_head + 1) % c->depth;
		c->sendq_len--;
		t = &c->tags[tag];
		t->state = NBD_TAG_SENT;
		c->iov[n].iov_base = &t->req;
		c->iov[n++].iov_len = sizeof(t->req);
		if (t->cmd == NBD_CMD_WRITE) {
			c->iov[n].iov_base = ublk_io_buf(q, tag);
			c->iov[n++].iov_len = be32toh(t->req.length);
		}
	}
	memset(&c->msg, 0, sizeof(c->msg));
	c->msg.msg_iov = c->iov;
	c->msg.msg_iovlen = n;
	nbd_post_send(q, c);
}

/* A sendmsg completed: resend what it left, or send what queued meanwhile. */
static void nbd_send_done(struct ublk_queue *q, struct nbd_conn *c, int res)
{
	size_t left = res > 0 ? (size_t)res : 0;

	c->sending = false;
	if (nbd_own_failed(q, c, res))
		return;
	if (msg_advance(&c->msg, left)) {
		nbd_post_send(q, c);
		return;
	}
	nbd_kick_send(q, c);
}

/* A whole reply header is in: finish its request, or read its data. */
static int nbd_reply_header(struct ublk_queue *q, struct nbd_conn *c)
{
	uint64_t cookie = be64toh(c->reply.cookie);
	unsigned int tag = (unsigned int)cookie;
	int err = nbd_reply_errno(be32toh(c->reply.error));

	if (be32toh(c->reply.magic) != NBD_MAGIC_SIMPLE_REPLY || cookie >= c->depth ||
	    c->tags[tag].state != NBD_TAG_SENT)
		return -EPROTO;
	c->rx_done = 0;
	if (!err && c->tags[tag].cmd == NBD_CMD_READ) {
		c->rx_tag = (int)tag;
		return 0;
	}
	nbd_finish_tag(q, c, tag, err ? err : (int)ublk_iod_bytes(ublk_get_iod(q, tag)));
	return 0;
}

static void nbd_recv_done(struct ublk_queue *q, struct nbd_conn *c, int res)
{
	unsigned int want;
	int ret;

	c->receiving = false;
	if (nbd_own_failed(q, c, res))
		return;
	c->rx_done += res;
	want = c->rx_tag < 0 ? sizeof(c->reply) : be32toh(c->tags[c->rx_tag].req.length);
	if (c->rx_done == want) {
		if (c->rx_tag < 0) {
			ret = nbd_reply_header(q, c);
			if (ret) {
				nbd_conn_fail(q, c, "a reply that answers no request");
				return;
			}
		} else {
			nbd_finish_tag(q, c, c->rx_tag, (int)want);
			c->rx_tag = -1;
			c->rx_done = 0;
		}
	}
	/* Read on while any request waits for its reply. */
	if (c->nr_inflight)
		nbd_post_recv(q, c);
}

static void nbd_own_done(struct ublk_queue *q, const struct io_uring_cqe *cqe)
{
	struct nbd_data *nd = q->dev->tgt_data;
	struct nbd_conn *c = &nd->conns[q->q_id];

	switch (cqe->user_data & 0xffffffff) {
	case NBD_OWN_RECV:
		nbd_recv_done(q, c, cqe->res);
		break;
	case NBD_OWN_SEND:
		nbd_send_done(q, c, cqe->res);
		break;
	case NBD_OWN_TICK:
		nbd_tick_done(q, nd, c);
		break;
	case NBD_OWN_REDIAL:
		nbd_redial_done(q, nd, c, cqe->res);
		break;
	}
}

/* The NBD command of a ublk op, with its flags; -EOPNOTSUPP when none. */
static int nbd_command(const struct nbd_export *e, const struct ublksrv_io_desc *iod,
		       uint16_t *flags)
{
	unsigned int op = ublksrv_get_op(iod);
	bool fua = (iod->op_flags & UBLK_IO_F_FUA) && (e->flags & NBD_FLAG_SEND_FUA);

	*flags = fua ? NBD_CMD_FLAG_FUA : 0;
	switch (op) {
	case UBLK_IO_OP_READ:
		*flags = 0;
		return NBD_CMD_READ;
	case UBLK_IO_OP_WRITE:
		return NBD_CMD_WRITE;
	case UBLK_IO_OP_FLUSH:
		*flags = 0;
		return e->flags & NBD_FLAG_SEND_FLUSH ? NBD_CMD_FLUSH : -EOPNOTSUPP;
	case UBLK_IO_OP_DISCARD:
		return e->flags & NBD_FLAG_SEND_TRIM ? NBD_CMD_TRIM : -EOPNOTSUPP;
	case UBLK_IO_OP_WRITE_ZEROES:
		if (iod->op_flags & UBLK_IO_F_NOUNMAP)
			*flags |= NBD_CMD_FLAG_NO_HOLE;
		return e->flags & NBD_FLAG_SEND_WRITE_ZEROES ? NBD_CMD_WRITE_ZEROES : -EOPNOTSUPP;
	default:
		return -EOPNOTSUPP;
	}
}

static void nbd_queue_io(struct ublk_queue *q, unsigned int tag,
			 const struct ublksrv_io_desc *iod)
{
	struct nbd_data *nd = q->dev->tgt_data;
	struct nbd_conn *c = &nd->conns[q->q_id];
	struct nbd_tag *t = &c->tags[tag];
	uint16_t flags;
	int cmd = nbd_command(&nd->exp, iod, &flags);

	if (cmd < 0) {
		ublk_complete_io(q, tag, cmd);
		return;
	}
	/* A connection failing, or none and a reconnect tried less than 1 s ago. */
	if (c->dead || (c->fd < 0 && !c->redialing && !nbd_redial_start(q, nd, c))) {
		ublk_complete_io(q, tag, -EIO);
		return;
	}
	t->cmd = (unsigned char)cmd;
	t->deadline_ns = nbd_now_ns() + nd->timeout_s * 1000000000LL;
	t->state = NBD_TAG_QUEUED;
	t->req.magic = htobe32(NBD_MAGIC_REQUEST);
	t->req.flags = htobe16(flags);
	t->req.type = htobe16((uint16_t)cmd);
	t->req.cookie = htobe64(tag);
	t->req.offset = htobe64(iod->start_sector << 9);
	t->req.length = htobe32(cmd == NBD_CMD_FLUSH ? 0 : ublk_iod_bytes(iod));
	c->sendq[(c->sendq_head + c->sendq_len++) % c->depth] = tag;
	c->nr_inflight++;
	nbd_tick_arm(q, c);
	if (c->fd < 0)		/* sent once the reconnect is done */
		return;
	nbd_kick_send(q, c);
	if (!c->receiving)
		nbd_post_recv(q, c);
}

const struct ublk_tgt_ops ublk_tgt_nbd = {
	.name = "nbd",
.usage = "--host HOST [--port PORT] (default 10809) or --unix PATH, [--export NAME], [--timeout SECONDS] (default 30: an IO with no reply by then fails, its connection is dropped)",
	.options = nbd_options,
	.data_size = sizeof(struct nbd_data),
	.parse_option = nbd_parse_option,
	.init = nbd_init,
	.deinit = nbd_deinit,
	.queue_io = nbd_queue_io,
	.own_done = nbd_own_done,
};
