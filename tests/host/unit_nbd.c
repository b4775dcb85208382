// SPDX-License-Identifier: GPL-2.0
/*
 * The nbd target's handshake against a real nbd-server (Debian's), on
 * 127.0.0.1 and a unix socket: size and flags of the export, one write and
 * one read round trip, and the refusals (no server, unknown export).
 * Skips (exit 4) without nbd-server. Bounded: the server is killed at the
 * end, and every socket has the handshake's timeouts.
 */
#include <endian.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "nbd_client.h"
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

static int start_server(void)
{
	char listen[300], cmd[300];
	int ret;

	if (system("command -v nbd-server >/dev/null 2>&1"))
		return -ENOENT;
	if (!mkdtemp(dir))
		return -errno;
	snprintf(cmd, sizeof(cmd), "truncate -s %d %s/disk.img", EXPORT_BYTES, dir);
	if (system(cmd))
		return -EIO;
	snprintf(port, sizeof(port), "%d", 20000 + getpid() % 20000);
	snprintf(listen, sizeof(listen), "listenaddr = 127.0.0.1\n port = %s", port);
	ret = start_one(0, listen);
	snprintf(listen, sizeof(listen), "unixsock = %s/sock", dir);
	return ret ? ret : start_one(1, listen);
}

static void stop_server(void)
{
	char cmd[300];
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (server_pids[i] > 0)
			kill(server_pids[i], SIGTERM);
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

UNIT_TEST(handshake_tcp)
{
	struct nbd_addr a = tcp_addr("disk");
	struct nbd_export e;
	int fd = nbd_connect(&a, &e);

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

	snprintf(a.unix_path, sizeof(a.unix_path), "%s/sock", dir);
	snprintf(a.export_name, sizeof(a.export_name), "disk");
	fd = nbd_connect(&a, &e);
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

	ASSERT_EQ(nbd_connect(&a, &e), -ENOENT);
}

UNIT_TEST(no_server)
{
	struct nbd_addr a = tcp_addr("disk");
	struct nbd_export e;

	snprintf(a.port, sizeof(a.port), "1");	/* nobody listens on 127.0.0.1:1 */
	ASSERT_EQ(nbd_connect(&a, &e), -ECONNREFUSED);
	memset(&a, 0, sizeof(a));
	snprintf(a.unix_path, sizeof(a.unix_path), "%s/none", dir);
	ASSERT_EQ(nbd_connect(&a, &e), -ENOENT);
}

int main(void)
{
	static const struct unit_case cases[] = {
		UNIT_CASE(handshake_tcp), UNIT_CASE(round_trip_unix),
		UNIT_CASE(unknown_export), UNIT_CASE(no_server),
	};
	int ret = start_server();

	if (ret == -ENOENT) {
		printf("# SKIP: no nbd-server (apt-get install nbd-server)\n");
		return 4;
	}
	if (ret) {
		printf("# cannot start nbd-server: %s\n", strerror(-ret));
		stop_server();
		return 1;
	}
	if (!freopen("/dev/null", "w", stderr))
		perror("freopen");
	ret = unit_main("nbd", cases, sizeof(cases) / sizeof(cases[0]));
	stop_server();
	return ret;
}
