// SPDX-License-Identifier: GPL-2.0
/*
 * `ublk-bpf serve NAME`: the device configured in /etc/ublk-bpf/NAME.conf,
 * served in the foreground by this process: what the systemd unit
 * ublk-bpf@NAME.service runs. READY=1 goes to the service manager once
 * /dev/ublkbID serves; SIGTERM stops and deletes the device (one made
 * with --recovery that a file system holds is left for the next serve,
 * for `systemctl restart`; see dev.c). When the
 * device is still there, QUIESCED, from a daemon that died (made with
 * --recovery), it is taken back as `recover` does, so a crash costs no IO
 * error; a leftover the configuration cannot take back is deleted first.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "ctrl.h"
#include "devconf.h"
#include "devices.h"
#include "log.h"
#include "verb.h"

/* What is there already with the configured id: 1 take it back, 0 make it. */
static int ublk_serve_existing(unsigned int dev_id, const char *name)
{
	struct ublksrv_ctrl_dev_info info;
	struct ublk_ctrl ctrl;
	int ret;

	if (ublk_ctrl_open(&ctrl))
		return -ENODEV;
	ret = ublk_ctrl_get_info(&ctrl, dev_id, &info);
	if (ret < 0) {
		ublk_ctrl_close(&ctrl);
		return 0;
	}
	if (info.ublksrv_pid > 0 && ublk_pid_alive(info.ublksrv_pid) &&
	    info.state != UBLK_S_DEV_DEAD) {
		ublk_err("%s: device %u is already served, by pid %d", name, dev_id,
			 info.ublksrv_pid);
		ret = -EBUSY;
	} else if ((info.flags & UBLK_F_USER_RECOVERY) && info.state == UBLK_S_DEV_QUIESCED) {
		ublk_info("%s: device %u is waiting since its daemon died: taking it back",
			  name, dev_id);
		ret = 1;
	} else {
		ublk_warn("%s: device %u is left from an earlier daemon (%s) and cannot be taken back: deleting it",
			  name, dev_id, ublk_dev_state_name(info.state));
		ublk_ctrl_stop_dev(&ctrl, dev_id);
		ret = ublk_ctrl_del_dev(&ctrl, dev_id);
		if (ret < 0)
			ublk_err("%s: device %u: UBLK_U_CMD_DEL_DEV failed: %s", name, dev_id,
				 strerror(-ret));
	}
	ublk_ctrl_close(&ctrl);
	return ret;
}

static int serve_run(void *arg)
{
	const struct ublk_serve_opts *so = arg;
	static struct ublk_devconf conf;
	struct ublk_dev_opts opts;
	bool is_load;
	int ret;

	if (ublk_devconf_read(&conf, so->conf_dir, so->name))
		return 1;
	is_load = !strcmp(conf.argv[0], "load");
	if (!is_load && strcmp(conf.argv[0], "add")) {
		ublk_err("%s: the command line must start with add or load, not '%s'", conf.path,
			 conf.argv[0]);
		return 1;
	}
	ret = is_load ? ublk_parse_load(conf.argc, conf.argv, &opts) :
			ublk_parse_add(conf.argc, conf.argv, &opts);
	if (ret) {
		ublk_err("%s: the command line does not parse (above)", conf.path);
		return 1;
	}
	if (opts.dev_id < 0 || opts.count != 1) {
		ublk_err("%s: a configured device needs a fixed id (-n ID) and no --count",
			 conf.path);
		return 1;
	}
	ret = ublk_serve_existing((unsigned int)opts.dev_id, so->name);
	if (ret < 0)
		return 1;
	opts.recovering = ret == 1;
	opts.foreground = true;
	return is_load ? ublk_cmd_load(&opts) : ublk_cmd_add(&opts);
}

static int serve_parse(int argc, char **argv, void *opts)
{
	return ublk_parse_serve(argc, argv, opts);
}

const struct ublk_verb ublk_verb_serve = {
	.name = "serve",
	.synopsis = "serve NAME [--config-dir DIR]",
	.help = "Serves the device configured in DIR/NAME.conf (default /etc/ublk-bpf) in\n"
		"the foreground, as the systemd unit ublk-bpf@NAME.service does: the file\n"
		"holds the add or load command line, with a fixed -n ID. Tells systemd\n"
		"READY=1 once /dev/ublkbID serves; SIGTERM stops and deletes the device, but\n"
		"a --recovery device a mounted file system holds is left QUIESCED for the\n"
		"next serve to take back (systemctl restart). A device left QUIESCED by a\n"
		"daemon that died is taken back (recover).\n"
		"  --config-dir DIR    where NAME.conf is",
	.options = ublk_serve_longopts,
	.opts_size = sizeof(struct ublk_serve_opts),
	.parse = serve_parse,
	.run = serve_run,
};
