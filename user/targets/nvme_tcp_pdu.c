// SPDX-License-Identifier: GPL-2.0
/*
 * NVMe/TCP PDUs and NVMe commands as bytes (see nvme_tcp_pdu.h). Offsets
 * are the specifications': the PDU common header is type, flags, HLEN,
 * PDO, then PLEN (4 bytes) and covers the whole PDU; the SQE is CDW0
 * (opcode, flags, CID), NSID at 4, SGL1 at 24, CDW10-15 from 40.
 */
#include <errno.h>
#include <string.h>

#include "nvme_tcp_pdu.h"

static void nvme_tcp_ch(uint8_t *p, uint8_t type, uint8_t flags, uint8_t hlen, uint8_t pdo,
			uint32_t plen)
{
	p[0] = type;
	p[1] = flags;
	p[2] = hlen;
	p[3] = pdo;
	nvme_put32(p + 4, plen);
}

void nvme_tcp_icreq(uint8_t pdu[NVME_TCP_IC_LEN], uint32_t maxr2t)
{
	memset(pdu, 0, NVME_TCP_IC_LEN);
	nvme_tcp_ch(pdu, NVME_TCP_ICREQ, 0, NVME_TCP_IC_LEN, 0, NVME_TCP_IC_LEN);
	/* PFV (8) 0: version 1.0; HPDA (10) 0; DGST (11) 0: no digests. */
	nvme_put32(pdu + 12, maxr2t);
}

int nvme_tcp_icresp_parse(const uint8_t pdu[NVME_TCP_IC_LEN], struct nvme_tcp_icresp *out)
{
	if (pdu[0] != NVME_TCP_ICRESP || pdu[2] != NVME_TCP_IC_LEN ||
	    nvme_get32(pdu + 4) != NVME_TCP_IC_LEN || nvme_get16(pdu + 8) != 0)
		return -EPROTO;
	out->cpda = pdu[10];
	out->dgst = pdu[11];
	out->maxh2cdata = nvme_get32(pdu + 12);
	return 0;
}

void nvme_tcp_cmd_hdr(uint8_t hdr[NVME_TCP_CMD_HLEN], const uint8_t sqe[NVME_SQE_LEN],
		      uint32_t incap)
{
	/* In-capsule data follows the header at once (CPDA 0: no padding). */
	nvme_tcp_ch(hdr, NVME_TCP_CMD, 0, NVME_TCP_CMD_HLEN, incap ? NVME_TCP_CMD_HLEN : 0,
		    NVME_TCP_CMD_HLEN + incap);
	memcpy(hdr + 8, sqe, NVME_SQE_LEN);
}

void nvme_tcp_h2c_hdr(uint8_t hdr[NVME_TCP_SHORT_HLEN], uint16_t cid, uint16_t ttag,
		      uint32_t offset, uint32_t len, int last)
{
	memset(hdr, 0, NVME_TCP_SHORT_HLEN);
	nvme_tcp_ch(hdr, NVME_TCP_H2C_DATA, last ? NVME_TCP_F_DATA_LAST : 0,
		    NVME_TCP_SHORT_HLEN, NVME_TCP_SHORT_HLEN, NVME_TCP_SHORT_HLEN + len);
	nvme_put16(hdr + 8, cid);
	nvme_put16(hdr + 10, ttag);
	nvme_put32(hdr + 12, offset);
	nvme_put32(hdr + 16, len);
}

int nvme_tcp_rx_parse(const uint8_t hdr[NVME_TCP_SHORT_HLEN], struct nvme_tcp_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->type = hdr[0];
	rx->flags = hdr[1];
	rx->hlen = hdr[2];
	rx->pdo = hdr[3];
	rx->plen = nvme_get32(hdr + 4);
	if (rx->hlen != NVME_TCP_SHORT_HLEN || (rx->flags & (NVME_TCP_F_HDGST | NVME_TCP_F_DDGST)))
		return -EPROTO;
	switch (rx->type) {
	case NVME_TCP_RSP:
		/* CQE at 8: DW0, DW1, SQHD, SQID, CID, status with the phase bit. */
		rx->result = nvme_get64(hdr + 8);
		rx->cid = nvme_get16(hdr + 20);
		rx->status = nvme_get16(hdr + 22) >> 1;
		return rx->plen == NVME_TCP_SHORT_HLEN ? 0 : -EPROTO;
	case NVME_TCP_C2H_DATA:
		rx->cid = nvme_get16(hdr + 8);
		rx->offset = nvme_get32(hdr + 12);
		rx->length = nvme_get32(hdr + 16);
		/* SUCCESS only with LAST_PDU: it stands for the CapsuleResp. */
		if ((rx->flags & NVME_TCP_F_DATA_SUCCESS) && !(rx->flags & NVME_TCP_F_DATA_LAST))
			return -EPROTO;
		if (rx->pdo < rx->hlen || rx->plen != (uint32_t)rx->pdo + rx->length)
			return -EPROTO;
		return 0;
	case NVME_TCP_R2T:
		rx->cid = nvme_get16(hdr + 8);
		rx->ttag = nvme_get16(hdr + 10);
		rx->offset = nvme_get32(hdr + 12);
		rx->length = nvme_get32(hdr + 16);
		return rx->plen == NVME_TCP_SHORT_HLEN && rx->length ? 0 : -EPROTO;
	case NVME_TCP_C2H_TERM:
		rx->fes = nvme_get16(hdr + 8);
		return rx->plen >= NVME_TCP_SHORT_HLEN && rx->plen <= NVME_TCP_MAX_TERM_PLEN ?
			0 : -EPROTO;
	default:
		return -EPROTO;
	}
}

void nvme_sqe_init(uint8_t sqe[NVME_SQE_LEN], uint8_t opcode, uint16_t cid, uint32_t nsid)
{
	memset(sqe, 0, NVME_SQE_LEN);
	sqe[0] = opcode;
	sqe[1] = NVME_CMD_FLAG_SGL;
	nvme_put16(sqe + 2, cid);
	nvme_put32(sqe + 4, nsid);
	/* No data unless nvme_sqe_sgl() says: a transport block of 0 bytes. */
	sqe[39] = NVME_SGL_TRANSPORT;
}

void nvme_sqe_sgl(uint8_t sqe[NVME_SQE_LEN], uint32_t len, int incap)
{
	/* Address (24) 0: the capsule's data starts at offset 0. */
	nvme_put64(sqe + 24, 0);
	nvme_put32(sqe + 32, len);
	sqe[39] = incap ? NVME_SGL_INCAPSULE : NVME_SGL_TRANSPORT;
}

void nvme_sqe_rw(uint8_t sqe[NVME_SQE_LEN], uint8_t opcode, uint16_t cid, uint32_t nsid,
		 uint64_t slba, uint32_t nlb, int fua)
{
	nvme_sqe_init(sqe, opcode, cid, nsid);
	nvme_put64(sqe + 40, slba);
	nvme_put32(sqe + 48, ((nlb - 1) & 0xffff) | (fua ? 1u << 30 : 0));
}

void nvme_sqe_write_zeroes(uint8_t sqe[NVME_SQE_LEN], uint16_t cid, uint32_t nsid,
			   uint64_t slba, uint32_t nlb, int deac)
{
	nvme_sqe_init(sqe, NVME_CMD_WRITE_ZEROES, cid, nsid);
	nvme_put64(sqe + 40, slba);
	nvme_put32(sqe + 48, ((nlb - 1) & 0xffff) | (deac ? NVME_WZ_DEAC : 0));
}

void nvme_sqe_dsm(uint8_t sqe[NVME_SQE_LEN], uint16_t cid, uint32_t nsid, unsigned int nr)
{
	nvme_sqe_init(sqe, NVME_CMD_DSM, cid, nsid);
	nvme_put32(sqe + 40, (nr - 1) & 0xff);		/* CDW10 NR, 0's based */
	nvme_put32(sqe + 44, NVME_DSM_AD);		/* CDW11 */
}

void nvme_dsm_range(uint8_t range[NVME_DSM_RANGE_LEN], uint64_t slba, uint32_t nlb)
{
	nvme_put32(range, 0);				/* context attributes */
	nvme_put32(range + 4, nlb);
	nvme_put64(range + 8, slba);
}

/* A fabrics command: opcode 0x7f, FCTYPE at byte 4 where NSID would be. */
static void nvme_sqe_fabrics(uint8_t sqe[NVME_SQE_LEN], uint16_t cid, uint8_t fctype)
{
	nvme_sqe_init(sqe, NVME_FABRICS, cid, 0);
	sqe[4] = fctype;
}

void nvme_sqe_connect(uint8_t sqe[NVME_SQE_LEN], uint16_t cid, uint16_t qid,
		      uint16_t sqsize, uint32_t kato_ms)
{
	nvme_sqe_fabrics(sqe, cid, NVME_FCTYPE_CONNECT);
	nvme_sqe_sgl(sqe, NVME_CONNECT_DATA_LEN, 1);
	/* RECFMT (40) 0, QID, SQSIZE (0's based), CATTR (46) 0, KATO. */
	nvme_put16(sqe + 42, qid);
	nvme_put16(sqe + 44, sqsize);
	nvme_put32(sqe + 48, kato_ms);
}

int nvme_connect_data(uint8_t data[NVME_CONNECT_DATA_LEN], const uint8_t hostid[16],
		      uint16_t cntlid, const char *subnqn, const char *hostnqn)
{
	size_t sl = strlen(subnqn), hl = strlen(hostnqn);

	if (sl >= NVME_NQN_MAX || hl >= NVME_NQN_MAX)
		return -EINVAL;
	memset(data, 0, NVME_CONNECT_DATA_LEN);
	memcpy(data, hostid, 16);
	nvme_put16(data + 16, cntlid);
	memcpy(data + 256, subnqn, sl);
	memcpy(data + 512, hostnqn, hl);
	return 0;
}

void nvme_sqe_prop_get(uint8_t sqe[NVME_SQE_LEN], uint16_t cid, uint32_t off, int eight)
{
	nvme_sqe_fabrics(sqe, cid, NVME_FCTYPE_PROP_GET);
	sqe[40] = eight ? 1 : 0;	/* ATTRIB: the property's size */
	nvme_put32(sqe + 44, off);
}

void nvme_sqe_prop_set(uint8_t sqe[NVME_SQE_LEN], uint16_t cid, uint32_t off, uint64_t val)
{
	nvme_sqe_fabrics(sqe, cid, NVME_FCTYPE_PROP_SET);
	nvme_put32(sqe + 44, off);	/* ATTRIB 0: 4 bytes, all CC needs */
	nvme_put64(sqe + 48, val);
}

void nvme_sqe_identify(uint8_t sqe[NVME_SQE_LEN], uint16_t cid, uint8_t cns, uint32_t nsid)
{
	nvme_sqe_init(sqe, NVME_ADMIN_IDENTIFY, cid, nsid);
	nvme_sqe_sgl(sqe, NVME_IDENTIFY_LEN, 0);
	sqe[40] = cns;
}

void nvme_id_ctrl_parse(const uint8_t data[NVME_IDENTIFY_LEN], struct nvme_id_ctrl *c)
{
	c->mdts = data[77];
	c->cntlid = nvme_get16(data + 78);
	c->kas = nvme_get16(data + 320);
	c->maxcmd = nvme_get16(data + 514);
	c->nn = nvme_get32(data + 516);
	c->oncs = nvme_get16(data + 520);
	c->vwc = data[525];
	c->ioccsz = nvme_get32(data + 1792);
}

void nvme_id_ctrl_nvm_parse(const uint8_t data[NVME_IDENTIFY_LEN], struct nvme_id_ctrl_nvm *c)
{
	/* VSL at 0, then WZSL, WUSL, DMRL, DMRSL (4-7), DMSL (8-15). */
	c->wzsl = data[1];
	c->dmrl = data[3];
	c->dmrsl = nvme_get32(data + 4);
	c->dmsl = nvme_get64(data + 8);
}

unsigned int nvme_ns_list_parse(const uint8_t data[NVME_IDENTIFY_LEN], uint32_t *ids,
				unsigned int max)
{
	unsigned int n = 0;
	uint32_t id;

	while (n < max && n < NVME_IDENTIFY_LEN / 4 && (id = nvme_get32(data + 4 * n)))
		ids[n++] = id;
	return n;
}

void nvme_id_ns_parse(const uint8_t data[NVME_IDENTIFY_LEN], struct nvme_id_ns *ns)
{
	uint8_t flbas = data[26], nlbaf = data[25];
	/* FLBAS: the format's index, bits 3:0, and 6:5 above them past 16 formats. */
	unsigned int idx = (flbas & 0xf) | (nlbaf >= 16 ? ((flbas >> 5) & 3) << 4 : 0);
	const uint8_t *lbaf = data + 128 + 4 * idx;

	ns->nsze = nvme_get64(data);
	ns->ms = nvme_get16(lbaf);
	ns->lbads = lbaf[2];
}

const char *nvme_status_str(uint16_t status)
{
	if (NVME_SCT(status) == NVME_SCT_CMD_SPECIFIC) {
		switch (NVME_SC(status)) {
		case 0x80:
			return "connect: incompatible format";
		case 0x81:
			return "connect: controller busy";
		case NVME_SC_CONNECT_INVALID_PARAM:
			return "connect: invalid parameters (no such subsystem, or a bad queue size)";
		case 0x83:
			return "connect: restart discovery";
		case NVME_SC_CONNECT_INVALID_HOST:
			return "connect: this host is not allowed";
		}
		return "command specific error";
	}
	if (NVME_SCT(status))
		return "error";
	switch (NVME_SC(status)) {
	case 0x00:
		return "success";
	case 0x01:
		return "invalid opcode";
	case 0x02:
		return "invalid field";
	case 0x06:
		return "internal error";
	case NVME_SC_INVALID_NS:
		return "invalid namespace";
	case 0x80:
		return "LBA out of range";
	case 0x81:
		return "capacity exceeded";
	case 0x82:
		return "namespace not ready";
	}
	return "error";
}
