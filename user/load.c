// SPDX-License-Identifier: GPL-2.0
/*
 * `ublk-bpf load OBJ`: a device served by a BPF target inside the kernel,
 * with the target's io_uring twin behind it for what the program redirects.
 * Without the kfunc-shim (stock ublk_drv), or with --no-bpf, the same
 * device is served by the twin alone. This verb only decides the path;
 * dev.c runs the device, bpf_dev.c binds the program to it.
 */
#include <stdio.h>

#include "bpf_obj.h"
#include "commands.h"
#include "ctrl.h"
#include "dev.h"
#include "log.h"
#include "ublk_bpf_uapi.h"

int ublk_cmd_load(struct ublk_dev_opts *opts)
{
	static char target[UBLK_BPF_OPS_NAME_LEN + 1];
	struct ublk_bpf_obj bo;
	unsigned int abi;
	char names[128];

	if (ublk_bpf_obj_open(&bo, opts->bpf_obj))
		return 1;
	snprintf(target, sizeof(target), "%s", bo.target);
	ublk_bpf_obj_close(&bo);
	opts->target = target;
	opts->tgt = ublk_find_target(target);
	if (!opts->tgt) {
		ublk_target_names(names, sizeof(names));
		ublk_err("%s: target '%s' has no io_uring twin in this tool (%s)",
			 opts->bpf_obj, target, names);
		return 1;
	}
	if (ublk_ctrl_probe())
		return 1;
	if (ublk_tgt_check_args(opts->tgt, opts))
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
	return ublk_dev_create(opts);
}
