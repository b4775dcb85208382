// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-tcp: a device backed by one namespace of an NVMe/TCP subsystem; a
 * user-space NVMe/TCP host of our own (nvme_tcp_pdu.c for the bytes,
 * nvme_tcp_conn.c for the blocking set-up).
 *
 * init() does all of the set-up, so a bad address, subsystem NQN or
 * namespace fails `add` in one line before any device exists: the admin
 * queue (ICReq, Fabrics Connect with controller id 0xffff, CC.EN through
 * Property Set when the controller is off, Identify Controller and
 * Namespace for the size and block format), then one I/O queue per ublk
 * queue, each its own TCP connection and Fabrics Connect to the controller
 * id the admin queue got, SQSIZE = the queue depth (the tag is the
 * command id). The admin queue stays open for the device's life (closing
 * it ends the controller); with --kato a thread sends Keep Alive on it
 * every half KATO.
 *
 * Devices made together on one kfunc-shim controller (--all or --count
 * with --ctrl: ublk_queues_shared()) share ONE NVMe controller: one admin
 * queue, and I/O queue q, one connection, serves hardware queue q of every
 * device, on the one thread and ring the daemon gives them all. Their tags
 * come from the shim controller's one tag set, unique per hardware queue
 * across the devices, so a tag is still the command id, and the NVMe
 * queue's depth is never exceeded however many namespaces there are. Each
 * command records its ublk queue (device), and holds it until it is done.
 *
 * On a queue's ring, one sendmsg at a time carries every PDU queued since
 * the last (CapsuleCmd headers, a write's data in the capsule when it fits
 * the controller's IOCCSZ, H2CData PDUs answering R2Ts), and one recv at a
 * time reads a 24-byte PDU header (every PDU a controller sends on an I/O
 * queue has one), then a C2HData's data straight into the IO's buffer.
 *
 * A lost I/O connection is made again by its queue thread, blocking, for
 * up to NVT_RECONNECT_S, once no operation of the old socket is in flight;
 * the IOs it held are then sent again (reads, writes and flushes may be
 * repeated), and the kernel holds new IOs meanwhile. The first queue to
 * see a loss makes a fresh admin queue (controller) too: the target
 * may have dropped the old one with its port; the others connect to it.
 * Only when the time is up do the queue's IOs fail with -EIO, and every
 * later one.
 *
 * Lock order: ctrl->admin_lock alone (admin_fd, cntlid, admin_gen; queue
 * threads, the keep-alive thread, a later device's init); nothing is
 * taken under it. ctrl->refs changes only on the daemon's main thread.
 *
 * Not done yet (see docs/usage.md): IO timeouts beyond TCP's own
 * (keepalive, TCP_USER_TIMEOUT), digests. Without --ctrl, --all gives each
 * device its own NVMe controller (their tags could collide on one).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "nvme_tcp_conn.h"
#include "params.h"
#include "ublk.h"
#include "values.h"

#define NVT_ADMIN_SQSIZE	31	/* 32 entries, the fewest a controller offers */
#define NVT_MAX_H2C		8	/* H2CData PDUs per R2T: bounds the IO size */
#define NVT_MAX_IOV		1024
#define NVT_MAX_KATO_S		3600
#define NVT_TCP_DEAD_S		30
#define NVT_RECONNECT_S		30	/* a queue retries its connection this long */
#define NVT_MAX_DISCARD		(1u << 30)	/* bytes per discard, our own cap */
#define NVT_OWN_SEND		0
#define NVT_OWN_RECV		1

enum nvt_state { NVT_IDLE, NVT_BUSY };

/* One tag's command: its PDU headers live as long as the IO. */
struct nvt_tag {
	uint8_t cmd[NVME_TCP_CMD_HLEN];
	uint8_t h2c[NVT_MAX_H2C][NVME_TCP_SHORT_HLEN];
	uint8_t dsm[NVME_DSM_RANGE_LEN];	/* a discard's range list */
	uint8_t state, op;
	bool incap;			/* its data follows the command */
	uint32_t len;			/* bytes of data */
	void *data;			/* where they are: the IO buffer, or dsm */
	int res;			/* the IO's result when the command succeeds */
	struct ublk_queue *q;		/* whose IO: the device's queue, held */
};

/* A PDU to send: a header and the data after it. */
struct nvt_out {
	void *hdr;
	uint32_t hlen;
	void *data;
	uint32_t dlen;
};

/* A queue's connection. Only its queue thread touches it once started. */
struct nvt_conn {
	int fd;
	bool dead;			/* gave up: every IO fails at once */
	bool broken;			/* lost: made again once its ops are back */
	unsigned int admin_gen;		/* ctrl->admin_gen it connected under */
	bool sending, receiving;
	struct nvt_tag *tags;
	struct nvt_out *outq;		/* a ring of out_cap PDUs */
	unsigned int out_head, out_len, out_cap;
	unsigned int nr_busy;
	struct iovec *iov;
	struct msghdr msg;
	uint8_t rxhdr[NVME_TCP_SHORT_HLEN];
	struct nvme_tcp_rx rx;
	unsigned int rx_done;
	bool rx_data;			/* reading rx's C2HData data */
};

/* An NVMe controller on the target: one device's, or shared by several. */
struct nvt_ctrl {
	struct nvme_tcp_addr addr;	/* with the host identity it connects as */
	unsigned int kato_s;
	unsigned int refs;		/* devices using it */
	pthread_mutex_t admin_lock;	/* admin_fd, cntlid, admin_gen */
	int admin_fd;
	uint16_t cntlid;
	unsigned int admin_gen;		/* admin queues made after the first */
	unsigned int depth;
	unsigned int max_io;		/* bytes per command: MDTS, MAXH2CDATA */
	uint32_t incap_max;		/* a write up to this goes in the capsule */
	uint32_t maxh2cdata;
	bool vwc;
	bool dsm, wz;			/* the controller has DSM, Write Zeroes (ONCS) */
	struct nvme_id_ctrl_nvm nvm;	/* their size limits */
	unsigned int wz_page;		/* WZSL's unit: CAP.MPSMIN's page */
	struct nvt_conn *conns;
	unsigned int nr_conns;
	pthread_t ka_thread;
	bool ka_running;
	int ka_stop;			/* atomic */
};

/* A device: its options, its namespace, its controller. */
struct nvt_data {
	struct nvme_tcp_addr addr;
	unsigned int nsid;		/* --nsid; 0: 1 */
	bool all;			/* --all: a device per active namespace */
	unsigned int kato_s;
	unsigned int lbads;
	struct nvt_ctrl *ctrl;
};

/* ublk_queues_shared(): the controller the daemon's devices share. */
static struct nvt_ctrl *nvt_shared_ctrl;

static const struct ublk_tgt_option nvt_options[] = {
	{ "traddr", true },
	{ "trsvcid", true },
	{ "subnqn", true },
	{ "hostnqn", true },
	{ "nsid", true },
	{ "kato", true },
	{ "all", false },
	{ NULL },
};

/*
 * --all: the active namespace ids prepare() found before the daemon forked;
 * the daemon's init() of each device, in order, takes the next.
 */
static uint32_t nvt_all_ids[UBLK_MAX_COUNT];
static unsigned int nvt_all_nr, nvt_all_next;

static int nvt_parse_option(void *data, const char *name, const char *value)
{
	struct nvt_data *nd = data;
	struct nvme_tcp_addr *a = &nd->addr;
	unsigned int port;

	if (!strcmp(name, "traddr"))
		return ublk_parse_text(value, name, a->host, sizeof(a->host));
	if (!strcmp(name, "subnqn"))
		return ublk_parse_text(value, name, a->subnqn, sizeof(a->subnqn));
	if (!strcmp(name, "hostnqn"))
		return ublk_parse_text(value, name, a->hostnqn, sizeof(a->hostnqn));
	if (!strcmp(name, "nsid"))
		return ublk_parse_uint(value, "--nsid", 1, 0xfffffffe, &nd->nsid) ? -EINVAL : 0;
	if (!strcmp(name, "all")) {
		nd->all = true;
		return 0;
	}
	if (!strcmp(name, "kato"))
		return ublk_parse_uint(value, "--kato (seconds)", 1, NVT_MAX_KATO_S,
				       &nd->kato_s) ? -EINVAL : 0;
	if (ublk_parse_uint(value, "--trsvcid", 1, 65535, &port))
		return -EINVAL;
	snprintf(a->port, sizeof(a->port), "%u", port);
	return 0;
}

/* A host id of our own, and the NQN made of it unless --hostnqn gave one. */
static int nvt_host_identity(struct nvme_tcp_addr *a)
{
	const uint8_t *h = a->hostid;

	if (getrandom(a->hostid, sizeof(a->hostid), 0) != sizeof(a->hostid))
		return -errno;
	a->hostid[6] = (a->hostid[6] & 0x0f) | 0x40;	/* a version 4 UUID */
	a->hostid[8] = (a->hostid[8] & 0x3f) | 0x80;
	if (a->hostnqn[0])
		return 0;
	snprintf(a->hostnqn, sizeof(a->hostnqn),
		 "nqn.2014-08.org.nvmexpress:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11],
		 h[12], h[13], h[14], h[15]);
	return 0;
}

/* Keep Alive every half KATO on the admin queue, until told to stop. */
static void *nvt_keep_alive(void *arg)
{
	struct nvt_ctrl *ctrl = arg;
	struct timespec slice = { 0, 100 * 1000 * 1000 };
	unsigned int waited_ms = 0;
	bool failing = false;
	uint8_t sqe[NVME_SQE_LEN];
	uint16_t status;
	uint64_t result;
	int ret;

	prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0);
	while (!__atomic_load_n(&ctrl->ka_stop, __ATOMIC_ACQUIRE)) {
		nanosleep(&slice, NULL);
		waited_ms += 100;
		if (waited_ms < ctrl->kato_s * 500)
			continue;
		waited_ms = 0;
		nvme_sqe_init(sqe, NVME_ADMIN_KEEP_ALIVE, 2, 0);
		pthread_mutex_lock(&ctrl->admin_lock);
		ret = ctrl->admin_fd < 0 ? -ENOTCONN :
		      nvme_tcp_sync_cmd(ctrl->admin_fd, sqe, NULL, 0, NULL, 0, &status, &result);
		pthread_mutex_unlock(&ctrl->admin_lock);
		/* Said once a spell: the next lost I/O queue makes a new controller. */
		if ((ret || status) && !failing)
			ublk_err("nvme-tcp: Keep Alive failed (%s): the controller will drop this host",
				 ret ? strerror(-ret) : nvme_status_str(status));
		failing = ret || status;
	}
	return NULL;
}

static void nvt_conn_free(struct nvt_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->tags);
	free(c->outq);
	free(c->iov);
}

/* The last device using @ctrl is done: its queues, keep-alive, admin queue. */
static void nvt_ctrl_free(struct nvt_ctrl *ctrl)
{
	while (ctrl->nr_conns)
		nvt_conn_free(&ctrl->conns[--ctrl->nr_conns]);
	free(ctrl->conns);
	if (ctrl->ka_running) {
		__atomic_store_n(&ctrl->ka_stop, 1, __ATOMIC_RELEASE);
		pthread_join(ctrl->ka_thread, NULL);
	}
	/* The admin queue last: closing it ends the controller on the target. */
	if (ctrl->admin_fd >= 0)
		close(ctrl->admin_fd);
	pthread_mutex_destroy(&ctrl->admin_lock);
	if (nvt_shared_ctrl == ctrl)
		nvt_shared_ctrl = NULL;
	free(ctrl);
}

static void nvt_deinit(struct ublk_dev *dev)
{
	struct nvt_data *nd = dev->tgt_data;

	if (nd->ctrl && !--nd->ctrl->refs)
		nvt_ctrl_free(nd->ctrl);
	nd->ctrl = NULL;
}

/* A new admin queue (and so controller) in place of the old: connect, enable. */
static int nvt_admin_connect(struct nvt_ctrl *ctrl, struct nvme_tcp_icresp *ic, uint64_t *cap)
{
	int ret;

	if (ctrl->admin_fd >= 0)
		close(ctrl->admin_fd);
	ctrl->admin_fd = nvme_tcp_dial(&ctrl->addr, ic);
	if (ctrl->admin_fd < 0)
		return ctrl->admin_fd;
	ctrl->cntlid = 0xffff;
	ret = nvme_tcp_connect_queue(ctrl->admin_fd, &ctrl->addr, 0, NVT_ADMIN_SQSIZE,
				     &ctrl->cntlid);
	if (!ret)
		ret = nvme_tcp_enable(ctrl->admin_fd, &ctrl->addr, cap);
	return ret;
}

/* The smaller of @a and a limit @b where 0 means none. */
static unsigned long long nvt_min(unsigned long long a, unsigned long long b)
{
	return b && b < a ? b : a;
}

/*
 * DSM and Write Zeroes as ONCS says, their size limits from the NVM
 * command set's Identify Controller (CNS 06h; a controller without it has
 * none but the commands' own fields).
 */
static int nvt_discard_limits(struct nvt_ctrl *ctrl, const struct nvme_id_ctrl *id_ctrl,
			      uint64_t cap)
{
	uint8_t id[NVME_IDENTIFY_LEN] = { 0 }, sqe[NVME_SQE_LEN];
	uint16_t status;
	uint64_t result;
	int ret;

	ctrl->dsm = id_ctrl->oncs & NVME_ONCS_DSM;
	ctrl->wz = id_ctrl->oncs & NVME_ONCS_WRITE_ZEROES;
	ctrl->wz_page = 4096u << ((cap >> 48) & 0xf);
	if (!ctrl->dsm && !ctrl->wz)
		return 0;
	nvme_sqe_identify(sqe, 5, NVME_CNS_CS_CTRL, 0);
	ret = nvme_tcp_sync_cmd(ctrl->admin_fd, sqe, NULL, 0, id, sizeof(id), &status, &result);
	if (ret)
		return ret;
	if (status)
		memset(id, 0, sizeof(id));
	nvme_id_ctrl_nvm_parse(id, &ctrl->nvm);
	return 0;
}

/* Discard and write-zeroes limits for ublk, blocks of 2^@lbads bytes. */
static void nvt_discard_params(struct ublk_params *p, const struct nvt_ctrl *ctrl,
			       unsigned int lbads)
{
	unsigned long long dsm = NVT_MAX_DISCARD, wz = (unsigned long long)NVME_WZ_MAX_NLB << lbads;

	if (!ctrl->dsm && !ctrl->wz)
		return;
	/* One range per command (one segment), so DMRL never binds. */
	dsm = nvt_min(dsm, (unsigned long long)ctrl->nvm.dmrsl << lbads);
	if (ctrl->nvm.dmsl < (1ull << 40))
		dsm = nvt_min(dsm, ctrl->nvm.dmsl << lbads);
	if (ctrl->nvm.wzsl && ctrl->nvm.wzsl < 32)
		wz = nvt_min(wz, (unsigned long long)ctrl->wz_page << ctrl->nvm.wzsl);
	p->types |= UBLK_PARAM_TYPE_DISCARD;
	p->discard.discard_granularity = 1u << lbads;
	p->discard.max_discard_segments = 1;
	p->discard.max_discard_sectors = ctrl->dsm ? (unsigned int)(dsm >> 9) : 0;
	p->discard.max_write_zeroes_sectors = ctrl->wz ? (unsigned int)(wz >> 9) : 0;
}

/* The admin queue: connect, enable, Identify Controller: what all its devices share. */
static int nvt_ctrl_admin(struct nvt_ctrl *ctrl)
{
	uint8_t id[NVME_IDENTIFY_LEN];
	struct nvme_tcp_icresp ic;
	struct nvme_id_ctrl id_ctrl;
	uint8_t sqe[NVME_SQE_LEN];
	unsigned int mqes, page;
	uint16_t status;
	uint64_t result, cap;
	char where[300];
	int ret;

	nvme_tcp_where(&ctrl->addr, where, sizeof(where));
	ret = nvt_admin_connect(ctrl, &ic, &cap);
	if (ret)
		return ret;
	mqes = (unsigned int)(cap & 0xffff);	/* 0's based */
	if (ctrl->depth > mqes) {
		ublk_err("nvme-tcp: %s takes at most %u commands per queue: use -d %u or less",
			 where, mqes, mqes);
		return -EINVAL;
	}
	nvme_sqe_identify(sqe, 3, NVME_CNS_CTRL, 0);
	ret = nvme_tcp_sync_cmd(ctrl->admin_fd, sqe, NULL, 0, id, sizeof(id), &status, &result);
	if (!ret && status) {
		ublk_err("nvme-tcp: %s: Identify Controller: %s (status 0x%x)", where,
			 nvme_status_str(status), status);
		ret = -EIO;
	}
	if (ret)
		return ret;
	nvme_id_ctrl_parse(id, &id_ctrl);
	ret = nvt_discard_limits(ctrl, &id_ctrl, cap);
	if (ret)
		return ret;
	ctrl->vwc = id_ctrl.vwc & 1;
	ctrl->maxh2cdata = ic.maxh2cdata;
	ctrl->incap_max = id_ctrl.ioccsz * 16 > NVME_SQE_LEN ? id_ctrl.ioccsz * 16 - NVME_SQE_LEN : 0;
	/* MDTS: in units of the smallest page, CAP.MPSMIN (2^(12 + MPSMIN)). */
	ctrl->max_io = UBLK_IO_BUF_BYTES;
	page = 4096u << ((cap >> 48) & 0xf);
	if (id_ctrl.mdts && id_ctrl.mdts < 20 &&
	    ((unsigned long long)page << id_ctrl.mdts) < ctrl->max_io)
		ctrl->max_io = page << id_ctrl.mdts;
	if ((unsigned long long)ctrl->maxh2cdata * NVT_MAX_H2C < ctrl->max_io)
		ctrl->max_io = ctrl->maxh2cdata * NVT_MAX_H2C;
	if (ctrl->kato_s && !id_ctrl.kas)
		ublk_warn("nvme-tcp: %s does not say it supports Keep Alive (KAS 0); sending it anyway",
			  where);
	return 0;
}

/* Identify Namespace nd->nsid on @ctrl's admin queue: the device's parameters. */
static int nvt_namespace(struct ublk_dev *dev, struct nvt_data *nd, struct nvt_ctrl *ctrl)
{
	uint8_t id[NVME_IDENTIFY_LEN] = { 0 }, sqe[NVME_SQE_LEN];
	struct nvme_id_ns ns;
	unsigned long long size;
	unsigned int max_io;
	uint16_t status;
	uint64_t result;
	int ret;

	nvme_sqe_identify(sqe, 4, NVME_CNS_NS, nd->nsid);
	pthread_mutex_lock(&ctrl->admin_lock);
	ret = ctrl->admin_fd < 0 ? -ENOTCONN :
	      nvme_tcp_sync_cmd(ctrl->admin_fd, sqe, NULL, 0, id, sizeof(id), &status, &result);
	pthread_mutex_unlock(&ctrl->admin_lock);
	if (ret)
		return ret;
	nvme_id_ns_parse(id, &ns);
	if (status || !ns.nsze) {
		ublk_err("nvme-tcp: subsystem '%s' has no active namespace %u", nd->addr.subnqn,
			 nd->nsid);
		return -ENOENT;
	}
	if (ns.lbads < 9 || ns.lbads > 12 || ns.ms) {
		ublk_err("nvme-tcp: namespace %u of '%s' has %u-byte blocks with %u bytes of metadata: only 512 to 4096 without metadata are served",
			 nd->nsid, nd->addr.subnqn, ns.lbads < 32 ? 1u << ns.lbads : 0, ns.ms);
		return -EINVAL;
	}
	nd->lbads = ns.lbads;
	max_io = ctrl->max_io & ~((1u << ns.lbads) - 1);
	size = ns.nsze << ns.lbads;
	if (ns.nsze > (UBLK_MAX_DEV_SIZE >> ns.lbads))
		size = UBLK_MAX_DEV_SIZE;
	dev->lbs = 1u << ns.lbads;
	ublk_params_init(&dev->params, size, ns.lbads, max_io);
	if (ctrl->vwc)
		ublk_params_set_cache(&dev->params);
	nvt_discard_params(&dev->params, ctrl, ns.lbads);
	return 0;
}

/* I/O queue @i on its own connection to controller @cntlid: c->fd. */
static int nvt_io_connect(struct nvt_ctrl *ctrl, struct nvt_conn *c, unsigned int i,
			  uint16_t cntlid)
{
	struct nvme_tcp_icresp ic;
	int fd, ret;

	fd = nvme_tcp_dial(&ctrl->addr, &ic);
	if (fd < 0)
		return fd;
	ret = nvme_tcp_connect_queue(fd, &ctrl->addr, (uint16_t)(i + 1), (uint16_t)ctrl->depth,
				     &cntlid);
	if (ret) {
		close(fd);
		return ret;
	}
	nvme_tcp_hand_over(fd);
	ublk_tcp_liveness(fd, NVT_TCP_DEAD_S, "nvme-tcp");
	c->fd = fd;
	return 0;
}

/* I/O queue @i: its own connection, Connect to the admin queue's controller. */
static int nvt_conn_init(struct nvt_ctrl *ctrl, struct nvt_conn *c, unsigned int i)
{
	c->fd = -1;
	c->tags = calloc(ctrl->depth, sizeof(*c->tags));
	c->out_cap = ctrl->depth * (1 + NVT_MAX_H2C);
	c->outq = calloc(c->out_cap, sizeof(*c->outq));
	c->iov = calloc(NVT_MAX_IOV, sizeof(*c->iov));
	if (!c->tags || !c->outq || !c->iov)
		return -ENOMEM;
	return nvt_io_connect(ctrl, c, i, ctrl->cntlid);
}

/* The options every verb needs; the default port. */
static int nvt_check_opts(struct nvt_data *nd, const struct ublk_dev_opts *opts)
{
	if (!nd->addr.host[0] || !nd->addr.subnqn[0]) {
		ublk_err("target nvme-tcp needs --traddr ADDRESS and --subnqn NQN");
		return -EINVAL;
	}
	if (opts->nr_files || opts->size || opts->buffered) {
		ublk_err("target nvme-tcp takes no --file, --size or --buffered: the namespace is the storage");
		return -EINVAL;
	}
	if (!nd->addr.port[0])
		snprintf(nd->addr.port, sizeof(nd->addr.port), "%s", NVME_TCP_DEFAULT_PORT);
	return 0;
}

/* A controller not connected yet, as @nd's options say. */
static struct nvt_ctrl *nvt_ctrl_new(const struct nvt_data *nd, unsigned int depth)
{
	struct nvt_ctrl *ctrl = calloc(1, sizeof(*ctrl));

	if (!ctrl)
		return NULL;
	ctrl->addr = nd->addr;
	ctrl->addr.kato_ms = nd->kato_s * 1000;
	ctrl->kato_s = nd->kato_s;
	ctrl->depth = depth;
	ctrl->admin_fd = -1;
	ctrl->refs = 1;
	pthread_mutex_init(&ctrl->admin_lock, NULL);
	if (nvt_host_identity(&ctrl->addr)) {
		pthread_mutex_destroy(&ctrl->admin_lock);
		free(ctrl);
		return NULL;
	}
	return ctrl;
}

/* The controller's active namespace ids (Identify CNS 02h), on a passing admin queue. */
static int nvt_list_namespaces(struct nvt_ctrl *ctrl)
{
	uint8_t list[NVME_IDENTIFY_LEN] = { 0 }, sqe[NVME_SQE_LEN];
	struct nvme_tcp_icresp ic;
	char where[300];
	uint16_t status;
	uint64_t result, cap;
	int ret;

	nvme_tcp_where(&ctrl->addr, where, sizeof(where));
	ret = nvt_admin_connect(ctrl, &ic, &cap);
	if (!ret) {
		nvme_sqe_identify(sqe, 3, NVME_CNS_ACTIVE_NS, 0);
		ret = nvme_tcp_sync_cmd(ctrl->admin_fd, sqe, NULL, 0, list, sizeof(list),
					&status, &result);
	}
	if (!ret && status) {
		ublk_err("nvme-tcp: %s: Identify active namespace list: %s (status 0x%x)", where,
			 nvme_status_str(status), status);
		ret = -EIO;
	}
	if (ret)
		return ret;
	/* One page holds 1024 ids, UBLK_MAX_COUNT: a longer list is cut there. */
	nvt_all_nr = nvme_ns_list_parse(list, nvt_all_ids, UBLK_MAX_COUNT);
	nvt_all_next = 0;
	if (!nvt_all_nr) {
		ublk_err("nvme-tcp: subsystem '%s' at %s has no active namespace", ctrl->addr.subnqn,
			 where);
		return -ENOENT;
	}
	return 0;
}

/*
 * add --all, before the daemon: one device per active namespace, made as
 * --count makes several (one daemon, all or none); with --ctrl they share
 * one NVMe controller, else each has its own, as with --nsid. The
 * parent's list is the daemon's (fork).
 */
static int nvt_prepare(struct ublk_dev_opts *opts)
{
	struct nvt_data *nd = opts->tgt_opts;
	struct nvt_ctrl *probe;
	int ret;

	if (!nd || !nd->all)
		return 0;
	if (nd->nsid || opts->count != 1 || opts->recovery) {
		ublk_err("nvme-tcp: --all makes a device per namespace: no --nsid, --count or recovery (recover could not tell a device's namespace)");
		return -EINVAL;
	}
	if (nvt_check_opts(nd, opts))
		return -EINVAL;
	/* A throw-away admin queue of its own identity: the devices make theirs. */
	probe = nvt_ctrl_new(nd, opts->queue_depth);
	if (!probe)
		return -ENOMEM;
	ret = nvt_list_namespaces(probe);
	nvt_ctrl_free(probe);
	if (ret)
		return -EINVAL;
	opts->count = nvt_all_nr;
	return 0;
}

/* The NVMe controller of a device: connected, its I/O queues too. */
static int nvt_ctrl_start(struct nvt_ctrl *ctrl, unsigned int nr_queues)
{
	unsigned int q;
	int ret;

	ret = nvt_ctrl_admin(ctrl);
	if (ret)
		return ret;
	ctrl->conns = calloc(nr_queues, sizeof(*ctrl->conns));
	if (!ctrl->conns)
		return -ENOMEM;
	for (q = 0; q < nr_queues; q++) {
		ctrl->nr_conns++;
		ret = nvt_conn_init(ctrl, &ctrl->conns[q], q);
		if (ret)
			return ret;
	}
	if (ctrl->kato_s) {
		ret = -pthread_create(&ctrl->ka_thread, NULL, nvt_keep_alive, ctrl);
		if (ret)
			return ret;
		ctrl->ka_running = true;
	}
	return 0;
}

static int nvt_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts)
{
	struct nvt_data *nd = dev->tgt_data;
	bool shared = ublk_queues_shared(opts);
	int ret;

	nd->ctrl = NULL;
	if (nvt_check_opts(nd, opts))
		return -EINVAL;
	if (nd->all) {
		/* recover and serve make one device without prepare(): which one? */
		if (nvt_all_next >= nvt_all_nr) {
			ublk_err("nvme-tcp: --all is for add only: recover or serve one namespace with --nsid");
			return -EINVAL;
		}
		nd->nsid = nvt_all_ids[nvt_all_next++];
	}
	if (!nd->nsid)
		nd->nsid = 1;
	if (shared && nvt_shared_ctrl) {
		nd->ctrl = nvt_shared_ctrl;
		nd->ctrl->refs++;
	} else {
		nd->ctrl = nvt_ctrl_new(nd, opts->queue_depth);
		if (!nd->ctrl)
			return -ENOMEM;
		ret = nvt_ctrl_start(nd->ctrl, opts->nr_queues);
		if (ret)
			goto fail;
		if (shared)
			nvt_shared_ctrl = nd->ctrl;
	}
	ret = nvt_namespace(dev, nd, nd->ctrl);
	if (!ret)
		return 0;
fail:
	nvt_deinit(dev);
	return ret;
}

static struct nvt_ctrl *nvt_ctrl_of(const struct ublk_queue *q)
{
	return ((struct nvt_data *)q->dev->tgt_data)->ctrl;
}

/* Command @tag is done: its device's IO completes, and lets go of its queue. */
static void nvt_finish(struct nvt_conn *c, unsigned int tag, int res)
{
	struct ublk_queue *q = c->tags[tag].q;

	c->tags[tag].state = NVT_IDLE;
	c->tags[tag].q = NULL;
	c->nr_busy--;
	ublk_complete_io(q, tag, res);
	ublk_queue_release(q);
}

static void nvt_out_push(struct nvt_conn *c, void *hdr, uint32_t hlen, void *data,
			 uint32_t dlen);
static void nvt_kick_send(struct ublk_queue *q, struct nvt_conn *c);
static void nvt_post_recv(struct ublk_queue *q, struct nvt_conn *c);

/*
 * One try at queue @q's connection: a fresh admin queue first when no
 * other queue has made one since ours connected (the target may have
 * dropped the controller), then the I/O queue to it.
 */
static int nvt_reconnect_once(struct ublk_queue *q, struct nvt_ctrl *ctrl, struct nvt_conn *c)
{
	struct nvme_tcp_icresp ic;
	uint64_t cap;
	unsigned int gen;
	uint16_t cntlid;
	int ret = 0;

	pthread_mutex_lock(&ctrl->admin_lock);
	if (c->admin_gen == ctrl->admin_gen) {
		ret = nvt_admin_connect(ctrl, &ic, &cap);
		if (ret) {
			close(ctrl->admin_fd);
			ctrl->admin_fd = -1;
		} else {
			ctrl->admin_gen++;
		}
	}
	gen = ctrl->admin_gen;
	cntlid = ctrl->cntlid;
	pthread_mutex_unlock(&ctrl->admin_lock);
	if (!ret)
		ret = nvt_io_connect(ctrl, c, q->q_id, cntlid);
	/* A failed try under this admin queue: the next makes a new one. */
	c->admin_gen = gen;
	return ret;
}

/*
 * The old socket has no op in flight: connect again, then send every IO
 * it held again; after NVT_RECONNECT_S, fail them and every later IO.
 */
static void nvt_reconnect(struct ublk_queue *q, struct nvt_ctrl *ctrl, struct nvt_conn *c)
{
	time_t end = time(NULL) + NVT_RECONNECT_S;
	unsigned int tag, tries = 1;
	struct nvt_tag *t;
	int ret;

	close(c->fd);
	c->fd = -1;
	while ((ret = nvt_reconnect_once(q, ctrl, c)) && time(NULL) < end) {
		sleep(1);
		tries++;
	}
	c->out_head = c->out_len = 0;
	c->rx_done = 0;
	c->rx_data = false;
	c->broken = false;
	if (ret) {
		ublk_err("nvme-tcp: queue %u: no connection after %d s: failing %u IOs, and every later one",
			 q->q_id, NVT_RECONNECT_S, c->nr_busy);
		c->dead = true;
		for (tag = 0; tag < q->depth; tag++)
			if (c->tags[tag].state != NVT_IDLE)
				nvt_finish(c, tag, -EIO);
		return;
	}
	ublk_warn("nvme-tcp: queue %u: connected again (try %u): sending its %u IOs again",
		  q->q_id, tries, c->nr_busy);
	for (tag = 0; tag < q->depth; tag++) {
		t = &c->tags[tag];
		if (t->state == NVT_IDLE)
			continue;
		nvt_out_push(c, t->cmd, NVME_TCP_CMD_HLEN, t->incap ? t->data : NULL,
			     t->incap ? t->len : 0);
	}
	nvt_kick_send(q, c);
	if (c->nr_busy)
		nvt_post_recv(q, c);
}

/* The connection is lost (@why): reconnect once its ops are back. */
static void nvt_conn_fail(struct ublk_queue *q, struct nvt_conn *c, const char *why)
{
	if (c->dead)
		return;
	if (!c->broken) {
		ublk_warn("nvme-tcp: queue %u: connection lost (%s) with %u IOs in flight: reconnecting",
			  q->q_id, why, c->nr_busy);
		c->broken = true;
		shutdown(c->fd, SHUT_RDWR);
		c->out_len = 0;
	}
	if (!c->sending && !c->receiving)
		nvt_reconnect(q, nvt_ctrl_of(q), c);
}

static void nvt_out_push(struct nvt_conn *c, void *hdr, uint32_t hlen, void *data,
			 uint32_t dlen)
{
	struct nvt_out *o = &c->outq[(c->out_head + c->out_len++) % c->out_cap];

	o->hdr = hdr;
	o->hlen = hlen;
	o->data = data;
	o->dlen = dlen;
}

static void nvt_post_send(struct ublk_queue *q, struct nvt_conn *c)
{
	struct io_uring_sqe *sqe = ublk_queue_get_sqe(q);

	io_uring_prep_sendmsg(sqe, c->fd, &c->msg, MSG_NOSIGNAL | MSG_WAITALL);
	ublk_queue_own_io(q, sqe, NVT_OWN_SEND);
	c->sending = true;
}

/* Every queued PDU in one sendmsg, unless one is in flight. */
static void nvt_kick_send(struct ublk_queue *q, struct nvt_conn *c)
{
	unsigned int n = 0;
	struct nvt_out *o;

	if (c->sending || !c->out_len || c->dead || c->broken)
		return;
	while (c->out_len && n + 2 <= NVT_MAX_IOV) {
		o = &c->outq[c->out_head];
		c->out_head = (c->out_head + 1) % c->out_cap;
		c->out_len--;
		c->iov[n].iov_base = o->hdr;
		c->iov[n++].iov_len = o->hlen;
		if (o->dlen) {
			c->iov[n].iov_base = o->data;
			c->iov[n++].iov_len = o->dlen;
		}
	}
	memset(&c->msg, 0, sizeof(c->msg));
	c->msg.msg_iov = c->iov;
	c->msg.msg_iovlen = n;
	nvt_post_send(q, c);
}

static void nvt_send_done(struct ublk_queue *q, struct nvt_conn *c, int res)
{
	size_t left = res > 0 ? (size_t)res : 0;

	c->sending = false;
	if (c->dead)
		return;
	if (c->broken || res <= 0) {
		nvt_conn_fail(q, c, strerror(res < 0 ? -res : ECONNRESET));
		return;
	}
	if (msg_advance(&c->msg, left)) {
		nvt_post_send(q, c);
		return;
	}
	nvt_kick_send(q, c);
}

static void nvt_post_recv(struct ublk_queue *q, struct nvt_conn *c)
{
	struct io_uring_sqe *sqe = ublk_queue_get_sqe(q);
	void *buf;
	unsigned int len;

	if (c->rx_data) {	/* into the buffer of the device whose IO it is */
		buf = (char *)ublk_io_buf(c->tags[c->rx.cid].q, c->rx.cid) + c->rx.offset +
		      c->rx_done;
		len = c->rx.length - c->rx_done;
	} else {
		buf = c->rxhdr + c->rx_done;
		len = sizeof(c->rxhdr) - c->rx_done;
	}
	io_uring_prep_recv(sqe, c->fd, buf, len, MSG_WAITALL);
	ublk_queue_own_io(q, sqe, NVT_OWN_RECV);
	c->receiving = true;
}

/* The NVMe status of a command as the IO's result. */
static int nvt_errno(uint16_t status)
{
	if (NVME_SCT(status) == 0 && NVME_SC(status) == 0x80)
		return -ENOSPC;		/* LBA out of range */
	if (NVME_SCT(status) == 0 && NVME_SC(status) == 0x02)
		return -EINVAL;
	return -EIO;
}

/* An R2T: the data it asks for, in H2CData PDUs of at most MAXH2CDATA. */
static int nvt_r2t(struct ublk_queue *q, struct nvt_ctrl *ctrl, struct nvt_conn *c,
		   struct nvt_tag *t)
{
	const struct nvme_tcp_rx *rx = &c->rx;
	uint32_t off = rx->offset, end = rx->offset + rx->length, n;
	unsigned int i = 0;

	if ((t->op != NVME_CMD_WRITE && t->op != NVME_CMD_DSM) || end > t->len || end < off)
		return -EPROTO;
	while (off < end) {
		if (i == NVT_MAX_H2C)
			return -EPROTO;
		n = end - off < ctrl->maxh2cdata ? end - off : ctrl->maxh2cdata;
		nvme_tcp_h2c_hdr(t->h2c[i], rx->cid, rx->ttag, off, n, off + n == end);
		nvt_out_push(c, t->h2c[i], NVME_TCP_SHORT_HLEN,
			     (char *)t->data + off, n);
		off += n;
		i++;
	}
	nvt_kick_send(q, c);
	return 0;
}

/* A whole PDU header is in: act on it. -EPROTO: the connection is unusable. */
static int nvt_rx_header(struct ublk_queue *q, struct nvt_ctrl *ctrl, struct nvt_conn *c)
{
	struct nvme_tcp_rx *rx = &c->rx;
	struct nvt_tag *t;

	if (nvme_tcp_rx_parse(c->rxhdr, rx))
		return -EPROTO;
	if (rx->type == NVME_TCP_C2H_TERM) {
		ublk_err("nvme-tcp: queue %u: the controller ends the connection (C2HTermReq, fatal error status 0x%x)",
			 q->q_id, rx->fes);
		return -EPROTO;
	}
	if (rx->cid >= q->depth || c->tags[rx->cid].state != NVT_BUSY)
		return -EPROTO;
	t = &c->tags[rx->cid];
	switch (rx->type) {
	case NVME_TCP_RSP:
		nvt_finish(c, rx->cid, rx->status ? nvt_errno(rx->status) : t->res);
		return 0;
	case NVME_TCP_R2T:
		return nvt_r2t(q, ctrl, c, t);
	default:	/* C2HData: its data next, into the IO's buffer */
		if (t->op != NVME_CMD_READ || rx->pdo != rx->hlen ||
		    rx->offset + (uint64_t)rx->length > t->len)
			return -EPROTO;
		c->rx_data = rx->length > 0;
		if (!c->rx_data && (rx->flags & NVME_TCP_F_DATA_SUCCESS))
			nvt_finish(c, rx->cid, t->res);
		return 0;
	}
}

static void nvt_recv_done(struct ublk_queue *q, struct nvt_ctrl *ctrl, struct nvt_conn *c,
			  int res)
{
	c->receiving = false;
	if (c->dead)
		return;
	if (c->broken || res <= 0) {
		nvt_conn_fail(q, c, strerror(res < 0 ? -res : ECONNRESET));
		return;
	}
	c->rx_done += res;
	if (!c->rx_data && c->rx_done == sizeof(c->rxhdr)) {
		c->rx_done = 0;
		if (nvt_rx_header(q, ctrl, c)) {
			nvt_conn_fail(q, c, "a PDU that breaks the protocol");
			return;
		}
	} else if (c->rx_data && c->rx_done == c->rx.length) {
		c->rx_done = 0;
		c->rx_data = false;
		/* Without SUCCESS a CapsuleResp follows and completes the IO. */
		if (c->rx.flags & NVME_TCP_F_DATA_SUCCESS)
			nvt_finish(c, c->rx.cid, c->tags[c->rx.cid].res);
	}
	if (c->nr_busy || c->rx_data || c->rx_done)
		nvt_post_recv(q, c);
}

static void nvt_own_done(struct ublk_queue *q, const struct io_uring_cqe *cqe)
{
	struct nvt_ctrl *ctrl = nvt_ctrl_of(q);
	struct nvt_conn *c = &ctrl->conns[q->q_id];

	if ((cqe->user_data & 0xffffffff) == NVT_OWN_SEND)
		nvt_send_done(q, c, cqe->res);
	else
		nvt_recv_done(q, ctrl, c, cqe->res);
}

static void nvt_queue_io(struct ublk_queue *q, unsigned int tag,
			 const struct ublksrv_io_desc *iod)
{
	struct nvt_data *nd = q->dev->tgt_data;
	struct nvt_ctrl *ctrl = nd->ctrl;
	struct nvt_conn *c = &ctrl->conns[q->q_id];
	struct nvt_tag *t = &c->tags[tag];
	unsigned int op = ublksrv_get_op(iod), len = ublk_iod_bytes(iod);
	uint64_t slba = (iod->start_sector << 9) >> nd->lbads;
	uint8_t sqe[NVME_SQE_LEN];
	bool incap = false;
	void *data = ublk_io_buf(q, tag);
	int res = (int)len;

	/* The tag is unique on this queue across the devices that share it. */
	if (c->dead || t->state != NVT_IDLE) {
		if (!c->dead)
			ublk_err("nvme-tcp: queue %u: tag %u is busy: the devices do not share one tag set",
				 q->q_id, tag);
		ublk_complete_io(q, tag, -EIO);
		return;
	}
	switch (op) {
	case UBLK_IO_OP_READ:
	case UBLK_IO_OP_WRITE:
		t->op = op == UBLK_IO_OP_READ ? NVME_CMD_READ : NVME_CMD_WRITE;
		nvme_sqe_rw(sqe, t->op, (uint16_t)tag, nd->nsid, slba, len >> nd->lbads,
			    op == UBLK_IO_OP_WRITE && (iod->op_flags & UBLK_IO_F_FUA) && ctrl->vwc);
		incap = t->op == NVME_CMD_WRITE && len <= ctrl->incap_max;
		nvme_sqe_sgl(sqe, len, incap);
		break;
	case UBLK_IO_OP_FLUSH:
		if (!ctrl->vwc) {		/* no volatile cache: nothing to flush */
			ublk_complete_io(q, tag, 0);
			return;
		}
		t->op = NVME_CMD_FLUSH;
		len = 0;
		res = 0;
		nvme_sqe_init(sqe, NVME_CMD_FLUSH, (uint16_t)tag, nd->nsid);
		break;
	case UBLK_IO_OP_DISCARD:	/* DSM deallocate, its one range as data */
		if (!ctrl->dsm)
			goto unsupported;
		t->op = NVME_CMD_DSM;
		nvme_sqe_dsm(sqe, (uint16_t)tag, nd->nsid, 1);
		nvme_dsm_range(t->dsm, slba, len >> nd->lbads);
		data = t->dsm;
		len = NVME_DSM_RANGE_LEN;
		incap = len <= ctrl->incap_max;	/* else on R2T, as a write's */
		nvme_sqe_sgl(sqe, len, incap);
		res = 0;
		break;
	case UBLK_IO_OP_WRITE_ZEROES:
		if (!ctrl->wz)
			goto unsupported;
		t->op = NVME_CMD_WRITE_ZEROES;
		nvme_sqe_write_zeroes(sqe, (uint16_t)tag, nd->nsid, slba, len >> nd->lbads,
				      !(iod->op_flags & UBLK_IO_F_NOUNMAP));
		len = 0;
		res = 0;
		break;
	default:
unsupported:
		ublk_complete_io(q, tag, -EOPNOTSUPP);
		return;
	}
	t->len = len;
	t->data = data;
	t->res = res;
	t->incap = incap;
	t->q = q;
	ublk_queue_hold(q);
	t->state = NVT_BUSY;
	c->nr_busy++;
	nvme_tcp_cmd_hdr(t->cmd, sqe, incap ? len : 0);
	nvt_out_push(c, t->cmd, NVME_TCP_CMD_HLEN, incap ? data : NULL, incap ? len : 0);
	nvt_kick_send(q, c);
	if (!c->receiving && !c->broken)
		nvt_post_recv(q, c);
}

const struct ublk_tgt_ops ublk_tgt_nvme_tcp = {
	.name = "nvme-tcp",
	.shares_queues = true,
	.usage = "--traddr ADDRESS [--trsvcid PORT] (default 4420) --subnqn NQN [--hostnqn NQN] [--nsid N] (default 1) | --all (a device per active namespace) [--kato SECONDS] (keep-alive timeout; default none)",
	.options = nvt_options,
	.data_size = sizeof(struct nvt_data),
	.parse_option = nvt_parse_option,
	.prepare = nvt_prepare,
	.init = nvt_init,
	.deinit = nvt_deinit,
	.queue_io = nvt_queue_io,
	.own_done = nvt_own_done,
};
