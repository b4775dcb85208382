// SPDX-License-Identifier: GPL-2.0
/*
 * `ublk-bpf recover -n ID`: a new daemon takes back a device made with
 * --recovery whose daemon died (the driver keeps it QUIESCED, IO waiting).
 * kublk's `recover -n ID -t TARGET ...` gives the command line itself.
 * The device is served again as it was made: the state file keeps the
 * command line and the folder it ran in, and the same verb runs again with
 * the device's id, taking the device back instead of adding one. A device
 * made by `--count N` is taken back alone, by a daemon of its own: the
 * daemon of a recover serves the one device it names.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "ctrl.h"
#include "log.h"
#include "state.h"
#include "verb.h"

/* Refuses a device that does not need or cannot take a new daemon. */
static int ublk_recover_check(unsigned int dev_id)
{
	struct ublksrv_ctrl_dev_info info;
	struct ublk_ctrl ctrl;
	int ret;

	if (ublk_ctrl_open(&ctrl))
		return -ENODEV;
	ret = ublk_ctrl_dev_info(&ctrl, dev_id, &info);
	ublk_ctrl_close(&ctrl);
	if (ret < 0)
		return ret;
	if (!(info.flags & UBLK_F_USER_RECOVERY)) {
		ublk_err("device %u was not made with --recovery: only del is left", dev_id);
		return -EINVAL;
	}
	if (info.state == UBLK_S_DEV_DEAD) {
		ublk_err("device %u is DEAD: only del is left", dev_id);
		return -EINVAL;
	}
	if (info.state == UBLK_S_DEV_LIVE && info.ublksrv_pid > 0 &&
	    kill(info.ublksrv_pid, 0) == 0) {
		ublk_err("device %u is LIVE, served by pid %d: nothing to recover", dev_id,
			 info.ublksrv_pid);
		return -EBUSY;
	}
	return 0;
}

int ublk_cmd_recover(const struct ublk_sel_opts *sel)
{
	static struct ublk_state_cmdline cl;
	struct ublk_dev_opts opts;
	unsigned int dev_id = (unsigned int)sel->dev_id;
	int ret;

	if (ublk_recover_check(dev_id))
		return 1;
	ret = ublk_state_get_cmdline(dev_id, &cl);
	if (ret == -ENOENT) {
		ublk_err("device %u: no state file in %s: cannot tell how to serve it (del removes it)",
			 dev_id, ublk_state_dir());
		return 1;
	}
	if (ret < 0) {
		ublk_err("device %u: its state file in %s is damaged (%s): cannot tell how to serve it (del removes it)",
			 dev_id, ublk_state_dir(), ublk_state_why());
		return 1;
	}
	if (chdir(cl.cwd) < 0) {
		ublk_err("device %u: cannot enter %s, where it was made: %s", dev_id, cl.cwd,
			 strerror(errno));
		return 1;
	}
	if (!strcmp(cl.argv[0], "add"))
		ret = ublk_parse_add(cl.argc, cl.argv, &opts);
	else if (!strcmp(cl.argv[0], "load"))
		ret = ublk_parse_load(cl.argc, cl.argv, &opts);
	else
		ret = -EINVAL;
	if (ret) {
		ublk_err("device %u: the command line in its state file no longer parses", dev_id);
		return 1;
	}
	opts.dev_id = (int)dev_id;
	opts.recovering = true;
	/* The kernel still serves the old files' IO: never other ones now. */
	if (ublk_state_check_files(dev_id, &opts))
		return 1;
	return !strcmp(cl.argv[0], "add") ? ublk_cmd_add(&opts) : ublk_cmd_load(&opts);
}

/*
 * kublk's form: the command line comes with the verb (as kublk wants it,
 * the one the device was added with). The state file, when there is one,
 * must agree on the target: another target would read the data otherwise.
 */
int ublk_cmd_recover_as(struct ublk_dev_opts *opts)
{
	unsigned int dev_id = (unsigned int)opts->dev_id;
	char target[32], path[16];

	if (ublk_recover_check(dev_id))
		return 1;
	if (ublk_state_get(dev_id, "path", path, sizeof(path)) >= 0 && strcmp(path, "io_uring")) {
		ublk_err("device %u was made by load: recover it with 'recover -n %u' alone",
			 dev_id, dev_id);
		return 1;
	}
	if (ublk_state_get(dev_id, "target", target, sizeof(target)) >= 0 &&
	    strcmp(target, opts->tgt->name)) {
		ublk_err("device %u was added as %s, not %s: not recovered", dev_id, target,
			 opts->tgt->name);
		return 1;
	}
	opts->recovering = true;
	return ublk_cmd_add(opts);
}

static int recover_parse(int argc, char **argv, void *arg)
{
	struct ublk_recover_opts *o = arg;
	int ret = ublk_parse_recover_as_add(argc, argv, &o->dev);

	if (ret < 0)
		return -EINVAL;
	o->as_add = ret == 1;
	return o->as_add ? 0 : ublk_parse_recover(argc, argv, &o->sel);
}

static int recover_run(void *arg)
{
	struct ublk_recover_opts *o = arg;

	return o->as_add ? ublk_cmd_recover_as(&o->dev) : ublk_cmd_recover(&o->sel);
}

static const struct option *recover_options(void)
{
	return ublk_sel_verb_longopts("recover");
}

const struct ublk_verb ublk_verb_recover = {
	.name = "recover",
	.synopsis = "recover -n ID\nrecover -n ID -t TARGET ...   (kublk's form)",
	.help = "A new daemon takes back device ID (-n, --number ID), made with\n"
		"--recovery, whose daemon died, as it was made (the command line kept in\n"
		"its state file). kublk's form gives the device's add command line again\n"
		"instead.",
	.options = recover_options,
	.opts_size = sizeof(struct ublk_recover_opts),
	.parse = recover_parse,
	.run = recover_run,
};
