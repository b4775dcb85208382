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
 *
 * While CMD runs, SIGUSR1 detaches the struct_ops link (the program is
 * unregistered), SIGUSR2 attaches it again and SIGHUP loads BPF_OBJ anew
 * and moves the link to the new instance (bpf_link__update_map()); CMD
 * gets our pid in UBLK_SHIM_PID.
 *
 * The device is set up with ublk-bpf's own code (user/: control commands,
 * parameters, backing files, the queue thread), so these tests exercise
 * the module through the tool's ublk protocol, not a copy of it.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctrl.h"
#include "params.h"
#include "shim_targets.h"
#include "ublk.h"
#include "ublk_bpf_uapi.h"

struct shim {
	const char *obj_path;
	const char *expect_fail;
	struct ublk_dev_opts opts;	/* files, size, direct: as the tool takes them */
	bool retry;
	uint64_t extra_flags;
	uint64_t cfg[CFG_MAX];
	bool cfg_set[CFG_MAX];
	char **cmd;

	struct bpf_object *obj;
	struct bpf_map *ops_map;
	struct bpf_link *link;
	int cfg_fd;
	int cnt_fd;
	uint32_t ops_id;

	struct ublk_ctrl ctrl;
	struct ublk_dev dev;
	bool retried;
	uint64_t srv_ios;
};

/* 1 detach, 2 attach, 3 replace */
static volatile sig_atomic_t link_request;

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

static char verifier_log[1 << 20];

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	size_t used = strlen(verifier_log);
	va_list copy;

	va_copy(copy, ap);
	if (used < sizeof(verifier_log) - 1)
		vsnprintf(verifier_log + used, sizeof(verifier_log) - used, fmt, copy);
	va_end(copy);
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* --- BPF ---------------------------------------------------------------- */

static int load_bpf(struct shim *s)
{
	struct bpf_map *map;
	const uint32_t *id;
	size_t sz;
	int err;

	s->obj = bpf_object__open_file(s->obj_path, NULL);
	if (!s->obj)
		die("cannot open %s: %s", s->obj_path, strerror(errno));
	s->ops_map = NULL;
	bpf_object__for_each_map(map, s->obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			s->ops_map = map;
	if (!s->ops_map)
		die("%s has no struct_ops map", s->obj_path);
	id = bpf_map__initial_value(s->ops_map, &sz);
	if (!id || sz < sizeof(*id))
		die("cannot read the ops id");
	s->ops_id = *id;

	err = bpf_object__load(s->obj);
	if (err)
		return err;
	s->cfg_fd = bpf_object__find_map_fd_by_name(s->obj, "cfg");
	s->cnt_fd = bpf_object__find_map_fd_by_name(s->obj, "cnt");
	for (uint32_t k = 0; k < CFG_MAX; k++)
		if (s->cfg_set[k] && bpf_map_update_elem(s->cfg_fd, &k, &s->cfg[k], 0))
			die("cannot set cfg[%u]: %s", k, strerror(errno));
	return 0;
}

/* Load the object again and move the link to the new instance. */
static void replace_ops(struct shim *s)
{
	struct bpf_object *old = s->obj;
	int err;

	err = load_bpf(s);
	if (err)
		die("cannot load %s again: %s", s->obj_path, strerror(-err));
	err = bpf_link__update_map(s->link, s->ops_map);
	if (err)
		die("cannot update the struct_ops link: %s", strerror(-err));
	bpf_object__close(old);
}

static void attach_ops(struct shim *s)
{
	s->link = bpf_map__attach_struct_ops(s->ops_map);
	if (!s->link)
		die("cannot register struct_ops %s: %s",
		    bpf_map__name(s->ops_map), strerror(errno));
}

static void detach_ops(struct shim *s)
{
	bpf_link__destroy(s->link);
	s->link = NULL;
}

static void print_counters(struct shim *s)
{
	static const char *const names[CNT_MAX] = {
		[CNT_QUEUE] = "prog_queue", [CNT_DAEMON] = "prog_daemon",
		[CNT_RELEASE] = "prog_release", [CNT_AIO_DONE] = "prog_aio_done",
		[CNT_AIO_ERR] = "prog_aio_err", [CNT_SUBMIT_ERR] = "prog_submit_err",
		[CNT_EPERM] = "prog_eperm", [CNT_EALREADY] = "prog_ealready",
		[CNT_LOST] = "prog_lost", [CNT_ATTACH] = "prog_attach",
		[CNT_DETACH] = "prog_detach",
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
 * module's BTF (struct ublk_bpf_dev_stats), so a new counter prints as
 * soon as the module has it.
 */
static void print_shim_stats(const struct ublk_bpf_dev_stats *st)
{
	struct btf *vmlinux = btf__load_vmlinux_btf(), *mod = NULL;
	const struct btf_member *m;
	const struct btf_type *t;
	int id = -1, i;

	if (vmlinux)
		mod = btf__load_module_btf("ublk_drv", vmlinux);
	if (mod)
		id = btf__find_by_name_kind(mod, "ublk_bpf_dev_stats", BTF_KIND_STRUCT);
	if (id < 0) {
		printf("shim_stats_btf=0\n");
		goto out;
	}
	t = btf__type_by_id(mod, id);
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++) {
		uint32_t off = btf_member_bit_offset(t, i) / 8;
		uint64_t v;

		if (off + sizeof(v) > sizeof(*st))
			break;
		memcpy(&v, (const char *)st + off, sizeof(v));
		printf("%s=%llu\n", btf__name_by_offset(mod, m->name_off), (unsigned long long)v);
	}
out:
	btf__free(mod);
	btf__free(vmlinux);
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
	.queue_io = shim_queue_io,
	.io_done = shim_io_done,
};

/* --- main --------------------------------------------------------------- */

static void on_signal(int sig)
{
	link_request = sig == SIGUSR1 ? 1 : sig == SIGUSR2 ? 2 : 3;
}

static int run_cmd(struct shim *s)
{
	char dev[32], id[16], pid[16];
	int status;
	pid_t child;

	snprintf(dev, sizeof(dev), "/dev/ublkb%u", s->dev.info.dev_id);
	snprintf(id, sizeof(id), "%u", s->dev.info.dev_id);
	snprintf(pid, sizeof(pid), "%d", getpid());
	setenv("UBLK_DEV", dev, 1);
	setenv("UBLK_DEV_ID", id, 1);
	setenv("UBLK_SHIM_PID", pid, 1);
	child = fork();
	if (child == 0) {
		execvp(s->cmd[0], s->cmd);
		_exit(127);
	}
	for (;;) {
		pid_t r = waitpid(child, &status, 0);
		int err = errno;

		if (link_request == 1 && s->link) {
			detach_ops(s);
			fprintf(stderr, "shim_test: struct_ops detached\n");
		} else if (link_request == 2 && !s->link) {
			attach_ops(s);
			fprintf(stderr, "shim_test: struct_ops attached\n");
		} else if (link_request == 3 && s->link) {
			replace_ops(s);
			fprintf(stderr, "shim_test: struct_ops replaced\n");
		}
		link_request = 0;
		if (r == child)
			break;
		if (r < 0 && err != EINTR)
			die("waitpid: %s", strerror(err));
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void parse_args(struct shim *s, int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "f:ds:q:c:rF:x:")) != -1) {
		switch (opt) {
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
		default:
			exit(2);
		}
	}
	if (optind >= argc)
		die("usage: shim_test [-f FILE]... [-d] [-s BYTES] [-q DEPTH] [-c K=V]... [-r] [-F TEXT] BPF_OBJ [-- CMD...]");
	s->obj_path = argv[optind++];
	if (optind < argc)
		s->cmd = &argv[optind];
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

/* The ublk device, with UBLK_F_BPF naming our ops, its files registered. */
static void add_dev(struct shim *s)
{
	struct ublk_param_bpf bp = { .len = sizeof(bp), .ops_id = s->ops_id };
	uint64_t features = 0;
	__s32 fds[UBLK_MAX_FILES];
	unsigned int i;
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
	if (!(s->dev.info.flags & UBLK_F_BPF))
		die("the driver cleared UBLK_F_BPF: not the kfunc-shim module");
	printf("dev_id=%u\n", s->dev.info.dev_id);
	fflush(stdout);

	ret = ublk_ctrl_set_params(&s->ctrl, s->dev.info.dev_id, &s->dev.params);
	if (ret)
		die("SET_PARAMS: %s", strerror(-ret));
	ret = ublk_ctrl_cmd_buf(&s->ctrl, UBLK_U_CMD_BPF_SET_PARAMS, s->dev.info.dev_id, &bp,
				sizeof(bp));
	if (ret)
		die("BPF_SET_PARAMS: %s", strerror(-ret));
	for (i = 0; i < s->dev.nr_fds; i++)
		fds[i] = s->dev.fds[i];
	if (s->dev.nr_fds) {
		ret = ublk_ctrl_cmd_buf(&s->ctrl, UBLK_U_CMD_BPF_REG_FILES, s->dev.info.dev_id,
					fds, s->dev.nr_fds * sizeof(fds[0]));
		if (ret)
			die("BPF_REG_FILES: %s", strerror(-ret));
	}
}

static void open_cdev(struct shim *s)
{
	char path[64];
	int i;

	snprintf(path, sizeof(path), "/dev/ublkc%u", s->dev.info.dev_id);
	for (i = 0; i < 100 && access(path, F_OK); i++)
		usleep(10000);
	s->dev.cdev_fd = open(path, O_RDWR);
	if (s->dev.cdev_fd < 0)
		die("cannot open %s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
	struct shim s = { .cfg_fd = -1, .cnt_fd = -1 };
	/* no SA_RESTART: the signal must interrupt waitpid() */
	struct sigaction sa = { .sa_handler = on_signal };
	int ret, rc = 0;

	s.opts.buffered = true;
	s.opts.queue_depth = 64;
	s.opts.target = "shim_test";
	s.dev.cdev_fd = -1;
	parse_args(&s, argc, argv);
	libbpf_set_print(libbpf_print);

	ret = load_bpf(&s);
	if (s.expect_fail) {
		if (!ret) {
			fprintf(stderr, "shim_test: %s loaded, expected a failure with '%s'\n",
				s.obj_path, s.expect_fail);
			return 1;
		}
		if (!strstr(verifier_log, s.expect_fail)) {
			fprintf(stderr, "shim_test: load failed, but without '%s'\n",
				s.expect_fail);
			return 1;
		}
		printf("load_failed_as_expected=1\n");
		return 0;
	}
	if (ret)
		die("cannot load %s: %s", s.obj_path, strerror(-ret));
	attach_ops(&s);

	setup_backing(&s);
	if (ublk_ctrl_open(&s.ctrl))
		return 1;
	add_dev(&s);
	open_cdev(&s);
	/* The queue thread signals SIGUSR1 as it leaves: handled, never fatal. */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	s.dev.queues = calloc(1, sizeof(*s.dev.queues));
	if (!s.dev.queues || ublk_queue_start(&s.dev, 0, -1))
		die("cannot start the queue");
	s.dev.nr_started = 1;

	ret = ublk_ctrl_start_dev(&s.ctrl, s.dev.info.dev_id, getpid());
	if (ret) {
		fprintf(stderr, "shim_test: START_DEV: %s\n", strerror(-ret));
		rc = 1;
	} else if (s.cmd) {
		rc = run_cmd(&s);
	}

	print_dev_info(&s);
	ret = ublk_ctrl_stop_dev(&s.ctrl, s.dev.info.dev_id);
	if (ret)
		fprintf(stderr, "shim_test: STOP_DEV: %s\n", strerror(-ret));
	ublk_queue_join(&s.dev.queues[0]);
	close(s.dev.cdev_fd);
	ret = ublk_ctrl_del_dev(&s.ctrl, s.dev.info.dev_id);
	if (ret)
		fprintf(stderr, "shim_test: DEL_DEV: %s\n", strerror(-ret));
	printf("srv_ios=%llu\n", (unsigned long long)s.srv_ios);
	print_counters(&s);
	if (s.link)
		detach_ops(&s);
	bpf_object__close(s.obj);
	ublk_close_backing(&s.dev);
	ublk_ctrl_close(&s.ctrl);
	free(s.dev.queues);
	return rc;
}
