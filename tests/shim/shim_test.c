// SPDX-License-Identifier: GPL-2.0
/*
 * shim_test: a tiny loader and ublk server to test the kfunc-shim module
 * before (and independently of) the ublk-bpf tool.
 *
 *   shim_test [options] BPF_OBJ [-- CMD [ARG...]]
 *
 * Loads BPF_OBJ, registers its ublk_bpf_ops struct_ops map, adds a ublk
 * device with UBLK_F_BPF naming that map's id, registers the backing files,
 * serves the device with one queue thread (redirected IO is done here with
 * pread/pwrite on file 0, or as a null target without files), runs CMD with
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
 */
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/ublk_cmd.h>

#include "ublk_bpf_uapi.h"
#include "shim_targets.h"

#define MAX_FILES	8
#define MAX_IO_BYTES	(512 << 10)

struct shim {
	const char *obj_path;
	const char *expect_fail;
	const char *files[MAX_FILES];
	int nr_files;
	int fds[MAX_FILES];
	bool direct;
	bool retry;
	uint64_t size;
	uint64_t extra_flags;
	unsigned int depth;
	uint64_t cfg[CFG_MAX];
	bool cfg_set[CFG_MAX];
	char **cmd;

	struct bpf_object *obj;
	struct bpf_map *ops_map;
	struct bpf_link *link;
	int cfg_fd;
	int cnt_fd;
	uint32_t ops_id;

	int ctrl_fd;
	struct io_uring ctrl_ring;
	struct ublksrv_ctrl_dev_info info;
	int cdev_fd;

	pthread_t queue_thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool queue_ready;
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

/* --- ublk control ----------------------------------------------------- */

static int ctrl_cmd(struct shim *s, unsigned int op, uint32_t dev_id,
		    void *buf, uint16_t len, uint64_t data)
{
	struct ublksrv_ctrl_cmd cmd = {
		.dev_id = dev_id,
		.queue_id = (uint16_t)-1,
		.addr = (uintptr_t)buf,
		.len = len,
		.data = { data },
	};
	struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ctrl_ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		return -EBUSY;
	memset(sqe, 0, sizeof(*sqe));
	memset(sqe->cmd, 0, 80);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = s->ctrl_fd;
	sqe->cmd_op = op;
	memcpy(sqe->cmd, &cmd, sizeof(cmd));
	ret = io_uring_submit_and_wait(&s->ctrl_ring, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(&s->ctrl_ring, &cqe);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(&s->ctrl_ring, cqe);
	return ret;
}

static void print_dev_info(struct shim *s)
{
	struct ublk_bpf_dev_info di;
	const struct ublk_bpf_dev_stats *st = &di.stats;
	int ret;

	memset(&di, 0, sizeof(di));
	ret = ctrl_cmd(s, UBLK_U_CMD_BPF_GET_INFO, s->info.dev_id, &di,
		       sizeof(di), 0);
	if (ret) {
		printf("bpf_get_info=%d\n", ret);
		return;
	}
	printf("abi_version=%u\ninfo_flags=%#x\nops_id=%u\nops_name=%s\nnr_files=%u\n",
	       di.abi_version, di.flags, di.ops_id, di.ops_name, di.nr_files);
#define P(f) printf(#f "=%llu\n", (unsigned long long)st->f)
	P(io_bpf); P(io_redirected); P(io_retried); P(io_requeued);
	P(io_timeout); P(io_failed); P(aio_submitted); P(aio_failed);
	P(zero_filled_bytes); P(dir_refused); P(double_complete);
	P(bad_disposition); P(refused); P(aio_inline); P(aio_fallback);
	P(aio_eagain);
#undef P
}

/* --- the queue thread: serves what BPF redirects ------------------------ */

static int serve_io(struct shim *s, const struct ublksrv_io_desc *iod, void *buf)
{
	unsigned int op = iod->op_flags & 0xff;
	size_t len = (size_t)iod->nr_sectors << 9;
	off_t pos = (off_t)iod->start_sector << 9;
	int fd = s->nr_files ? s->fds[0] : -1;
	ssize_t n;

	switch (op) {
	case UBLK_IO_OP_READ:
		if (fd < 0) {
			memset(buf, 0, len);
			return len;
		}
		n = pread(fd, buf, len, pos);
		if (n < 0)
			return -errno;
		memset((char *)buf + n, 0, len - n);
		return len;
	case UBLK_IO_OP_WRITE:
		if (fd < 0)
			return len;
		n = pwrite(fd, buf, len, pos);
		return n < 0 ? -errno : (int)n;
	case UBLK_IO_OP_FLUSH:
		return fd < 0 || !fdatasync(fd) ? 0 : -errno;
	case UBLK_IO_OP_DISCARD:
	case UBLK_IO_OP_WRITE_ZEROES:
		if (fd < 0)
			return 0;
		return fallocate(fd, FALLOC_FL_KEEP_SIZE |
				 (op == UBLK_IO_OP_DISCARD ? FALLOC_FL_PUNCH_HOLE :
							   FALLOC_FL_ZERO_RANGE),
				 pos, len) ? -errno : 0;
	}
	return -EOPNOTSUPP;
}

static void queue_io_cmd(struct io_uring *ring, struct shim *s, unsigned int op,
			 unsigned int tag, void *buf, int result)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct ublksrv_io_cmd *cmd = (struct ublksrv_io_cmd *)sqe->cmd;

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, s->cdev_fd, NULL, 0, 0);
	sqe->cmd_op = op;
	cmd->q_id = 0;
	cmd->tag = tag;
	cmd->result = result;
	cmd->addr = (uintptr_t)buf;
	io_uring_sqe_set_data64(sqe, tag);
}

static void *queue_main(void *arg)
{
	struct shim *s = arg;
	size_t desc_sz = ((s->depth * sizeof(struct ublksrv_io_desc)) + 4095) & ~4095UL;
	const struct ublksrv_io_desc *descs;
	struct io_uring ring;
	void **bufs;
	unsigned int tag, live;

	descs = mmap(NULL, desc_sz, PROT_READ, MAP_SHARED | MAP_POPULATE,
		     s->cdev_fd, UBLKSRV_CMD_BUF_OFFSET);
	if (descs == MAP_FAILED)
		die("cannot map the io descriptors: %s", strerror(errno));
	if (io_uring_queue_init(s->depth, &ring, 0))
		die("cannot set up the queue ring");
	bufs = calloc(s->depth, sizeof(*bufs));
	for (tag = 0; tag < s->depth; tag++) {
		if (posix_memalign(&bufs[tag], 4096, MAX_IO_BYTES))
			die("out of memory");
		queue_io_cmd(&ring, s, UBLK_U_IO_FETCH_REQ, tag, bufs[tag], 0);
	}
	io_uring_submit(&ring);

	pthread_mutex_lock(&s->lock);
	s->queue_ready = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);

	live = s->depth;
	while (live) {
		struct io_uring_cqe *cqe;
		int res;

		if (io_uring_submit_and_wait(&ring, 1) < 0)
			continue;
		while (!io_uring_peek_cqe(&ring, &cqe)) {
			tag = io_uring_cqe_get_data64(cqe);
			res = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
			if (res == UBLK_IO_RES_ABORT || res < 0) {
				live--;
				continue;
			}
			__atomic_fetch_add(&s->srv_ios, 1, __ATOMIC_RELAXED);
			if (s->retry && !s->retried) {
				uint32_t k = CFG_RETRY_OK;
				uint64_t one = 1;

				bpf_map_update_elem(s->cfg_fd, &k, &one, 0);
				s->retried = true;
				res = -EAGAIN;
			} else {
				res = serve_io(s, &descs[tag], bufs[tag]);
			}
			queue_io_cmd(&ring, s, UBLK_U_IO_COMMIT_AND_FETCH_REQ,
				     tag, bufs[tag], res);
		}
	}
	io_uring_queue_exit(&ring);
	munmap((void *)descs, desc_sz);
	return NULL;
}

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

	snprintf(dev, sizeof(dev), "/dev/ublkb%u", s->info.dev_id);
	snprintf(id, sizeof(id), "%u", s->info.dev_id);
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
			if (s->nr_files == MAX_FILES)
				die("too many files");
			s->files[s->nr_files++] = optarg;
			break;
		case 'd':
			s->direct = true;
			break;
		case 's':
			s->size = strtoull(optarg, NULL, 0);
			break;
		case 'q':
			s->depth = strtoul(optarg, NULL, 0);
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

int main(int argc, char **argv)
{
	struct shim s = { .depth = 64, .cfg_fd = -1, .cnt_fd = -1 };
	struct ublk_params params = { 0 };
	struct ublk_param_bpf bp = { 0 };
	char path[64];
	int ret, rc = 0, i;

	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
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

	for (i = 0; i < s.nr_files; i++) {
		s.fds[i] = open(s.files[i], O_RDWR | (s.direct ? O_DIRECT : 0));
		if (s.fds[i] < 0)
			die("cannot open %s: %s", s.files[i], strerror(errno));
	}
	if (!s.size) {
		struct stat st;

		s.size = 256 << 20;
		if (s.nr_files && !fstat(s.fds[0], &st) && st.st_size)
			s.size = st.st_size;
	}

	s.ctrl_fd = open("/dev/ublk-control", O_RDWR);
	if (s.ctrl_fd < 0)
		die("cannot open /dev/ublk-control: %s", strerror(errno));
	if (io_uring_queue_init(4, &s.ctrl_ring, IORING_SETUP_SQE128))
		die("cannot set up the control ring");

	{
		uint64_t features = 0;

		ret = ctrl_cmd(&s, UBLK_U_CMD_GET_FEATURES, 0, &features,
			       sizeof(features), 0);
		if (ret)
			die("GET_FEATURES: %s", strerror(-ret));
		printf("features=%#llx\n", (unsigned long long)features);
	}

	s.info = (struct ublksrv_ctrl_dev_info) {
		.nr_hw_queues = 1,
		.queue_depth = s.depth,
		.max_io_buf_bytes = MAX_IO_BYTES,
		.dev_id = (uint32_t)-1,
		.flags = UBLK_F_BPF | UBLK_F_CMD_IOCTL_ENCODE | s.extra_flags,
	};
	ret = ctrl_cmd(&s, UBLK_U_CMD_ADD_DEV, (uint32_t)-1, &s.info,
		       sizeof(s.info), 0);
	if (ret)
		die("ADD_DEV: %s", strerror(-ret));
	if (!(s.info.flags & UBLK_F_BPF))
		die("the driver cleared UBLK_F_BPF: not the kfunc-shim module");
	printf("dev_id=%u\n", s.info.dev_id);
	fflush(stdout);

	params.len = sizeof(params);
	params.types = UBLK_PARAM_TYPE_BASIC | UBLK_PARAM_TYPE_DISCARD;
	params.basic = (struct ublk_param_basic) {
		.attrs = UBLK_ATTR_VOLATILE_CACHE | UBLK_ATTR_FUA,
		.logical_bs_shift = 9, .physical_bs_shift = 12,
		.io_opt_shift = 12, .io_min_shift = 9,
		.max_sectors = MAX_IO_BYTES >> 9,
		.dev_sectors = s.size >> 9,
	};
	params.discard = (struct ublk_param_discard) {
		.discard_granularity = 4096,
		.max_discard_sectors = UINT32_MAX >> 9,
		.max_write_zeroes_sectors = UINT32_MAX >> 9,
		.max_discard_segments = 1,
	};
	ret = ctrl_cmd(&s, UBLK_U_CMD_SET_PARAMS, s.info.dev_id, &params,
		       sizeof(params), 0);
	if (ret)
		die("SET_PARAMS: %s", strerror(-ret));
	bp.len = sizeof(bp);
	bp.ops_id = s.ops_id;
	ret = ctrl_cmd(&s, UBLK_U_CMD_BPF_SET_PARAMS, s.info.dev_id, &bp,
		       sizeof(bp), 0);
	if (ret)
		die("BPF_SET_PARAMS: %s", strerror(-ret));
	if (s.nr_files) {
		ret = ctrl_cmd(&s, UBLK_U_CMD_BPF_REG_FILES, s.info.dev_id,
			       s.fds, s.nr_files * sizeof(int), 0);
		if (ret)
			die("BPF_REG_FILES: %s", strerror(-ret));
	}

	snprintf(path, sizeof(path), "/dev/ublkc%u", s.info.dev_id);
	for (i = 0; i < 100 && access(path, F_OK); i++)
		usleep(10000);
	s.cdev_fd = open(path, O_RDWR);
	if (s.cdev_fd < 0)
		die("cannot open %s: %s", path, strerror(errno));
	pthread_create(&s.queue_thread, NULL, queue_main, &s);
	pthread_mutex_lock(&s.lock);
	while (!s.queue_ready)
		pthread_cond_wait(&s.cond, &s.lock);
	pthread_mutex_unlock(&s.lock);

	ret = ctrl_cmd(&s, UBLK_U_CMD_START_DEV, s.info.dev_id, NULL, 0, getpid());
	if (ret) {
		fprintf(stderr, "shim_test: START_DEV: %s\n", strerror(-ret));
		rc = 1;
	} else if (s.cmd) {
		/* no SA_RESTART: the signal must interrupt waitpid() */
		struct sigaction sa = { .sa_handler = on_signal };

		sigaction(SIGUSR1, &sa, NULL);
		sigaction(SIGUSR2, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		rc = run_cmd(&s);
	}

	print_dev_info(&s);
	ret = ctrl_cmd(&s, UBLK_U_CMD_STOP_DEV, s.info.dev_id, NULL, 0, 0);
	if (ret)
		fprintf(stderr, "shim_test: STOP_DEV: %s\n", strerror(-ret));
	pthread_join(s.queue_thread, NULL);
	close(s.cdev_fd);
	ret = ctrl_cmd(&s, UBLK_U_CMD_DEL_DEV, s.info.dev_id, NULL, 0, 0);
	if (ret)
		fprintf(stderr, "shim_test: DEL_DEV: %s\n", strerror(-ret));
	printf("srv_ios=%llu\n", (unsigned long long)s.srv_ios);
	print_counters(&s);
	if (s.link)
		detach_ops(&s);
	bpf_object__close(s.obj);
	return rc;
}
