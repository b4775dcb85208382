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
 * The server gone (the recv reads EOF or an error, or a send fails): every
 * IO in flight on that connection fails with -EIO, and the connection is
 * closed. The next IO of the queue reconnects (at most once a second;
 * meanwhile IOs fail with -EIO at once), so the device serves again as
 * soon as the server is back, with the same export size. Nothing is
 * retried: what a failed write left on the server is unknown, and the file
 * system above decides.
 */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "values.h"
#include "log.h"
#include "nbd_client.h"
#include "params.h"
#include "ublk.h"

#define NBD_RECONNECT_NS	1000000000LL
#define NBD_MAX_IOV		1024
#define NBD_MAX_DISCARD		(1U << 30)
#define NBD_OWN_SEND		0
#define NBD_OWN_RECV		1

enum nbd_tag_state { NBD_TAG_IDLE, NBD_TAG_QUEUED, NBD_TAG_SENT };

struct nbd_tag {
	struct nbd_request req;		/* on the wire, big-endian */
	unsigned char state;
	unsigned char cmd;
};

/* A queue's connection. Only its queue thread touches it once started. */
struct nbd_conn {
	int fd;				/* -1: none; reconnect on the next IO */
	bool dead;			/* failed; closed once send and recv are back */
	bool sending, receiving;	/* the one sendmsg / recv in flight */
	long long next_try_ns;		/* no reconnect before (CLOCK_MONOTONIC) */
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
	struct nbd_conn *conns;
	unsigned int nr_conns;
};

static const struct ublk_tgt_option nbd_options[] = {
	{ "host", true },
	{ "port", true },
	{ "export", true },
	{ "unix", true },
	{ NULL },
};

static int nbd_copy_arg(char *dst, size_t len, const char *name, const char *value)
{
	if (!*value || strlen(value) >= len) {
		ublk_err("--%s must be 1 to %zu characters, got '%s'", name, len - 1, value);
		return -EINVAL;
	}
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

static int nbd_parse_option(void *data, const char *name, const char *value)
{
	struct nbd_addr *a = &((struct nbd_data *)data)->addr;
	unsigned int port;

	if (!strcmp(name, "host"))
		return nbd_copy_arg(a->host, sizeof(a->host), name, value);
	if (!strcmp(name, "unix"))
		return nbd_copy_arg(a->unix_path, sizeof(a->unix_path), name, value);
	if (!strcmp(name, "export")) {
		/* The empty name is the server's default export. */
		if (strlen(value) >= sizeof(a->export_name)) {
			ublk_err("--export must be shorter than %zu characters", sizeof(a->export_name));
			return -EINVAL;
		}
		memcpy(a->export_name, value, strlen(value) + 1);
		return 0;
	}
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

static int nbd_conn_init(struct nbd_data *nd, struct nbd_conn *c, unsigned int depth)
{
	struct nbd_export exp;

	c->fd = -1;
	c->rx_tag = -1;
	c->depth = depth;
	c->tags = calloc(depth, sizeof(*c->tags));
	c->sendq = calloc(depth, sizeof(*c->sendq));
	c->iov = calloc(NBD_MAX_IOV, sizeof(*c->iov));
	if (!c->tags || !c->sendq || !c->iov)
		return -ENOMEM;
	c->fd = nbd_connect(&nd->addr, nd->nr_conns ? &exp : &nd->exp);
	return c->fd < 0 ? c->fd : 0;
}

/* Block sizes and what the export offers, into the device's parameters. */
static int nbd_set_params(struct ublk_dev *dev, struct nbd_data *nd)
{
	const struct nbd_export *e = &nd->exp;
	unsigned int lbs = e->min_block > 512 ? e->min_block : 512;
	unsigned int max_io = UBLK_IO_BUF_BYTES;
	struct ublk_params *p = &dev->params;

	if (lbs > 4096 || (lbs & (lbs - 1))) {
		ublk_err("nbd: the export's minimum block of %u bytes is not a power of two up to 4096",
			 e->min_block);
		return -EINVAL;
	}
	nd->size = e->size - e->size % lbs;
	if (!nd->size) {
		ublk_err("nbd: the export is smaller than one %u-byte block", lbs);
		return -EINVAL;
	}
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
	nd->conns = calloc(opts->nr_queues, sizeof(*nd->conns));
	if (!nd->conns)
		return -ENOMEM;
	for (q = 0; q < opts->nr_queues; q++) {
		ret = nbd_conn_init(nd, &nd->conns[q], opts->queue_depth);
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

/* The server is gone: fail what is in flight, and close the socket. */
static void nbd_conn_fail(struct ublk_queue *q, struct nbd_conn *c, int why)
{
	unsigned int tag;

	if (c->dead)
		return;
	ublk_err("nbd: queue %u: connection lost (%s): failing %u IOs in flight",
		 q->q_id, strerror(-why), c->nr_inflight);
	c->dead = true;
	/* Ends the other SQE in flight on it (shutdown, not close: io_uring holds the file). */
	shutdown(c->fd, SHUT_RDWR);
	c->sendq_len = 0;
	c->rx_tag = -1;
	c->rx_done = 0;
	c->next_try_ns = nbd_now_ns() + NBD_RECONNECT_NS;
	for (tag = 0; tag < c->depth; tag++)
		if (c->tags[tag].state != NBD_TAG_IDLE)
			nbd_finish_tag(q, c, tag, -EIO);
	nbd_conn_reap(c);
}

static bool nbd_reconnect(struct ublk_queue *q, struct nbd_data *nd, struct nbd_conn *c)
{
	struct nbd_export exp;
	long long now = nbd_now_ns();
	int fd;

	if (now < c->next_try_ns)
		return false;
	c->next_try_ns = now + NBD_RECONNECT_NS;
	fd = nbd_connect(&nd->addr, &exp);
	if (fd < 0)
		return false;
	if (exp.size - exp.size % q->dev->lbs != nd->size) {
		ublk_err("nbd: queue %u: the export is now %llu bytes, not %llu: not reconnecting",
			 q->q_id, (unsigned long long)exp.size, nd->size);
		nbd_disconnect(fd);
		return false;
	}
	c->fd = fd;
	ublk_err("nbd: queue %u: reconnected", q->q_id);
	return true;
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
		nbd_conn_fail(q, c, res < 0 ? res : -ECONNRESET);
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
	while (c->msg.msg_iovlen && left >= c->msg.msg_iov->iov_len) {
		left -= c->msg.msg_iov->iov_len;
		c->msg.msg_iov++;
		c->msg.msg_iovlen--;
	}
	if (c->msg.msg_iovlen) {
		c->msg.msg_iov->iov_base = (char *)c->msg.msg_iov->iov_base + left;
		c->msg.msg_iov->iov_len -= left;
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
				nbd_conn_fail(q, c, ret);
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

	if ((cqe->user_data & 0xffffffff) == NBD_OWN_RECV)
		nbd_recv_done(q, c, cqe->res);
	else
		nbd_send_done(q, c, cqe->res);
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
	if (c->fd < 0 && !nbd_reconnect(q, nd, c)) {
		ublk_complete_io(q, tag, -EIO);
		return;
	}
	if (c->dead) {
		ublk_complete_io(q, tag, -EIO);
		return;
	}
	t->cmd = (unsigned char)cmd;
	t->state = NBD_TAG_QUEUED;
	t->req.magic = htobe32(NBD_MAGIC_REQUEST);
	t->req.flags = htobe16(flags);
	t->req.type = htobe16((uint16_t)cmd);
	t->req.cookie = htobe64(tag);
	t->req.offset = htobe64(iod->start_sector << 9);
	t->req.length = htobe32(cmd == NBD_CMD_FLUSH ? 0 : ublk_iod_bytes(iod));
	c->sendq[(c->sendq_head + c->sendq_len++) % c->depth] = tag;
	c->nr_inflight++;
	nbd_kick_send(q, c);
	if (!c->receiving)
		nbd_post_recv(q, c);
}

const struct ublk_tgt_ops ublk_tgt_nbd = {
	.name = "nbd",
	.usage = "--host HOST [--port PORT] (default 10809) or --unix PATH, [--export NAME]",
	.options = nbd_options,
	.data_size = sizeof(struct nbd_data),
	.parse_option = nbd_parse_option,
	.init = nbd_init,
	.deinit = nbd_deinit,
	.queue_io = nbd_queue_io,
	.own_done = nbd_own_done,
};
