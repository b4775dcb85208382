/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Setting up NVMe/TCP connections, blocking, under a deadline per step:
 * the TCP connection and ICReq/ICResp, Fabrics Connect of a queue, and
 * one admin command at a time (Property Get/Set, Identify, Keep Alive).
 * The nvme-tcp target runs it at init() on the daemon's main thread, and
 * its keep-alive thread runs admin commands with it afterwards.
 */
#ifndef UBLK_BPF_NVME_TCP_CONN_H
#define UBLK_BPF_NVME_TCP_CONN_H

#include <stdint.h>

#include "nvme_tcp_pdu.h"

/* Each blocking step (connect, one PDU's send, one reply) within this. */
#define NVME_TCP_STEP_MS	10000

/* Where the subsystem is and who we are. */
struct nvme_tcp_addr {
	char host[256];
	char port[16];
	char subnqn[NVME_NQN_MAX];
	char hostnqn[NVME_NQN_MAX];
	uint8_t hostid[16];
	uint32_t kato_ms;		/* 0: no keep-alive timeout asked for */
};

/* "host:port", for messages. */
const char *nvme_tcp_where(const struct nvme_tcp_addr *a, char *buf, size_t len);
/*
 * A TCP connection to @a with ICReq/ICResp done: the socket (blocking,
 * its send and receive timeouts NVME_TCP_STEP_MS), or a negative errno
 * after one line that says why.
 */
int nvme_tcp_dial(const struct nvme_tcp_addr *a, struct nvme_tcp_icresp *ic);
/*
 * One command on @fd and its reply: @out (@outlen bytes) goes in the
 * capsule, @in (@inlen bytes) takes the C2HData. 0 with the CQE's status
 * and result in *@status and *@result, or a negative errno when the
 * connection failed (said in one line).
 */
int nvme_tcp_sync_cmd(int fd, uint8_t sqe[NVME_SQE_LEN], const void *out, uint32_t outlen,
		      void *in, uint32_t inlen, uint16_t *status, uint64_t *result);
/*
 * Fabrics Connect of queue @qid (0: admin) with @sqsize entries (0's
 * based) to controller *@cntlid (0xffff: any; the one given back on
 * return). -ECONNREFUSED after one line when the target refuses it.
 */
int nvme_tcp_connect_queue(int fd, const struct nvme_tcp_addr *a, uint16_t qid,
			   uint16_t sqsize, uint16_t *cntlid);
/* Turns the controller on (CC.EN) unless it is, and waits for CSTS.RDY. */
int nvme_tcp_enable(int fd, const struct nvme_tcp_addr *a, uint64_t *cap);
/* Leaves the connection to io_uring: no more socket timeouts. */
void nvme_tcp_hand_over(int fd);

#endif
