// SPDX-License-Identifier: GPL-2.0
/*
 * `ublk-bpf upgrade -n ID`: a new daemon (this build of the tool) takes a
 * --recovery device over from its live daemon, which need not die for it:
 * UBLK_U_CMD_QUIESCE_DEV (UBLK_F_QUIESCE: Linux 6.16, or the kfunc-shim)
 * waits for the old daemon to finish its IO and hands its commands back
 * aborted; it exits leaving the device QUIESCED, and `recover` takes it
 * back. IO waits meanwhile on the io_uring path; on the BPF path the
 * program serves on.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "ctrl.h"
#include "devices.h"
#include "log.h"
#include "ublk_bpf_uapi.h"
#include "verb.h"

/* How long the old daemon may take to finish its IO. */
#define UBLK_UPGRADE_IO_MS	30000

/* Hands the device over: 0, or -1 said in one line (the device unchanged). */
static int ublk_upgrade_quiesce(unsigned int dev_id)
{
	struct ublksrv_ctrl_dev_info info;
	struct ublk_ctrl ctrl;
	int ret = -1;

	if (ublk_ctrl_open(&ctrl))
		return -1;
	if (!ublk_ctrl_has_feature(&ctrl, UBLK_F_QUIESCE)) {
		ublk_err("upgrade: the ublk driver has no UBLK_F_QUIESCE (Linux 6.16, or the kfunc-shim): SIGQUIT the daemon, then recover");
		goto out;
	}
	if (ublk_ctrl_dev_info(&ctrl, dev_id, &info) < 0)
		goto out;
	if (!(info.flags & UBLK_F_QUIESCE)) {
		ublk_err("upgrade: device %u was made without UBLK_F_QUIESCE (no --recovery, or another driver): SIGQUIT its daemon, then recover",
			 dev_id);
		goto out;
	}
	if (info.state != UBLK_S_DEV_LIVE || !ublk_pid_alive(info.ublksrv_pid)) {
		ublk_err("upgrade: device %u has no live daemon: recover it", dev_id);
		goto out;
	}
	ret = ublk_ctrl_quiesce_dev(&ctrl, dev_id, UBLK_UPGRADE_IO_MS);
	if (ret < 0) {
		ublk_err("upgrade: device %u: UBLK_U_CMD_QUIESCE_DEV failed: %s%s", dev_id,
			 strerror(-ret), ret == -EBUSY ?
			 " (its daemon did not finish its IO in time; it serves on)" : "");
		ret = -1;
	}
out:
	ublk_ctrl_close(&ctrl);
	return ret;
}

static int upgrade_run(void *arg)
{
	const struct ublk_sel_opts *o = arg;

	if (ublk_upgrade_quiesce((unsigned int)o->dev_id))
		return 1;
	/*
	 * recover waits (10 s) for the old daemon to let go of the device's
	 * char device; a daemon of --count devices serves the others on.
	 */
	return ublk_cmd_recover(o);
}

static int upgrade_parse(int argc, char **argv, void *opts)
{
	return ublk_parse_upgrade(argc, argv, opts);
}

static const struct option *upgrade_options(void)
{
	return ublk_sel_verb_longopts("upgrade");
}

const struct ublk_verb ublk_verb_upgrade = {
	.name = "upgrade",
	.synopsis = "upgrade -n ID",
	.help = "A new daemon (this build of the tool) takes device ID (-n, --number ID),\n"
		"made with --recovery, over from its live daemon, which need not die:\n"
		"the driver waits for it to finish its IO (30 s at most), hands its\n"
		"commands back and it exits; then as recover. IO waits meanwhile on the\n"
		"io_uring path; a BPF target serves on. Needs UBLK_F_QUIESCE (Linux 6.16,\n"
		"or the kfunc-shim); elsewhere SIGQUIT the daemon, then recover.",
	.options = upgrade_options,
	.opts_size = sizeof(struct ublk_sel_opts),
	.parse = upgrade_parse,
	.run = upgrade_run,
};
