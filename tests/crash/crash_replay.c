// SPDX-License-Identifier: GPL-2.0
/*
 * crash_replay: the replay side of the crash-consistency test
 * (docs/crash-consistency.md). It reads the log a dm "log-writes" device
 * kept of every write, flush, FUA write and mark that reached the device
 * under a target's backing files, and rebuilds what a power cut after
 * any entry would have left on the disk.
 *
 *   crash_replay list LOG
 *	one line per entry: INDEX FLAGS SECTOR NR_SECTORS [MARK]; FLAGS are
 *	F (flush), U (FUA), D (discard), M (mark), m (metadata), or "-"
 *   crash_replay replay LOG OPTIONS -- CMD [ARG...]
 *	applies the entries in order to a zeroed disk; at each cut point N
 *	(the state with entries 0..N-1 applied) writes each view of the
 *	target's device into --image and runs CMD with CRASH_CUT=N,
 *	CRASH_VIEW=NAME and CRASH_IMAGE in its environment. Exit 0 when CMD
 *	passed every time, 1 when it failed at least once, 2 on bad input.
 *
 * Options of replay:
 *   --disk-size BYTES	the logged device's size
 *   --layout loop|stripe|mirror|raid10   how the target maps its files
 *   --chunk BYTES	stripe and raid10 chunk size
 *   --region OFF:LEN	a backing file of the target: LEN bytes at byte OFF
 *			of the logged device (repeat, in the target's order)
 *   --cuts FILE	cut points, one N a line, ascending
 *   --image PATH	where a view is written before CMD runs: PATH.SLOT
 *   --jobs N		run up to N checks at once (default 1); CMD gets its
 *			slot, 0 to N-1, as CRASH_SLOT
 *   --final FILE	once every entry is applied, the disk must equal FILE
 *			(the logged device's real content): the log is whole
 *			and the replay right
 *
 * The views of a device: loop and stripe have one ("dev"); a mirror one
 * per leg ("leg0", ...), since after a power cut any leg may be the one
 * read; raid10 one per leg index, every set read from that leg ("leg0",
 * "leg1"). The layouts are written here from their definition
 * (docs/usage.md), not taken from include/ublk_tgt_common.h, so that a
 * wrong mapping there is not mirrored here.
 *
 * The log's format is dm-log-writes' (the kernel's
 * Documentation/admin-guide/device-mapper/log-writes.rst): a super block
 * at byte 0, then per entry one sector-size block holding the entry
 * (sector, nr_sectors, flags, data_len; little endian, in units of the
 * data device's sector size; a mark's text follows the entry in the same
 * block), followed by nr_sectors sectors of data for a write.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LW_MAGIC	0x6a736677736872ULL
#define LW_FLUSH	(1ULL << 0)
#define LW_FUA		(1ULL << 1)
#define LW_DISCARD	(1ULL << 2)
#define LW_MARK		(1ULL << 3)
#define LW_META		(1ULL << 4)
#define LW_ENTRY_SIZE	32
#define MAX_REGIONS	8
#define MAX_VIEWS	4

struct lw_entry {
	uint64_t sector, nr_sectors, flags, data_len;
	const unsigned char *data;	/* the write's bytes, or the mark's text */
};

struct lw_log {
	const unsigned char *map;
	size_t size, off;
	uint64_t nr_entries, next;
	uint32_t sectorsize;
};

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static int log_open(struct lw_log *log, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	uint32_t ss;

	if (fd < 0 || fstat(fd, &st)) {
		perror(path);
		return -1;
	}
	if (st.st_size < 4096) {
		fprintf(stderr, "crash_replay: %s: too small for a log\n", path);
		return -1;
	}
	log->size = st.st_size;
	log->map = mmap(NULL, log->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (log->map == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	if (get_le64(log->map) != LW_MAGIC || get_le64(log->map + 8) != 1) {
		fprintf(stderr, "crash_replay: %s: not a dm-log-writes log (magic or version)\n", path);
		return -1;
	}
	log->nr_entries = get_le64(log->map + 16);
	memcpy(&ss, log->map + 24, sizeof(ss));
	log->sectorsize = le32toh(ss);
	if (log->sectorsize < 512 || log->sectorsize > 65536 ||
	    (log->sectorsize & (log->sectorsize - 1))) {
		fprintf(stderr, "crash_replay: %s: sector size %u\n", path, log->sectorsize);
		return -1;
	}
	log->off = log->sectorsize;
	log->next = 0;
	return 0;
}

/* The next entry; 1 when there is one, 0 at the end, -1 when the log is cut short. */
static int log_next(struct lw_log *log, struct lw_entry *e)
{
	const unsigned char *p;
	uint64_t data_bytes;

	if (log->next >= log->nr_entries)
		return 0;
	if (log->off + log->sectorsize > log->size)
		goto short_log;
	p = log->map + log->off;
	e->sector = get_le64(p);
	e->nr_sectors = get_le64(p + 8);
	e->flags = get_le64(p + 16);
	e->data_len = get_le64(p + 24);
	e->data = NULL;
	log->off += log->sectorsize;
	if (e->flags & LW_MARK) {
		if (e->data_len > log->sectorsize - LW_ENTRY_SIZE)
			goto bad;
		e->data = p + LW_ENTRY_SIZE;
	} else if (!(e->flags & LW_DISCARD) && e->nr_sectors) {
		data_bytes = e->nr_sectors * log->sectorsize;
		if (data_bytes / log->sectorsize != e->nr_sectors ||
		    log->off + data_bytes > log->size)
			goto short_log;
		e->data = log->map + log->off;
		log->off += data_bytes;
	}
	log->next++;
	return 1;
bad:
	fprintf(stderr, "crash_replay: entry %" PRIu64 " is malformed\n", log->next);
	return -1;
short_log:
	fprintf(stderr, "crash_replay: the log ends inside entry %" PRIu64 " of %" PRIu64 "\n",
		log->next, log->nr_entries);
	return -1;
}

static void flags_str(uint64_t flags, char *buf)
{
	char *p = buf;

	if (flags & LW_FLUSH)
		*p++ = 'F';
	if (flags & LW_FUA)
		*p++ = 'U';
	if (flags & LW_DISCARD)
		*p++ = 'D';
	if (flags & LW_MARK)
		*p++ = 'M';
	if (flags & LW_META)
		*p++ = 'm';
	if (p == buf)
		*p++ = '-';
	*p = 0;
}

static int cmd_list(const char *path)
{
	struct lw_log log;
	struct lw_entry e;
	char fl[8];
	int r;

	if (log_open(&log, path))
		return 2;
	while ((r = log_next(&log, &e)) == 1) {
		flags_str(e.flags, fl);
		printf("%" PRIu64 " %s %" PRIu64 " %" PRIu64, log.next - 1, fl, e.sector, e.nr_sectors);
		if (e.flags & LW_MARK)
			printf(" %.*s", (int)e.data_len, (const char *)e.data);
		printf("\n");
	}
	return r < 0 ? 2 : 0;
}

enum layout { L_LOOP, L_STRIPE, L_MIRROR, L_RAID10 };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds spent writing views and running the checks. */
static double time_views, time_checks;

struct replay {
	enum layout layout;
	uint64_t disk_size, chunk, dev_size;
	uint64_t reg_off[MAX_REGIONS], reg_len[MAX_REGIONS];
	unsigned int nr_regions, nr_views, jobs;
	unsigned char *disk;
	const char *image;
	char **cmd;
};

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

/* The device's byte @off of view @view: where it lies on the disk. */
static uint64_t view_map(const struct replay *r, unsigned int view, uint64_t off)
{
	uint64_t chunk, in_chunk, row;
	unsigned int nr_sets, file;

	switch (r->layout) {
	case L_LOOP:
		return r->reg_off[0] + off;
	case L_MIRROR:
		return r->reg_off[view] + off;
	case L_STRIPE:
		chunk = off / r->chunk;
		in_chunk = off % r->chunk;
		file = chunk % r->nr_regions;
		row = chunk / r->nr_regions;
		return r->reg_off[file] + row * r->chunk + in_chunk;
	default:
		/* raid10: chunk k on row k / sets of both legs of set k % sets */
		nr_sets = r->nr_regions / 2;
		chunk = off / r->chunk;
		in_chunk = off % r->chunk;
		file = (chunk % nr_sets) * 2 + view;
		row = chunk / nr_sets;
		return r->reg_off[file] + row * r->chunk + in_chunk;
	}
}

/* View @view of the device into @path. */
static int write_view(const struct replay *r, unsigned int view, const char *path)
{
	uint64_t off, step = (r->layout == L_STRIPE || r->layout == L_RAID10) ? r->chunk : r->dev_size;
	int fd = open(path, O_WRONLY | O_CREAT, 0600);

	if (fd < 0) {
		perror(path);
		return -1;
	}
	if (ftruncate(fd, r->dev_size)) {
		perror("ftruncate");
		close(fd);
		return -1;
	}
	for (off = 0; off < r->dev_size; off += step) {
		uint64_t src = view_map(r, view, off);
		const unsigned char *p = r->disk + src;
		size_t left = step;

		while (left) {
			ssize_t n = pwrite(fd, p, left, off + (step - left));

			if (n <= 0) {
				perror("pwrite");
				close(fd);
				return -1;
			}
			p += n;
			left -= n;
		}
	}
	close(fd);
	return 0;
}

static const char *view_name(const struct replay *r, unsigned int view, char *buf)
{
	if (r->layout == L_LOOP || r->layout == L_STRIPE)
		return "dev";
	sprintf(buf, "leg%u", view);
	return buf;
}

/*
 * Checks run in up to --jobs slots at once, each with an image of its
 * own (IMAGE.SLOT): the disk moves on to the next cut while they run.
 */
#define MAX_JOBS	8
static pid_t slot_pid[MAX_JOBS];
static double slot_start[MAX_JOBS];
static int checks_failed;

/* Waits for one check to end; -1 when none runs or on an error. */
static int reap_one(void)
{
	unsigned int i;
	pid_t pid;
	int st;

	pid = wait(&st);
	if (pid < 0)
		return -1;
	for (i = 0; i < MAX_JOBS; i++) {
		if (slot_pid[i] != pid)
			continue;
		slot_pid[i] = 0;
		time_checks += now_s() - slot_start[i];
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			checks_failed++;
		return i;
	}
	return -1;
}

static int free_slot(unsigned int jobs)
{
	unsigned int i;

	for (;;) {
		for (i = 0; i < jobs; i++)
			if (!slot_pid[i])
				return i;
		if (reap_one() < 0)
			return -1;
	}
}

/* Starts the check of cut @cut on every view. */
static int check_cut(const struct replay *r, uint64_t cut)
{
	unsigned int v;

	for (v = 0; v < r->nr_views; v++) {
		char name[16], num[32], path[4096];
		int slot = free_slot(r->jobs);
		double t0 = now_s();
		pid_t pid;

		if (slot < 0)
			return -1;
		snprintf(path, sizeof(path), "%s.%d", r->image, slot);
		if (write_view(r, v, path))
			return -1;
		slot_start[slot] = now_s();
		time_views += slot_start[slot] - t0;
		snprintf(num, sizeof(num), "%" PRIu64, cut);
		setenv("CRASH_CUT", num, 1);
		setenv("CRASH_VIEW", view_name(r, v, name), 1);
		setenv("CRASH_IMAGE", path, 1);
		snprintf(num, sizeof(num), "%d", slot);
		setenv("CRASH_SLOT", num, 1);
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return -1;
		}
		if (!pid) {
			execvp(r->cmd[0], r->cmd);
			perror(r->cmd[0]);
			_exit(127);
		}
		slot_pid[slot] = pid;
	}
	return 0;
}

static int apply(struct replay *r, const struct lw_entry *e, uint32_t ss, uint64_t idx)
{
	uint64_t off = e->sector * ss, len = e->nr_sectors * ss;

	if (e->flags & LW_MARK || !e->nr_sectors)
		return 0;
	if (off > r->disk_size || len > r->disk_size - off) {
		fprintf(stderr, "crash_replay: entry %" PRIu64 " writes past the disk's end\n", idx);
		return -1;
	}
	if (e->flags & LW_DISCARD)
		memset(r->disk + off, 0, len);
	else
		memcpy(r->disk + off, e->data, len);
	return 0;
}

static int cmd_replay(int argc, char **argv)
{
	struct replay r = { .layout = L_LOOP, .jobs = 1 };
	const char *log_path = argv[0], *cuts_path = NULL, *final = NULL;
	uint64_t *cuts = NULL, min_len = UINT64_MAX, idx = 0, v;
	size_t nr_cuts = 0, cap = 0, c = 0;
	struct lw_log log;
	struct lw_entry e;
	unsigned int i;
	int checks = 0, ret;
	char line[64];
	FILE *f;

	for (i = 1; i < (unsigned int)argc; i++) {
		const char *o = argv[i], *val = i + 1 < (unsigned int)argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--")) {
			r.cmd = argv + i + 1;
			break;
		}
		if (!val)
			goto usage;
		i++;
		if (!strcmp(o, "--disk-size")) {
			if (parse_u64(val, &r.disk_size))
				goto usage;
		} else if (!strcmp(o, "--chunk")) {
			if (parse_u64(val, &r.chunk))
				goto usage;
		} else if (!strcmp(o, "--layout")) {
			if (!strcmp(val, "loop"))
				r.layout = L_LOOP;
			else if (!strcmp(val, "stripe"))
				r.layout = L_STRIPE;
			else if (!strcmp(val, "mirror"))
				r.layout = L_MIRROR;
			else if (!strcmp(val, "raid10"))
				r.layout = L_RAID10;
			else
				goto usage;
		} else if (!strcmp(o, "--region")) {
			char *colon = strchr(val, ':');

			if (!colon || r.nr_regions == MAX_REGIONS)
				goto usage;
			*colon = 0;
			if (parse_u64(val, &r.reg_off[r.nr_regions]) ||
			    parse_u64(colon + 1, &r.reg_len[r.nr_regions]))
				goto usage;
			r.nr_regions++;
		} else if (!strcmp(o, "--cuts")) {
			cuts_path = val;
		} else if (!strcmp(o, "--image")) {
			r.image = val;
		} else if (!strcmp(o, "--jobs")) {
			if (parse_u64(val, &v) || !v || v > MAX_JOBS)
				goto usage;
			r.jobs = v;
		} else if (!strcmp(o, "--final")) {
			final = val;
		} else {
			goto usage;
		}
	}
	if (!r.cmd || !r.cmd[0] || !r.image || !cuts_path || !r.disk_size || !r.nr_regions)
		goto usage;
	for (i = 0; i < r.nr_regions; i++) {
		if (r.reg_off[i] + r.reg_len[i] > r.disk_size) {
			fprintf(stderr, "crash_replay: region %u ends past the disk\n", i);
			return 2;
		}
		if (r.reg_len[i] < min_len)
			min_len = r.reg_len[i];
	}
	switch (r.layout) {
	case L_LOOP:
		r.dev_size = r.reg_len[0];
		r.nr_views = 1;
		break;
	case L_MIRROR:
		r.dev_size = min_len;
		r.nr_views = r.nr_regions < MAX_VIEWS ? r.nr_regions : MAX_VIEWS;
		break;
	case L_STRIPE:
	case L_RAID10:
		if (!r.chunk || (r.layout == L_RAID10 && r.nr_regions % 2)) {
			fprintf(stderr, "crash_replay: stripe and raid10 need --chunk (raid10: sets of 2 regions)\n");
			return 2;
		}
		r.nr_views = r.layout == L_STRIPE ? 1 : 2;
		r.dev_size = min_len / r.chunk * r.chunk *
			     (r.layout == L_STRIPE ? r.nr_regions : r.nr_regions / 2);
		break;
	}
	f = fopen(cuts_path, "r");
	if (!f) {
		perror(cuts_path);
		return 2;
	}
	while (fgets(line, sizeof(line), f)) {
		if (parse_u64(strtok(line, " \t\n") ?: "", &v))
			continue;
		if (nr_cuts && v <= cuts[nr_cuts - 1]) {
			fprintf(stderr, "crash_replay: cut points must ascend (%" PRIu64 ")\n", v);
			return 2;
		}
		if (nr_cuts == cap) {
			cap = cap ? 2 * cap : 256;
			cuts = realloc(cuts, cap * sizeof(*cuts));
			if (!cuts)
				return 2;
		}
		cuts[nr_cuts++] = v;
	}
	fclose(f);
	if (log_open(&log, log_path))
		return 2;
	r.disk = calloc(1, r.disk_size);
	if (!r.disk) {
		perror("calloc");
		return 2;
	}
	for (;;) {
		while (c < nr_cuts && cuts[c] == idx) {
			if (check_cut(&r, idx))
				return 2;
			checks += r.nr_views;
			c++;
		}
		ret = log_next(&log, &e);
		if (ret < 0)
			return 2;
		if (!ret)
			break;
		if (apply(&r, &e, log.sectorsize, idx))
			return 2;
		idx++;
	}
	while (reap_one() >= 0)
		;
	if (c < nr_cuts) {
		fprintf(stderr, "crash_replay: cut point %" PRIu64 " is past the log's %" PRIu64 " entries\n",
			cuts[c], idx);
		return 2;
	}
	if (final) {
		int fd = open(final, O_RDONLY);
		unsigned char *buf = malloc(1 << 20);
		uint64_t off;

		if (fd < 0 || !buf) {
			perror(final);
			return 2;
		}
		for (off = 0; off < r.disk_size; off += 1 << 20) {
			size_t n = r.disk_size - off < (1 << 20) ? r.disk_size - off : (1 << 20);

			if (pread(fd, buf, n, off) != (ssize_t)n) {
				fprintf(stderr, "crash_replay: %s is shorter than the disk\n", final);
				return 2;
			}
			if (memcmp(buf, r.disk + off, n)) {
				fprintf(stderr, "crash_replay: the whole log replayed differs from %s near byte %" PRIu64 "\n",
					final, off);
				return 2;
			}
		}
		close(fd);
		free(buf);
	}
	printf("crash_replay: %" PRIu64 " entries, %zu cut points, %d checks, %d failed%s"
	       " (%.0f s writing views, %.0f s in checks)\n",
	       idx, nr_cuts, checks, checks_failed, final ? ", final state matches the device" : "",
	       time_views, time_checks);
	return checks_failed ? 1 : 0;
usage:
	fprintf(stderr, "usage: crash_replay replay LOG --disk-size BYTES --layout loop|stripe|mirror|raid10 "
		"[--chunk BYTES] --region OFF:LEN... --cuts FILE --image PATH [--jobs N] [--final FILE] -- CMD [ARG...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "list"))
		return cmd_list(argv[2]);
	if (argc > 2 && !strcmp(argv[1], "replay"))
		return cmd_replay(argc - 2, argv + 2);
	fprintf(stderr, "usage: crash_replay list LOG | crash_replay replay LOG OPTIONS -- CMD [ARG...]\n");
	return 2;
}
