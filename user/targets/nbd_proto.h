/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The NBD wire protocol as far as the nbd target speaks it: the
 * fixed-newstyle handshake with NBD_OPT_GO, and simple replies in the
 * transmission phase. Values from the protocol document of the NBD
 * project (doc/proto.md); everything on the wire is big-endian.
 */
#ifndef UBLK_BPF_NBD_PROTO_H
#define UBLK_BPF_NBD_PROTO_H

#include <stdint.h>

#define NBD_DEFAULT_PORT		"10809"

#define NBD_MAGIC_INIT			0x4e42444d41474943ULL	/* "NBDMAGIC" */
#define NBD_MAGIC_OPT			0x49484156454f5054ULL	/* "IHAVEOPT" */
#define NBD_MAGIC_OPT_REPLY		0x3e889045565a9ULL
#define NBD_MAGIC_REQUEST		0x25609513U
#define NBD_MAGIC_SIMPLE_REPLY		0x67446698U

/* Handshake flags (server) and client flags. */
#define NBD_FLAG_FIXED_NEWSTYLE		(1U << 0)
#define NBD_FLAG_NO_ZEROES		(1U << 1)
#define NBD_FLAG_C_FIXED_NEWSTYLE	(1U << 0)
#define NBD_FLAG_C_NO_ZEROES		(1U << 1)

/* Options. */
#define NBD_OPT_ABORT			2
#define NBD_OPT_GO			7

/* Option reply types; errors have bit 31 set. */
#define NBD_REP_ACK			1
#define NBD_REP_INFO			3
#define NBD_REP_ERR			(1U << 31)
#define NBD_REP_ERR_UNSUP		(NBD_REP_ERR + 1)
#define NBD_REP_ERR_POLICY		(NBD_REP_ERR + 2)
#define NBD_REP_ERR_INVALID		(NBD_REP_ERR + 3)
#define NBD_REP_ERR_TLS_REQD		(NBD_REP_ERR + 5)
#define NBD_REP_ERR_UNKNOWN		(NBD_REP_ERR + 6)
#define NBD_REP_ERR_SHUTDOWN		(NBD_REP_ERR + 7)

/* Information types of NBD_REP_INFO. */
#define NBD_INFO_EXPORT			0
#define NBD_INFO_BLOCK_SIZE		3

/* Transmission flags: what the export offers. */
#define NBD_FLAG_HAS_FLAGS		(1U << 0)
#define NBD_FLAG_READ_ONLY		(1U << 1)
#define NBD_FLAG_SEND_FLUSH		(1U << 2)
#define NBD_FLAG_SEND_FUA		(1U << 3)
#define NBD_FLAG_ROTATIONAL		(1U << 4)
#define NBD_FLAG_SEND_TRIM		(1U << 5)
#define NBD_FLAG_SEND_WRITE_ZEROES	(1U << 6)
#define NBD_FLAG_CAN_MULTI_CONN		(1U << 8)

/* Commands and their flags. */
#define NBD_CMD_READ			0
#define NBD_CMD_WRITE			1
#define NBD_CMD_DISC			2
#define NBD_CMD_FLUSH			3
#define NBD_CMD_TRIM			4
#define NBD_CMD_WRITE_ZEROES		6
#define NBD_CMD_FLAG_FUA		(1U << 0)
#define NBD_CMD_FLAG_NO_HOLE		(1U << 1)

struct nbd_request {
	uint32_t magic;
	uint16_t flags;
	uint16_t type;
	uint64_t cookie;
	uint64_t offset;
	uint32_t length;
} __attribute__((packed));

struct nbd_simple_reply {
	uint32_t magic;
	uint32_t error;
	uint64_t cookie;
} __attribute__((packed));

#endif
