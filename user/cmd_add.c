// SPDX-License-Identifier: GPL-2.0
/* `ublk-bpf add -t TARGET ...`: a device served on the io_uring path. */
#include "commands.h"
#include "ctrl.h"
#include "dev.h"
#include "verb.h"

int ublk_cmd_add(const struct ublk_dev_opts *opts)
{
	/* Fail here, before forking, when there is no driver at all. */
	if (ublk_ctrl_probe())
		return 1;
	return ublk_dev_create(opts);
}

static int add_parse(int argc, char **argv, void *opts)
{
	return ublk_parse_add(argc, argv, opts);
}

static int add_run(void *arg)
{
	struct ublk_dev_opts *opts = arg;

	/* nvme-tcp --all: how many devices, known only once connected. */
	if (opts->tgt && opts->tgt->prepare && opts->tgt->prepare(opts))
		return 1;
	return ublk_cmd_add(opts);
}

const struct ublk_verb ublk_verb_add = {
	.name = "add",
	.synopsis = "add -t TARGET [-n ID] [-q QUEUES] [-d DEPTH] [--file F]... [--size SIZE]\n"
		    "    [--buffered] [--recovery | --reissue | --fail-io] [--scheduler NAME] [--count N] [--ctrl ID] [--show]\n"
		    "    [TARGET OPTIONS] [FILE]...",
	.help = "Creates /dev/ublkbID served in the background on the io_uring path and\n"
		"prints 'dev id ID'.\n"
		"  -t, --type TARGET   the target (list below)\n"
		"  -n, --number ID     the device id (default: the kernel picks one)\n"
		"  -q, --queues N      hardware queues, 1-64 (default 1)\n"
		"  -d, --depth N       queue depth, 1-1024 (default 128)\n"
		"  -f, --file F        a backing file, up to 8; FILEs after the options too\n"
		"  -s, --size SIZE     the device size (suffixes k, M, G, T)\n"
		"  --buffered          backing files through the page cache, not O_DIRECT\n"
		"  --recovery          when the daemon dies the device waits (QUIESCED) for\n"
		"                      'recover'; the IO the dead daemon held fails\n"
		"  --reissue           --recovery, and that IO is served again\n"
		"  --fail-io           --recovery, but IO fails (FAIL_IO) while no daemon\n"
		"                      serves the device, instead of waiting\n"
		"  --scheduler NAME    the disk's IO scheduler (default none)\n"
		"  --count N           N such devices, ids from -n ID on, served by one\n"
		"                      daemon: all are made, or none\n"
		"  --ctrl ID           the devices join the kfunc-shim's controller ID and\n"
		"                      share its one tag set (same -q and -d as it)\n"
		"  --show              print the device node (/dev/ublkbID), not 'dev id ID'\n"
		"kublk's options: -g, --need-get-data (writes fetch their data with\n"
		"UBLK_F_NEED_GET_DATA), -r 0|1 (--recovery), -i 0|1\n"
		"(--reissue), --chunk_size BYTES (--chunk), --delay_us N (--delay-us).",
	.takes_target = true,
	.options = ublk_add_longopts,
	.opts_size = sizeof(struct ublk_dev_opts),
	.parse = add_parse,
	.run = add_run,
};
