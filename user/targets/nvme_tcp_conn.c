// SPDX-License-Identifier: GPL-2.0
/*
 * NVMe/TCP connection set-up and admin commands, blocking (nvme_tcp_conn.h).
 * A blocking socket with SO_SNDTIMEO and SO_RCVTIMEO bounds each step:
 * connect() itself honours the send timeout on Linux.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "nvme_tcp_conn.h"

const char *nvme_tcp_where(const struct nvme_tcp_addr *a, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s", a->host, a->port);
	return buf;
}

static int nvme_tcp_timeouts(int fd, unsigned int ms)
{
	struct timeval tv = { ms / 1000, ms % 1000 * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

static int nvme_tcp_send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? (errno == EAGAIN ? -ETIMEDOUT : -errno) : -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

static int nvme_tcp_recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		p += n;
		len -= n;
	}
	return 0;
}

static int nvme_tcp_socket(const struct nvme_tcp_addr *a)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, err = -EHOSTUNREACH, one = 1, ret;
	char where[300];

	nvme_tcp_where(a, where, sizeof(where));
	ret = getaddrinfo(a->host, a->port, &hints, &res);
	if (ret) {
		ublk_err("nvme-tcp: cannot resolve %s: %s", a->host, gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		err = nvme_tcp_timeouts(fd, NVME_TCP_STEP_MS);
		if (!err && connect(fd, ai->ai_addr, ai->ai_addrlen))
			err = errno == EINPROGRESS || errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (!err)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		ublk_err("nvme-tcp: cannot connect to %s: %s", where, strerror(-err));
		return err;
	}
	/* Commands are small and many: no Nagle delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int nvme_tcp_dial(const struct nvme_tcp_addr *a, struct nvme_tcp_icresp *ic)
{
	uint8_t pdu[NVME_TCP_IC_LEN];
	char where[300];
	int fd = nvme_tcp_socket(a), ret;

	if (fd < 0)
		return fd;
	nvme_tcp_where(a, where, sizeof(where));
	nvme_tcp_icreq(pdu, 0);		/* MAXR2T 0: one R2T per command at a time */
	ret = nvme_tcp_send_all(fd, pdu, sizeof(pdu));
	if (!ret)
		ret = nvme_tcp_recv_all(fd, pdu, sizeof(pdu));
	if (ret) {
		ublk_err("nvme-tcp: %s: no ICResp: %s (is it an NVMe/TCP port?)", where,
			 strerror(-ret));
		goto fail;
	}
	ret = nvme_tcp_icresp_parse(pdu, ic);
	if (ret) {
		ublk_err("nvme-tcp: %s does not speak NVMe/TCP 1.0 (PDU type 0x%x to our ICReq)",
			 where, pdu[0]);
		goto fail;
	}
	/* We asked for no digests and send unpadded data: a target wanting either is refused. */
	ret = -EPROTONOSUPPORT;
	if (ic->dgst || ic->cpda) {
		ublk_err("nvme-tcp: %s wants digests (0x%x) or data alignment (CPDA %u), which this target does not do",
			 where, ic->dgst, ic->cpda);
		goto fail;
	}
	if (ic->maxh2cdata < NVME_TCP_MIN_MAXH2CDATA || ic->maxh2cdata % 4) {
		ublk_err("nvme-tcp: %s says MAXH2CDATA %u: below 4096 or not whole dwords",
			 where, ic->maxh2cdata);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return ret;
}

int nvme_tcp_sync_cmd(int fd, uint8_t sqe[NVME_SQE_LEN], const void *out, uint32_t outlen,
		      void *in, uint32_t inlen, uint16_t *status, uint64_t *result)
{
	uint8_t hdr[NVME_TCP_CMD_HLEN], rh[NVME_TCP_SHORT_HLEN];
	struct nvme_tcp_rx rx;
	int ret;

	if (outlen)
		nvme_sqe_sgl(sqe, outlen, 1);
	else if (inlen)
		nvme_sqe_sgl(sqe, inlen, 0);
	nvme_tcp_cmd_hdr(hdr, sqe, outlen);
	ret = nvme_tcp_send_all(fd, hdr, sizeof(hdr));
	if (!ret && outlen)
		ret = nvme_tcp_send_all(fd, out, outlen);
	while (!ret) {
		ret = nvme_tcp_recv_all(fd, rh, sizeof(rh));
		if (ret)
			break;
		ret = nvme_tcp_rx_parse(rh, &rx);
		if (ret)
			break;
		if (rx.type == NVME_TCP_C2H_TERM) {
			ublk_err("nvme-tcp: the controller ended the connection (C2HTermReq, fatal error status 0x%x)",
				 rx.fes);
			return -ECONNABORTED;
		}
		if (rx.cid != nvme_get16(sqe + 2))
			return -EPROTO;
		if (rx.type == NVME_TCP_RSP) {
			*status = rx.status;
			*result = rx.result;
			return 0;
		}
		/* Admin commands here never write data to the controller: no R2T. */
		if (rx.type != NVME_TCP_C2H_DATA || rx.pdo != rx.hlen ||
		    rx.offset + (uint64_t)rx.length > inlen)
			return -EPROTO;
		ret = nvme_tcp_recv_all(fd, (uint8_t *)in + rx.offset, rx.length);
		if (!ret && (rx.flags & NVME_TCP_F_DATA_SUCCESS)) {
			*status = 0;
			*result = 0;
			return 0;
		}
	}
	return ret;
}

int nvme_tcp_connect_queue(int fd, const struct nvme_tcp_addr *a, uint16_t qid,
			   uint16_t sqsize, uint16_t *cntlid)
{
	uint8_t sqe[NVME_SQE_LEN], data[NVME_CONNECT_DATA_LEN];
	uint16_t status;
	uint64_t result;
	char where[300];
	int ret;

	nvme_tcp_where(a, where, sizeof(where));
	ret = nvme_connect_data(data, a->hostid, *cntlid, a->subnqn, a->hostnqn);
	if (ret)
		return ret;
	nvme_sqe_connect(sqe, 0, qid, sqsize, a->kato_ms);
	ret = nvme_tcp_sync_cmd(fd, sqe, data, sizeof(data), NULL, 0, &status, &result);
	if (ret) {
		if (ret != -ECONNABORTED)
			ublk_err("nvme-tcp: %s: Connect of queue %u: %s", where, qid, strerror(-ret));
		return ret;
	}
	if (status) {
		ublk_err("nvme-tcp: %s refuses queue %u of subsystem '%s' for host '%s': %s (status 0x%x)",
			 where, qid, a->subnqn, a->hostnqn, nvme_status_str(status), status);
		return -ECONNREFUSED;
	}
	*cntlid = (uint16_t)result;
	return 0;
}

static int nvme_tcp_prop(int fd, const struct nvme_tcp_addr *a, int set, uint32_t off,
			 uint64_t *val)
{
	uint8_t sqe[NVME_SQE_LEN];
	uint16_t status;
	uint64_t result;
	char where[300];
	int ret;

	if (set)
		nvme_sqe_prop_set(sqe, 1, off, *val);
	else
		nvme_sqe_prop_get(sqe, 1, off, off == NVME_PROP_CAP);
	ret = nvme_tcp_sync_cmd(fd, sqe, NULL, 0, NULL, 0, &status, &result);
	if (!ret && status) {
		ublk_err("nvme-tcp: %s: Property %s of 0x%x: %s (status 0x%x)",
			 nvme_tcp_where(a, where, sizeof(where)), set ? "Set" : "Get", off,
			 nvme_status_str(status), status);
		return -EIO;
	}
	if (!set)
		*val = result;
	return ret;
}

int nvme_tcp_enable(int fd, const struct nvme_tcp_addr *a, uint64_t *cap)
{
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	uint64_t cc, csts;
	unsigned int waited_ms = 0, to_ms;
	char where[300];
	int ret;

	ret = nvme_tcp_prop(fd, a, 0, NVME_PROP_CAP, cap);
	if (!ret)
		ret = nvme_tcp_prop(fd, a, 0, NVME_PROP_CC, &cc);
	if (ret)
		return ret;
	if (!(cc & NVME_CC_EN)) {
		/* 64-byte SQEs, 16-byte CQEs (2^6, 2^4), NVM command set, 4 KiB pages. */
		cc = NVME_CC_EN | NVME_CC_IOSQES(6) | NVME_CC_IOCQES(4);
		ret = nvme_tcp_prop(fd, a, 1, NVME_PROP_CC, &cc);
		if (ret)
			return ret;
	}
	/* CAP.TO: how long ready may take, in 500 ms units. */
	to_ms = (unsigned int)((*cap >> 24) & 0xff) * 500;
	for (;;) {
		ret = nvme_tcp_prop(fd, a, 0, NVME_PROP_CSTS, &csts);
		if (ret)
			return ret;
		if (csts & NVME_CSTS_CFS)
			break;
		if (csts & NVME_CSTS_RDY)
			return 0;
		if (waited_ms >= to_ms)
			break;
		nanosleep(&pause, NULL);
		waited_ms += 50;
	}
	ublk_err("nvme-tcp: %s: the controller did not become ready (CSTS 0x%llx after %u ms)",
		 nvme_tcp_where(a, where, sizeof(where)), (unsigned long long)csts, waited_ms);
	return -EIO;
}

void nvme_tcp_hand_over(int fd)
{
	nvme_tcp_timeouts(fd, 0);
}
