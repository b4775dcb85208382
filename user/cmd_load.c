// SPDX-License-Identifier: GPL-2.0
/*
 * `ublk-bpf load OBJ`: a device served by a BPF target inside the kernel.
 * Any object with one ublk_bpf_ops loads. When the ops name a target of
 * the table (its io_uring twin), the twin serves what the program
 * redirects, and serves everything without the kfunc-shim (stock ublk_drv)
 * or with --no-bpf. A target without a twin serves every IO in the kernel
 * (what it redirects fails with -EIO), so it needs the kfunc-shim.
 * On the BPF path recovery is on unless --no-recovery: the program serves
 * on while no daemon runs (the kfunc-shim holds what it redirects until
 * `recover`), so a daemon that dies need not take the device with it.
 * On the io_uring path (--no-bpf, a fallback) nothing serves without a
 * daemon, and load keeps add's default: the device stops with it.
 * --set NAME=VALUE writes a const volatile variable of the object. This
 * verb only decides the path; dev.c runs the device, bpf_dev.c binds the
 * program to it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_obj.h"
#include "bpf_params.h"
#include "commands.h"
#include "ctrl.h"
#include "dev.h"
#include "log.h"
#include "targets.h"
#include "timing.h"
#include "ublk_bpf_uapi.h"
#include "verb.h"

static int ublk_load_checked(struct ublk_dev_opts *opts, struct ublk_bpf_obj *bo);

/* Where `load NAME` looks, after $UBLK_BPF_OBJ_PATH: beside the tool. */
#define UBLK_BPF_OBJ_SUBDIR "lib/ublk-bpf"

/* @dir/@name, then @dir/@name.bpf.o (unless @name ends so) into @path. */
static bool ublk_obj_in_dir(const char *dir, size_t dir_len, const char *name,
			    char *path, size_t size)
{
	size_t len = strlen(name);
	bool suffixed = len > 6 && !strcmp(name + len - 6, ".bpf.o");
	int n;

	if (!dir_len)
		return false;
	n = snprintf(path, size, "%.*s/%s", (int)dir_len, dir, name);
	if (n > 0 && (size_t)n < size && !access(path, R_OK))
		return true;
	if (suffixed)
		return false;
	n = snprintf(path, size, "%.*s/%s.bpf.o", (int)dir_len, dir, name);
	return n > 0 && (size_t)n < size && !access(path, R_OK);
}

/* The objects installed with the tool: <prefix>/sbin/.. + lib/ublk-bpf. */
static const char *ublk_installed_obj_dir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');		/* the tool's folder */
	if (slash)
		*slash = '\0';
	slash = strrchr(exe, '/');		/* its parent, the prefix */
	if (!slash)
		return NULL;
	*slash = '\0';
	if (snprintf(dir, sizeof(dir), "%.*s/%s", PATH_MAX - 16, exe, UBLK_BPF_OBJ_SUBDIR) >=
	    (int)sizeof(dir))
		return NULL;
	return dir;
}

/*
 * OBJ as given, when it names a file (or has a '/': a path is never
 * searched); else NAME or NAME.bpf.o in each folder of $UBLK_BPF_OBJ_PATH
 * (':'-separated, first match wins), then among the objects installed with
 * the tool. Sets @opts->bpf_obj to what was found; says why not, once.
 */
static int ublk_find_obj(struct ublk_dev_opts *opts)
{
	static char path[PATH_MAX];
	const char *name = opts->bpf_obj, *env = getenv("UBLK_BPF_OBJ_PATH");
	const char *dir, *end, *installed = ublk_installed_obj_dir();

	if (!access(name, F_OK) || strchr(name, '/') || !*name)
		return 0;	/* ublk_bpf_obj_open() says what is wrong with it */
	for (dir = env; dir && *dir; dir = *end ? end + 1 : end) {
		end = strchrnul(dir, ':');
		if (ublk_obj_in_dir(dir, (size_t)(end - dir), name, path, sizeof(path)))
			goto found;
	}
	if (installed && ublk_obj_in_dir(installed, strlen(installed), name, path, sizeof(path)))
		goto found;
	ublk_err("load: no BPF object '%s': not a file here, nor found as %s or %s.bpf.o in $UBLK_BPF_OBJ_PATH (%s) or %s",
		 name, name, name, env ? env : "unset", installed ? installed : "(the tool's folder is unknown)");
	return -1;
found:
	opts->bpf_obj = path;
	return 0;
}

/*
 * Opens the object once: its target's name decides what is checked, and
 * the daemon then loads this same open object (opts->bpf_opened).
 */
int ublk_cmd_load(struct ublk_dev_opts *opts)
{
	struct ublk_bpf_obj bo;
	int ret;

	ublk_timing("begin");
	if (ublk_find_obj(opts) || ublk_bpf_obj_open(&bo, opts->bpf_obj))
		return 1;
	ublk_timing("target_name");
	if (opts->help_params) {
		printf("%s: target %s; its parameters (--set NAME=VALUE):\n", opts->bpf_obj,
		       bo.target);
		ublk_bpf_params_print(bo.obj, stdout);
		ublk_bpf_obj_close(&bo);
		return 0;
	}
	/* Set on the open object here, so that a bad one creates nothing. */
	if (ublk_bpf_params_apply(bo.obj, opts->bpf_obj, opts->sets, opts->nr_sets)) {
		ublk_bpf_obj_close(&bo);
		return 2;
	}
	ret = ublk_load_checked(opts, &bo);
	/* the parent's copy; a daemon forked by now has its own */
	ublk_bpf_obj_close(&bo);
	return ret;
}

static int ublk_load_checked(struct ublk_dev_opts *opts, struct ublk_bpf_obj *bo)
{
	static char target[UBLK_BPF_OPS_NAME_LEN + 1];
	unsigned int abi;

	snprintf(target, sizeof(target), "%s", bo->target);
	opts->target = target;
	opts->tgt = ublk_find_target(target);
	if (!opts->tgt)
		opts->tgt = &ublk_tgt_bpf_only;
	if (ublk_ctrl_probe())
		return 1;
	if (ublk_tgt_check_args(opts->tgt, opts))
		return 2;

	abi = ublk_bpf_shim_abi();
	if (opts->tgt->bpf_only && (opts->bpf_mode == UBLK_BPF_NO || abi != UBLK_BPF_ABI_VERSION)) {
		ublk_err("%s: target '%s' has no io_uring twin, so it needs the kfunc-shim's BPF support (%s)",
			 opts->bpf_obj, target, opts->bpf_mode == UBLK_BPF_NO ? "--no-bpf given" :
			 abi ? "the loaded kfunc-shim speaks another ABI" :
			 "the running ublk_drv has none");
		return 1;
	}
	if (opts->bpf_mode == UBLK_BPF_REQUIRE && abi != UBLK_BPF_ABI_VERSION) {
		if (abi)
			ublk_err("--require-bpf: the loaded kfunc-shim speaks ABI %u, this tool %u",
				 abi, UBLK_BPF_ABI_VERSION);
		else
			ublk_err("--require-bpf: the running ublk_drv has no BPF support (load the kfunc-shim module)");
		return 1;
	}
	if (opts->bpf_mode == UBLK_BPF_NO || abi != UBLK_BPF_ABI_VERSION) {
		static char why[128];

		if (opts->bpf_mode == UBLK_BPF_NO)
			snprintf(why, sizeof(why), "--no-bpf given");
		else if (abi)
			snprintf(why, sizeof(why),
				 "fallback: the loaded kfunc-shim speaks ABI %u, this tool %u", abi,
				 UBLK_BPF_ABI_VERSION);
		else
			snprintf(why, sizeof(why),
				 "fallback: the running ublk_drv has no BPF support (see 'ublk-bpf features')");
		ublk_warn("serving target %s on the io_uring path: %s", target, why);
		opts->fallback = why;
		opts->bpf_obj = NULL;
	}
	/* A target's last checks, which may touch what it serves (nvme: the controller). */
	if (opts->tgt->prepare) {
		unsigned int nr_sets = opts->nr_sets;

		if (opts->tgt->prepare(opts) ||
		    ublk_bpf_params_apply(bo->obj, opts->bpf_obj, opts->sets + nr_sets,
					  opts->nr_sets - nr_sets))
			return 1;
	}
	if (opts->bpf_obj)
		opts->bpf_opened = bo;
	/*
	 * The program, not the daemon, serves this device: a dead daemon
	 * leaves it QUIESCED (still served) for `recover`, not DEAD. The
	 * state file keeps the command line as typed, so `recover` and
	 * `serve` come through here and decide the same.
	 */
	if (opts->bpf_obj && !opts->recovery && !opts->no_recovery)
		opts->recovery = UBLK_F_USER_RECOVERY;
	return ublk_dev_create(opts);
}

static int load_parse(int argc, char **argv, void *opts)
{
	return ublk_parse_load(argc, argv, opts);
}

static int load_run(void *opts)
{
	return ublk_cmd_load(opts);
}

const struct ublk_verb ublk_verb_load = {
	.name = "load",
	.synopsis = "load OBJ.bpf.o [-n ID] [-q QUEUES] [-d DEPTH] [--file F]... [--size SIZE]\n"
		    "    [--buffered] [--recovery | --reissue | --fail-io | --no-recovery]\n"
		    "    [--scheduler NAME] [--count N] [--ctrl ID] [TARGET OPTIONS] [--set NAME=VALUE]...\n"
		    "    [--no-bpf | --require-bpf] [FILE]...\n"
		    "load OBJ.bpf.o --help-params",
	.help = "Creates the device as add does, served in the kernel by the BPF target\n"
		"OBJ (any object with one ublk_bpf_ops). OBJ is a file, else a name\n"
		"looked for as NAME, then NAME.bpf.o, in each folder of $UBLK_BPF_OBJ_PATH\n"
		"(':'-separated), then in ../lib/ublk-bpf from the tool's folder, where\n"
		"make install puts the built-in targets: 'load stripe' loads\n"
		"/usr/lib/ublk-bpf/stripe.bpf.o for /usr/sbin/ublk-bpf. A file in the\n"
		"current folder wins; an OBJ with a '/' is never looked for.\n"
		"Ops named after a target of add: its io_uring twin serves what the\n"
		"program redirects, or everything without BPF support. Any other name:\n"
		"the program serves every IO (what it redirects fails with EIO); the\n"
		"size is --size or the smallest file.\n"
		"Maps are pinned under $UBLK_BPF_PIN_ROOT/ID (default /sys/fs/bpf/ublk).\n"
		"When the program serves (the BPF path), recovery is on by default: a\n"
		"daemon that dies leaves the device served by its program, QUIESCED,\n"
		"until 'recover -n ID' (list says 'no daemon'). On the io_uring path\n"
		"it is off, as for add.\n"
		"  --set NAME=VALUE    write a const volatile variable of OBJ before load\n"
		"  --help-params       list the variables --set can write, with types and\n"
		"                      defaults, and exit\n"
		"  --no-bpf            serve on the io_uring path (targets with a twin)\n"
		"  --require-bpf       fail rather than fall back to the io_uring path\n"
		"  --no-recovery       the device stops when its daemon dies (-r 0 too)\n"
		"The other options are add's (ublk-bpf add --help).",
	.takes_target = true,
	.options = ublk_add_longopts,
	.opts_size = sizeof(struct ublk_dev_opts),
	.parse = load_parse,
	.run = load_run,
};
