// SPDX-License-Identifier: GPL-2.0
/*
 * Binding a loaded BPF target to the device its daemon serves: the ops id
 * (one per device, so one object file serves many devices), the target's
 * configuration, the pins, and the backing files handed to the kfunc-shim.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpf_dev.h"
#include "bpf_params.h"
#include "log.h"
#include "timing.h"
#include "ublk_bpf_uapi.h"

/* Ops ids are global to the module: one per device, never 0. */
static unsigned int ublk_ops_id_for(unsigned int dev_id)
{
	return dev_id + 1;
}

int ublk_bpf_dev_attach(struct ublk_ctrl *ctrl, struct ublk_dev *dev,
			const struct ublk_dev_opts *opts, struct ublk_bpf_obj **opened,
			struct ublk_bpf_dev *bd)
{
	unsigned int dev_id = dev->info.dev_id;
	struct ublk_tgt_config cfg = {
		.dev_id = dev_id,
		.nr_files = dev->nr_fds,
		.lbs_shift = dev->params.basic.logical_bs_shift,
	};
	struct ublk_param_bpf param = {
		.len = sizeof(param),
		.ops_id = ublk_ops_id_for(dev_id),
	};
	__s32 fds[UBLK_MAX_FILES];
	unsigned int i;
	int ret;

	if (dev->has_pci) {
		param.flags |= UBLK_BPF_PARAM_F_PCI;
		param.pci_addr = dev->pci_addr;
	}
	if (dev->tgt->bpf_config)
		dev->tgt->bpf_config(dev, &cfg);
	if (*opened && (*opened)->obj) {
		/*
		 * Moved, not copied: serve runs the daemon in load's own
		 * process, and load closes its struct afterwards.
		 */
		bd->obj = **opened;
		**opened = (struct ublk_bpf_obj){ 0 };
		*opened = NULL;
	} else {
		ret = ublk_bpf_obj_open(&bd->obj, opts->bpf_obj);
		if (!ret)
			ret = ublk_bpf_params_apply(bd->obj.obj, opts->bpf_obj, opts->sets,
						    opts->nr_sets);
		if (ret)
			return ret;
	}
	ublk_timing("bpf_open");
	ret = ublk_bpf_obj_load(&bd->obj, opts->bpf_obj, param.ops_id, &cfg);
	ublk_timing("bpf_load");
	if (!ret && dev->tgt->bpf_setup)
		ret = dev->tgt->bpf_setup(dev, bd->obj.obj);
	if (!ret)
		ret = ublk_bpf_obj_pin(&bd->obj, dev_id);
	if (ret)
		return ret;
	ublk_timing("bpf_pin");
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

void ublk_bpf_dev_detach(struct ublk_dev *dev, struct ublk_bpf_dev *bd)
{
	/* A daemon that took a device back (recover) did not load its program. */
	if (!bd->obj.obj && !(dev->info.flags & UBLK_F_BPF))
		return;
	ublk_unpin_dev(dev->info.dev_id);
	if (bd->obj.obj)
		ublk_bpf_obj_close(&bd->obj);
}
