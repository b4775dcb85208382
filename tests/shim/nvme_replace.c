// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_replace: loads OBJ again for the running device ID and moves the
 * device's pinned ops link (<pin root>/ID/ops) to the fresh instance
 * (bpf_link_update), as an operator replacing a driver program under IO
 * would. The new instance reuses the pinned maps, so `ublk-bpf stats`
 * keeps counting. For tests/ublk/test_nvme_01.sh.
 *
 *   nvme_replace OBJ ID NSID LBS_SHIFT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_obj.h"
#include "bpf_params.h"

int main(int argc, char **argv)
{
	struct ublk_tgt_config cfg = { 0 };
	struct bpf_map *map, *ops = NULL;
	struct ublk_bpf_obj fresh;
	const char *root = getenv("UBLK_BPF_PIN_ROOT");
	struct bpf_link *link;
	char path[512], set[32];
	int err, fd;

	if (argc != 5) {
		fprintf(stderr, "usage: nvme_replace OBJ ID NSID LBS_SHIFT\n");
		return 2;
	}
	cfg.dev_id = strtoul(argv[2], NULL, 0);
	cfg.lbs_shift = strtoul(argv[4], NULL, 0);
	snprintf(path, sizeof(path), "%s/%u/ops", root ? root : "/sys/fs/bpf/ublk", cfg.dev_id);
	link = bpf_link__open(path);
	if (!link) {
		fprintf(stderr, "nvme_replace: no link at %s: %s\n", path, strerror(errno));
		return 1;
	}
	snprintf(set, sizeof(set), "nsid=%s", argv[3]);
	if (ublk_bpf_obj_open(&fresh, argv[1]) || ublk_bpf_param_set(fresh.obj, argv[1], set))
		return 1;
	bpf_object__for_each_map(map, fresh.obj) {
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS) {
			ops = map;
			continue;
		}
		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%u/%s", root ? root : "/sys/fs/bpf/ublk",
			 cfg.dev_id, bpf_map__name(map));
		fd = bpf_obj_get(path);
		if (fd >= 0 && bpf_map__reuse_fd(map, fd))
			fprintf(stderr, "nvme_replace: cannot reuse %s\n", path);
	}
	/* ops ids are the device's id + 1 (user/bpf_dev.c) */
	if (ublk_bpf_obj_load_unregistered(&fresh, argv[1], cfg.dev_id + 1, &cfg))
		return 1;
	err = bpf_link__update_map(link, ops);
	if (err) {
		fprintf(stderr, "nvme_replace: link update: %s\n", strerror(-err));
		return 1;
	}
	printf("struct_ops replaced\n");
	return 0;
}
