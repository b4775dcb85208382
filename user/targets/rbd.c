// SPDX-License-Identifier: GPL-2.0
/*
 * rbd: a device backed by a Ceph RBD image, through librbd's C aio API.
 *
 * init() (in the daemon, before the device exists) connects to the
 * cluster, opens the image (read-only at --snap) and takes the size and
 * object size from it, so a cluster, pool, image or key that is not there
 * fails `add` with one line and leaves nothing behind (lib->rados_shutdown()
 * joins librados' threads).
 *
 * Completions: librbd calls its callbacks on its own threads, where a ublk
 * IO must not be completed (the queue's ring has one submitter). So every
 * aio is made without a callback, and librbd is told to signal an eventfd
 * as each completes (rbd_set_image_notification, EVENT_TYPE_EVENTFD); a
 * read of that eventfd sits on the queue's ring while any aio is in flight,
 * and when it completes the queue thread reaps with lib->rbd_poll_io_events()
 * and completes the ublk IOs itself. A completion that lands between the
 * reap and the next read has bumped the counter: that read returns at once.
 *
 * librbd reports completions per image, so the device has one queue (the
 * tag is the aio's argument); any number of IOs are in flight on it.
 *
 * FUA: the write, then a flush of the image, as the IO's second step.
 * An OSD that goes away: librbd waits and resends (no OSD timeout is set),
 * so IOs wait and resume. Resize by another client: ublk on the kernels we
 * serve (6.12) cannot change a live device's size, so the device keeps the
 * size it started with; the change is logged (a watch on the image) and IO
 * past a shrunken image's end fails.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "params.h"
#include "rbd_lib.h"
#include "ublk.h"
#include "values.h"

#define RBD_NAME_MAX		256
#define RBD_DEFAULT_TIMEOUT_S	30
#define RBD_MAX_TIMEOUT_S	3600
#define RBD_MAX_DISCARD		(1U << 30)
#define RBD_REAP_BATCH		64
/* The target's own SQE: the read of librbd's eventfd. */
#define RBD_OWN_EVENT		0

/* librados and librbd, loaded by the first init() (rbd_lib.h). */
static const struct rbd_lib *lib;

/* Where a tag's IO is: its aio in flight, or a FUA write's flush after it. */
enum rbd_stage { RBD_IDLE, RBD_AIO, RBD_FUA_FLUSH };

struct rbd_data {
	/* The options, as given. */
	char pool[RBD_NAME_MAX], image_name[RBD_NAME_MAX], ns[RBD_NAME_MAX];
	char snap[RBD_NAME_MAX], client[RBD_NAME_MAX];
	char conf[PATH_MAX], keyring[PATH_MAX];
	unsigned int timeout_s;		/* --timeout: connecting; 0: the default */

	rados_t cluster;
	rados_ioctx_t ioctx;
	rbd_image_t image;
	bool connected, ioctx_made, opened, watching;
	uint64_t watch;
	unsigned long long size;	/* the device's, fixed at init */
	unsigned long long seen_size;	/* the image's as last logged (atomic) */

	/* The queue thread's alone once started. */
	int efd;			/* librbd signals completions here */
	uint64_t efd_val;		/* the ring's read of efd lands here */
	bool reading;			/* that read is in flight */
	unsigned int inflight;		/* aios not yet reaped */
	unsigned char *stage;		/* enum rbd_stage, per tag */
	unsigned int depth;
};

static const struct ublk_tgt_option rbd_options[] = {
	{ "pool", true },
	{ "image", true },
	{ "namespace", true },
	{ "snap", true },
	{ "conf", true },
	{ "id", true },
	{ "keyring", true },
	{ "timeout", true },
	{ NULL },
};

static int rbd_parse_option(void *data, const char *name, const char *value)
{
	struct rbd_data *rd = data;

	if (!strcmp(name, "pool"))
		return ublk_parse_text(value, name, rd->pool, sizeof(rd->pool));
	if (!strcmp(name, "image"))
		return ublk_parse_text(value, name, rd->image_name, sizeof(rd->image_name));
	if (!strcmp(name, "namespace"))
		return ublk_parse_text(value, name, rd->ns, sizeof(rd->ns));
	if (!strcmp(name, "snap"))
		return ublk_parse_text(value, name, rd->snap, sizeof(rd->snap));
	if (!strcmp(name, "conf"))
		return ublk_parse_text(value, name, rd->conf, sizeof(rd->conf));
	if (!strcmp(name, "id"))
		return ublk_parse_text(value, name, rd->client, sizeof(rd->client));
	if (!strcmp(name, "keyring"))
		return ublk_parse_text(value, name, rd->keyring, sizeof(rd->keyring));
	return ublk_parse_uint(value, "--timeout (seconds)", 1, RBD_MAX_TIMEOUT_S,
			       &rd->timeout_s) ? -EINVAL : 0;
}

/*
 * Another client changed the image (librbd's thread): log a new size once.
 * Nothing of the queue's is touched here.
 */
static void rbd_image_changed(void *arg)
{
	struct rbd_data *rd = arg;
	uint64_t now;

	if (lib->rbd_get_size(rd->image, &now) < 0 ||
	    __atomic_exchange_n(&rd->seen_size, now, __ATOMIC_RELAXED) == now)
		return;
	ublk_warn("rbd: image %s/%s resized by another client to %llu bytes: the device keeps %llu bytes until it is added again%s",
		  rd->pool, rd->image_name, (unsigned long long)now, rd->size,
		  now < rd->size ? " (IO past the image's end fails)" : "");
}

static void rbd_deinit(struct ublk_dev *dev)
{
	struct rbd_data *rd = dev->tgt_data;

	if (rd->watching)
		lib->rbd_update_unwatch(rd->image, rd->watch);
	if (rd->opened)
		lib->rbd_close(rd->image);
	if (rd->ioctx_made)
		lib->rados_ioctx_destroy(rd->ioctx);
	/* Also after a failed connect: it ends librados' threads. */
	if (rd->cluster)
		lib->rados_shutdown(rd->cluster);
	if (rd->efd >= 0)
		close(rd->efd);
	free(rd->stage);
	rd->stage = NULL;
	rd->cluster = NULL;
	rd->watching = rd->opened = rd->ioctx_made = rd->connected = false;
	rd->efd = -1;
}

/* Where the image is, for messages: pool[/namespace]/image[@snap]. */
static void rbd_spec(const struct rbd_data *rd, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s%s%s%s", rd->pool, rd->ns, *rd->ns ? "/" : "",
		 rd->image_name, *rd->snap ? "@" : "", rd->snap);
}

/* The cluster handle: ceph.conf, CEPH_ARGS, the key, a bound on connecting. */
static int rbd_connect(struct rbd_data *rd)
{
	char name[RBD_NAME_MAX + 8], timeout[16];
	int ret;

	snprintf(name, sizeof(name), "client.%s", *rd->client ? rd->client : "admin");
	ret = lib->rados_create2(&rd->cluster, "ceph", name, 0);
	if (ret < 0) {
		rd->cluster = NULL;
		ublk_err("rbd: cannot make a cluster handle for %s: %s", name, strerror(-ret));
		return ret;
	}
	/* No --conf: the default search (/etc/ceph/ceph.conf), which may be absent. */
	ret = lib->rados_conf_read_file(rd->cluster, *rd->conf ? rd->conf : NULL);
	if (ret < 0 && *rd->conf) {
		ublk_err("rbd: cannot read --conf %s: %s", rd->conf, strerror(-ret));
		return ret;
	}
	lib->rados_conf_parse_env(rd->cluster, NULL);
	if (*rd->keyring) {
		if (access(rd->keyring, R_OK)) {
			ublk_err("rbd: cannot read --keyring %s: %s", rd->keyring, strerror(errno));
			return -errno;
		}
		lib->rados_conf_set(rd->cluster, "keyring", rd->keyring);
	}
	snprintf(timeout, sizeof(timeout), "%u", rd->timeout_s);
	lib->rados_conf_set(rd->cluster, "client_mount_timeout", timeout);
	/* No log file of librados' own: what goes wrong is in our one line. */
	lib->rados_conf_set(rd->cluster, "log_to_stderr", "false");
	lib->rados_conf_set(rd->cluster, "err_to_stderr", "false");
	ret = lib->rados_connect(rd->cluster);
	if (ret < 0) {
		ublk_err("rbd: cannot connect to the cluster as %s%s%s: %s%s", name,
			 *rd->conf ? " with " : "", rd->conf, strerror(-ret),
			 ret == -ETIMEDOUT ? " (no monitor answered: check mon host in ceph.conf)" :
			 ret == -EACCES || ret == -EPERM || ret == -EOPNOTSUPP ?
			 " (authentication: check --id and --keyring)" :
			 ret == -ENOENT ? " (no monitor address or key: give --conf and --keyring)" : "");
		return ret;
	}
	rd->connected = true;
	return 0;
}

static int rbd_open_image(struct rbd_data *rd)
{
	char spec[4 * RBD_NAME_MAX];
	int ret;

	rbd_spec(rd, spec, sizeof(spec));
	ret = lib->rados_ioctx_create(rd->cluster, rd->pool, &rd->ioctx);
	if (ret < 0) {
		ublk_err("rbd: pool %s: %s", rd->pool,
			 ret == -ENOENT ? "no such pool" : strerror(-ret));
		return ret;
	}
	rd->ioctx_made = true;
	if (*rd->ns)
		lib->rados_ioctx_set_namespace(rd->ioctx, rd->ns);
	if (*rd->snap)
		ret = lib->rbd_open_read_only(rd->ioctx, rd->image_name, &rd->image, rd->snap);
	else
		ret = lib->rbd_open(rd->ioctx, rd->image_name, &rd->image, NULL);
	if (ret < 0) {
		ublk_err("rbd: image %s: %s", spec,
			 ret == -ENOENT ? "no such image or snapshot" : strerror(-ret));
		return ret;
	}
	rd->opened = true;
	return 0;
}

static int rbd_set_params(struct ublk_dev *dev, struct rbd_data *rd)
{
	struct ublk_params *p = &dev->params;
	rbd_image_info_t info;
	unsigned int gran;
	int ret = lib->rbd_stat(rd->image, &info, sizeof(info));

	if (ret < 0) {
		ublk_err("rbd: cannot stat the image: %s", strerror(-ret));
		return ret;
	}
	rd->size = info.size & ~511ULL;
	rd->seen_size = info.size;
	if (!rd->size) {
		ublk_err("rbd: the image is empty (0 bytes)");
		return -EINVAL;
	}
	dev->lbs = 512;
	ublk_params_init(p, rd->size, 9, UBLK_IO_BUF_BYTES);
	/* An object is the unit of placement: IOs inside one go to one OSD. */
	p->basic.io_opt_shift = (unsigned char)__builtin_ctzll(info.obj_size);
	p->basic.chunk_sectors = info.obj_size >> 9 <= UINT32_MAX ? info.obj_size >> 9 : 0;
	if (*rd->snap) {
		p->basic.attrs |= UBLK_ATTR_READ_ONLY;
		return 0;
	}
	/* librbd's cache (rbd_cache) is volatile: flush must reach us. */
	ublk_params_set_cache(p);
	gran = info.obj_size < 4096 ? 4096 : info.obj_size > (1U << 30) ? 1U << 30 :
	       (unsigned int)info.obj_size;
	ublk_params_set_discard(p, gran, RBD_MAX_DISCARD);
	return 0;
}

static int rbd_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts)
{
	struct rbd_data *rd = dev->tgt_data;
	int ret;

	rd->efd = -1;
	if (!*rd->pool || !*rd->image_name) {
		ublk_err("target rbd needs --pool POOL and --image IMAGE");
		return -EINVAL;
	}
	if (opts->nr_files || opts->size || opts->buffered) {
		ublk_err("target rbd takes no --file, --size or --buffered: the image has them");
		return -EINVAL;
	}
	if (opts->nr_queues > 1) {
		ublk_err("target rbd serves one queue (librbd reports completions per image): use -q 1 and a deeper -d");
		return -EINVAL;
	}
	if (!rd->timeout_s)
		rd->timeout_s = RBD_DEFAULT_TIMEOUT_S;
	lib = rbd_lib_open();
	if (!lib)
		return -ENOENT;
	rd->depth = opts->queue_depth;
	rd->stage = calloc(rd->depth, 1);
	rd->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!rd->stage || rd->efd < 0) {
		ret = rd->stage ? -errno : -ENOMEM;
		ublk_err("rbd: %s", strerror(-ret));
		goto fail;
	}
	ret = rbd_connect(rd);
	if (!ret)
		ret = rbd_open_image(rd);
	if (!ret)
		ret = rbd_set_params(dev, rd);
	if (ret)
		goto fail;
	ret = lib->rbd_set_image_notification(rd->image, rd->efd, EVENT_TYPE_EVENTFD);
	if (ret < 0) {
		ublk_err("rbd: librbd cannot signal completions on an eventfd: %s", strerror(-ret));
		goto fail;
	}
	if (lib->rbd_update_watch(rd->image, &rd->watch, rbd_image_changed, rd) == 0)
		rd->watching = true;
	else
		ublk_warn("rbd: cannot watch the image: a resize by another client goes unnoticed");
	return 0;
fail:
	rbd_deinit(dev);
	return ret;
}

/* Keeps a read of the eventfd on the ring while aios are in flight. */
static void rbd_arm(struct ublk_queue *q, struct rbd_data *rd)
{
	struct io_uring_sqe *sqe;

	if (rd->reading || !rd->inflight)
		return;
	sqe = ublk_queue_get_sqe(q);
	io_uring_prep_read(sqe, rd->efd, &rd->efd_val, sizeof(rd->efd_val), 0);
	ublk_queue_own_io(q, sqe, RBD_OWN_EVENT);
	rd->reading = true;
}

/* Starts @tag's next aio: 0, or librbd's negative errno (the completion released). */
static int rbd_submit(struct rbd_data *rd, unsigned int tag, const struct ublksrv_io_desc *iod,
		      void *buf, enum rbd_stage stage)
{
	uint64_t off = iod->start_sector << 9;
	size_t len = ublk_iod_bytes(iod);
	rbd_completion_t c;
	int ret;

	ret = lib->rbd_aio_create_completion((void *)(uintptr_t)tag, NULL, &c);
	if (ret < 0)
		return ret;
	if (stage == RBD_FUA_FLUSH) {
		ret = lib->rbd_aio_flush(rd->image, c);
	} else {
		switch (ublksrv_get_op(iod)) {
		case UBLK_IO_OP_READ:
			ret = lib->rbd_aio_read(rd->image, off, len, buf, c);
			break;
		case UBLK_IO_OP_WRITE:
			ret = lib->rbd_aio_write(rd->image, off, len, buf, c);
			break;
		case UBLK_IO_OP_FLUSH:
			ret = lib->rbd_aio_flush(rd->image, c);
			break;
		case UBLK_IO_OP_DISCARD:
			ret = lib->rbd_aio_discard(rd->image, off, len, c);
			break;
		case UBLK_IO_OP_WRITE_ZEROES:
			/* NOUNMAP: the zeroes must be allocated, not a hole. */
			ret = lib->rbd_aio_write_zeroes(rd->image, off, len, c,
						   iod->op_flags & UBLK_IO_F_NOUNMAP ?
						   RBD_WRITE_ZEROES_FLAG_THICK_PROVISION : 0, 0);
			break;
		default:
			ret = -EOPNOTSUPP;
		}
	}
	if (ret < 0) {
		lib->rbd_aio_release(c);
		return ret;
	}
	rd->stage[tag] = (unsigned char)stage;
	rd->inflight++;
	return 0;
}

static void rbd_queue_io(struct ublk_queue *q, unsigned int tag,
			 const struct ublksrv_io_desc *iod)
{
	struct rbd_data *rd = q->dev->tgt_data;
	int ret = rbd_submit(rd, tag, iod, ublk_io_buf(q, tag), RBD_AIO);

	if (ret < 0) {
		ublk_complete_io(q, tag, ret);
		return;
	}
	rbd_arm(q, rd);
}

/* One reaped aio of @tag ended with @res: complete the IO, or flush after a FUA write. */
static void rbd_aio_done(struct ublk_queue *q, struct rbd_data *rd, unsigned int tag,
			 ssize_t res)
{
	const struct ublksrv_io_desc *iod = ublk_get_iod(q, tag);
	unsigned int stage = rd->stage[tag];
	int ret;

	rd->stage[tag] = RBD_IDLE;
	rd->inflight--;
	if (res < 0) {
		ublk_complete_io(q, tag, (int)res);
		return;
	}
	if (stage == RBD_AIO && ublksrv_get_op(iod) == UBLK_IO_OP_WRITE &&
	    (iod->op_flags & UBLK_IO_F_FUA)) {
		ret = rbd_submit(rd, tag, iod, NULL, RBD_FUA_FLUSH);
		if (ret < 0)
			ublk_complete_io(q, tag, ret);
		return;
	}
	ublk_complete_io(q, tag, ublksrv_get_op(iod) == UBLK_IO_OP_FLUSH ? 0 :
				 (int)ublk_iod_bytes(iod));
}

/* The eventfd fired: reap every completed aio, here on the queue thread. */
static void rbd_own_done(struct ublk_queue *q, const struct io_uring_cqe *cqe)
{
	struct rbd_data *rd = q->dev->tgt_data;
	rbd_completion_t comps[RBD_REAP_BATCH];
	int n, i;

	rd->reading = false;
	if (cqe->res < 0 && cqe->res != -EAGAIN && cqe->res != -EINTR)
		ublk_err("rbd: reading the completion eventfd: %s", strerror(-cqe->res));
	do {
		n = lib->rbd_poll_io_events(rd->image, comps, RBD_REAP_BATCH);
		for (i = 0; i < n; i++) {
			unsigned int tag = (unsigned int)(uintptr_t)lib->rbd_aio_get_arg(comps[i]);
			ssize_t res = lib->rbd_aio_get_return_value(comps[i]);

			lib->rbd_aio_release(comps[i]);
			if (tag < rd->depth && rd->stage[tag] != RBD_IDLE)
				rbd_aio_done(q, rd, tag, res);
		}
	} while (n == RBD_REAP_BATCH);
	rbd_arm(q, rd);
}

const struct ublk_tgt_ops ublk_tgt_rbd = {
	.name = "rbd",
	.usage = "--pool POOL --image IMAGE [--namespace NS] [--snap SNAP] (read-only) [--conf CEPH.CONF] [--id CLIENT] (default admin) [--keyring FILE] [--timeout SECONDS] (connecting, default 30); one queue",
	.options = rbd_options,
	.data_size = sizeof(struct rbd_data),
	.parse_option = rbd_parse_option,
	.init = rbd_init,
	.deinit = rbd_deinit,
	.queue_io = rbd_queue_io,
	.own_done = rbd_own_done,
};
