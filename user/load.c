// SPDX-License-Identifier: GPL-2.0
/*
 * `ublk-bpf load OBJ`: a device served by a BPF target inside the kernel,
 * with the target's io_uring twin behind it for what the program redirects.
 * Without the kfunc-shim (stock ublk_drv), or with --no-bpf, the same
 * device is served by the twin alone.
 *
 * In the daemon (add.c), between SET_PARAMS and START_DEV:
 * ublk_bpf_dev_attach() loads the object with this device's ops id and
 * configuration, registers the ops, pins the maps, and tells the driver
 * the ops id and the backing files.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpf_obj.h"
#include "commands.h"
#include "ctrl.h"
#include "log.h"
#include "ublk_bpf_uapi.h"

/* Ops ids are global to the module: one per device, never 0. */
static unsigned int ublk_ops_id_for(unsigned int dev_id)
{
	return dev_id + 1;
}

int ublk_bpf_dev_attach(struct ublk_ctrl *ctrl, struct ublk_dev *dev,
			const char *path, struct ublk_bpf_obj *bo)
{
	unsigned int dev_id = dev->info.dev_id;
	struct ublk_tgt_config cfg = {
		.dev_id = dev_id,
		.nr_files = dev->nr_fds,
		.chunk_shift = dev->chunk_shift,
		.lbs_shift = dev->params.basic.logical_bs_shift,
	};
	struct ublk_param_bpf param = {
		.len = sizeof(param),
		.ops_id = ublk_ops_id_for(dev_id),
	};
	__s32 fds[UBLK_MAX_FILES];
	unsigned int i;
	int ret;

	ret = ublk_bpf_obj_open(bo, path);
	if (ret)
		return ret;
	ret = ublk_bpf_obj_load(bo, path, param.ops_id, &cfg);
	if (!ret)
		ret = ublk_bpf_obj_pin(bo, dev_id);
	if (ret)
		return ret;
	ret = ublk_ctrl_cmd_buf(ctrl, UBLK_U_CMD_BPF_SET_PARAMS, dev_id, &param, sizeof(param));
	if (ret < 0) {
		ublk_err("UBLK_U_CMD_BPF_SET_PARAMS failed: %s", strerror(-ret));
		return ret;
	}
	if (!dev->nr_fds)
		return 0;
	for (i = 0; i < dev->nr_fds; i++)
		fds[i] = dev->fds[i];
	ret = ublk_ctrl_cmd_buf(ctrl, UBLK_U_CMD_BPF_REG_FILES, dev_id, fds,
				dev->nr_fds * sizeof(fds[0]));
	if (ret < 0)
		ublk_err("UBLK_U_CMD_BPF_REG_FILES failed: %s", strerror(-ret));
	return ret;
}

void ublk_bpf_dev_detach(struct ublk_dev *dev, struct ublk_bpf_obj *bo)
{
	if (!bo->obj)
		return;
	ublk_unpin_dev(dev->info.dev_id);
	ublk_bpf_obj_close(bo);
}

int ublk_cmd_load(struct ublk_dev_opts *opts)
{
	static char target[UBLK_BPF_OPS_NAME_LEN + 1];
	struct ublk_bpf_obj bo;
	unsigned int abi;

	if (ublk_bpf_obj_open(&bo, opts->bpf_obj) || ublk_ctrl_probe())
		return 1;
	snprintf(target, sizeof(target), "%s", bo.target);
	ublk_bpf_obj_close(&bo);
	opts->target = target;
	if (ublk_check_target_opts(opts))
		return 2;

	abi = ublk_bpf_shim_abi();
	if (opts->bpf_mode == UBLK_BPF_REQUIRE && abi != UBLK_BPF_ABI_VERSION) {
		if (abi)
			ublk_err("--require-bpf: the loaded kfunc-shim speaks ABI %u, this tool %u",
				 abi, UBLK_BPF_ABI_VERSION);
		else
			ublk_err("--require-bpf: the running ublk_drv has no BPF support (load the kfunc-shim module)");
		return 1;
	}
	if (opts->bpf_mode == UBLK_BPF_NO || abi != UBLK_BPF_ABI_VERSION) {
		if (opts->bpf_mode == UBLK_BPF_NO)
			ublk_err("--no-bpf: serving target %s on the io_uring path", target);
		else if (abi)
			ublk_err("kfunc-shim ABI %u is not this tool's %u: serving target %s on the io_uring path",
				 abi, UBLK_BPF_ABI_VERSION, target);
		else
			ublk_err("no BPF support in the running ublk_drv: serving target %s on the io_uring path",
				 target);
		opts->bpf_obj = NULL;
	}
	return ublk_cmd_add(opts);
}
