/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The io_uring ublk server: devices, queues and the target interface.
 * User space only.
 */
#ifndef UBLK_BPF_UBLK_H
#define UBLK_BPF_UBLK_H

#ifdef __bpf__
#error "user/ublk.h is for user space only"
#endif

#include <liburing.h>
#include <linux/ublk_cmd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ublk_io_pattern.h"
#include "ublk_tgt_common.h"

#define UBLK_MAX_FILES		8
#define UBLK_MAX_DEPTH		1024
#define UBLK_MAX_QUEUES		64
#define UBLK_DEFAULT_DEPTH	128
#define UBLK_IO_BUF_BYTES	(512u << 10)
#define UBLK_NULL_DEFAULT_SIZE	(250ULL << 30)
#define UBLK_MAX_TGT_ARGS	16
#define UBLK_MAX_SETS		64
#define UBLK_MAX_COUNT		1024
#define UBLK_MAX_CTRL_ID	((1u << 20) - 1)	/* the kfunc-shim's ids */
/*
 * The largest device: the most bytes a block device's loff_t (signed
 * 64-bit) addresses, in whole 4 KiB blocks. --size and an NBD export's
 * size are checked against it.
 */
#define UBLK_MAX_DEV_SIZE	(0x7fffffffffffffffULL & ~4095ULL)

/* One option of a target's own, as given: --NAME [VALUE]. */
struct ublk_tgt_arg {
	const char *name;
	const char *value;		/* NULL for a flag */
};

struct ublk_tgt_ops;
struct ublk_bpf_obj;

/* What the user asked for on the command line. */
struct ublk_dev_opts {
	const char *target;		/* the target's name (load: the ops') */
	const struct ublk_tgt_ops *tgt;	/* resolved by add/load */
	int dev_id;			/* -1: the kernel picks one */
	unsigned int count;		/* --count: devices made together, ids from dev_id on */
	int ctrl_id;			/* --ctrl: the shim's controller they join; -1 none */
	unsigned int nr_queues;
	unsigned int queue_depth;
	const char *files[UBLK_MAX_FILES];
	unsigned int nr_files;
	unsigned long long size;	/* bytes; 0: the target decides */
	bool buffered;			/* backing files: page cache, not O_DIRECT */
	const char *scheduler;		/* the disk's IO scheduler ("none") */
	struct ublk_tgt_arg tgt_args[UBLK_MAX_TGT_ARGS];	/* the target checks them */
	unsigned int nr_tgt_args;
	/*
	 * @tgt_args parsed by the target (tgt->data_size bytes), by the verb
	 * through the target table; each device's tgt_data starts as a copy.
	 */
	void *tgt_opts;
	const char *sets[UBLK_MAX_SETS];	/* load: --set NAME=VALUE */
	unsigned int nr_sets;
	bool help_params;		/* load: list the object's parameters */
	const char *bpf_obj;		/* load: the BPF target object */
	/*
	 * load: @bpf_obj as `load` opened it (--set applied) to learn its
	 * target; the first device's daemon takes it rather than parse the
	 * file again. NULL once taken, or on other verbs.
	 */
	struct ublk_bpf_obj *bpf_opened;
	/*
	 * 0, or UBLK_F_USER_RECOVERY, with UBLK_F_USER_RECOVERY_REISSUE.
	 * load sets UBLK_F_USER_RECOVERY itself on the BPF path unless
	 * @no_recovery (cmd_load.c says why).
	 */
	unsigned long long recovery;
	bool no_recovery;		/* load: --no-recovery, kublk's -r 0 */
	bool recovering;		/* recover: take back dev_id, do not add */
	bool foreground;		/* serve: the daemon is this process */
	bool show;			/* --show: print the device node only */
	/* load: why a BPF target ended up on the io_uring path, for the log. */
	const char *fallback;
	bool need_get_data;		/* UBLK_F_NEED_GET_DATA (kublk's -g) */
	/* The verb and its arguments as given: the state file keeps them. */
	int argc;
	char **argv;
	enum { UBLK_BPF_AUTO, UBLK_BPF_NO, UBLK_BPF_REQUIRE } bpf_mode;
};

struct ublk_queue;
struct ublk_dev;
struct bpf_object;
struct ublk_pattern_counts;

/* An option a target takes besides the common ones (--chunk for stripe). */
struct ublk_tgt_option {
	const char *name;
	bool has_arg;
};

/*
 * One entry of the target table. The io_uring half of a target: it prepares
 * the device (files, size, parameters) and serves each IO on a queue's ring.
 */
struct ublk_tgt_ops {
	const char *name;
	/*
	 * No io_uring implementation: the BPF program serves every IO, and an
	 * IO it redirects fails with -EIO (`list` and `stats` say so).
	 */
	bool bpf_only;
	/*
	 * Devices of one daemon on one kfunc-shim controller share each
	 * hardware queue's thread and ring (ublk_queues_shared()), so the
	 * target may serve them over one connection per queue.
	 */
	bool shares_queues;
	/* Its files and own options, for `ublk-bpf help`. */
	const char *usage;
	/* Its own options, ended by a { NULL } entry; NULL: none. */
	const struct ublk_tgt_option *options;
	/* Bytes of its private data per device (dev->tgt_data), zeroed. */
	size_t data_size;
	/*
	 * One of its options into @data, before anything is opened; says why
	 * and returns a negative errno when the value is bad.
	 */
	int (*parse_option)(void *data, const char *name, const char *value);
	/*
	 * Optional, before the daemon forks: may set opts->count from what
	 * the target finds (add: nvme-tcp --all, its namespaces). load calls
	 * it too, and applies the --set assignments it adds to the object
	 * (nvme: its nsid).
	 */
	int (*prepare)(struct ublk_dev_opts *opts);
	/* Open what the target needs and fill dev->params; negative errno. */
	int (*init)(struct ublk_dev *dev, const struct ublk_dev_opts *opts);
	void (*deinit)(struct ublk_dev *dev);
	/* What the BPF program's config gets from the target, beyond the core's. */
	void (*bpf_config)(const struct ublk_dev *dev, struct ublk_tgt_config *cfg);
	/* Optional: fill the loaded BPF object's maps before the device starts. */
	int (*bpf_setup)(struct ublk_dev *dev, struct bpf_object *obj);
	/*
	 * Start serving the IO @tag. Either completes it at once with
	 * ublk_complete_io() or queues SQEs marked by ublk_queue_tgt_io()
	 * and completes it from io_done().
	 */
	void (*queue_io)(struct ublk_queue *q, unsigned int tag,
			 const struct ublksrv_io_desc *iod);
	/*
	 * One backing SQE of @tag completed: 0 when it did its part, or a
	 * negative errno. The IO completes when its last SQE has: with the
	 * first error, or else with its full length.
	 */
	int (*io_done)(struct ublk_queue *q, unsigned int tag,
		       const struct io_uring_cqe *cqe);
	/*
	 * An SQE queued with ublk_queue_own_io() completed: the target's own
	 * work that serves many tags at once (a socket's send or recv).
	 */
	void (*own_done)(struct ublk_queue *q, const struct io_uring_cqe *cqe);
};

/*
 * The daemon serves queue q of all its devices on one thread and ring: a
 * target that asks for it, devices made together (--count, nvme-tcp's
 * --all) on one kfunc-shim controller (--ctrl), whose one tag set makes
 * a tag unique per hardware queue across them.
 */
static inline bool ublk_queues_shared(const struct ublk_dev_opts *opts)
{
	return opts->tgt && opts->tgt->shares_queues && opts->ctrl_id >= 0 &&
	       opts->count > 1 && !opts->recovering;
}

/* Backing SQEs of one IO still in flight, and the first error among them. */
struct ublk_io {
	unsigned int pending;
	int err;
	unsigned int pattern;	/* UBLK_IO_PATTERN_*: see ublk_io_hint() */
};

struct ublk_queue_group;	/* queue.c: the thread and ring serving a queue */

struct ublk_queue {
	struct ublk_dev *dev;
	unsigned int q_id;
	unsigned int depth;
	/*
	 * The thread and ring that serve it: its own, or one that serves
	 * hardware queue q_id of several devices (ublk_queue_start_shared()).
	 */
	struct ublk_queue_group *grp;
	unsigned int member;			/* its index in grp */
	const struct ublksrv_io_desc *iods;	/* mmap of the driver's array */
	size_t iods_len;
	char *bufs;				/* depth * UBLK_IO_BUF_BYTES */
	struct ublk_io *ios;			/* depth entries */
	struct ublk_io_pattern pattern;		/* this queue's IOs, by its thread only */
	unsigned int cmds_inflight;		/* ublk commands the driver holds */
	unsigned int tgt_inflight;		/* backing SQEs (and holds) not yet done */
	int exit_fd;				/* the owner's eventfd: queue ended */
	int err;
	int exited;				/* served to the end (atomic) */
};

struct ublk_dev {
	struct ublksrv_ctrl_dev_info info;
	struct ublk_params params;
	const struct ublk_tgt_ops *tgt;
	int cdev_fd;
	int fds[UBLK_MAX_FILES];		/* backing files */
	unsigned int nr_fds;
	bool zero_in_place;			/* fallocate ZERO_RANGE works */
	unsigned int lbs;			/* logical block size */
	void *tgt_data;				/* tgt->data_size bytes, the target's */
	/*
	 * Bit i: the tool set FS_IMMUTABLE_FL on files[i] (the target at
	 * init, or a daemon before this one: recover reads it back from the
	 * state file). The target's deinit, or del after a daemon that died,
	 * clears those flags and no others.
	 */
	unsigned int made_immutable;
	/*
	 * The NVMe controller the BPF program drives (nvme target): sent as
	 * ublk_param_bpf.pci_addr with UBLK_BPF_PARAM_F_PCI when @has_pci.
	 */
	bool has_pci;
	__u32 pci_addr;
	struct ublk_pattern_counts *pattern_counts;	/* one per queue (io_pattern_stats.h) */
	struct ublk_queue *queues;
	unsigned int nr_started;		/* queues with a running thread */
};

static inline const struct ublksrv_io_desc *
ublk_get_iod(const struct ublk_queue *q, unsigned int tag)
{
	return &q->iods[tag];
}

/*
 * The IO pattern hint @tag's IO was served with: its queue's recent reads
 * and writes, this one counted (include/ublk_io_pattern.h, the definition
 * the kfunc-shim uses too). UBLK_IO_PATTERN_SEQUENTIAL or _RANDOM.
 */
static inline unsigned int ublk_io_hint(const struct ublk_queue *q, unsigned int tag)
{
	return q->ios[tag].pattern;
}

static inline void *ublk_io_buf(const struct ublk_queue *q, unsigned int tag)
{
	return q->bufs + (size_t)tag * UBLK_IO_BUF_BYTES;
}

/*
 * user_data of an SQE: bit 63 tells a target's backing IO from a ublk
 * command; then the tag (bits 0-15), the IO's op (16-23) and the index of
 * the piece of the IO the SQE serves (24-39). Bits 40-55 of every SQE of
 * a queue's ring: the member (ublk_queue.member) it is for.
 */
#define UBLK_UD_TGT	(1ULL << 63)
/* With UBLK_UD_TGT: an SQE of no one tag; the low 32 bits are the target's. */
#define UBLK_UD_OWN	(1ULL << 62)
#define UBLK_UD_MEMBER_SHIFT	40
#define UBLK_UD_TAG(ud)	((unsigned int)((ud) & 0xffff))

static inline uint64_t ublk_tgt_user_data(unsigned int tag, unsigned int op,
					  unsigned int piece)
{
	return UBLK_UD_TGT | ((uint64_t)(piece & 0xffff) << 24) |
	       ((uint64_t)(op & 0xff) << 16) | tag;
}

static inline unsigned int ublk_ud_op(uint64_t ud)
{
	return (unsigned int)((ud >> 16) & 0xff);
}

static inline unsigned int ublk_ud_piece(uint64_t ud)
{
	return (unsigned int)((ud >> 24) & 0xffff);
}

static inline unsigned int ublk_iod_bytes(const struct ublksrv_io_desc *iod)
{
	return iod->nr_sectors << 9;
}

/* queue.c */
struct io_uring_sqe *ublk_queue_get_sqe(struct ublk_queue *q);
/* Registered files of a queue's ring: the char device, then backing files. */
#define UBLK_FIXED_CDEV		0
#define UBLK_FIXED_BACKING(i)	(1 + (i))
/* Marks a prepared SQE as piece @piece of @tag's IO; io_done() gets its CQE. */
void ublk_queue_tgt_io(struct ublk_queue *q, struct io_uring_sqe *sqe,
		       unsigned int tag, unsigned int op, unsigned int piece);
void ublk_complete_io(struct ublk_queue *q, unsigned int tag, int res);
/*
 * Marks a prepared SQE as the target's own (@cookie: its to read back in
 * own_done()). The queue thread lives while such SQEs are in flight; on a
 * shared ring (below) they belong to the ring, not to @q, and own_done()
 * gets whichever member is still served.
 */
void ublk_queue_own_io(struct ublk_queue *q, struct io_uring_sqe *sqe, uint32_t cookie);
/*
 * @tag's IO is held by the target outside the ring (an NVMe command on a
 * connection shared by several devices): @q is not done while it is.
 * Each hold ends with one release, after the IO's ublk_complete_io().
 */
void ublk_queue_hold(struct ublk_queue *q);
void ublk_queue_release(struct ublk_queue *q);
/*
 * Starts queue @q_id's thread, bound to @cpu (-1: wherever it is put); it
 * bumps the eventfd @exit_fd (-1: none) as it ends.
 */
int ublk_queue_start(struct ublk_dev *dev, unsigned int q_id, int cpu, int exit_fd);
/*
 * Hardware queue @q_id of the @nr devices @devs on ONE thread and ring
 * (devices of one kfunc-shim controller: their tags are unique per hardware
 * queue across them). Only for targets without backing files: the ring
 * has no fixed files. Each queue ends on its own: exit_fd is bumped, and
 * it may be joined, as its device is done.
 */
int ublk_queue_start_shared(struct ublk_dev **devs, unsigned int nr, unsigned int q_id,
			    int cpu, int exit_fd);
void ublk_queue_join(struct ublk_queue *q);

/*
 * dev_size.c: started device @dev's size becomes @bytes (a multiple of its
 * logical block) through UPDATE_SIZE, from any thread. -EOPNOTSUPP: the
 * driver has no UBLK_F_UPDATE_SIZE (a stock 6.12); -ENODEV: not started yet.
 */
int ublk_dev_update_size(const struct ublk_dev *dev, unsigned long long bytes);

/* backing.c: open and size the backing files of file-based targets */
/* Opens @opts->files; *min_size: the smallest, in whole logical blocks. */
int ublk_open_backing(struct ublk_dev *dev, const struct ublk_dev_opts *opts,
		      unsigned int min_files, unsigned int max_files,
		      unsigned long long *min_size);
/* Parameters of a device of @size bytes over the open backing files. */
void ublk_backing_params(struct ublk_dev *dev, unsigned long long size);
/* Queues one read/write/fallocate of @len bytes at @file_off on file @file. */
void ublk_backing_rw(struct ublk_queue *q, unsigned int tag,
		     const struct ublksrv_io_desc *iod, unsigned int piece,
		     unsigned int file, unsigned long long file_off,
		     unsigned int buf_off, unsigned int len);
/* Queues an fdatasync of every backing file. */
void ublk_backing_flush(struct ublk_queue *q, unsigned int tag);
/* A backing read or write that moved fewer bytes than asked: -EIO. */
int ublk_backing_check(const struct io_uring_cqe *cqe, unsigned int want);
void ublk_close_backing(struct ublk_dev *dev);
bool ublk_backing_op_supported(unsigned int op);
/*
 * The start every file-backed twin's queue_io() shares: an op the backing
 * files cannot do fails with -EOPNOTSUPP, a FLUSH flushes every file. True
 * when it took the IO (the target does nothing more with it).
 */
bool ublk_backing_common_op(struct ublk_queue *q, unsigned int tag, unsigned int op);
/* init() of a target without files: size from --size (default 250G). */
int ublk_no_backing_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts);

#endif
