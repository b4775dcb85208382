// SPDX-License-Identifier: GPL-2.0
/*
 * `ublk-bpf resize -n ID --size SIZE`: a started device's new size, through
 * UBLK_U_CMD_UPDATE_SIZE (Linux 6.16, or the kfunc-shim on 6.12). The
 * disk's capacity changes at once and udev hears of it; the target serves
 * the new range as it serves the rest (the backing files must be large
 * enough: a loop device's file is grown first).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cli.h"
#include "ctrl.h"
#include "log.h"
#include "ublk_bpf_uapi.h"
#include "verb.h"

static int resize_run(void *arg)
{
	const struct ublk_sel_opts *o = arg;
	unsigned int dev_id = (unsigned int)o->dev_id;
	struct ublksrv_ctrl_dev_info info;
	struct ublk_ctrl ctrl;
	int ret;

	if (ublk_ctrl_open(&ctrl))
		return 1;
	if (!ublk_ctrl_has_feature(&ctrl, UBLK_F_UPDATE_SIZE)) {
		ublk_err("resize: the ublk driver has no UBLK_F_UPDATE_SIZE (Linux 6.16, or the kfunc-shim)");
		goto fail;
	}
	if (ublk_ctrl_dev_info(&ctrl, dev_id, &info) < 0)
		goto fail;
	if (info.state == UBLK_S_DEV_DEAD) {
		ublk_err("resize: device %u is not started", dev_id);
		goto fail;
	}
	ret = ublk_ctrl_update_size(&ctrl, dev_id, o->size >> 9);
	if (ret < 0) {
		ublk_err("resize: device %u: UBLK_U_CMD_UPDATE_SIZE failed: %s%s", dev_id,
			 strerror(-ret), ret == -EINVAL ?
			 " (not a multiple of its logical block size?)" : "");
		goto fail;
	}
	ublk_ctrl_close(&ctrl);
	return 0;
fail:
	ublk_ctrl_close(&ctrl);
	return 1;
}

static int resize_parse(int argc, char **argv, void *opts)
{
	return ublk_parse_resize(argc, argv, opts);
}

static const struct option *resize_options(void)
{
	return ublk_sel_verb_longopts("resize");
}

const struct ublk_verb ublk_verb_resize = {
	.name = "resize",
	.synopsis = "resize -n ID --size SIZE",
	.help = "Sets the size of started device ID to SIZE at once, without stopping it\n"
		"(UBLK_F_UPDATE_SIZE: Linux 6.16, or the kfunc-shim). Its target serves\n"
		"the new range as the rest: grow a loop device's file first. A later\n"
		"recover serves the size its command line or files give.\n"
		"  -n, --number ID     the device\n"
		"  -s, --size SIZE     the new size in bytes, a multiple of the device's\n"
		"                      logical block size (suffixes k, M, G, T)",
	.options = resize_options,
	.opts_size = sizeof(struct ublk_sel_opts),
	.parse = resize_parse,
	.run = resize_run,
};
