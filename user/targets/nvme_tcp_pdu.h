/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVMe/TCP PDUs and the NVMe commands the nvme-tcp target sends, as bytes.
 *
 * Written from the NVMe/TCP transport specification (PDU layouts: an
 * 8-byte common header, then the type's own header) and the NVMe base and
 * fabrics specifications (the 64-byte SQE, the 16-byte CQE, Connect,
 * Property Get/Set, Identify). Everything on the wire is little-endian;
 * these functions fill and read byte arrays at the specified offsets, so
 * no struct layout or host byte order is assumed. Header and data digests
 * are never asked for (ICReq DGST = 0) and a controller that turns them on
 * is refused, so no PDU here carries one.
 */
#ifndef UBLK_BPF_NVME_TCP_PDU_H
#define UBLK_BPF_NVME_TCP_PDU_H

#include <stddef.h>
#include <stdint.h>

#define NVME_TCP_DEFAULT_PORT	"4420"

/* PDU types (common header byte 0). */
#define NVME_TCP_ICREQ		0x00
#define NVME_TCP_ICRESP		0x01
#define NVME_TCP_H2C_TERM	0x02
#define NVME_TCP_C2H_TERM	0x03
#define NVME_TCP_CMD		0x04
#define NVME_TCP_RSP		0x05
#define NVME_TCP_H2C_DATA	0x06
#define NVME_TCP_C2H_DATA	0x07
#define NVME_TCP_R2T		0x09

/* Common header flags (byte 1). */
#define NVME_TCP_F_HDGST	0x01
#define NVME_TCP_F_DDGST	0x02
#define NVME_TCP_F_DATA_LAST	0x04
#define NVME_TCP_F_DATA_SUCCESS	0x08

/* Header lengths (HLEN) of the PDUs used here. */
#define NVME_TCP_IC_LEN		128	/* ICReq, ICResp: no data */
#define NVME_TCP_CMD_HLEN	72	/* common header + SQE */
#define NVME_TCP_SHORT_HLEN	24	/* CapsuleResp, H2C/C2HData, R2T, TermReq */
#define NVME_TCP_MAX_TERM_PLEN	152	/* a TermReq: its header and the bad PDU's */
#define NVME_TCP_MIN_MAXH2CDATA	4096

#define NVME_SQE_LEN		64
#define NVME_CQE_LEN		16
#define NVME_CONNECT_DATA_LEN	1024
#define NVME_IDENTIFY_LEN	4096
#define NVME_NQN_MAX		256	/* with its NUL */

/* Opcodes: admin, I/O (NVM command set) and fabrics. */
#define NVME_ADMIN_IDENTIFY	0x06
#define NVME_ADMIN_KEEP_ALIVE	0x18
#define NVME_CMD_FLUSH		0x00
#define NVME_CMD_WRITE		0x01
#define NVME_CMD_READ		0x02
#define NVME_CMD_WRITE_ZEROES	0x08
#define NVME_CMD_DSM		0x09
#define NVME_FABRICS		0x7f
#define NVME_FCTYPE_PROP_SET	0x00
#define NVME_FCTYPE_CONNECT	0x01
#define NVME_FCTYPE_PROP_GET	0x04

/* Identify CNS values. */
#define NVME_CNS_NS		0x00
#define NVME_CNS_CTRL		0x01
#define NVME_CNS_ACTIVE_NS	0x02	/* active namespace ids above NSID, ascending */
#define NVME_CNS_CS_CTRL	0x06	/* I/O command set specific controller (CSI in CDW11) */

/* ONCS (Identify Controller bytes 520-521): optional NVM commands. */
#define NVME_ONCS_DSM		(1u << 2)
#define NVME_ONCS_WRITE_ZEROES	(1u << 3)
/* DSM: CDW11 AD, deallocate the ranges; a range is 16 bytes of data. */
#define NVME_DSM_AD		(1u << 2)
#define NVME_DSM_RANGE_LEN	16
/* Write Zeroes CDW12: DEAC, the blocks may be deallocated (read back zeroes). */
#define NVME_WZ_DEAC		(1u << 25)
#define NVME_WZ_MAX_NLB		65536	/* a 16-bit 0's based count */

/* Controller properties (Property Get/Set offsets). */
#define NVME_PROP_CAP		0x00	/* 8 bytes */
#define NVME_PROP_CC		0x14
#define NVME_PROP_CSTS		0x1c
#define NVME_CC_EN		(1u << 0)
#define NVME_CC_IOSQES(n)	((uint32_t)(n) << 16)
#define NVME_CC_IOCQES(n)	((uint32_t)(n) << 20)
#define NVME_CSTS_RDY		(1u << 0)
#define NVME_CSTS_CFS		(1u << 1)

/* CQE status (the 15 bits above the phase tag): type and code. */
#define NVME_SCT(st)		(((st) >> 8) & 0x7)
#define NVME_SC(st)		((st) & 0xff)
#define NVME_SCT_CMD_SPECIFIC	1
#define NVME_SC_CONNECT_INVALID_PARAM	0x82
#define NVME_SC_CONNECT_INVALID_HOST	0x84
#define NVME_SC_INVALID_NS	0x0b

/* SGL descriptor types (byte 15 of SGL1: type << 4 | subtype). */
#define NVME_SGL_INCAPSULE	0x01	/* data block, offset into the capsule */
#define NVME_SGL_TRANSPORT	0x5a	/* transport data block: C2H/H2CData */
/* CDW0 flags: PSDT = 01b, SGLs for data (fabrics use nothing else). */
#define NVME_CMD_FLAG_SGL	0x40

static inline void nvme_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void nvme_put32(uint8_t *p, uint32_t v)
{
	nvme_put16(p, (uint16_t)v);
	nvme_put16(p + 2, (uint16_t)(v >> 16));
}

static inline void nvme_put64(uint8_t *p, uint64_t v)
{
	nvme_put32(p, (uint32_t)v);
	nvme_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t nvme_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t nvme_get32(const uint8_t *p)
{
	return nvme_get16(p) | (uint32_t)nvme_get16(p + 2) << 16;
}

static inline uint64_t nvme_get64(const uint8_t *p)
{
	return nvme_get32(p) | (uint64_t)nvme_get32(p + 4) << 32;
}

/* What an ICResp says of the controller's side of the connection. */
struct nvme_tcp_icresp {
	uint8_t cpda;		/* data alignment the controller wants of our PDUs */
	uint8_t dgst;		/* digests it turned on */
	uint32_t maxh2cdata;	/* bytes of data per H2CData PDU at most */
};

/* One PDU from the controller on a queue, its header decoded. */
struct nvme_tcp_rx {
	uint8_t type, flags, hlen, pdo;
	uint32_t plen;
	uint16_t cid;		/* CapsuleResp's CID, or the data's / R2T's CCCID */
	uint16_t status;	/* CapsuleResp: the CQE's status, phase bit dropped */
	uint64_t result;	/* CapsuleResp: DW0 and DW1 */
	uint16_t ttag;		/* R2T */
	uint32_t offset;	/* C2HData DATAO, R2T R2TO */
	uint32_t length;	/* C2HData DATAL, R2T R2TL */
	uint16_t fes;		/* C2HTermReq: fatal error status */
};

/* Identify Controller, the fields used. */
struct nvme_id_ctrl {
	uint8_t mdts;		/* 2^mdts minimum pages per command; 0: no limit */
	uint16_t cntlid;
	uint16_t maxcmd;
	uint32_t nn;		/* namespaces */
	uint8_t vwc;		/* bit 0: volatile write cache */
	uint32_t ioccsz;	/* I/O command capsule, 16-byte units */
	uint16_t kas;		/* keep-alive granularity, 100 ms units; 0: none */
	uint16_t oncs;		/* optional NVM commands (NVME_ONCS_*) */
};

/* Identify I/O Command Set specific Controller, NVM set (CNS 06h, CSI 0). */
struct nvme_id_ctrl_nvm {
	uint8_t wzsl;		/* Write Zeroes size, 2^n min pages; 0: no limit */
	uint8_t dmrl;		/* DSM ranges per command; 0: no limit given */
	uint32_t dmrsl;		/* blocks per DSM range; 0: no limit given */
	uint64_t dmsl;		/* blocks per DSM command; 0: no limit given */
};

/* Identify Namespace, the fields used. */
struct nvme_id_ns {
	uint64_t nsze;		/* blocks; 0: the namespace is not active */
	uint8_t lbads;		/* log2 of the block size of the format in use */
	uint16_t ms;		/* metadata bytes per block of that format */
};

/* ICReq: PFV 0, HPDA 0 (no padding), no digests, MAXR2T (0's based). */
void nvme_tcp_icreq(uint8_t pdu[NVME_TCP_IC_LEN], uint32_t maxr2t);
/* 0, or -EPROTO when @pdu is no ICResp of PFV 0. */
int nvme_tcp_icresp_parse(const uint8_t pdu[NVME_TCP_IC_LEN], struct nvme_tcp_icresp *out);
/* A CapsuleCmd header around @sqe, followed by @incap bytes of data. */
void nvme_tcp_cmd_hdr(uint8_t hdr[NVME_TCP_CMD_HLEN], const uint8_t sqe[NVME_SQE_LEN],
		      uint32_t incap);
/* An H2CData header: @len bytes at @offset of command @cid's data for R2T @ttag. */
void nvme_tcp_h2c_hdr(uint8_t hdr[NVME_TCP_SHORT_HLEN], uint16_t cid, uint16_t ttag,
		      uint32_t offset, uint32_t len, int last);
/*
 * A 24-byte header from the controller (CapsuleResp, C2HData, R2T,
 * C2HTermReq) into @rx. 0, or -EPROTO when the type, lengths or flags do
 * not fit together (digests included: none were negotiated).
 */
int nvme_tcp_rx_parse(const uint8_t hdr[NVME_TCP_SHORT_HLEN], struct nvme_tcp_rx *rx);

/* SQEs. @cid is the command identifier; SGL1 as the data needs. */
void nvme_sqe_init(uint8_t sqe[NVME_SQE_LEN], uint8_t opcode, uint16_t cid, uint32_t nsid);
/* SGL1: @len bytes in the capsule (@incap) or moved by C2H/H2CData. */
void nvme_sqe_sgl(uint8_t sqe[NVME_SQE_LEN], uint32_t len, int incap);
/* Read or Write of @nlb blocks (1-based here, 0's based on the wire) at @slba. */
void nvme_sqe_rw(uint8_t sqe[NVME_SQE_LEN], uint8_t opcode, uint16_t cid, uint32_t nsid,
		 uint64_t slba, uint32_t nlb, int fua);
/* Write Zeroes of @nlb blocks (1 to 65536) at @slba; @deac: may deallocate. */
void nvme_sqe_write_zeroes(uint8_t sqe[NVME_SQE_LEN], uint16_t cid, uint32_t nsid,
			   uint64_t slba, uint32_t nlb, int deac);
/* DSM deallocate of @nr ranges (1 to 256) sent as @nr * 16 bytes of data. */
void nvme_sqe_dsm(uint8_t sqe[NVME_SQE_LEN], uint16_t cid, uint32_t nsid, unsigned int nr);
/* One DSM range: @nlb blocks (1-based, as the wire has it) at @slba. */
void nvme_dsm_range(uint8_t range[NVME_DSM_RANGE_LEN], uint64_t slba, uint32_t nlb);
void nvme_sqe_connect(uint8_t sqe[NVME_SQE_LEN], uint16_t cid, uint16_t qid,
		      uint16_t sqsize, uint32_t kato_ms);
/* Connect's 1024 bytes of data. -EINVAL when an NQN does not fit. */
int nvme_connect_data(uint8_t data[NVME_CONNECT_DATA_LEN], const uint8_t hostid[16],
		      uint16_t cntlid, const char *subnqn, const char *hostnqn);
void nvme_sqe_prop_get(uint8_t sqe[NVME_SQE_LEN], uint16_t cid, uint32_t off, int eight);
void nvme_sqe_prop_set(uint8_t sqe[NVME_SQE_LEN], uint16_t cid, uint32_t off, uint64_t val);
void nvme_sqe_identify(uint8_t sqe[NVME_SQE_LEN], uint16_t cid, uint8_t cns, uint32_t nsid);
void nvme_id_ctrl_parse(const uint8_t data[NVME_IDENTIFY_LEN], struct nvme_id_ctrl *c);
void nvme_id_ctrl_nvm_parse(const uint8_t data[NVME_IDENTIFY_LEN], struct nvme_id_ctrl_nvm *c);
/* CNS 02h's list: up to 1024 ids, 0-terminated; how many are there. */
unsigned int nvme_ns_list_parse(const uint8_t data[NVME_IDENTIFY_LEN], uint32_t *ids,
				unsigned int max);
void nvme_id_ns_parse(const uint8_t data[NVME_IDENTIFY_LEN], struct nvme_id_ns *ns);
/* A CQE status in words, for messages ("invalid namespace"). */
const char *nvme_status_str(uint16_t status);

#endif
