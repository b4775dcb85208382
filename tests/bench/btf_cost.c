// SPDX-License-Identifier: GPL-2.0
/*
 * What libbpf's BTF work costs `load`, counted on the host under callgrind
 * (docs/benchmarks.md, "Where load's time goes"): the kernel's BTF parsed
 * once, then a name looked up that it does not hold, as libbpf looks up
 * every kfunc and the struct_ops type in it before the module's BTF.
 *   . ~/.cache/ublk-bpf/current.env
 *   cc -O2 -I$UBLK_LIBBPF_INCLUDE tests/bench/btf_cost.c $UBLK_LIBBPF_A \
 *      -lelf -lz -o .output/btf_cost
 *   valgrind --tool=callgrind .output/btf_cost $UBLK_KHEADERS/vmlinux \
 *      .output/kfunc-shim/ublk_drv.ko 10
 *   callgrind_annotate --inclusive=yes callgrind.out.*
 * (the inclusive counts of parse_vmlinux, find_missing x N, parse_module)
 */
#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>

static struct btf *__attribute__((noinline)) parse_vmlinux(const char *path)
{
	return btf__parse(path, NULL);
}

static int __attribute__((noinline)) find_missing(const struct btf *btf)
{
	return btf__find_by_name_kind(btf, "ublk_bpf_get_iod", BTF_KIND_FUNC);
}

static struct btf *__attribute__((noinline)) parse_module(const char *path,
							    struct btf *base)
{
	return btf__parse_split(path, base);
}

int main(int argc, char **argv)
{
	struct btf *vmlinux, *mod;
	int i, n;

	if (argc != 4) {
		fprintf(stderr, "usage: %s VMLINUX_BTF MODULE.ko LOOKUPS\n", argv[0]);
		return 2;
	}
	n = atoi(argv[3]);
	vmlinux = parse_vmlinux(argv[1]);
	if (!vmlinux) {
		perror(argv[1]);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (find_missing(vmlinux) >= 0)
			fprintf(stderr, "found: not a miss\n");
	mod = parse_module(argv[2], vmlinux);
	printf("%s: %u types; %s: %u more\n", argv[1], btf__type_cnt(vmlinux), argv[2],
	       mod ? btf__type_cnt(mod) - btf__type_cnt(vmlinux) : 0);
	btf__free(mod);
	btf__free(vmlinux);
	return 0;
}
