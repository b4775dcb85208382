// SPDX-License-Identifier: GPL-2.0
/*
 * A started device's new size from its own daemon: a target whose back end
 * changed size under it (an rbd image resized by another client) follows
 * through UBLK_U_CMD_UPDATE_SIZE, where the driver has it (Linux 6.16, or
 * the kfunc-shim's backport 0102). Callable from any thread: it opens its
 * own control ring, so it shares nothing with the daemon's.
 */
#include <errno.h>

#include "ctrl.h"
#include "ublk.h"
#include "ublk_bpf_uapi.h"

int ublk_dev_update_size(const struct ublk_dev *dev, unsigned long long bytes)
{
	unsigned int dev_id = __atomic_load_n(&dev->info.dev_id, __ATOMIC_RELAXED);
	struct ublk_ctrl ctrl;
	int ret;

	if (!bytes || bytes % (dev->lbs ? dev->lbs : 512))
		return -EINVAL;
	ret = ublk_ctrl_open(&ctrl);
	if (ret)
		return ret < 0 ? ret : -ENODEV;
	if (!ublk_ctrl_has_feature(&ctrl, UBLK_F_UPDATE_SIZE))
		ret = -EOPNOTSUPP;
	else
		ret = ublk_ctrl_update_size(&ctrl, dev_id, bytes >> 9);
	ublk_ctrl_close(&ctrl);
	return ret;
}
