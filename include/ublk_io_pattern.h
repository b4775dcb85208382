/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sequential/random IO pattern hint, defined once: the kfunc-shim
 * computes it per queue for the BPF path (ublk_bpf_get_io_pattern() hands
 * it to a program), the io_uring server per queue for its targets, and BPF
 * programs read the UBLK_IO_PATTERN_* values from here. Plain __u32/__u64
 * and static inline: it builds in the kernel, in user space and in BPF.
 *
 * A queue remembers where its last few reads and writes ended, one slot per
 * stream. An IO that starts where a remembered one ended, give or take
 * UBLK_IO_PATTERN_NEAR sectors, continues that stream and is sequential;
 * any other IO is random and takes the oldest slot. Several slots keep a
 * few interleaved sequential streams sequential, and the slack keeps a
 * stream whose IOs were dispatched slightly out of order (blk-mq, several
 * submitters) or that skips small holes sequential too. The
 * queue's hint changes only after UBLK_IO_PATTERN_FLIP IOs in a row
 * disagreed with it, so one stray IO does not make a target change course.
 *
 * O(1), no allocation and no lock: the caller serializes the updates of
 * one state (the io_uring server: the queue's own thread; the shim: a
 * per-queue lock, since blk-mq may run ->queue_rq() of one hardware queue
 * on several CPUs at once).
 */
#ifndef UBLK_IO_PATTERN_H
#define UBLK_IO_PATTERN_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* The hint: what the recent reads and writes of the IO's queue were. */
#define UBLK_IO_PATTERN_RANDOM		0
#define UBLK_IO_PATTERN_SEQUENTIAL	1

/* Streams remembered per queue. */
#define UBLK_IO_PATTERN_STREAMS		4
/*
 * How far, in sectors, an IO may start from a stream's end and still
 * continue it: 128 KiB, one readahead window. A random 4k IO on a 1 GiB
 * disk lands that close to one of the streams about once in a thousand.
 */
#define UBLK_IO_PATTERN_NEAR		256
/* IOs in a row that must disagree with the hint to change it. */
#define UBLK_IO_PATTERN_FLIP		8

/*
 * One queue's state; all zero is a valid start (hint RANDOM, every stream
 * ending at sector 0).
 */
struct ublk_io_pattern {
	__u64 stream_end[UBLK_IO_PATTERN_STREAMS];	/* sector after each stream's last IO */
	__u32 oldest;		/* slot a random IO takes next */
	__u32 hint;		/* UBLK_IO_PATTERN_* */
	__u32 disagree;		/* IOs in a row that disagreed with hint */
};

/*
 * Account a read or write of @nr_sectors at @start_sector (other ops are
 * not a pattern: leave the state alone). Returns the queue's hint with
 * this IO counted, the one to serve it with.
 */
static inline __u32 ublk_io_pattern_update(struct ublk_io_pattern *p,
					   __u64 start_sector, __u32 nr_sectors)
{
	__u64 end = start_sector + nr_sectors;
	__u32 kind = UBLK_IO_PATTERN_RANDOM;
	__u32 i, slot;

	slot = p->oldest % UBLK_IO_PATTERN_STREAMS;
	for (i = 0; i < UBLK_IO_PATTERN_STREAMS; i++) {
		__u64 s_end = p->stream_end[i];
		__u64 dist = start_sector > s_end ? start_sector - s_end :
			     s_end - start_sector;

		if (dist <= UBLK_IO_PATTERN_NEAR) {
			kind = UBLK_IO_PATTERN_SEQUENTIAL;
			slot = i;
			break;
		}
	}
	if (kind == UBLK_IO_PATTERN_RANDOM) {
		p->oldest = (slot + 1) % UBLK_IO_PATTERN_STREAMS;
		p->stream_end[slot] = end;
	} else if (end > p->stream_end[slot]) {
		/* an IO that came late does not move its stream back */
		p->stream_end[slot] = end;
	}

	if (kind == p->hint) {
		p->disagree = 0;
	} else if (++p->disagree >= UBLK_IO_PATTERN_FLIP) {
		p->hint = kind;
		p->disagree = 0;
	}
	return p->hint;
}

#endif /* UBLK_IO_PATTERN_H */
