// SPDX-License-Identifier: GPL-2.0
/*
 * The nbd target's handshake against a real nbd-server (Debian's), on
 * 127.0.0.1 and a unix socket: size and flags of the export, one write and
 * one read round trip, and the refusals (no server, unknown export). Then
 * against tests/ublk/nbd_hostile.py: a server that trickles its greeting
 * or floods replies is dropped within the deadline, a pending SIGTERM or a
 * stop ends the handshake at once, and exports the device cannot present
 * (2^64-1 bytes, odd block sizes, connections that disagree) are refused
 * in one line naming the server's values. Cases skip without nbd-server or
 * python3; exit 4 without both. Bounded: servers are killed at the end,
 * and an alarm ends a run that hangs.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nbd_client.h"
#include "targets.h"
#include "unit.h"

#define EXPORT_BYTES	(4 << 20)

static char dir[] = "/tmp/unit-nbd.XXXXXX";
static char port[16];

static struct nbd_addr tcp_addr(const char *export_name)
{
	struct nbd_addr a = { 0 };

	snprintf(a.host, sizeof(a.host), "127.0.0.1");
	snprintf(a.port, sizeof(a.port), "%s", port);
	snprintf(a.export_name, sizeof(a.export_name), "%s", export_name);
	return a;
}

/* nbd-server listens on TCP or on a unix socket: one server each. */
static pid_t server_pids[2];

static int start_one(unsigned int i, const char *listen)
{
	char path[256], cmd[512];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/nbd%u.conf", dir, i);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "[generic]\n %s\n[disk]\n exportname = %s/disk.img\n"
		" flush = true\n fua = true\n trim = true\n", listen, dir);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "nbd-server -C %s -p %s/pid%u", path, dir, i);
	if (system(cmd))
		return -EIO;
	snprintf(path, sizeof(path), "%s/pid%u", dir, i);
	for (n = 0; n < 50 && !server_pids[i]; n++) {
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%d", &server_pids[i]) != 1)
				server_pids[i] = 0;
			fclose(f);
		}
		usleep(100000);
	}
	return server_pids[i] ? 0 : -EIO;
}

static bool have_nbd_server;

static int start_server(void)
{
	char listen[300], cmd[300];
	int ret;

	if (system("command -v nbd-server >/dev/null 2>&1"))
		return -ENOENT;
	snprintf(cmd, sizeof(cmd), "truncate -s %d %s/disk.img", EXPORT_BYTES, dir);
	if (system(cmd))
		return -EIO;
	snprintf(port, sizeof(port), "%d", 20000 + getpid() % 20000);
	snprintf(listen, sizeof(listen), "listenaddr = 127.0.0.1\n port = %s", port);
	ret = start_one(0, listen);
	snprintf(listen, sizeof(listen), "unixsock = %s/sock", dir);
	return ret ? ret : start_one(1, listen);
}

/* tests/ublk/nbd_hostile.py, from where this binary is (.output/tests/). */
static char hostile_py[4096];
/* One hostile server per case at most, killed at its end. */
static pid_t hostile_pid;

static bool find_hostile(void)
{
	char exe[4000];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	int i;

	if (n <= 0 || access("/usr/bin/python3", X_OK))
		return false;
	exe[n] = '\0';
	for (i = 0; i < 3; i++) {	/* .output/tests/unit_nbd -> the repository */
		slash = strrchr(exe, '/');
		if (!slash)
			return false;
		*slash = '\0';
	}
	snprintf(hostile_py, sizeof(hostile_py), "%s/tests/ublk/nbd_hostile.py", exe);
	return access(hostile_py, R_OK) == 0;
}

/* Starts nbd_hostile.py on DIR/hostile.sock with @args (NULL-ended); 0 once it listens. */
static int hostile_start(const char *arg, ...)
{
	char sock[300], pidfile[300];
	const char *argv[24] = { "/usr/bin/python3", hostile_py, "--unix", sock,
				 "--pidfile", pidfile };
	unsigned int n = 6, i;
	va_list ap;

	snprintf(sock, sizeof(sock), "%s/hostile.sock", dir);
	snprintf(pidfile, sizeof(pidfile), "%s/hostile.pid", dir);
	unlink(pidfile);
	va_start(ap, arg);
	for (; arg && n < 23; arg = va_arg(ap, const char *))
		argv[n++] = arg;
	va_end(ap);
	argv[n] = NULL;
	hostile_pid = fork();
	if (hostile_pid == 0) {
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	for (i = 0; i < 100 && hostile_pid > 0; i++) {
		if (access(pidfile, F_OK) == 0)
			return 0;
		usleep(50000);
	}
	return -EIO;
}

static void hostile_stop(void)
{
	if (hostile_pid > 0) {
		kill(hostile_pid, SIGKILL);
		waitpid(hostile_pid, NULL, 0);
	}
	hostile_pid = 0;
}

static struct nbd_addr hostile_addr(unsigned int handshake_ms)
{
	struct nbd_addr a = { .handshake_ms = handshake_ms };

	snprintf(a.unix_path, sizeof(a.unix_path), "%s/hostile.sock", dir);
	return a;
}

/* What the code under test says on stderr, caught in @buf. */
static int saved_stderr = -1;

static void catch_stderr(void)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/stderr", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static void caught_stderr(char *buf, size_t len)
{
	char path[300];
	FILE *f;
	size_t n = 0;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	snprintf(path, sizeof(path), "%s/stderr", dir);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

static unsigned int lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void stop_server(void)
{
	char cmd[300];
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (server_pids[i] > 0)
			kill(server_pids[i], SIGTERM);
	hostile_stop();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		perror("rm");
}

/* One request and its simple reply, blocking. */
static int round_trip(int fd, uint16_t type, uint64_t cookie, uint64_t off, void *buf,
		      uint32_t len)
{
	struct nbd_request req = {
		.magic = htobe32(NBD_MAGIC_REQUEST), .type = htobe16(type),
		.cookie = htobe64(cookie), .offset = htobe64(off), .length = htobe32(len),
	};
	struct nbd_simple_reply rep;
	struct timeval tv = { .tv_sec = 5 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req))
		return -EIO;
	if (type == NBD_CMD_WRITE && send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -EIO;
	if (recv(fd, &rep, sizeof(rep), MSG_WAITALL) != sizeof(rep) ||
	    be32toh(rep.magic) != NBD_MAGIC_SIMPLE_REPLY || be64toh(rep.cookie) != cookie)
		return -EPROTO;
	if (rep.error)
		return nbd_reply_errno(be32toh(rep.error));
	if (type == NBD_CMD_READ && recv(fd, buf, len, MSG_WAITALL) != (ssize_t)len)
		return -EIO;
	return 0;
}

#define NEED(what) do {						\
	if (!(what)) {							\
		printf("# skipped: %s\n", #what);			\
		return;							\
	}								\
} while (0)

UNIT_TEST(handshake_tcp)
{
	struct nbd_addr a = tcp_addr("disk");
	struct nbd_export e;
	int fd;

	NEED(have_nbd_server);
	fd = nbd_connect(&a, &e, NULL);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(e.size, EXPORT_BYTES);
	ASSERT_TRUE(e.flags & NBD_FLAG_HAS_FLAGS);
	ASSERT_TRUE(e.flags & NBD_FLAG_SEND_FLUSH);
	ASSERT_TRUE(e.flags & NBD_FLAG_SEND_FUA);
	ASSERT_TRUE(e.flags & NBD_FLAG_SEND_TRIM);
	ASSERT_TRUE(!(e.flags & NBD_FLAG_READ_ONLY));
	nbd_disconnect(fd);
}

UNIT_TEST(round_trip_unix)
{
	struct nbd_addr a = { 0 };
	char out[4096], in[4096];
	struct nbd_export e;
	unsigned int i;
	int fd;

	NEED(have_nbd_server);
	snprintf(a.unix_path, sizeof(a.unix_path), "%s/sock", dir);
	snprintf(a.export_name, sizeof(a.export_name), "disk");
	fd = nbd_connect(&a, &e, NULL);
	ASSERT_TRUE(fd >= 0);
	if (fd < 0)
		return;
	for (i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + 3);
	memset(in, 0, sizeof(in));
	ASSERT_EQ(round_trip(fd, NBD_CMD_WRITE, 17, 8192, out, sizeof(out)), 0);
	ASSERT_EQ(round_trip(fd, NBD_CMD_FLUSH, 18, 0, NULL, 0), 0);
	ASSERT_EQ(round_trip(fd, NBD_CMD_READ, 19, 8192, in, sizeof(in)), 0);
	ASSERT_TRUE(!memcmp(in, out, sizeof(in)));
	/* Past the end: the server says EINVAL (or another error), not data. */
	ASSERT_TRUE(round_trip(fd, NBD_CMD_READ, 20, EXPORT_BYTES, in, sizeof(in)) < 0);
	nbd_disconnect(fd);
}

UNIT_TEST(unknown_export)
{
	struct nbd_addr a = tcp_addr("no-such-export");
	struct nbd_export e;

	NEED(have_nbd_server);
	ASSERT_EQ(nbd_connect(&a, &e, NULL), -ENOENT);
}

UNIT_TEST(no_server)
{
	struct nbd_addr a = tcp_addr("disk");
	struct nbd_export e;

	snprintf(a.port, sizeof(a.port), "1");	/* nobody listens on 127.0.0.1:1 */
	ASSERT_EQ(nbd_connect(&a, &e, NULL), -ECONNREFUSED);
	memset(&a, 0, sizeof(a));
	snprintf(a.unix_path, sizeof(a.unix_path), "%s/none", dir);
	ASSERT_EQ(nbd_connect(&a, &e, NULL), -ENOENT);
}

static bool have_hostile;

/*
 * nbd_connect() (deadline @handshake_ms) to a hostile server started with
 * @a1 and @a2 (NULL: none): its result (a socket is closed: 0), the time it
 * took into *@ms, what it said into @err.
 */
static int hostile_connect(unsigned int handshake_ms, const char *a1, const char *a2,
			   long long *ms, char *err, size_t len)
{
	struct nbd_addr a = hostile_addr(handshake_ms);
	struct nbd_export e;
	long long t0;
	int ret;

	if (hostile_start(a1, a2, NULL))
		return -EIO;
	catch_stderr();
	t0 = now_ms();
	ret = nbd_connect(&a, &e, NULL);
	*ms = now_ms() - t0;
	caught_stderr(err, len);
	hostile_stop();
	if (ret >= 0)
		nbd_disconnect(ret);
	return ret < 0 ? ret : 0;
}

/* A greeting trickled a byte every 0.3 s: the deadline (1.5 s) ends it, not each read. */
UNIT_TEST(trickle_deadline)
{
	char err[1024];
	long long ms;

	NEED(have_hostile);
	ASSERT_EQ(hostile_connect(1500, "--trickle", "0.3", &ms, err, sizeof(err)), -ETIMEDOUT);
	printf("# trickle: refused after %lld ms: %s", ms, err);
	ASSERT_TRUE(ms >= 1400 && ms < 2500);
	ASSERT_TRUE(strstr(err, "did not complete the handshake within 1.5 s"));
	ASSERT_EQ(lines(err), 1);
}

/* Endless NBD_REP_INFO: refused after NBD_MAX_OPT_REPLIES, long before the deadline. */
UNIT_TEST(flood_capped)
{
	char err[1024];
	long long ms;

	NEED(have_hostile);
	ASSERT_EQ(hostile_connect(5000, "--flood", NULL, &ms, err, sizeof(err)), -E2BIG);
	printf("# flood: refused after %lld ms: %s", ms, err);
	ASSERT_TRUE(ms < 2000);
	ASSERT_TRUE(strstr(err, "more than 32 replies to NBD_OPT_GO"));
	ASSERT_EQ(lines(err), 1);
}

/*
 * The daemon blocks SIGTERM and takes it with sigwait: one pending means
 * it is asked to end, and a stuck handshake gives up at once. So does one
 * whose caller sets its stop flag (a reconnect when the daemon ends).
 */
UNIT_TEST(sigterm_and_stop)
{
	struct nbd_addr a = hostile_addr(8000);
	struct timespec zero = { 0, 0 };
	struct nbd_export e;
	sigset_t set, old;
	long long t0;
	int ret, stop = 1;

	NEED(have_hostile);
	ASSERT_EQ(hostile_start("--trickle", "1", NULL), 0);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGTERM);
	t0 = now_ms();
	ret = nbd_connect(&a, &e, NULL);
	t0 = now_ms() - t0;
	sigtimedwait(&set, NULL, &zero);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("# SIGTERM pending: %d after %lld ms\n", ret, t0);
	ASSERT_EQ(ret, -EINTR);
	ASSERT_TRUE(t0 < 1000);
	t0 = now_ms();
	ret = nbd_connect(&a, &e, &stop);
	t0 = now_ms() - t0;
	hostile_stop();
	ASSERT_EQ(ret, -ECANCELED);
	ASSERT_TRUE(t0 < 1000);
}

/* A hostile server that says @a1 @a2 of its export: what nbd_connect() makes of it. */
static int connect_lie(char *err, size_t len, const char *a1, const char *a2)
{
	long long ms;

	return hostile_connect(5000, a1, a2, &ms, err, len);
}

/* Sizes and block sizes the device cannot present: one line with the server's values. */
UNIT_TEST(export_lies)
{
	char err[1024];

	NEED(have_hostile);
	ASSERT_EQ(connect_lie(err, sizeof(err), "--size", "18446744073709551615"), -EINVAL);
	ASSERT_TRUE(strstr(err, "holds 18446744073709551615 bytes: more than a block device"));
	ASSERT_EQ(lines(err), 1);
	ASSERT_EQ(connect_lie(err, sizeof(err), "--size", "9223372036854775807"), -EINVAL);
	ASSERT_EQ(connect_lie(err, sizeof(err), "--size", "100"), -EINVAL);
	ASSERT_TRUE(strstr(err, "less than one 512-byte block"));
	ASSERT_EQ(connect_lie(err, sizeof(err), "--block", "1000,4096,33554432"), -EINVAL);
	ASSERT_TRUE(strstr(err, "(minimum 1000, preferred 4096, maximum 33554432) are unusable"));
	ASSERT_EQ(lines(err), 1);
	ASSERT_EQ(connect_lie(err, sizeof(err), "--block", "8192,8192,33554432"), -EINVAL);
	ASSERT_TRUE(strstr(err, "minimum 8192"));
	ASSERT_EQ(connect_lie(err, sizeof(err), "--block", "512,4096,256"), -EINVAL);
	ASSERT_TRUE(strstr(err, "maximum 256"));
	/* Fine: a byte-granular server, 512-byte and 4 KiB blocks, the largest size. */
	ASSERT_EQ(connect_lie(err, sizeof(err), "--block", "1,4096,33554432"), 0);
	ASSERT_EQ(connect_lie(err, sizeof(err), "--block", "512,4096,33554432"), 0);
	ASSERT_EQ(connect_lie(err, sizeof(err), "--block", "4096,4096,33554432"), 0);
	ASSERT_EQ(connect_lie(err, sizeof(err), "--size", "9223372036854771712"), 0);
}

/* The nbd target's init: the block size and size of the device, from the export. */
static int nbd_init_q(const char *sock, unsigned int nr_queues, struct ublk_dev *dev)
{
	const struct ublk_tgt_ops *nbd = ublk_find_target("nbd");
	struct ublk_dev_opts o = { .nr_queues = nr_queues, .queue_depth = 4 };
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->tgt_data = calloc(1, nbd->data_size);
	if (nbd->parse_option(dev->tgt_data, "unix", sock) ||
	    nbd->parse_option(dev->tgt_data, "timeout", "7"))
		return -EINVAL;
	ret = nbd->init(dev, &o);
	if (!ret)
		nbd->deinit(dev);
	free(dev->tgt_data);
	return ret;
}

/* Every connection must see what the first saw; a server that differs fails the add. */
UNIT_TEST(connections_agree)
{
	struct nbd_addr a = hostile_addr(0);
	struct ublk_dev dev;
	char err[1024];
	int ret;

	NEED(have_hostile);
	ASSERT_EQ(hostile_start("--size", "8388608", "--block", "512,4096,65536", NULL), 0);
	ret = nbd_init_q(a.unix_path, 3, &dev);
	ASSERT_EQ(ret, 0);
	ASSERT_EQ(dev.params.basic.dev_sectors, 8388608 >> 9);
	ASSERT_EQ(dev.params.basic.logical_bs_shift, 9);
	ASSERT_EQ(dev.params.basic.max_sectors, 65536 >> 9);
	hostile_stop();
	ASSERT_EQ(hostile_start("--size", "8388608", "--size-step", "4096", NULL), 0);
	catch_stderr();
	ret = nbd_init_q(a.unix_path, 3, &dev);
	caught_stderr(err, sizeof(err));
	hostile_stop();
	printf("# init: %d %s%s", ret, err, *err ? "" : "\n");
	ASSERT_EQ(ret, -EINVAL);
	ASSERT_TRUE(strstr(err, "connection 2 of 3 sees another export than the first connection: 8392704 bytes"));
	ASSERT_EQ(lines(err), 1);
}

/* The timeout option: 1 s to a day. */
UNIT_TEST(timeout_option)
{
	const struct ublk_tgt_ops *nbd = ublk_find_target("nbd");
	void *data = calloc(1, nbd->data_size);

	catch_stderr();
	ASSERT_EQ(nbd->parse_option(data, "timeout", "30"), 0);
	ASSERT_EQ(nbd->parse_option(data, "timeout", "86400"), 0);
	ASSERT_EQ(nbd->parse_option(data, "timeout", "0"), -EINVAL);
	ASSERT_EQ(nbd->parse_option(data, "timeout", "86401"), -EINVAL);
	ASSERT_EQ(nbd->parse_option(data, "timeout", "x"), -EINVAL);
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	free(data);
}

int main(void)
{
	static const struct unit_case cases[] = {
		UNIT_CASE(handshake_tcp), UNIT_CASE(round_trip_unix),
		UNIT_CASE(unknown_export), UNIT_CASE(no_server),
		UNIT_CASE(trickle_deadline), UNIT_CASE(flood_capped),
		UNIT_CASE(sigterm_and_stop), UNIT_CASE(export_lies),
		UNIT_CASE(connections_agree), UNIT_CASE(timeout_option),
	};
	int ret;

	/* A handshake that hangs (the bug these cases catch) ends the run. */
	alarm(120);
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	have_hostile = find_hostile();
	ret = start_server();
	have_nbd_server = ret == 0;
	if (ret && ret != -ENOENT) {
		printf("# cannot start nbd-server: %s\n", strerror(-ret));
		stop_server();
		return 1;
	}
	if (!have_nbd_server && !have_hostile) {
		printf("# SKIP: no nbd-server (apt-get install nbd-server) and no python3\n");
		stop_server();
		return 4;
	}
	if (!freopen("/dev/null", "w", stderr))
		perror("freopen");
	ret = unit_main("nbd", cases, sizeof(cases) / sizeof(cases[0]));
	stop_server();
	return ret;
}
