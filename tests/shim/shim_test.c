// SPDX-License-Identifier: GPL-2.0
/*
 * shim_test: a tiny loader and ublk server to test the kfunc-shim module
 * before (and independently of) the ublk-bpf tool.
 *
 *   shim_test [options] BPF_OBJ [-- CMD [ARG...]]
 *
 * Loads BPF_OBJ, registers its ublk_bpf_ops struct_ops map, adds a ublk
 * device with UBLK_F_BPF naming that map's id, registers the backing files,
 * serves the device with one queue thread (redirected IO is served by the
 * tool's loop target on file 0, or as zeroes without files), runs CMD with
 * UBLK_DEV=/dev/ublkbN in its environment, then deletes the device and
 * prints the module's and the program's counters as "name=value" lines.
 * The exit status is CMD's (or 0 without CMD; 1 on a set-up error).
 *
 * Options:
 *   -f FILE      backing file, repeatable (index 0, 1, ... for the program)
 *   -d           open backing files with O_DIRECT
 *   -s BYTES     device size (default: size of the first file, else 256M)
 *   -q DEPTH     queue depth (default 64)
 *   -c KEY=VAL   set cfg[KEY] of the program's "cfg" array map
 *   -r           retry test: on the first redirected IO set cfg[RETRY_OK]=1
 *                and commit -EAGAIN (the IO must come back through BPF)
 *   -F TEXT      expect loading BPF_OBJ to fail with TEXT in the verifier
 *                log; exit 0 if so, 1 otherwise
 *   -x FLAGS     more UBLK_F_* flags for ADD_DEV
 *   -C ID        join controller ID (UBLK_U_CMD_BPF_JOIN_CTRL) after
 *                ADD_DEV: the device takes its tags from its tag set
 *   -R ID        no device: only register BPF_OBJ's struct_ops with ops id
 *                ID and hold it while CMD runs (another registrant of a
 *                device's id); exit 1 if the kernel refuses it
 *   -U           with -R: once registered, load BPF_OBJ again and update
 *                the link to it; exit 1 if the kernel refuses that
 *   -N           with -R: without CAP_SYS_ADMIN in the effective set for
 *                the registration (or, with -U, the update) only, not for
 *                loading
 *
 * While CMD runs, SIGUSR1 detaches the struct_ops link (the program is
 * unregistered), SIGUSR2 attaches it again and binds the device to it
 * (UBLK_U_CMD_BPF_BIND: registering alone does not) and SIGHUP loads
 * BPF_OBJ anew and moves the link to the new instance
 * (bpf_link__update_map()); CMD gets our pid in UBLK_SHIM_PID and the
 * device's ops id in UBLK_OPS_ID. SIGTERM or SIGINT ends CMD (its process
 * group) and then the device as usual; the exit status is 128 + the signal.
 *
 * The device is set up with ublk-bpf's own code (user/: control commands,
 * parameters, backing files, the BPF object's loading and binding, the
 * char device, the queue thread), so these tests exercise the module
 * through the tool's ublk protocol, not a copy of it. Unlike the tool,
 * shim_test pins nothing: its program goes with its process (the kill
 * tests rely on that). Whichever way it ends, an exit() included, the
 * device it added is stopped and deleted.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf_dev.h"
#include "btf_value.h"
#include "ctrl.h"
#include "json.h"
#include "dev.h"
#include "params.h"
#include "shim_targets.h"
#include "ublk.h"
#include "ublk_bpf_uapi.h"

/* Seconds CMD has to end after SIGTERM is passed on, before SIGKILL. */
#define SHIM_TERM_GRACE_S	5

struct shim {
	const char *obj_path;
	const char *expect_fail;
	/* files, size, direct, the object: as the tool takes them */
	struct ublk_dev_opts opts;
	bool retry;
	uint64_t extra_flags;
	long ctrl_id;			/* -C: -1 unless given */
	long reg_only_id;		/* -R: -1 unless given */
	bool update;			/* -U */
	bool no_admin;			/* -N */
	uint64_t cfg[CFG_MAX];
	bool cfg_set[CFG_MAX];
	char **cmd;

	struct ublk_ctrl ctrl;
	struct ublk_dev dev;
	struct ublk_bpf_dev bpf;	/* the object and its link */
	int cfg_fd;
	int cnt_fd;
	bool added;			/* ADD_DEV done: shim_end() deletes it */
	pid_t child;			/* CMD, while it runs */
	bool retried;
	uint64_t srv_ios;
};

/* What shim_cleanup() undoes when we exit on any path. */
static struct shim *shim_live;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "shim_test: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* --- the end, also on exit() ---------------------------------------------- */

/* CMD, if it still runs, then the device: stopped, its queue ended, deleted. */
static void shim_end(struct shim *s)
{
	int ret;

	if (s->child > 0) {
		kill(-s->child, SIGKILL);
		waitpid(s->child, NULL, 0);
		s->child = 0;
	}
	if (!s->added)
		return;
	s->added = false;
	/* Also cancels the FETCH_REQs of a device that never started. */
	ret = ublk_ctrl_stop_dev(&s->ctrl, s->dev.info.dev_id);
	if (ret)
		fprintf(stderr, "shim_test: STOP_DEV: %s\n", strerror(-ret));
	if (s->dev.nr_started)
		ublk_queue_join(&s->dev.queues[0]);
	s->dev.nr_started = 0;
	/* DEL_DEV waits for the char device to be let go of. */
	if (s->dev.cdev_fd >= 0)
		close(s->dev.cdev_fd);
	s->dev.cdev_fd = -1;
	ret = ublk_ctrl_del_dev(&s->ctrl, s->dev.info.dev_id);
	if (ret)
		fprintf(stderr, "shim_test: DEL_DEV: %s\n", strerror(-ret));
}

/* The program unregistered and closed, the files and control ring closed. */
static void shim_release(struct shim *s)
{
	if (s->bpf.obj.obj)
		ublk_bpf_dev_detach(&s->dev, &s->bpf);
	ublk_close_backing(&s->dev);
	ublk_ctrl_close(&s->ctrl);
	free(s->dev.queues);
	s->dev.queues = NULL;
}

static void shim_cleanup(void)
{
	if (!shim_live)
		return;
	shim_end(shim_live);
	shim_release(shim_live);
	shim_live = NULL;
}

/* --- BPF ------------------------------------------------------------------ */

/* The tool's bpf_setup hook: our maps, cfg[] as -c set it. */
static int shim_bpf_setup(struct ublk_dev *dev, struct bpf_object *obj)
{
	struct shim *s = dev->tgt_data;

	s->cfg_fd = bpf_object__find_map_fd_by_name(obj, "cfg");
	s->cnt_fd = bpf_object__find_map_fd_by_name(obj, "cnt");
	for (uint32_t k = 0; k < CFG_MAX; k++) {
		if (s->cfg_set[k] && bpf_map_update_elem(s->cfg_fd, &k, &s->cfg[k], 0)) {
			fprintf(stderr, "shim_test: cannot set cfg[%u]: %s\n", k, strerror(errno));
			return -EINVAL;
		}
	}
	return 0;
}

/* -F: loading the object must fail, with @expect_fail in libbpf's log. */
static int expect_load_failure(struct shim *s)
{
	struct bpf_object *obj;
	int err;

	ublk_bpf_log_start();
	obj = bpf_object__open_file(s->obj_path, NULL);
	if (!obj)
		die("cannot open %s: %s", s->obj_path, strerror(errno));
	err = bpf_object__load(obj);
	bpf_object__close(obj);
	if (!err) {
		fprintf(stderr, "shim_test: %s loaded, expected a failure with '%s'\n",
			s->obj_path, s->expect_fail);
		return 1;
	}
	if (!strstr(ublk_bpf_log(), s->expect_fail)) {
		fputs(ublk_bpf_log(), stderr);
		fprintf(stderr, "shim_test: load failed, but without '%s'\n", s->expect_fail);
		return 1;
	}
	printf("load_failed_as_expected=1\n");
	return 0;
}

/*
 * Loads the object with the ops id, configuration and maps of the device,
 * registers it and binds it to the device (ops id, files): the tool's own
 * sequence. Then takes its pins away: our program goes with our process.
 */
static void attach_dev(struct shim *s)
{
	struct ublk_bpf_obj *opened = NULL;	/* none: open the file */

	s->opts.bpf_obj = s->obj_path;
	if (ublk_bpf_dev_attach(&s->ctrl, &s->dev, &s->opts, &opened, &s->bpf))
		die("cannot attach %s to device %u", s->obj_path, s->dev.info.dev_id);
	ublk_unpin_dev(s->dev.info.dev_id);
}

/* Load the object again and move the link to the new instance. */
static void replace_ops(struct shim *s)
{
	struct ublk_tgt_config cfg = {
		.dev_id = s->dev.info.dev_id,
		.nr_files = s->dev.nr_fds,
		.lbs_shift = s->dev.params.basic.logical_bs_shift,
	};
	struct ublk_bpf_obj fresh;
	struct bpf_map *map, *ops = NULL;
	int err;

	if (ublk_bpf_obj_open(&fresh, s->obj_path) ||
	    ublk_bpf_obj_load_unregistered(&fresh, s->obj_path, s->bpf.obj.ops_id, &cfg) ||
	    shim_bpf_setup(&s->dev, fresh.obj))
		die("cannot load %s again", s->obj_path);
	bpf_object__for_each_map(map, fresh.obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			ops = map;
	err = bpf_link__update_map(s->bpf.obj.link, ops);
	if (err)
		die("cannot update the struct_ops link: %s", strerror(-err));
	bpf_object__close(s->bpf.obj.obj);
	s->bpf.obj.obj = fresh.obj;
}

/* Register the program again; the device only comes back by our word. */
static void attach_ops(struct shim *s)
{
	int ret;

	if (ublk_bpf_obj_register(&s->bpf.obj, s->obj_path))
		die("cannot register the struct_ops again");
	ret = ublk_ctrl_cmd_buf(&s->ctrl, UBLK_U_CMD_BPF_BIND, s->dev.info.dev_id, NULL, 0);
	if (ret)
		die("UBLK_U_CMD_BPF_BIND: %s", strerror(-ret));
}

static void detach_ops(struct shim *s)
{
	bpf_link__destroy(s->bpf.obj.link);
	s->bpf.obj.link = NULL;
}

static void print_counters(struct shim *s)
{
	static const char *const names[CNT_MAX] = {
		[CNT_QUEUE] = "prog_queue", [CNT_DAEMON] = "prog_daemon",
		[CNT_RELEASE] = "prog_release", [CNT_AIO_DONE] = "prog_aio_done",
		[CNT_AIO_ERR] = "prog_aio_err", [CNT_SUBMIT_ERR] = "prog_submit_err",
		[CNT_EPERM] = "prog_eperm", [CNT_EALREADY] = "prog_ealready",
		[CNT_LOST] = "prog_lost", [CNT_ATTACH] = "prog_attach",
		[CNT_DETACH] = "prog_detach", [CNT_RESUBMIT] = "prog_resubmit",
		[CNT_ALLOC_NULL] = "prog_alloc_null",
	};

	if (s->cnt_fd < 0)
		return;
	for (uint32_t k = 0; k < CNT_MAX; k++) {
		uint64_t v;

		if (names[k] && !bpf_map_lookup_elem(s->cnt_fd, &k, &v))
			printf("%s=%llu\n", names[k], (unsigned long long)v);
	}
}

/*
 * The module's counters of the device as "name=value" lines, named by the
 * module's BTF (the tool's lookup), so a new counter prints as soon as
 * the module has it.
 */
static void print_shim_stats(const struct ublk_bpf_dev_stats *st)
{
	const struct btf_member *m;
	const struct btf_type *t;
	struct btf *btf;
	__u32 id;
	int i;

	btf = ublk_shim_stats_btf(&id);
	if (!btf) {
		printf("shim_stats_btf=0\n");
		return;
	}
	t = btf__type_by_id(btf, id);
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++) {
		printf("%s=", btf__name_by_offset(btf, m->name_off));
		ublk_json_put(ublk_btf_json(btf, m->type,
					    (const char *)st + btf_member_bit_offset(t, i) / 8), stdout);
		printf("\n");
	}
}

static void print_dev_info(struct shim *s)
{
	struct ublk_bpf_dev_info di;
	int ret;

	memset(&di, 0, sizeof(di));
	ret = ublk_ctrl_cmd_buf(&s->ctrl, UBLK_U_CMD_BPF_GET_INFO, s->dev.info.dev_id, &di,
				sizeof(di));
	if (ret) {
		printf("bpf_get_info=%d\n", ret);
		return;
	}
	printf("abi_version=%u\ninfo_flags=%#x\nops_id=%u\nops_name=%s\nnr_files=%u\n",
	       di.abi_version, di.flags, di.ops_id, di.ops_name, di.nr_files);
	print_shim_stats(&di.stats);
}

/* --- the io_uring side: serves what BPF redirects ------------------------ */

extern const struct ublk_tgt_ops ublk_tgt_loop;

/*
 * A redirected IO: with -r, the first one goes back to the program
 * (-EAGAIN, after telling it through cfg[RETRY_OK]); else the tool's loop
 * target serves it on file 0, or, without files, reads are zeroes and the
 * rest succeeds.
 */
static void shim_queue_io(struct ublk_queue *q, unsigned int tag,
			  const struct ublksrv_io_desc *iod)
{
	struct shim *s = q->dev->tgt_data;
	unsigned int len = ublk_iod_bytes(iod);

	__atomic_fetch_add(&s->srv_ios, 1, __ATOMIC_RELAXED);
	if (s->retry && !__atomic_exchange_n(&s->retried, true, __ATOMIC_RELAXED)) {
		uint32_t k = CFG_RETRY_OK;
		uint64_t one = 1;

		bpf_map_update_elem(s->cfg_fd, &k, &one, 0);
		ublk_complete_io(q, tag, -EAGAIN);
	} else if (q->dev->nr_fds) {
		ublk_tgt_loop.queue_io(q, tag, iod);
	} else {
		if (ublksrv_get_op(iod) == UBLK_IO_OP_READ)
			memset(ublk_io_buf(q, tag), 0, len);
		ublk_complete_io(q, tag, ublksrv_get_op(iod) == UBLK_IO_OP_READ ||
				 ublksrv_get_op(iod) == UBLK_IO_OP_WRITE ? (int)len : 0);
	}
}

static int shim_io_done(struct ublk_queue *q, unsigned int tag,
			const struct io_uring_cqe *cqe)
{
	return ublk_tgt_loop.io_done(q, tag, cqe);
}

static const struct ublk_tgt_ops shim_tgt = {
	.name = "shim_test",
	.bpf_setup = shim_bpf_setup,
	.queue_io = shim_queue_io,
	.io_done = shim_io_done,
};

/* --- main --------------------------------------------------------------- */

/* The signals main() takes with sigtimedwait(): blocked in every thread. */
static void shim_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGCHLD);
}

/* The link requests of CMD; SIGTERM/SIGINT passed on to CMD's group. */
static void on_signal(struct shim *s, int sig, int *term, time_t *term_at)
{
	if (sig == SIGUSR1 && s->bpf.obj.link) {
		detach_ops(s);
		fprintf(stderr, "shim_test: struct_ops detached\n");
	} else if (sig == SIGUSR2 && !s->bpf.obj.link) {
		attach_ops(s);
		fprintf(stderr, "shim_test: struct_ops attached\n");
	} else if (sig == SIGHUP && s->bpf.obj.link) {
		replace_ops(s);
		fprintf(stderr, "shim_test: struct_ops replaced\n");
	} else if ((sig == SIGTERM || sig == SIGINT) && !*term) {
		*term = sig;
		*term_at = time(NULL);
		kill(-s->child, sig);
	}
}

static int run_cmd(struct shim *s, const sigset_t *set, const sigset_t *old)
{
	struct timespec tick = { .tv_sec = 1 };
	char dev[32], id[16], pid[16];
	time_t term_at = 0;
	int status, term = 0;

	snprintf(dev, sizeof(dev), "/dev/ublkb%u", s->dev.info.dev_id);
	snprintf(id, sizeof(id), "%u", s->dev.info.dev_id);
	snprintf(pid, sizeof(pid), "%d", getpid());
	/* -R has no device: CMD keeps the caller's */
	if (s->reg_only_id < 0) {
		setenv("UBLK_DEV", dev, 1);
		setenv("UBLK_DEV_ID", id, 1);
		snprintf(id, sizeof(id), "%u", s->bpf.obj.ops_id);
		setenv("UBLK_OPS_ID", id, 1);
	}
	setenv("UBLK_SHIM_PID", pid, 1);
	fflush(NULL);
	s->child = fork();
	if (s->child < 0)
		die("fork: %s", strerror(errno));
	if (s->child == 0) {
		/* Its own group, so that an end reaches whatever it started. */
		setpgid(0, 0);
		pthread_sigmask(SIG_SETMASK, old, NULL);
		execvp(s->cmd[0], s->cmd);
		_exit(127);
	}
	setpgid(s->child, s->child);
	for (;;) {
		int sig = sigtimedwait(set, NULL, &tick);

		if (sig > 0 && sig != SIGCHLD)
			on_signal(s, sig, &term, &term_at);
		if (waitpid(s->child, &status, WNOHANG) == s->child)
			break;
		if (term && time(NULL) - term_at > SHIM_TERM_GRACE_S)
			kill(-s->child, SIGKILL);
	}
	s->child = 0;
	if (term)
		return 128 + term;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * -Q ID:MS: UBLK_U_CMD_QUIESCE_DEV to device ID (a backport's test), waiting
 * up to MS ms for its server; prints the result, exit 0 when it passed.
 */
static int quiesce_only(const char *arg)
{
	struct ublk_ctrl ctrl;
	unsigned int id;
	unsigned long long ms;
	int ret;

	if (sscanf(arg, "%u:%llu", &id, &ms) != 2)
		die("bad -Q %s", arg);
	if (ublk_ctrl_open(&ctrl))
		return 1;
	ret = ublk_ctrl_quiesce_dev(&ctrl, id, ms);
	ublk_ctrl_close(&ctrl);
	printf("quiesce=%d\n", ret);
	return ret ? 1 : 0;
}

/*
 * -S ID: UBLK_U_CMD_START_USER_RECOVERY alone, so that a test sees the
 * device between START and END_USER_RECOVERY (no daemon, queues reset).
 */
static int start_recovery_only(const char *arg)
{
	struct ublk_ctrl ctrl;
	int ret;

	if (ublk_ctrl_open(&ctrl))
		return 1;
	ret = ublk_ctrl_start_recovery(&ctrl, strtoul(arg, NULL, 0));
	ublk_ctrl_close(&ctrl);
	printf("start_recovery=%d\n", ret);
	return ret ? 1 : 0;
}

static void parse_args(struct shim *s, int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "f:ds:q:c:rF:x:C:R:UNQ:S:")) != -1) {
		switch (opt) {
		case 'Q':
			exit(quiesce_only(optarg));
		case 'S':
			exit(start_recovery_only(optarg));
		case 'f':
			if (s->opts.nr_files == UBLK_MAX_FILES)
				die("too many files");
			s->opts.files[s->opts.nr_files++] = optarg;
			break;
		case 'd':
			s->opts.buffered = false;
			break;
		case 's':
			s->opts.size = strtoull(optarg, NULL, 0);
			break;
		case 'q':
			s->opts.queue_depth = strtoul(optarg, NULL, 0);
			break;
		case 'c': {
			unsigned int k;
			unsigned long long v;

			if (sscanf(optarg, "%u=%lli", &k, &v) != 2 || k >= CFG_MAX)
				die("bad -c %s", optarg);
			s->cfg[k] = v;
			s->cfg_set[k] = true;
			break;
		}
		case 'r':
			s->retry = true;
			break;
		case 'F':
			s->expect_fail = optarg;
			break;
		case 'x':
			s->extra_flags = strtoull(optarg, NULL, 0);
			break;
		case 'C':
			s->ctrl_id = strtol(optarg, NULL, 0);
			break;
		case 'R':
			s->reg_only_id = strtol(optarg, NULL, 0);
			break;
		case 'U':
			s->update = true;
			break;
		case 'N':
			s->no_admin = true;
			break;
		default:
			exit(2);
		}
	}
	if (optind >= argc)
		die("usage: shim_test [-f FILE]... [-d] [-s BYTES] [-q DEPTH] [-c K=V]... [-r] [-F TEXT] [-C ID] [-R ID [-U] [-N]] BPF_OBJ [-- CMD...] | -Q ID:MS | -S ID");
	s->obj_path = argv[optind++];
	if (optind < argc)
		s->cmd = &argv[optind];
}

/* -N: CAP_SYS_ADMIN out of (false) or back into (true) the effective set. */
static void set_admin(bool on)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d))
		die("capget: %s", strerror(errno));
	if (on)
		d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective |= CAP_TO_MASK(CAP_SYS_ADMIN);
	else
		d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &h, d))
		die("capset: %s", strerror(errno));
}

/*
 * -R: only register (with -U, then update) BPF_OBJ's struct_ops with ops
 * id ID, hold it while CMD runs: another registrant than a device's owner.
 */
static int register_only(struct shim *s, const sigset_t *set, const sigset_t *old)
{
	struct ublk_tgt_config cfg = { 0 };
	struct ublk_bpf_obj fresh;
	int ret, rc = 0;

	/*
	 * Loaded with CAP_SYS_ADMIN: 6.12 asks it of libbpf's lookup of the
	 * module's BTF (BPF_BTF_GET_FD_BY_ID), not of a task handed that fd.
	 */
	if (ublk_bpf_obj_open(&s->bpf.obj, s->obj_path) ||
	    ublk_bpf_obj_load_unregistered(&s->bpf.obj, s->obj_path, s->reg_only_id, &cfg))
		return 1;
	if (s->no_admin && !s->update)
		set_admin(false);
	ret = ublk_bpf_obj_register(&s->bpf.obj, s->obj_path);
	set_admin(true);
	if (ret) {
		printf("registered=0\n");
		return 1;
	}
	printf("registered=1\n");
	if (s->update) {
		struct bpf_map *map, *ops = NULL;

		if (ublk_bpf_obj_open(&fresh, s->obj_path) ||
		    ublk_bpf_obj_load_unregistered(&fresh, s->obj_path, s->reg_only_id, &cfg))
			die("cannot load %s again", s->obj_path);
		bpf_object__for_each_map(map, fresh.obj)
			if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
				ops = map;
		if (s->no_admin)
			set_admin(false);
		ret = bpf_link__update_map(s->bpf.obj.link, ops);
		set_admin(true);
		printf("updated=%d\n", !ret);
		if (ret) {
			fprintf(stderr, "shim_test: cannot update the struct_ops link: %s\n",
				strerror(-ret));
			rc = 1;
		}
		ublk_bpf_obj_close(&fresh);
	}
	fflush(stdout);
	if (!rc && s->cmd)
		rc = run_cmd(s, set, old);
	ublk_bpf_obj_close(&s->bpf.obj);
	return rc;
}

/* Opens the backing files and sets the device's parameters, as the tool does. */
static void setup_backing(struct shim *s)
{
	unsigned long long min_size = 0;

	s->dev.tgt = &shim_tgt;
	s->dev.tgt_data = s;
	if (ublk_open_backing(&s->dev, &s->opts, 0, UBLK_MAX_FILES, &min_size))
		exit(1);
	if (!s->opts.size)
		s->opts.size = s->dev.nr_fds && min_size ? min_size : 256ULL << 20;
	ublk_backing_params(&s->dev, s->opts.size);
	/*
	 * The module's discard and write-zeroes path is under test whatever
	 * the backing offers (the tool probes files, not block devices).
	 */
	ublk_params_set_discard(&s->dev.params, 4096, UBLK_IO_BUF_BYTES);
}

/* The ublk device, with UBLK_F_BPF, and its parameters. */
static void add_dev(struct shim *s)
{
	uint64_t features = 0;
	int ret;

	ret = ublk_ctrl_get_features(&s->ctrl, &features);
	if (ret)
		die("GET_FEATURES: %s", strerror(-ret));
	printf("features=%#llx\n", (unsigned long long)features);

	s->dev.info = (struct ublksrv_ctrl_dev_info) {
		.nr_hw_queues = 1,
		.queue_depth = s->opts.queue_depth,
		.max_io_buf_bytes = UBLK_IO_BUF_BYTES,
		.dev_id = (uint32_t)-1,
		.ublksrv_pid = getpid(),
		.flags = UBLK_F_BPF | UBLK_F_CMD_IOCTL_ENCODE | s->extra_flags,
	};
	ret = ublk_ctrl_add_dev(&s->ctrl, &s->dev.info);
	if (ret)
		die("ADD_DEV: %s", strerror(-ret));
	s->added = true;
	printf("dev_id=%u\n", s->dev.info.dev_id);
	fflush(stdout);
	if (!(s->dev.info.flags & UBLK_F_BPF))
		die("the driver cleared UBLK_F_BPF: not the kfunc-shim module");
	ret = ublk_ctrl_set_params(&s->ctrl, s->dev.info.dev_id, &s->dev.params);
	if (ret)
		die("SET_PARAMS: %s", strerror(-ret));
	if (s->ctrl_id >= 0) {
		struct ublk_ctrl_req r = { .op = UBLK_U_CMD_BPF_JOIN_CTRL,
					   .dev_id = s->dev.info.dev_id,
					   .data0 = s->ctrl_id };

		ret = ublk_ctrl_run(&s->ctrl, &r, 1);
		if (ret || r.res)
			die("JOIN_CTRL %ld: %s", s->ctrl_id, strerror(-(ret ? ret : r.res)));
		printf("joined=%ld\n", s->ctrl_id);
	}
}

int main(int argc, char **argv)
{
	static struct shim s = { .cfg_fd = -1, .cnt_fd = -1, .ctrl = { .fd = -1 },
				 .reg_only_id = -1, .ctrl_id = -1 };
	sigset_t set, old;
	int ret, rc = 0;

	s.opts.buffered = true;
	s.opts.queue_depth = 64;
	s.opts.target = "shim_test";
	s.dev.cdev_fd = -1;
	parse_args(&s, argc, argv);
	if (s.expect_fail)
		return expect_load_failure(&s);

	/* Before any thread: the queue thread inherits the mask. */
	shim_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	if (s.reg_only_id >= 0)
		return register_only(&s, &set, &old);
	shim_live = &s;
	atexit(shim_cleanup);

	setup_backing(&s);
	if (ublk_ctrl_open(&s.ctrl))
		return 1;
	add_dev(&s);
	attach_dev(&s);
	s.dev.cdev_fd = ublk_open_cdev(s.dev.info.dev_id);
	if (s.dev.cdev_fd < 0)
		exit(1);
	s.dev.queues = calloc(1, sizeof(*s.dev.queues));
	/* Nobody waits for the queue's end but shim_end(): no exit eventfd. */
	if (!s.dev.queues || ublk_queue_start(&s.dev, 0, -1, -1))
		die("cannot start the queue");
	s.dev.nr_started = 1;

	ret = ublk_ctrl_start_dev(&s.ctrl, s.dev.info.dev_id, getpid());
	if (ret) {
		fprintf(stderr, "shim_test: START_DEV: %s\n", strerror(-ret));
		rc = 1;
	} else if (s.cmd) {
		rc = run_cmd(&s, &set, &old);
	}

	print_dev_info(&s);
	shim_end(&s);
	printf("srv_ios=%llu\n", (unsigned long long)s.srv_ios);
	print_counters(&s);
	return rc;
}
