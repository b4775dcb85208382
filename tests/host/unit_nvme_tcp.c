// SPDX-License-Identifier: GPL-2.0
/*
 * The nvme-tcp target's PDUs and commands against byte layouts written out
 * by hand from the NVMe/TCP and NVMe specifications' tables (offsets and
 * values, little-endian), so a field at the wrong offset, a wrong flag or
 * a missed check fails here before any target sees it.
 */
#include <errno.h>
#include <string.h>

#include "nvme_tcp_pdu.h"
#include "unit.h"

/* @n bytes of @got equal to @want, else the first difference. */
static void bytes_eq(int *unit_failed, const char *what, const uint8_t *got,
		     const uint8_t *want, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (got[i] != want[i]) {
			UNIT_FAIL("%s: byte %zu is 0x%02x, want 0x%02x", what, i, got[i], want[i]);
			return;
		}
}

UNIT_TEST(icreq_layout)
{
	uint8_t pdu[NVME_TCP_IC_LEN], want[NVME_TCP_IC_LEN] = {
		0x00, 0x00, 0x80, 0x00, 0x80, 0x00, 0x00, 0x00,	/* ICReq, HLEN=PLEN=128 */
		0x00, 0x00, 0x00, 0x00,				/* PFV 0, HPDA 0, DGST 0 */
		0x03, 0x00, 0x00, 0x00,				/* MAXR2T 3 */
	};

	memset(pdu, 0xee, sizeof(pdu));
	nvme_tcp_icreq(pdu, 3);
	bytes_eq(unit_failed, "icreq", pdu, want, sizeof(want));
}

UNIT_TEST(icresp_parse)
{
	uint8_t pdu[NVME_TCP_IC_LEN] = {
		0x01, 0x00, 0x80, 0x00, 0x80, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x00,	/* CPDA 2, MAXH2CDATA 4 MiB */
	};
	struct nvme_tcp_icresp r;

	ASSERT_EQ(nvme_tcp_icresp_parse(pdu, &r), 0);
	ASSERT_EQ(r.cpda, 2);
	ASSERT_EQ(r.dgst, 0);
	ASSERT_EQ(r.maxh2cdata, 0x400000);
	pdu[0] = NVME_TCP_ICREQ;
	ASSERT_EQ(nvme_tcp_icresp_parse(pdu, &r), -EPROTO);
	pdu[0] = NVME_TCP_ICRESP;
	pdu[8] = 1;					/* PFV 1: unknown */
	ASSERT_EQ(nvme_tcp_icresp_parse(pdu, &r), -EPROTO);
}

UNIT_TEST(write_capsule_in_capsule_data)
{
	uint8_t sqe[NVME_SQE_LEN], hdr[NVME_TCP_CMD_HLEN], want[NVME_TCP_CMD_HLEN] = {
		0x04, 0x00, 0x48, 0x48, 0x48, 0x10, 0x00, 0x00,	/* CMD, HLEN 72, PDO 72, PLEN 72+4096 */
		0x01, 0x40, 0x07, 0x00, 0x01, 0x00, 0x00, 0x00,	/* Write, SGL, CID 7, NSID 1 */
	};

	/* SGL1 at SQE byte 24 (PDU byte 32): address 0, length 4096, type 0x01. */
	want[40] = 0x00; want[41] = 0x10; want[42] = 0; want[43] = 0;
	want[44] = 0; want[45] = 0; want[46] = 0; want[47] = NVME_SGL_INCAPSULE;
	/* CDW10-11 (PDU 48): SLBA 0x87654321; CDW12 (PDU 56): NLB 8-1, FUA. */
	want[48] = 0x21; want[49] = 0x43; want[50] = 0x65; want[51] = 0x87;
	want[56] = 0x07; want[59] = 0x40;
	nvme_sqe_rw(sqe, NVME_CMD_WRITE, 7, 1, 0x87654321ULL, 8, 1);
	nvme_sqe_sgl(sqe, 4096, 1);
	nvme_tcp_cmd_hdr(hdr, sqe, 4096);
	bytes_eq(unit_failed, "write capsule", hdr, want, sizeof(want));
}

UNIT_TEST(read_capsule_transport_sgl)
{
	uint8_t sqe[NVME_SQE_LEN], hdr[NVME_TCP_CMD_HLEN];

	nvme_sqe_rw(sqe, NVME_CMD_READ, 0x1234, 2, 1ULL << 40, 256, 0);
	nvme_sqe_sgl(sqe, 128 << 10, 0);
	nvme_tcp_cmd_hdr(hdr, sqe, 0);
	ASSERT_EQ(hdr[3], 0);				/* PDO 0: no data */
	ASSERT_EQ(nvme_get32(hdr + 4), 72);
	ASSERT_EQ(hdr[8], 0x02);
	ASSERT_EQ(nvme_get16(hdr + 10), 0x1234);
	ASSERT_EQ(nvme_get32(hdr + 12), 2);
	ASSERT_EQ(nvme_get32(hdr + 8 + 32), 128 << 10);	/* SGL1 length */
	ASSERT_EQ(hdr[8 + 39], 0x5a);			/* transport data block */
	ASSERT_EQ(nvme_get64(hdr + 8 + 40), 1ULL << 40);
	ASSERT_EQ(nvme_get32(hdr + 8 + 48), 255);	/* NLB 0's based, no FUA */
}

UNIT_TEST(flush_has_null_sgl)
{
	uint8_t sqe[NVME_SQE_LEN];

	nvme_sqe_init(sqe, NVME_CMD_FLUSH, 9, 1);
	ASSERT_EQ(sqe[0], 0);
	ASSERT_EQ(sqe[1], 0x40);
	ASSERT_EQ(nvme_get32(sqe + 32), 0);
	ASSERT_EQ(sqe[39], 0x5a);
}

UNIT_TEST(connect_command_and_data)
{
	static const uint8_t hostid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	uint8_t sqe[NVME_SQE_LEN], data[NVME_CONNECT_DATA_LEN];
	char long_nqn[300];

	nvme_sqe_connect(sqe, 5, 3, 127, 15000);
	ASSERT_EQ(sqe[0], 0x7f);
	ASSERT_EQ(sqe[1], 0x40);
	ASSERT_EQ(nvme_get16(sqe + 2), 5);
	ASSERT_EQ(sqe[4], 0x01);			/* FCTYPE Connect */
	ASSERT_EQ(nvme_get32(sqe + 32), 1024);		/* in-capsule, 1 KiB */
	ASSERT_EQ(sqe[39], 0x01);
	ASSERT_EQ(nvme_get16(sqe + 40), 0);		/* RECFMT */
	ASSERT_EQ(nvme_get16(sqe + 42), 3);		/* QID */
	ASSERT_EQ(nvme_get16(sqe + 44), 127);		/* SQSIZE */
	ASSERT_EQ(nvme_get32(sqe + 48), 15000);		/* KATO ms */
	ASSERT_EQ(nvme_connect_data(data, hostid, 0xffff, "nqn.sub", "nqn.host"), 0);
	bytes_eq(unit_failed, "hostid", data, hostid, 16);
	ASSERT_EQ(nvme_get16(data + 16), 0xffff);
	ASSERT_STR_EQ((char *)data + 256, "nqn.sub");
	ASSERT_STR_EQ((char *)data + 512, "nqn.host");
	ASSERT_EQ(data[255], 0);
	ASSERT_EQ(data[1023], 0);
	memset(long_nqn, 'a', sizeof(long_nqn) - 1);
	long_nqn[256] = '\0';				/* 256 characters: no room for its NUL */
	ASSERT_EQ(nvme_connect_data(data, hostid, 1, long_nqn, "h"), -EINVAL);
}

UNIT_TEST(property_get_set)
{
	uint8_t sqe[NVME_SQE_LEN];

	nvme_sqe_prop_get(sqe, 1, NVME_PROP_CAP, 1);
	ASSERT_EQ(sqe[4], 0x04);
	ASSERT_EQ(sqe[40], 1);
	ASSERT_EQ(nvme_get32(sqe + 44), 0);
	nvme_sqe_prop_set(sqe, 2, NVME_PROP_CC, 0x460001);
	ASSERT_EQ(sqe[4], 0x00);
	ASSERT_EQ(sqe[40], 0);
	ASSERT_EQ(nvme_get32(sqe + 44), 0x14);
	ASSERT_EQ(nvme_get64(sqe + 48), 0x460001);
	ASSERT_EQ(NVME_CC_EN | NVME_CC_IOSQES(6) | NVME_CC_IOCQES(4), 0x460001);
}

UNIT_TEST(h2c_data_layout)
{
	uint8_t hdr[NVME_TCP_SHORT_HLEN], want[NVME_TCP_SHORT_HLEN] = {
		0x06, 0x04, 0x18, 0x18, 0x18, 0x20, 0x00, 0x00,	/* LAST_PDU, PLEN 24+8192 */
		0x0a, 0x00, 0x34, 0x12, 0x00, 0x10, 0x00, 0x00,	/* CCCID 10, TTAG 0x1234, DATAO 4096 */
		0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* DATAL 8192 */
	};

	nvme_tcp_h2c_hdr(hdr, 10, 0x1234, 4096, 8192, 1);
	bytes_eq(unit_failed, "h2c", hdr, want, sizeof(want));
	nvme_tcp_h2c_hdr(hdr, 10, 0x1234, 0, 4096, 0);
	ASSERT_EQ(hdr[1], 0);
}

UNIT_TEST(capsule_resp_parse)
{
	uint8_t hdr[NVME_TCP_SHORT_HLEN] = {
		0x05, 0x00, 0x18, 0x00, 0x18, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* DW0 1 (a cntlid) */
		0x05, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x05, 0x03,	/* SQHD 5, CID 42, status */
	};
	struct nvme_tcp_rx rx;

	ASSERT_EQ(nvme_tcp_rx_parse(hdr, &rx), 0);
	ASSERT_EQ(rx.type, NVME_TCP_RSP);
	ASSERT_EQ(rx.cid, 42);
	ASSERT_EQ(rx.result, 1);
	/* 0x0305 >> 1 = 0x182: SCT 1, SC 0x82, the phase bit dropped. */
	ASSERT_EQ(rx.status, 0x182);
	ASSERT_EQ(NVME_SCT(rx.status), 1);
	ASSERT_EQ(NVME_SC(rx.status), NVME_SC_CONNECT_INVALID_PARAM);
	hdr[4] = 0x1c;					/* PLEN 28: not a CapsuleResp */
	ASSERT_EQ(nvme_tcp_rx_parse(hdr, &rx), -EPROTO);
	hdr[4] = 0x18;
	hdr[1] = NVME_TCP_F_HDGST;			/* no digest was negotiated */
	ASSERT_EQ(nvme_tcp_rx_parse(hdr, &rx), -EPROTO);
}

UNIT_TEST(c2h_data_parse)
{
	uint8_t hdr[NVME_TCP_SHORT_HLEN] = {
		0x07, 0x0c, 0x18, 0x18, 0x18, 0x02, 0x00, 0x00,	/* LAST|SUCCESS, PLEN 24+512 */
		0x03, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,	/* CCCID 3, DATAO 512 */
		0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* DATAL 512 */
	};
	struct nvme_tcp_rx rx;

	ASSERT_EQ(nvme_tcp_rx_parse(hdr, &rx), 0);
	ASSERT_EQ(rx.cid, 3);
	ASSERT_EQ(rx.offset, 512);
	ASSERT_EQ(rx.length, 512);
	ASSERT_EQ(rx.flags, NVME_TCP_F_DATA_LAST | NVME_TCP_F_DATA_SUCCESS);
	hdr[1] = NVME_TCP_F_DATA_SUCCESS;		/* SUCCESS without LAST_PDU */
	ASSERT_EQ(nvme_tcp_rx_parse(hdr, &rx), -EPROTO);
	hdr[1] = 0;
	hdr[16] = 0x04;					/* DATAL disagrees with PLEN */
	ASSERT_EQ(nvme_tcp_rx_parse(hdr, &rx), -EPROTO);
}

UNIT_TEST(r2t_parse)
{
	uint8_t hdr[NVME_TCP_SHORT_HLEN] = {
		0x09, 0x00, 0x18, 0x00, 0x18, 0x00, 0x00, 0x00,
		0x11, 0x00, 0x22, 0x00, 0x00, 0x40, 0x00, 0x00,	/* CCCID 17, TTAG 34, R2TO 16K */
		0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,	/* R2TL 64K */
	};
	struct nvme_tcp_rx rx;

	ASSERT_EQ(nvme_tcp_rx_parse(hdr, &rx), 0);
	ASSERT_EQ(rx.cid, 17);
	ASSERT_EQ(rx.ttag, 34);
	ASSERT_EQ(rx.offset, 16384);
	ASSERT_EQ(rx.length, 65536);
	hdr[18] = 0;					/* R2TL 0 */
	ASSERT_EQ(nvme_tcp_rx_parse(hdr, &rx), -EPROTO);
	hdr[0] = 0x08;					/* no such PDU type */
	ASSERT_EQ(nvme_tcp_rx_parse(hdr, &rx), -EPROTO);
}

UNIT_TEST(identify_fields)
{
	static uint8_t c[NVME_IDENTIFY_LEN], n[NVME_IDENTIFY_LEN];
	struct nvme_id_ctrl ic;
	struct nvme_id_ns ns;

	c[77] = 5;					/* MDTS */
	c[78] = 0x07; c[79] = 0x00;			/* CNTLID 7 */
	c[320] = 0x0a;					/* KAS 10 */
	c[514] = 0x80;					/* MAXCMD 128 */
	c[516] = 2;					/* NN 2 */
	c[520] = 0x0c;					/* ONCS: DSM, Write Zeroes */
	c[525] = 1;					/* VWC */
	c[1792] = 0x04; c[1793] = 0x04;			/* IOCCSZ 0x404: 64 + 16 KiB */
	nvme_id_ctrl_parse(c, &ic);
	ASSERT_EQ(ic.mdts, 5);
	ASSERT_EQ(ic.cntlid, 7);
	ASSERT_EQ(ic.kas, 10);
	ASSERT_EQ(ic.maxcmd, 128);
	ASSERT_EQ(ic.nn, 2);
	ASSERT_EQ(ic.vwc, 1);
	ASSERT_EQ(ic.oncs & NVME_ONCS_DSM, NVME_ONCS_DSM);
	ASSERT_EQ(ic.oncs & NVME_ONCS_WRITE_ZEROES, NVME_ONCS_WRITE_ZEROES);
	ASSERT_EQ(ic.ioccsz * 16, 64 + 16384);

	n[0] = 0x00; n[1] = 0x00; n[2] = 0x10;		/* NSZE 1 Mi blocks */
	n[25] = 1;					/* NLBAF: 2 formats */
	n[26] = 1;					/* FLBAS: format 1 */
	n[128 + 2] = 9;					/* format 0: 512 B */
	n[132 + 2] = 12;				/* format 1: 4 KiB, 8 B metadata */
	n[132] = 8;
	nvme_id_ns_parse(n, &ns);
	ASSERT_EQ(ns.nsze, 1 << 20);
	ASSERT_EQ(ns.lbads, 12);
	ASSERT_EQ(ns.ms, 8);
}

/* DSM deallocate: one 16-byte range as in-capsule data after the SQE. */
UNIT_TEST(dsm_capsule_with_range)
{
	uint8_t sqe[NVME_SQE_LEN], hdr[NVME_TCP_CMD_HLEN], range[NVME_DSM_RANGE_LEN];
	uint8_t want_range[NVME_DSM_RANGE_LEN] = {
		0x00, 0x00, 0x00, 0x00,				/* context attributes */
		0x00, 0x01, 0x02, 0x00,				/* NLB 0x20100, 1-based */
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,	/* SLBA */
	};

	memset(range, 0xee, sizeof(range));
	nvme_sqe_dsm(sqe, 9, 3, 1);
	nvme_sqe_sgl(sqe, NVME_DSM_RANGE_LEN, 1);
	nvme_tcp_cmd_hdr(hdr, sqe, NVME_DSM_RANGE_LEN);
	nvme_dsm_range(range, 0x1122334455667788ULL, 0x20100);
	ASSERT_EQ(hdr[0], 0x04);
	ASSERT_EQ(hdr[3], 72);				/* PDO: the range right after */
	ASSERT_EQ(nvme_get32(hdr + 4), 72 + 16);	/* PLEN */
	ASSERT_EQ(hdr[8], 0x09);			/* Dataset Management */
	ASSERT_EQ(hdr[9], 0x40);
	ASSERT_EQ(nvme_get16(hdr + 10), 9);
	ASSERT_EQ(nvme_get32(hdr + 12), 3);		/* NSID */
	ASSERT_EQ(nvme_get64(hdr + 8 + 24), 0);		/* SGL1: offset 0 in the capsule */
	ASSERT_EQ(nvme_get32(hdr + 8 + 32), 16);
	ASSERT_EQ(hdr[8 + 39], 0x01);
	ASSERT_EQ(nvme_get32(hdr + 8 + 40), 0);		/* CDW10 NR 0: one range */
	ASSERT_EQ(nvme_get32(hdr + 8 + 44), 4);		/* CDW11 AD */
	ASSERT_EQ(nvme_get32(hdr + 8 + 48), 0);
	bytes_eq(unit_failed, "dsm range", range, want_range, sizeof(want_range));
	nvme_sqe_dsm(sqe, 9, 3, 256);
	ASSERT_EQ(nvme_get32(sqe + 40), 255);		/* NR 0's based, 8 bits */
}

UNIT_TEST(write_zeroes_layout)
{
	uint8_t sqe[NVME_SQE_LEN];

	nvme_sqe_write_zeroes(sqe, 0x21, 1, 0x1000, 65536, 1);
	ASSERT_EQ(sqe[0], 0x08);
	ASSERT_EQ(nvme_get16(sqe + 2), 0x21);
	ASSERT_EQ(nvme_get32(sqe + 4), 1);
	ASSERT_EQ(nvme_get32(sqe + 32), 0);		/* no data */
	ASSERT_EQ(sqe[39], 0x5a);
	ASSERT_EQ(nvme_get64(sqe + 40), 0x1000);
	ASSERT_EQ(nvme_get32(sqe + 48), 0xffff | 1u << 25);	/* NLB 0's based, DEAC */
	nvme_sqe_write_zeroes(sqe, 0x21, 1, 0x1000, 8, 0);
	ASSERT_EQ(nvme_get32(sqe + 48), 7);
}

/* CNS 06h (NVM set): WZSL, DMRL, DMRSL, DMSL; CNS 02h: ids until a 0. */
UNIT_TEST(identify_nvm_limits_and_ns_list)
{
	uint8_t d[NVME_IDENTIFY_LEN] = { 0 };
	struct nvme_id_ctrl_nvm nvm;
	uint32_t ids[4];

	d[0] = 0x7;					/* VSL, not used */
	d[1] = 5;					/* WZSL */
	d[2] = 0x9;					/* WUSL, not used */
	d[3] = 0x10;					/* DMRL */
	d[4] = 0x00; d[5] = 0x00; d[6] = 0x01;		/* DMRSL 64 Ki blocks */
	d[8] = 0x00; d[9] = 0x00; d[10] = 0x00; d[11] = 0x00; d[12] = 0x01;	/* DMSL 2^32 */
	nvme_id_ctrl_nvm_parse(d, &nvm);
	ASSERT_EQ(nvm.wzsl, 5);
	ASSERT_EQ(nvm.dmrl, 0x10);
	ASSERT_EQ(nvm.dmrsl, 0x10000);
	ASSERT_EQ(nvm.dmsl, 1ULL << 32);

	memset(d, 0, sizeof(d));
	d[0] = 1; d[4] = 2; d[8] = 0x00; d[9] = 0x01;	/* 1, 2, 256, then 0 */
	d[16] = 7;					/* after the 0: not an id */
	ASSERT_EQ(nvme_ns_list_parse(d, ids, 4), 3);
	ASSERT_EQ(ids[0], 1);
	ASSERT_EQ(ids[1], 2);
	ASSERT_EQ(ids[2], 256);
	ASSERT_EQ(nvme_ns_list_parse(d, ids, 2), 2);
}

UNIT_TEST(status_words)
{
	ASSERT_STR_EQ(nvme_status_str(0x0b), "invalid namespace");
	ASSERT_STR_EQ(nvme_status_str(0x184), "connect: this host is not allowed");
	ASSERT_STR_EQ(nvme_status_str(0x80), "LBA out of range");
}

UNIT_MAIN("nvme_tcp",
	  UNIT_CASE(icreq_layout), UNIT_CASE(icresp_parse),
	  UNIT_CASE(write_capsule_in_capsule_data), UNIT_CASE(read_capsule_transport_sgl),
	  UNIT_CASE(flush_has_null_sgl), UNIT_CASE(connect_command_and_data),
	  UNIT_CASE(property_get_set), UNIT_CASE(h2c_data_layout),
	  UNIT_CASE(capsule_resp_parse), UNIT_CASE(c2h_data_parse), UNIT_CASE(r2t_parse),
	  UNIT_CASE(identify_fields), UNIT_CASE(dsm_capsule_with_range),
	  UNIT_CASE(write_zeroes_layout), UNIT_CASE(identify_nvm_limits_and_ns_list),
	  UNIT_CASE(status_words))
