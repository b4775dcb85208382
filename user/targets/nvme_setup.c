// SPDX-License-Identifier: GPL-2.0
/*
 * Runs the set-up program of the nvme target's object. Loaded on its own,
 * every other program and the ops map left out, so nothing is registered
 * and no device is touched until the controller answered.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "nvme_setup.h"

struct bpf_object *nvme_setup_open(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);

	if (!obj) {
		ublk_err("%s: not a BPF object: %s", path, strerror(errno));
		return NULL;
	}
	if (!bpf_object__find_program_by_name(obj, UBLK_BPF_NVME_SETUP_PROG)) {
		ublk_err("%s: no syscall program %s to set the controller up (is it bpf/nvme.bpf.o?)",
			 path, UBLK_BPF_NVME_SETUP_PROG);
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

void nvme_setup_close(struct bpf_object *obj)
{
	bpf_object__close(obj);
}

const char *nvme_setup_step_name(__u32 step)
{
	static const char *const names[] = {
		[UBLK_BPF_NVME_STEP_ACQUIRE] = "acquire",
		[UBLK_BPF_NVME_STEP_DISABLE] = "disable",
		[UBLK_BPF_NVME_STEP_ADMIN_QUEUES] = "admin queues",
		[UBLK_BPF_NVME_STEP_ENABLE] = "enable",
		[UBLK_BPF_NVME_STEP_ID_CTRL] = "Identify Controller",
		[UBLK_BPF_NVME_STEP_NR_QUEUES] = "Set Features (Number of Queues)",
		[UBLK_BPF_NVME_STEP_ID_NS] = "Identify Namespace",
		[UBLK_BPF_NVME_STEP_CREATE_CQ] = "Create I/O CQ",
		[UBLK_BPF_NVME_STEP_CREATE_SQ] = "Create I/O SQ",
	};

	return step < sizeof(names) / sizeof(names[0]) && names[step] ? names[step] : "?";
}

int nvme_setup_run(struct bpf_object *obj, const char *path, const char *bdf,
		   struct ublk_bpf_nvme_setup *s)
{
	struct bpf_program *prog, *setup = NULL;
	struct bpf_map *map;
	int ret;
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = s, .ctx_size_in = sizeof(*s));

	bpf_object__for_each_program(prog, obj) {
		bool mine = !strcmp(bpf_program__name(prog), UBLK_BPF_NVME_SETUP_PROG);

		bpf_program__set_autoload(prog, mine);
		if (mine)
			setup = prog;
	}
	bpf_object__for_each_map(map, obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(map, false);
	ret = bpf_object__load(obj);
	if (ret) {
		ublk_err("%s: the kernel refused %s: %s", path, UBLK_BPF_NVME_SETUP_PROG,
			 strerror(-ret));
		return ret;
	}
	/* the kernel copies the context back into ctx_in */
	if (bpf_prog_test_run_opts(bpf_program__fd(setup), &run)) {
		ret = -errno;
		ublk_err("%s: running %s: %s", path, UBLK_BPF_NVME_SETUP_PROG, strerror(-ret));
		return ret;
	}
	if (!s->error)
		return 0;
	if (s->error == -EIO)
		ublk_err("nvme %s: %s failed with NVMe status 0x%x", bdf,
			 nvme_setup_step_name(s->step), s->status);
	else
		ublk_err("nvme %s: %s failed: %s", bdf, nvme_setup_step_name(s->step),
			 strerror(-s->error));
	return s->error;
}
