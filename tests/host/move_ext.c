// SPDX-License-Identifier: GPL-2.0
/*
 * move_ext [--wait] FILE DONOR BLOCKS: what e4defrag does to one file, for
 * the bmap tests. Opens FILE for reading and writing (with --wait: says
 * "open" on stdout, then waits for a line on stdin before going on, so
 * the test can load a device meanwhile), writes DONOR (BLOCKS 4 KiB blocks
 * of 0xaa, new, synced) and asks ext4 (EXT4_IOC_MOVE_EXT) to swap FILE's
 * first BLOCKS blocks with DONOR's. Exit 0 when blocks moved; 1 with one
 * line saying why not.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ext4's ioctl ABI (fs/ext4/ext4.h; not in the uapi headers). */
struct move_extent {
	__u32 reserved;
	__u32 donor_fd;
	__u64 orig_start;	/* in blocks */
	__u64 donor_start;
	__u64 len;
	__u64 moved_len;	/* out */
};
#define EXT4_IOC_MOVE_EXT	_IOWR('f', 15, struct move_extent)

int main(int argc, char **argv)
{
	struct move_extent me = { 0 };
	char buf[4096], line[16];
	int wait = argc > 1 && !strcmp(argv[1], "--wait");
	unsigned long i, blocks;
	int fd, donor;

	if (argc != 4 + wait) {
		fprintf(stderr, "usage: move_ext [--wait] FILE DONOR BLOCKS\n");
		return 2;
	}
	argv += wait;
	blocks = strtoul(argv[3], NULL, 0);
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		printf("open %s for writing: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (wait) {
		printf("open\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	donor = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
	memset(buf, 0xaa, sizeof(buf));
	for (i = 0; donor >= 0 && i < blocks; i++)
		if (write(donor, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			break;
	if (donor < 0 || i < blocks || fsync(donor) < 0) {
		printf("donor %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	me.donor_fd = (__u32)donor;
	me.len = blocks;
	if (ioctl(fd, EXT4_IOC_MOVE_EXT, &me) < 0) {
		printf("EXT4_IOC_MOVE_EXT: %s\n", strerror(errno));
		return 1;
	}
	printf("moved %llu blocks\n", (unsigned long long)me.moved_len);
	return me.moved_len ? 0 : 1;
}
