/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target arithmetic shared by the BPF targets (bpf/) and their io_uring
 * twins (user/), written once so both paths place every byte alike.
 * Plain __u32/__u64 and static inline only: no vmlinux or libc types.
 */
#ifndef UBLK_TGT_COMMON_H
#define UBLK_TGT_COMMON_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define UBLK_STRIPE_MIN_FILES		2
#define UBLK_STRIPE_MAX_FILES		8
#define UBLK_STRIPE_MIN_CHUNK_SHIFT	12	/* 4 KiB */
#define UBLK_STRIPE_MAX_CHUNK_SHIFT	19	/* 512 KiB */
#define UBLK_STRIPE_DEFAULT_CHUNK_SHIFT	16	/* 64 KiB */

#define UBLK_MIRROR_MIN_FILES		2
#define UBLK_MIRROR_MAX_FILES		4
/* Reads alternate between legs every 128 KiB of device offset. */
#define UBLK_MIRROR_READ_SHIFT		17

/*
 * Configuration of a BPF target, a `const volatile` global the loader sets
 * before the object is loaded (so the verifier sees constants); pinned as
 * the object's .rodata map, bpftool prints it by field.
 */
struct ublk_tgt_config {
	__u32 dev_id;
	__u32 nr_files;		/* backing files registered with the device */
	__u32 chunk_shift;	/* stripe: log2 of the chunk size */
	__u32 lbs_shift;	/* log2 of the logical block size */
};

/* Latency buckets: bucket i counts IOs of [2^i, 2^(i+1)) microseconds. */
#define UBLK_LAT_BUCKETS	24

/*
 * Counters of a BPF target, one per-CPU copy in the pinned "stats" map;
 * `ublk-bpf stats` sums them.
 */
struct ublk_tgt_stats {
	__u64 read_ios;
	__u64 read_bytes;
	__u64 write_ios;
	__u64 write_bytes;
	__u64 flush_ios;
	__u64 discard_ios;
	__u64 discard_bytes;
	__u64 write_zeroes_ios;
	__u64 write_zeroes_bytes;
	__u64 other_ios;
	__u64 completed_in_kernel;	/* IOs the program served */
	__u64 redirected;		/* IOs handed to the io_uring server */
	__u64 io_errors;		/* IOs the program failed */
	__u64 aio_errors;		/* aios that failed (a leg, for mirror) */
	__u64 dir_refused;		/* aios refused for their direction */
	/* IOs the program saw with the queue's pattern hint (kfunc) */
	__u64 hint_sequential;
	__u64 hint_random;
	__u64 lat_us_log2[UBLK_LAT_BUCKETS];
};

/*
 * Where one piece of an IO lives: a file of a stripe, or a mirror set of a
 * raid10 (a stripe whose "files" are the sets), an offset, a length.
 */
struct ublk_stripe_piece {
	union {
		__u32 file;	/* stripe */
		__u32 set;	/* raid10 */
	};
	__u32 len;
	__u64 file_off;
};

/*
 * The piece of an IO at device offset @off with @len bytes left: the piece
 * ends at the next chunk boundary or at the end of the IO. Chunk k of the
 * device is chunk k / nr_files of file k % nr_files.
 */
static inline void ublk_stripe_map(__u64 off, __u32 len, __u32 chunk_shift,
				   __u32 nr_files, struct ublk_stripe_piece *p)
{
	__u64 chunk = off >> chunk_shift;
	__u32 in_chunk = (__u32)(off & ((1ULL << chunk_shift) - 1));
	__u32 room = (1U << chunk_shift) - in_chunk;

	p->file = (__u32)(chunk % nr_files);
	p->file_off = ((chunk / nr_files) << chunk_shift) + in_chunk;
	p->len = len < room ? len : room;
}

/* Device size of a stripe over files of at least @min_file_size bytes. */
static inline __u64 ublk_stripe_dev_size(__u64 min_file_size, __u32 chunk_shift,
					 __u32 nr_files)
{
	return ((min_file_size >> chunk_shift) << chunk_shift) * nr_files;
}

/* The leg that serves a read at device offset @off. */
static inline __u32 ublk_mirror_read_leg(__u64 off, __u32 nr_files)
{
	return (__u32)((off >> UBLK_MIRROR_READ_SHIFT) % nr_files);
}

/*
 * raid10: chunks of 2^chunk_shift bytes striped over nr_sets mirror sets of
 * nr_legs legs each (the md "near" layout). Backing file set * nr_legs + leg
 * is leg @leg of set @set, so `--file a0 --file a1 --file b0 --file b1` are
 * two sets of two. Chunk k of the device lives at row k / nr_sets of every
 * leg of set k % nr_sets: a write goes to all of them, a read to one.
 */
#define UBLK_RAID10_LEGS		2	/* legs per set the targets use */
#define UBLK_RAID10_MAX_LEGS		4
#define UBLK_RAID10_MIN_FILES		(2 * UBLK_RAID10_LEGS)
#define UBLK_RAID10_MAX_FILES		8
#define UBLK_RAID10_NO_LEG		0xffffffffU

/* A raid10 piece is a stripe piece over the sets; ublk_raid10_map() fills it. */
#define ublk_raid10_piece ublk_stripe_piece

/* The piece of an IO at device offset @off with @len bytes left. */
static inline void ublk_raid10_map(__u64 off, __u32 len, __u32 chunk_shift,
				   __u32 nr_sets, struct ublk_raid10_piece *p)
{
	ublk_stripe_map(off, len, chunk_shift, nr_sets, p);
}

/* Backing file index of leg @leg of set @set. */
static inline __u32 ublk_raid10_file(__u32 set, __u32 leg, __u32 nr_legs)
{
	return set * nr_legs + leg;
}

/*
 * The leg that serves a read first: it depends only on the row of the chunk
 * in the leg (@file_off), so reads spread over the legs and the completion
 * of a failed read can tell, from the file offset alone, where it started.
 */
static inline __u32 ublk_raid10_read_leg(__u64 file_off, __u32 chunk_shift,
					 __u32 nr_legs)
{
	return (__u32)((file_off >> chunk_shift) % nr_legs);
}

/*
 * A read of @file at @file_off failed: the file of the next leg of the same
 * set to try, or UBLK_RAID10_NO_LEG once every leg of the set has failed
 * (the next would be the first one tried again).
 */
static inline __u32 ublk_raid10_next_leg(__u32 file, __u64 file_off,
					 __u32 chunk_shift, __u32 nr_legs)
{
	__u32 set = file / nr_legs;
	__u32 next = (file % nr_legs + 1) % nr_legs;

	if (next == ublk_raid10_read_leg(file_off, chunk_shift, nr_legs))
		return UBLK_RAID10_NO_LEG;
	return ublk_raid10_file(set, next, nr_legs);
}

/* Device size of a raid10 over legs of at least @min_file_size bytes. */
static inline __u64 ublk_raid10_dev_size(__u64 min_file_size, __u32 chunk_shift,
					 __u32 nr_sets)
{
	return ublk_stripe_dev_size(min_file_size, chunk_shift, nr_sets);
}

#endif
