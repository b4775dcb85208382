/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ublk-bpf: the kfuncs of the kfunc-shim's PCI driver (ublk_bpf_pci.c), for
 * BPF programs only; include after the kernel types and <bpf/bpf_helpers.h>.
 * Syscall programs set the controller up; the IO path submits with
 * ublk_bpf_nvme_io_submit() (docs/bpf-nvme.md).
 */
#ifndef UBLK_BPF_PCI_BPF_H
#define UBLK_BPF_PCI_BPF_H

#ifndef __bpf__
#error "ublk_bpf_pci.bpf.h is for BPF programs only"
#endif

#include "ublk_bpf_nvme.h"

/* A bound controller: opaque, held between acquire and release. */
struct ublk_bpf_pci {
};

/* Controller registers a program reads or writes by offset. */
#define NVME_REG_CAP	0x00
#define NVME_REG_VS	0x08
#define NVME_REG_INTMS	0x0c
#define NVME_REG_CC	0x14
#define NVME_REG_CSTS	0x1c
#define NVME_REG_ASQ	0x28

extern struct ublk_bpf_pci *ublk_bpf_pci_acquire(__u32 addr) __ksym;
extern void ublk_bpf_pci_release(struct ublk_bpf_pci *p) __ksym;
extern int ublk_bpf_pci_read32(struct ublk_bpf_pci *p, __u32 off,
			       __u32 *val) __ksym;
extern int ublk_bpf_pci_read64(struct ublk_bpf_pci *p, __u32 off,
			       __u64 *val) __ksym;
extern int ublk_bpf_pci_write32(struct ublk_bpf_pci *p, __u32 off,
				__u32 val) __ksym;
extern int ublk_bpf_nvme_admin_queues(struct ublk_bpf_pci *p, __u32 sq_entries,
				      __u32 cq_entries) __ksym;
extern int ublk_bpf_pci_region_read(struct ublk_bpf_pci *p, __u32 region,
				    __u32 off, void *buf, __u32 buf__sz) __ksym;
extern int ublk_bpf_pci_region_write(struct ublk_bpf_pci *p, __u32 region,
				     __u32 off, const void *buf,
				     __u32 buf__sz) __ksym;
extern int ublk_bpf_nvme_submit(struct ublk_bpf_pci *p, __u32 qid,
				const void *sqe, __u32 sqe__sz,
				__u32 data) __ksym;
extern int ublk_bpf_nvme_reap(struct ublk_bpf_pci *p, __u32 qid, void *cqe,
			      __u32 cqe__sz) __ksym;

/* Syscall programs: the shim's own Identify Namespace (docs/bpf-nvme.md). */
extern int ublk_bpf_nvme_identify_ns(struct ublk_bpf_pci *p, __u32 nsid,
				     void *ns, __u32 ns__sz) __ksym;

struct ublk_bpf_aio;
/*
 * struct_ops programs of a device made with UBLK_BPF_PARAM_F_PCI: one NVMe
 * I/O command for @aio on IO-path queue pair @qid. The program sets the
 * opcode (UBLK_BPF_NVME_OP_*), NSID (CDW1, identified), SLBA (CDW10/11) and
 * FUA (CDW12 bit 30); the shim sets the command id, NLB from the attached
 * slice, PRP1/PRP2/PRP list from the request's own pages, and DSM's one
 * range. Consumes @aio; aio_complete() follows with the bytes, or -EIO and
 * the NVMe status in aio->status.
 */
extern int ublk_bpf_nvme_io_submit(struct ublk_bpf_aio *aio, __u32 qid,
				   const void *sqe, __u32 sqe__sz) __ksym;

#endif
