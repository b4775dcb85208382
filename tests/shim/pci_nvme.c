// SPDX-License-Identifier: GPL-2.0
/*
 * pci_nvme: loads pci_nvme.bpf.o and runs one of its syscall programs on a
 * controller bound to the kfunc-shim's ublk_bpf_pci, printing what it
 * found as KEY=value lines for test_shim.sh.
 *
 *   pci_nvme OBJ probe|identify|hold DDDD:BB:DD.F
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "ublk_bpf_nvme.h"
#include "pci_nvme.h"

static int bar_len(const char *bdf, __u32 *len)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
	if (stat(path, &st))
		return -errno;
	*len = st.st_size;
	return 0;
}

int main(int argc, char **argv)
{
	struct pci_nvme_ctx ctx = {};
	unsigned int dom, bus, dev, fn;
	struct bpf_object *obj;
	struct bpf_program *prog;
	int ret;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx));

	if (argc != 4 || sscanf(argv[3], "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4 ||
	    dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7) {
		fprintf(stderr, "usage: pci_nvme OBJ probe|identify|hold DDDD:BB:DD.F\n");
		return 2;
	}
	ctx.addr = UBLK_BPF_PCI_ADDR(dom, bus, dev, fn);
	if (bar_len(argv[3], &ctx.bar_len)) {
		fprintf(stderr, "pci_nvme: no BAR0 for %s\n", argv[3]);
		return 1;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "pci_nvme: cannot open %s\n", argv[1]);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, argv[2]);
	if (!prog) {
		fprintf(stderr, "pci_nvme: no program %s\n", argv[2]);
		return 2;
	}
	ret = bpf_object__load(obj);
	if (ret) {
		fprintf(stderr, "pci_nvme: load: %s\n", strerror(-ret));
		return 1;
	}
	/* the test unbinds the device once hold runs */
	printf("running\n");
	fflush(stdout);
	ret = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	if (ret) {
		fprintf(stderr, "pci_nvme: run: %s\n", strerror(errno));
		return 1;
	}
	printf("bar_len=%u\nacquired=%d\n", ctx.bar_len, ctx.acquired);
#define P(f) printf(#f "=%d\n", ctx.f)
	if (!strcmp(argv[2], "probe")) {
		printf("cap=0x%llx\nvs=0x%x\n", (unsigned long long)ctx.cap, ctx.vs);
		P(rc_cap); P(rc_vs); P(rc_oob); P(rc_oob64); P(rc_huge);
		P(rc_misaligned); P(rc_misaligned64); P(rc_w_asq);
		P(rc_w_cc_mps); P(rc_w_oob); P(rc_en_noaq);
	} else if (!strcmp(argv[2], "hold")) {
		P(rc_hold);
		printf("hold_reads=%llu\nhold_ns=%llu\n",
		       (unsigned long long)ctx.hold_reads, (unsigned long long)ctx.hold_ns);
	} else {
		P(rc_disable); P(rc_aq_big); P(rc_aq); P(rc_enable);
		P(rc_sub_bad); P(rc_sub_cq_big); P(rc_sub_data); P(rc_submit);
		P(rc_reap); P(rc_read);
		P(st_nr_queues); P(st_create_cq); P(st_create_sq);
		P(rc_io_read); P(st_flush);
		printf("flush_dw3=0x%x\n", ctx.flush_dw3);
		printf("cqe_dw3=0x%x\nvid=0x%x\n", ctx.cqe_dw3, ctx.vid);
		/* the fields are space-padded */
		printf("sn=%.20s\nmn=%.40s\n", ctx.sn, ctx.mn);
	}
	bpf_object__close(obj);
	return 0;
}
