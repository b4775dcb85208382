/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ublk-bpf: types shared by the shim's own files (never by ublk_drv.c).
 */
#ifndef UBLK_BPF_PRIV_H
#define UBLK_BPF_PRIV_H

#include <linux/atomic.h>
#include <linux/bpf.h>
#include <linux/blk-mq.h>
#include <linux/bvec.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/workqueue.h>
#include "ublk_bpf.h"
#include "ublk_bpf_ops.h"
#include "ublk_io_pattern.h"

/* Bits of ublk_bpf_io.flags. */
enum {
	/* the state describes a request the BPF path holds */
	UBLK_BPF_IO_ACTIVE,
	/* the ownership reference is held (by a stage or by the program) */
	UBLK_BPF_IO_OWNED,
	/* ublk_bpf_complete_io() was called */
	UBLK_BPF_IO_COMPLETED,
	/* at least one aio was submitted */
	UBLK_BPF_IO_AIO_USED,
	/* requeue the request instead of ending it */
	UBLK_BPF_IO_REQUEUE,
	/* routed to queue_io_cmd_daemon(), waiting for the task work */
	UBLK_BPF_IO_TO_DAEMON,
	/* the block layer timeout fired: no new aio may hold the IO */
	UBLK_BPF_IO_TIMED_OUT,
};

#define UBLK_BPF_AIO_INLINE_BVECS	4

/* How the aios of a registered file are started. */
enum ublk_bpf_file_how {
	/* by the fallback worker only (the file cannot promise not to block) */
	UBLK_BPF_FILE_WORKER,
	/* from the submitting stage with IOCB_NOWAIT (FMODE_NOWAIT files) */
	UBLK_BPF_FILE_NOWAIT,
	/* from the submitting stage, blocking: tmpfs, memory only */
	UBLK_BPF_FILE_MEMORY,
};

/**
 * struct ublk_bpf_file - a registered backing file
 * @file: the file, referenced until the device is freed
 * @how: UBLK_BPF_FILE_*, decided once at registration
 * @writes: tmpfs writes waiting for the file's writer
 * @writer: set while a stage is the file's writer (ublk_bpf_aio_write_memory())
 */
struct ublk_bpf_file {
	struct file *file;
	u8 how;
	struct llist_head writes;
	atomic_t writer;
};

/* Bits of ublk_bpf_aio.flags. */
enum {
	UBLK_BPF_AIO_ATTACHED,		/* a slice was attached */
	UBLK_BPF_AIO_WRITE_STARTED,	/* freeze protection taken for a write */
	UBLK_BPF_AIO_NOWAIT,		/* the last attempt used IOCB_NOWAIT */
	UBLK_BPF_AIO_WORKER,		/* the fallback worker ran it */
	UBLK_BPF_AIO_SPREAD,		/* the spare-CPU rule sent it there */
	UBLK_BPF_AIO_COMBINED,		/* another stage, the file's writer, ran it */
};

/**
 * struct ublk_bpf_aio - one file operation submitted by a program
 * @op: UBLK_BPF_AIO_OP_* and UBLK_BPF_AIO_F_* given to submit
 * @file_idx: index of the registered backing file
 * @pos: offset in the file
 * @off: start of the attached slice of the request
 * @len: length of the attached slice
 * @res: result: bytes transferred or -errno; valid in aio_complete()
 * @status: the NVMe status field of a failed ublk_bpf_nvme_io_submit() aio
 * @io: the IO this aio belongs to (holds a reference on it)
 * @file: the backing file
 * @node: entry in the submitting stage's list or the fallback list
 * @done: bytes a NOWAIT attempt moved before it would have blocked
 * @flags: UBLK_BPF_AIO_* bits; non-atomic bit operations: one context
 *	owns an aio at a time (the llists and ->ki_complete() hand it over)
 * @slot: index in the IO's embedded aios, or -1 for a slab aio
 * @how: UBLK_BPF_FILE_* of @file
 * @iocb: the kiocb of READ and WRITE
 * @bvec: the slice as a bio_vec array, when the request has several bios
 * @inline_bvec: storage for small slices
 *
 * Programs may read @op through @res in aio_complete(); the rest is
 * private to the module.
 */
struct ublk_bpf_aio {
	u32 op;
	u32 file_idx;
	u64 pos;
	u32 off;
	u32 len;
	int res;
	u32 status;
	struct ublk_bpf_io *io;
	struct file *file;
	struct llist_node node;
	u32 done;
	s8 slot;
	u8 how;
	unsigned long flags;
	struct kiocb iocb;
	struct bio_vec *bvec;
	struct bio_vec inline_bvec[UBLK_BPF_AIO_INLINE_BVECS];
};

/* aios embedded in each IO: no allocation for a loop or a mirror write */
#define UBLK_BPF_IO_AIOS		2

/**
 * struct ublk_bpf_range - a byte range [@start, @end) of a request
 * @start: first byte
 * @end: one past the last byte
 */
struct ublk_bpf_range {
	u32 start;
	u32 end;
};

/**
 * struct ublk_bpf_io - the BPF side of one ublk request
 * @dev: the device
 * @rq: the block layer request
 * @iod: the request's descriptor, as the ublk server would see it
 * @gen: binding generation of the program that was offered the IO
 * @flags: UBLK_BPF_IO_* bits
 * @refs: references: the ownership reference, one per program call in
 *	progress and one per aio; the request completes when the last is put
 * @stage_task: the task running a stage for the IO, NULL between stages;
 *	aios the program submits from that task go to @pending
 * @pending: aios submitted during the current stage, started by the stage
 *	once the program call returned (the program runs under RCU)
 * @aio_busy: bits of @aios in use
 * @res: first error recorded for the IO, 0 if none
 * @bytes: size of the request in bytes
 * @done: bytes handled so far through UBLK_BPF_IO_CONTINUE
 * @q_id: hardware queue index
 * @tag: tag of the request in its queue
 * @op: REQ_OP_* of the request
 * @pattern: UBLK_IO_PATTERN_* hint of the IO's queue when the IO arrived
 * @nr_ranges: entries used in @ranges
 * @lock: protects @ranges and @nr_ranges
 * @ranges: slices of a READ request that aios read into
 * @aios: embedded aios, used before the slab
 *
 * Programs get a pointer to this as an opaque handle; the kfuncs are the
 * only interface, the fields are not ABI.
 *
 * Most fields need no lock: they are written by ublk_bpf_io_start() before
 * the release store of @flags makes the IO live, or only by the stage that
 * runs, or are atomic; each says which.
 */
struct ublk_bpf_io {
	struct ublk_bpf_dev *dev;		/* set at allocation */
	struct request *rq;			/* set at start */
	const struct ublksrv_io_desc *iod;	/* set at start */
	u64 gen;				/* set at start */
	unsigned long flags;			/* atomic bitops */
	refcount_t refs;
	int res;				/* cmpxchg(): first error */
	u32 bytes;				/* set at start */
	u32 done;				/* the running stage */
	u16 q_id;				/* set at allocation */
	u16 tag;				/* set at allocation */
	u8 op;					/* set at start */
	u8 pattern;				/* set at start */
	/*
	 * A leaf, taken with interrupts off: aio_complete() may submit a READ
	 * from hardirq context (->ki_complete()). Inside ublk_bpf_srcu and
	 * the program's RCU.
	 */
	spinlock_t lock;
	u8 nr_ranges;				/* @lock */
	struct ublk_bpf_range ranges[UBLK_BPF_MAX_READ_RANGES]; /* @lock */
	struct task_struct *stage_task;		/* READ/WRITE_ONCE */
	struct llist_head pending;		/* llist: lockless */
	unsigned long aio_busy;			/* bit N owns aios[N] */
	struct ublk_bpf_aio aios[UBLK_BPF_IO_AIOS];
};

/**
 * struct ublk_bpf_queue - per hardware queue state of a BPF device
 * @dev: the device
 * @fallback: aios waiting for the fallback worker
 * @work: the fallback worker; drains @fallback on each run
 * @pattern_lock: serializes the updates of @pattern: blk-mq may run
 *	->queue_rq() of one hardware queue on several CPUs at once (direct
 *	issue by each submitter, the run work), BLK_MQ_F_BLOCKING or not
 * @pattern: the queue's sequential/random classifier state
 */
struct ublk_bpf_queue {
	struct ublk_bpf_dev *dev;		/* set at allocation */
	struct llist_head fallback;		/* llist: lockless */
	struct work_struct work;
	/*
	 * A leaf, process context only (->queue_rq() of a BLK_MQ_F_BLOCKING
	 * queue), under the blk-mq queue's SRCU and outside ublk_bpf_srcu.
	 */
	spinlock_t pattern_lock;
	struct ublk_io_pattern pattern;		/* @pattern_lock; hint: READ_ONCE */
	/*
	 * The spare-CPU rule (ublk_bpf_aio_spread()): hints, read and written
	 * without a lock by every stage of the queue; a lost update costs one
	 * IO's placement, nothing else.
	 */
	atomic_t spread_inflight;		/* its aios not yet done */
	unsigned int spread_since_probe;	/* copies inline since a probe */
	unsigned int spread_probe_every;	/* probe interval; 0: the first */
	bool spread_probed;			/* the last copy was a probe */
	unsigned int spread_idle;		/* arrivals that found none */
	unsigned int spread_idle_limit;		/* that many end it; 0: the first */
	bool spread_ended_idle;			/* the last spread ended so */
	bool spreading;
	bool worker_lingers;			/* ublk_bpf_queue_linger() */
	/* whether the spread pays (ublk_bpf_spread_pays()) */
	u64 pay_start;				/* the epoch's start, ns */
	unsigned int pay_arrivals;		/* in the epoch so far */
	unsigned int pay_epoch;			/* of the spread; 0: a check */
	u64 pay_inline_rate;			/* the last check's arrivals/ns */
	u64 pay_barred_until;			/* no spread before, ns */
	unsigned int pay_bar;			/* the next bar, in epochs */
};

/**
 * struct ublk_bpf_binding - a device bound to a struct_ops instance
 * @ops: the instance
 * @gen: number of this binding, unique for the module's lifetime; an IO
 *	records it so that callbacks only reach the program it was given to
 */
struct ublk_bpf_binding {
	const struct ublk_bpf_ops *ops;
	u64 gen;
};

/**
 * struct ublk_bpf_dev - the BPF side of one ublk device
 * @node: entry in the list of BPF devices, under ublk_bpf_mutex
 * @binding: the program the IO path calls, read under ublk_bpf_srcu,
 *	changed under ublk_bpf_mutex
 * @unbinding: a binding being taken down, under ublk_bpf_mutex
 * @dev_id: ublk device id
 * @ops_id: id of the struct_ops instance the device wants
 * @nr_queues: number of hardware queues
 * @depth: depth of each queue
 * @params_set: UBLK_U_CMD_BPF_SET_PARAMS was done
 * @started: START_DEV succeeded; parameters and files are frozen
 * @stopped: the device was stopped; it is never bound again
 * @recovery: the device has UBLK_F_USER_RECOVERY: it outlives its daemon
 * @no_server: the daemon is gone and the queue was left live; set and
 *	cleared under the device's mutex, read on the IO path
 * @nr_files: entries in @files
 * @files: registered backing files, referenced until the device is freed
 * @pci: the NVMe controller its program drives (UBLK_BPF_PARAM_F_PCI),
 *	referenced until the device is freed
 * @queues: @nr_queues per-queue states
 * @stats: per-CPU counters
 * @ios: @nr_queues * @depth request states
 *
 * The device's mutex is the driver's ublk_device.mutex, held by every
 * control command and START_DEV; @started is set under it and
 * ublk_bpf_mutex both, so either lock reads it, and what is frozen once
 * @started is read without a lock afterwards.
 */
struct ublk_bpf_dev {
	struct list_head node;			/* ublk_bpf_mutex */
	struct ublk_bpf_binding __rcu *binding;	/* ublk_bpf_mutex; ublk_bpf_srcu */
	struct ublk_bpf_binding *unbinding;	/* ublk_bpf_mutex */
	u32 dev_id;				/* set at allocation */
	u32 ops_id;				/* device mutex; frozen once started */
	u16 nr_queues;				/* set at allocation */
	u16 depth;				/* set at allocation */
	bool params_set;			/* device mutex */
	bool started;				/* both mutexes; READ_ONCE */
	bool stopped;				/* ublk_bpf_mutex */
	bool recovery;				/* set at allocation */
	bool no_server;				/* device mutex; READ_ONCE */
	u32 nr_files;				/* device mutex; frozen once started */
	struct ublk_bpf_file *files;		/* device mutex; frozen once started */
	struct ublk_bpf_pci *pci;		/* device mutex; frozen once started */
	struct ublk_bpf_queue *queues;		/* set at allocation */
	struct ublk_bpf_dev_stats __percpu *stats; /* this_cpu ops */
	struct ublk_bpf_io *ios;		/* set at allocation */
};

/*
 * The two locks of the BPF side (ublk_bpf_dev.c), in the lock order of
 * kfunc-shim/README.md: ublk_device.mutex -> ublk_bpf_mutex ->
 * synchronize_srcu(&ublk_bpf_srcu) on the control path; blk-mq queue SRCU
 * -> ublk_bpf_srcu read -> program (RCU) -> ublk_bpf_io.lock on the IO path.
 */
extern struct mutex ublk_bpf_mutex;
extern struct srcu_struct ublk_bpf_srcu;

static inline struct ublk_bpf_io *ublk_bpf_io_of(struct ublk_bpf_dev *bd,
						 u16 q_id, u16 tag)
{
	return &bd->ios[(u32)q_id * bd->depth + tag];
}

/* True while @io may be used by kfuncs: its request is held by BPF. */
static inline bool ublk_bpf_io_live(const struct ublk_bpf_io *io)
{
	return test_bit(UBLK_BPF_IO_ACTIVE, &io->flags);
}

static inline void ublk_bpf_io_get(struct ublk_bpf_io *io)
{
	refcount_inc(&io->refs);
}

void ublk_bpf_io_put(struct ublk_bpf_io *io);
bool ublk_bpf_io_finish(struct ublk_bpf_io *io, int res);
void ublk_bpf_io_set_error(struct ublk_bpf_io *io, int err);
int ublk_bpf_io_add_read_range(struct ublk_bpf_io *io, u32 off, u32 len);
u32 ublk_bpf_rq_zero(struct request *rq, u32 off, u32 len);
void ublk_bpf_dev_abandon_ios(struct ublk_bpf_dev *bd, u64 gen);

void ublk_bpf_stage_issue(struct ublk_bpf_io *io);
void ublk_bpf_queue_init(struct ublk_bpf_queue *q, struct ublk_bpf_dev *bd);
u8 ublk_bpf_file_how(struct file *file);
int ublk_bpf_file_permission(struct file *file);

int ublk_bpf_aio_init(void);
void ublk_bpf_aio_exit(void);

int ublk_bpf_kfunc_init(void);

/* ublk_bpf_pci.c: the PCI driver whose controllers BPF programs drive */
int ublk_bpf_pci_init(void);
void ublk_bpf_pci_exit(void);
bool ublk_bpf_prog_is_ours(const struct bpf_prog *prog);
struct ublk_bpf_pci;
struct ublk_bpf_pci *ublk_bpf_pci_find(u32 addr);
void ublk_bpf_pci_put(struct ublk_bpf_pci *p);

/* ublk_bpf_aio.c, for the NVMe IO path: an aio's end, and one never started */
void ublk_bpf_aio_end(struct ublk_bpf_aio *aio, long res);
void ublk_bpf_aio_discard(struct ublk_bpf_aio *aio);

/* ublk_bpf_ops.c: the registry of instances; ublk_bpf_dev.c: bindings */
const struct ublk_bpf_ops *ublk_bpf_ops_find(u32 id);
int ublk_bpf_dev_bind_again(struct ublk_bpf_dev *bd);
void ublk_bpf_devs_rebind(const struct ublk_bpf_ops *old,
			  const struct ublk_bpf_ops *ops);
bool ublk_bpf_dev_ops_name(struct ublk_bpf_dev *bd,
			   char name[UBLK_BPF_OPS_NAME_LEN]);
struct ublk_bpf_dev *ublk_bpf_dev_get(struct ublk_bpf_dev **pbd,
				      const struct ublksrv_ctrl_dev_info *info);
void ublk_bpf_put_files(struct ublk_bpf_file *files, u32 nr);

#endif /* UBLK_BPF_PRIV_H */
