// SPDX-License-Identifier: GPL-2.0
/* `ublk-bpf add -t TARGET ...`: a device served on the io_uring path. */
#include "commands.h"
#include "ctrl.h"
#include "dev.h"

int ublk_cmd_add(const struct ublk_dev_opts *opts)
{
	/* Fail here, before forking, when there is no driver at all. */
	if (ublk_ctrl_probe())
		return 1;
	return ublk_dev_create(opts);
}
