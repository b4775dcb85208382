/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ublk-bpf: what the kfunc-shim's PCI driver (ublk_bpf_pci) and a BPF NVMe
 * driver program agree on: the DMA regions of a bound controller and the
 * device address the acquire kfunc takes. docs/bpf-nvme.md has the design.
 */
#ifndef UBLK_BPF_NVME_H
#define UBLK_BPF_NVME_H

/* The name of the shim's pci_driver, for driver_override. */
#define UBLK_BPF_PCI_DRIVER "ublk_bpf_pci"

/*
 * A device as ublk_bpf_pci_acquire() names it: domain, bus, device and
 * function of "DDDD:BB:DD.F" packed like the kernel's pci_dev_id() plus the
 * domain above it.
 */
#define UBLK_BPF_PCI_ADDR(dom, bus, dev, fn) \
	(((dom) << 16) | ((bus) << 8) | ((dev) << 3) | (fn))

/*
 * Queue pairs: 0 is the admin queue, 1..UBLK_BPF_NVME_NR_QUEUES-1 are I/O
 * queues (fewer when BAR0 holds fewer doorbells).
 */
#define UBLK_BPF_NVME_NR_QUEUES 5

/*
 * DMA regions, one page each, allocated when the device binds: queue q's
 * submission queue is region 2q, its completion queue region 2q+1, and the
 * region after the last queue holds command data (Identify).
 */
#define UBLK_BPF_NVME_REGION_SQ(q)	(2 * (q))
#define UBLK_BPF_NVME_REGION_CQ(q)	(2 * (q) + 1)
#define UBLK_BPF_NVME_REGION_DATA	(2 * UBLK_BPF_NVME_NR_QUEUES)
#define UBLK_BPF_NVME_NR_REGIONS	(UBLK_BPF_NVME_REGION_DATA + 1)
#define UBLK_BPF_NVME_REGION_SIZE	4096
#define UBLK_BPF_NVME_NO_DATA		0xffffffffu

#define UBLK_BPF_NVME_SQE_SIZE		64
#define UBLK_BPF_NVME_CQE_SIZE		16
/* Entries a queue region holds: the most a queue may be created with. */
#define UBLK_BPF_NVME_SQ_MAX (UBLK_BPF_NVME_REGION_SIZE / UBLK_BPF_NVME_SQE_SIZE)
#define UBLK_BPF_NVME_CQ_MAX (UBLK_BPF_NVME_REGION_SIZE / UBLK_BPF_NVME_CQE_SIZE)

/*
 * The IO path (kfunc ublk_bpf_nvme_io_submit(), struct_ops programs): an I/O
 * queue pair whose completion queue the program creates with IEN set in
 * CDW11 belongs to it. The shim then picks the interrupt vector, owns the
 * command ids, maps the request's pages and builds the PRPs, and completes
 * the aio from the queue's MSI-X interrupt; such a queue is no longer
 * reachable through ublk_bpf_nvme_submit()/_reap().
 */
#define UBLK_BPF_NVME_CQ_IEN		(1u << 1)
/* The most bytes one IO-path command moves: a PRP list of 32 entries. */
#define UBLK_BPF_NVME_MAX_IO		(128 * 1024)
/* Commands in flight on one IO-path queue pair (a full SQ keeps one free). */
#define UBLK_BPF_NVME_IO_DEPTH		(UBLK_BPF_NVME_SQ_MAX - 1)

/* I/O command opcodes the IO path accepts. */
#define UBLK_BPF_NVME_OP_FLUSH		0x00
#define UBLK_BPF_NVME_OP_WRITE		0x01
#define UBLK_BPF_NVME_OP_READ		0x02
#define UBLK_BPF_NVME_OP_WRITE_ZEROES	0x08
#define UBLK_BPF_NVME_OP_DSM		0x09

/**
 * struct ublk_bpf_nvme_ns - a namespace as the shim itself identified it
 * @nsze: size in logical blocks
 * @lba_shift: log2 of the logical block size
 * @reserved: 0
 *
 * Filled by the syscall kfunc ublk_bpf_nvme_identify_ns(), which runs
 * Identify Namespace into memory of its own and remembers the block size:
 * the IO path computes every transfer length from it, never from the
 * program. Namespaces with metadata are refused.
 */
struct ublk_bpf_nvme_ns {
	__u64 nsze;
	__u32 lba_shift;
	__u32 reserved;
};

/*
 * The context of bpf/nvme.bpf.c's syscall program nvme_setup, which the
 * tool runs (BPF_PROG_RUN) before it creates the device: the controller
 * reset and enabled, the namespace identified, one IO-path queue pair per
 * ublk queue (I/O queue q + 1 serves ublk queue q). A second run sets the
 * controller up again from scratch.
 */
#define UBLK_BPF_NVME_SETUP_PROG	"nvme_setup"
#define UBLK_BPF_NVME_MAX_QUEUES	(UBLK_BPF_NVME_NR_QUEUES - 1)

/* ublk_bpf_nvme_setup.flags: what Identify Controller said */
#define UBLK_BPF_NVME_SETUP_VWC		(1u << 0)	/* volatile write cache */
#define UBLK_BPF_NVME_SETUP_DSM		(1u << 1)	/* ONCS bit 2: deallocate */
#define UBLK_BPF_NVME_SETUP_WZ		(1u << 2)	/* ONCS bit 3: write zeroes */

/* ublk_bpf_nvme_setup.step: where a failed setup stopped */
enum ublk_bpf_nvme_setup_step {
	UBLK_BPF_NVME_STEP_ACQUIRE = 1,	/* not bound to ublk_bpf_pci */
	UBLK_BPF_NVME_STEP_DISABLE,
	UBLK_BPF_NVME_STEP_ADMIN_QUEUES,
	UBLK_BPF_NVME_STEP_ENABLE,
	UBLK_BPF_NVME_STEP_ID_CTRL,
	UBLK_BPF_NVME_STEP_NR_QUEUES,
	UBLK_BPF_NVME_STEP_ID_NS,
	UBLK_BPF_NVME_STEP_CREATE_CQ,
	UBLK_BPF_NVME_STEP_CREATE_SQ,
};

/**
 * struct ublk_bpf_nvme_setup - nvme_setup's context
 * @pci_addr: in: UBLK_BPF_PCI_ADDR() of the controller
 * @nsid: in: the namespace the device serves
 * @nr_queues: in: ublk queues, 1..UBLK_BPF_NVME_MAX_QUEUES
 * @depth: in: ublk queue depth, 1..UBLK_BPF_NVME_IO_DEPTH
 * @error: out: 0, or the -errno of @step (-EIO: a command failed, @status)
 * @step: out: UBLK_BPF_NVME_STEP_* of the failure; 0 when none
 * @status: out: the NVMe status field (DW3 bits 31:17) of the failed command
 * @lba_shift: out: log2 of the namespace's logical block size
 * @size: out: the namespace's size in bytes
 * @max_io: out: bytes per command, MDTS capped at UBLK_BPF_NVME_MAX_IO
 * @flags: out: UBLK_BPF_NVME_SETUP_*
 */
struct ublk_bpf_nvme_setup {
	__u32 pci_addr;
	__u32 nsid;
	__u32 nr_queues;
	__u32 depth;
	__s32 error;
	__u32 step;
	__u32 status;
	__u32 lba_shift;
	__u64 size;
	__u32 max_io;
	__u32 flags;
};

#endif
