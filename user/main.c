// SPDX-License-Identifier: GPL-2.0
/* ublk-bpf: create, list and delete ublk devices served by io_uring targets. */
#include <stdio.h>
#include <string.h>

#include "cli_kublk.h"
#include "commands.h"
#include "log.h"
#include "targets.h"

static void ublk_usage(void)
{
	unsigned int i;

	printf(
		"usage: ublk-bpf VERB [OPTIONS]\n"
		"\n"
		"  add -t TARGET [-n ID] [-q QUEUES] [-d DEPTH] [--file F]... [--size SIZE]\n"
		"      [--buffered] [--recovery | --reissue] [--scheduler NAME] [--count N] [TARGET OPTIONS]\n"
		"        create /dev/ublkbID served in the background; prints 'dev id ID'.\n"
		"        --scheduler: the disk's IO scheduler (default none)\n"
		"        --count N: N such devices (ids from -n ID on, or the kernel's), made\n"
		"        together and served by one daemon; all are made, or none\n"
		"        --recovery: when the daemon dies the device waits (QUIESCED) for\n"
		"        'recover'; the IO the dead daemon held fails, or with --reissue\n"
		"        is served again by the new daemon\n"
		"        targets:\n");
	for (i = 0; ublk_targets[i]; i++)
		printf("          %-8s %s\n", ublk_targets[i]->name, ublk_targets[i]->usage);
	printf(
		"  load OBJ.bpf.o [-n ID] [-q QUEUES] [-d DEPTH] [--file F]... [--size SIZE]\n"
		"      [--buffered] [--scheduler NAME] [--count N] [TARGET OPTIONS] [--set NAME=VALUE]...\n"
		"      [--no-bpf | --require-bpf]\n"
		"        the same, served in the kernel by the BPF target OBJ (any object\n"
		"        with one ublk_bpf_ops). Ops named after a target above: its io_uring\n"
		"        twin serves what the program redirects, or everything without BPF\n"
		"        support. Any other name: the program serves every IO (what it\n"
		"        redirects fails with EIO); the size is --size or the smallest file.\n"
		"        --set writes a const volatile variable of OBJ before load;\n"
		"        maps pinned under $UBLK_BPF_PIN_ROOT/ID (default /sys/fs/bpf/ublk)\n"
		"  load OBJ.bpf.o --help-params\n"
		"        the variables --set can write, with their types and defaults\n"
		"  recover -n ID      a new daemon takes back a device made with --recovery\n"
		"                     whose daemon died, as it was made\n"
		"  del -n ID | -a     stop and delete one device, or all\n"
		"  list [-n ID | -a] [--json]\n"
		"                     a table; with -n or -a, each device's detail\n"
		"                     after it, laid out as kublk's list\n"
		"  stats -n ID [--json] [--watch]\n"
		"                     a BPF device's pinned maps, printed through their BTF\n"
		"                     (per-CPU ones summed), and the kfunc-shim's counters\n"
		"  features           the running ublk driver's feature bits, by name\n"
		"  help\n"
		"\n"
		"kublk's command line (the kernel's ublk selftest server) works too:\n"
		"  add -t TARGET [-q N] [-d D] [-n ID] [-g] [-r 0|1] [-i 0|1]\n"
		"      [--chunk_size BYTES] [--delay_us N] [FILE]...\n"
		"        FILEs as --file, --chunk_size as --chunk, --delay_us as --delay-us,\n"
		"        -r 1 as --recovery, -i 1 as --reissue, -g (or --need-get-data):\n"
		"        writes fetch their data with UBLK_F_NEED_GET_DATA\n"
		"  recover -n ID -t TARGET ...   the device's add command line again\n"
		"\n"
		"SIZE takes the suffixes k, M, G, T (powers of 1024).\n"
		"Every verb takes --run-dir DIR, the folder of device state; without it\n"
		"$UBLK_BPF_RUN_DIR, else /run/ublk-bpf.\n");
}

int main(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : NULL;
	struct ublk_dev_opts dev_opts;
	struct ublk_sel_opts sel;
	int ret;

	if (!verb) {
		ublk_err("no verb given (try 'ublk-bpf help')");
		return 2;
	}
	argc--;
	argv++;
	if (!strcmp(verb, "help") || !strcmp(verb, "--help") || !strcmp(verb, "-h")) {
		ublk_usage();
		return 0;
	}
	if (!strcmp(verb, "add"))
		return ublk_parse_add(argc, argv, &dev_opts) ? 2 : ublk_cmd_add(&dev_opts);
	if (!strcmp(verb, "load"))
		return ublk_parse_load(argc, argv, &dev_opts) ? 2 : ublk_cmd_load(&dev_opts);
	if (!strcmp(verb, "recover")) {
		/* kublk's form: recover -n ID and the add command line again. */
		ret = ublk_parse_recover_as_add(argc, argv, &dev_opts);
		if (ret)
			return ret < 0 ? 2 : ublk_cmd_recover_as(&dev_opts);
		return ublk_parse_recover(argc, argv, &sel) ? 2 : ublk_cmd_recover(&sel);
	}
	if (!strcmp(verb, "del"))
		return ublk_parse_del(argc, argv, &sel) ? 2 : ublk_cmd_del(&sel);
	if (!strcmp(verb, "list"))
		return ublk_parse_list(argc, argv, &sel) ? 2 : ublk_cmd_list(&sel);
	if (!strcmp(verb, "stats"))
		return ublk_parse_stats(argc, argv, &sel) ? 2 : ublk_cmd_stats(&sel);
	if (!strcmp(verb, "features"))
		return ublk_parse_none(argc, argv, "features") ? 2 : ublk_cmd_features();
	ublk_err("unknown verb '%s' (try 'ublk-bpf help')", verb);
	return 2;
}
