/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ublk-bpf: the ABI of the kfunc-shim ublk_drv module.
 *
 * This header is shared by the module (kfunc-shim/), by user space (the
 * ublk-bpf tool, the tests) and by BPF programs. It only uses __u32/__u64
 * style types, so it can be included next to vmlinux.h in BPF code.
 *
 * The shim is a drop-in replacement for the stock ublk_drv.ko of the same
 * kernel. Everything the stock driver does is unchanged; the additions below
 * are the whole ABI of the replacement. They use numbers far away from the
 * ones upstream ublk allocates, so a future upstream flag or command cannot
 * be mistaken for ours (upstream uses feature bits 0..~15, control command
 * numbers 0x01..~0x20 and parameter type bits 0..~6 as of Linux 6.18).
 *
 * How user space finds out whether the shim is loaded, and which ABI:
 *   - /sys/module/ublk_drv/parameters/bpf_abi_version holds
 *     UBLK_BPF_ABI_VERSION (the file is absent with the stock driver);
 *   - UBLK_U_CMD_GET_FEATURES reports UBLK_F_BPF;
 *   - UBLK_U_CMD_ADD_DEV keeps UBLK_F_BPF in the returned dev_info.flags
 *     (the stock driver clears flags it does not know).
 *
 * Setting up a BPF device, in this order:
 *   1. register a struct_ops map of type ublk_bpf_ops whose id is N
 *      (libbpf: bpf_map__attach_struct_ops());
 *   2. UBLK_U_CMD_ADD_DEV with UBLK_F_BPF in dev_info.flags (privileged
 *      device only; UBLK_F_USER_COPY and UBLK_F_ZONED are refused with it);
 *   3. UBLK_U_CMD_SET_PARAMS as usual (basic, discard, ...);
 *   4. UBLK_U_CMD_BPF_SET_PARAMS with struct ublk_param_bpf { .ops_id = N };
 *   5. optionally UBLK_U_CMD_BPF_REG_FILES with the backing file fds;
 *   6. the server queues UBLK_U_IO_FETCH_REQ for every tag, as usual;
 *   7. UBLK_U_CMD_START_DEV binds the device to ops N (-ENOENT if no
 *      struct_ops with that id is registered) and calls its attach_dev().
 * Steps 4 and 5 are refused once the device has been started.
 */
#ifndef UBLK_BPF_UAPI_H
#define UBLK_BPF_UAPI_H

#ifndef __bpf__
#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/ublk_cmd.h>
#endif

/*
 * Version of everything in this file. Bumped on any incompatible change;
 * additions that old user space can ignore do not bump it.
 */
#define UBLK_BPF_ABI_VERSION		1

/*
 * Feature flag, in ublksrv_ctrl_dev_info.flags and in the UBLK_F_* mask
 * returned by UBLK_U_CMD_GET_FEATURES: the device's IO is offered to a BPF
 * struct_ops program (struct ublk_bpf_ops) before the ublk server sees it.
 */
#define UBLK_F_BPF			(1ULL << 63)

/*
 * Feature flag, reported by UBLK_U_CMD_GET_FEATURES only (never a device
 * flag): the module has controllers, UBLK_U_CMD_BPF_*_CTRL below.
 */
#define UBLK_F_BPF_CTRL			(1ULL << 62)

/*
 * Upstream's features of Linux 6.13-7.0 that the kfunc-shim carries to 6.12
 * (kfunc-shim/backports/), by upstream's numbers: a 6.12 uAPI header lacks
 * them. GET_FEATURES says which the running driver has.
 */
#ifndef UBLK_F_USER_RECOVERY_FAIL_IO
#define UBLK_F_USER_RECOVERY_FAIL_IO	(1ULL << 9)	/* no daemon: IO fails */
#endif
#ifndef UBLK_F_UPDATE_SIZE
#define UBLK_F_UPDATE_SIZE		(1ULL << 10)	/* UBLK_U_CMD_UPDATE_SIZE */
#endif
#ifndef UBLK_F_AUTO_BUF_REG
#define UBLK_F_AUTO_BUF_REG		(1ULL << 11)	/* named only: needs io_uring core */
#endif
#ifndef UBLK_F_QUIESCE
#define UBLK_F_QUIESCE			(1ULL << 12)	/* UBLK_U_CMD_QUIESCE_DEV */
#endif
#ifndef UBLK_F_PER_IO_DAEMON
#define UBLK_F_PER_IO_DAEMON		(1ULL << 13)	/* named only */
#endif
#ifndef UBLK_F_SAFE_STOP_DEV
#define UBLK_F_SAFE_STOP_DEV		(1ULL << 17)	/* UBLK_U_CMD_TRY_STOP_DEV */
#endif
#ifndef UBLK_F_NO_AUTO_PART_SCAN
#define UBLK_F_NO_AUTO_PART_SCAN	(1ULL << 18)	/* START_DEV reads no partition table */
#endif
#ifndef UBLK_S_DEV_FAIL_IO
#define UBLK_S_DEV_FAIL_IO		3	/* FAIL_IO device without a daemon */
#endif
/* .data[0]: the new size in 512-byte sectors; the device must be started */
#ifndef UBLK_U_CMD_UPDATE_SIZE
#define UBLK_U_CMD_UPDATE_SIZE		_IOWR('u', 0x15, struct ublksrv_ctrl_cmd)
#endif
/* .data[0]: how long the server may take to finish its IO, in ms (0: no limit) */
#ifndef UBLK_U_CMD_QUIESCE_DEV
#define UBLK_U_CMD_QUIESCE_DEV		_IOWR('u', 0x16, struct ublksrv_ctrl_cmd)
#endif
/* STOP_DEV, unless the disk is open: -EBUSY, the device left as it was */
#ifndef UBLK_U_CMD_TRY_STOP_DEV
#define UBLK_U_CMD_TRY_STOP_DEV		_IOWR('u', 0x17, struct ublksrv_ctrl_cmd)
#endif

/*
 * Control commands, sent like every ublk control command: an io_uring
 * URING_CMD (SQE128) on /dev/ublk-control whose payload is a struct
 * ublksrv_ctrl_cmd with .dev_id set and .queue_id = (__u16)-1.
 *
 * UBLK_U_CMD_BPF_SET_PARAMS: .addr points to a struct ublk_param_bpf,
 *	.len is its size. Before START_DEV only.
 * UBLK_U_CMD_BPF_GET_INFO: .addr points to a struct ublk_bpf_dev_info,
 *	.len is its size (a shorter buffer gets a truncated copy).
 * UBLK_U_CMD_BPF_REG_FILES: .addr points to an array of __s32 file
 *	descriptors, .len is its size in bytes (a multiple of 4, at most
 *	UBLK_BPF_MAX_FILES entries), .data[0] must be 0. Once per device,
 *	before START_DEV. The module takes a reference on each file, so the
 *	caller may close the fds afterwards; the references are dropped when
 *	the device is deleted. A BPF program names a file by its index in
 *	this array. Each must be a regular file or a block device, not
 *	opened with O_APPEND; its open mode decides which aio ops work on it.
 * UBLK_U_CMD_BPF_BIND: .addr, .len and .data[0] must be 0. After START_DEV,
 *	on a device whose struct_ops was unregistered: binds it to the one
 *	now registered with its ops id (-ENOENT if none, -EALREADY if the
 *	device is bound). Registering a struct_ops never binds a started
 *	device by itself: after an unregistration only this command, from
 *	the device's owner, chooses its program again.
 *
 * All return 0 or a negative errno: -EOPNOTSUPP for a device without
 * UBLK_F_BPF, -EBUSY after START_DEV (and for a second REG_FILES),
 * -EINVAL for malformed arguments, -EBADF for a bad fd. Like every control
 * command of a BPF device, they need CAP_SYS_ADMIN. So does registering a
 * struct ublk_bpf_ops (-EPERM without it); an ops id is held by one
 * registered instance at a time (-EEXIST for a second one).
 */
#define UBLK_BPF_CMD_SET_PARAMS		0xb0
#define UBLK_BPF_CMD_GET_INFO		0xb1
#define UBLK_BPF_CMD_REG_FILES		0xb2
#define UBLK_BPF_CMD_BIND		0xb3

/*
 * Controllers: one blk-mq tag set shared by several devices, so that the
 * devices together never have more than one queue depth of IO in flight
 * (kfunc-shim/README.md, "Controllers"). Any device, BPF or not. All need
 * CAP_SYS_ADMIN; .dev_id is ignored except by JOIN_CTRL.
 *
 * UBLK_U_CMD_BPF_CREATE_CTRL: .data[0] = nr_hw_queues | queue_depth << 16,
 *	.addr and .len 0. Returns the new controller's id (>= 0), the lowest
 *	free one, or with UBLK_BPF_CTRL_CREATE_ID | (u64)id << 32 or'ed into
 *	.data[0] that id (-EEXIST when taken; a module before it: -EINVAL).
 * UBLK_U_CMD_BPF_REMOVE_CTRL: .data[0] = id. -EBUSY while a device holds it
 *	(from JOIN_CTRL until the device is deleted and its char device
 *	closed), -ENOENT for an unknown id.
 * UBLK_U_CMD_BPF_JOIN_CTRL: .dev_id = a device added with the controller's
 *	nr_hw_queues and queue_depth (else -EINVAL), never started (else
 *	-EBUSY); .data[0] = id. The device's own tag set is freed and its
 *	queue takes its tags from the controller's set. Once per device.
 * UBLK_U_CMD_BPF_GET_CTRL_INFO: .data[0] = id, .addr/.len a struct
 *	ublk_bpf_ctrl_info (a shorter buffer gets a truncated copy). With
 *	UBLK_BPF_CTRL_INFO_NEXT or'ed into .data[0]: the first controller whose
 *	id is >= id (-ENOENT past the last), which walks them all; a module
 *	before it answers -EINVAL.
 */
#define UBLK_BPF_CTRL_INFO_NEXT		(1ULL << 32)
#define UBLK_BPF_CTRL_CREATE_ID		(1ULL << 63)
#define UBLK_BPF_CMD_CREATE_CTRL	0xb4
#define UBLK_BPF_CMD_REMOVE_CTRL	0xb5
#define UBLK_BPF_CMD_JOIN_CTRL		0xb6
#define UBLK_BPF_CMD_GET_CTRL_INFO	0xb7

#ifdef _IOWR
#define UBLK_U_CMD_BPF_SET_PARAMS	\
	_IOWR('u', UBLK_BPF_CMD_SET_PARAMS, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_BPF_GET_INFO		\
	_IOR('u', UBLK_BPF_CMD_GET_INFO, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_BPF_REG_FILES	\
	_IOWR('u', UBLK_BPF_CMD_REG_FILES, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_BPF_BIND		\
	_IOWR('u', UBLK_BPF_CMD_BIND, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_BPF_CREATE_CTRL	\
	_IOWR('u', UBLK_BPF_CMD_CREATE_CTRL, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_BPF_REMOVE_CTRL	\
	_IOWR('u', UBLK_BPF_CMD_REMOVE_CTRL, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_BPF_JOIN_CTRL	\
	_IOWR('u', UBLK_BPF_CMD_JOIN_CTRL, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_BPF_GET_CTRL_INFO	\
	_IOR('u', UBLK_BPF_CMD_GET_CTRL_INFO, struct ublksrv_ctrl_cmd)
#endif

/* ublk_bpf_ctrl_info.flags: blk-mq marked the set shared (2+ queues on it) */
#define UBLK_BPF_CTRL_INFO_F_SHARED	(1U << 0)

/**
 * struct ublk_bpf_ctrl_info - answer of UBLK_U_CMD_BPF_GET_CTRL_INFO
 * @id: the controller's id
 * @flags: UBLK_BPF_CTRL_INFO_F_*
 * @nr_hw_queues: of the tag set
 * @queue_depth: of the tag set, for all its devices together
 * @nr_devs: devices that joined and are not released yet
 * @nr_queues: request queues (started devices) blk-mq has on the set
 * @reserved: 0
 * @tagset_bytes: memory of the set's tags and static requests (the module's
 *	count, kfunc-shim/ublk_bpf_tagctrl.c); added without an ABI version
 *	change: an older module leaves it as the caller set it
 */
struct ublk_bpf_ctrl_info {
	__u32	id;
	__u32	flags;
	__u16	nr_hw_queues;
	__u16	queue_depth;
	__u32	nr_devs;
	__u32	nr_queues;
	__u32	reserved;
	__u64	tagset_bytes;
};

/* At most this many backing files per device. */
#define UBLK_BPF_MAX_FILES		256

/**
 * struct ublk_param_bpf - BPF parameters of a device
 * @len: sizeof(struct ublk_param_bpf) as user space knows it; the module
 *	accepts any length that covers @ops_id and requires bytes it does
 *	not know to be zero
 * @flags: UBLK_BPF_PARAM_F_* or 0
 * @ops_id: the id of the struct ublk_bpf_ops instance serving the device
 * @pci_addr: with UBLK_BPF_PARAM_F_PCI, the NVMe controller bound to the
 *	kfunc-shim's ublk_bpf_pci driver that the device's program drives
 *	(UBLK_BPF_PCI_ADDR() of include/ublk_bpf_nvme.h); else 0. The module
 *	holds it until the device is deleted (-ENODEV: not bound to it)
 * @reserved: must be 0
 */
struct ublk_param_bpf {
	__u32	len;
	__u32	flags;
	__u32	ops_id;
	__u32	pci_addr;
	__u64	reserved[2];
};

/* The device's IOs may go to the controller at ublk_param_bpf.pci_addr. */
#define UBLK_BPF_PARAM_F_PCI		(1U << 0)

/**
 * struct ublk_bpf_dev_stats - counters of one device, since ADD_DEV
 * @io_bpf: IOs the BPF program kept (did not redirect)
 * @io_redirected: IOs handed to the ublk server
 * @io_retried: IOs the server committed with -EAGAIN, re-dispatched to BPF
 * @io_requeued: IOs requeued because their program was unregistered or
 *	asked to be called again later (-ENOMEM, -EBUSY)
 * @io_timeout: IOs failed by the block layer timeout while the program
 *	still owned them
 * @io_failed: IOs completed with an error by the BPF path
 * @aio_submitted: aios accepted by ublk_bpf_aio_submit()
 * @aio_failed: aios that completed with an error or a short write
 * @zero_filled_bytes: bytes of READ requests zero-filled because no aio
 *	read them (short reads, failed reads, slices never read)
 * @dir_refused: aios refused because they would read into a WRITE
 *	request's pages or write out a READ request's pages
 * @double_complete: ublk_bpf_complete_io() calls refused because the IO
 *	had already been completed
 * @bad_disposition: invalid return values of queue_io_cmd*() (the IO is
 *	failed with -EIO)
 * @refused: other refused kfunc calls (bad range, bad file index, ...)
 * @aio_inline: aios that ran in the context that submitted them (the
 *	stage of their IO), without a worker
 * @aio_fallback: aios the fallback worker ran: on files that cannot be
 *	tried without blocking, operations that always block (sync, discard,
 *	write zeroes), retries of @aio_eagain and aios submitted from
 *	aio_complete() outside their IO's stage
 * @aio_eagain: aios whose first, non-blocking attempt would have blocked
 *	(-EAGAIN, or a short transfer) and that the worker finished
 * @io_hint_sequential: reads and writes offered with the IO pattern hint
 *	UBLK_IO_PATTERN_SEQUENTIAL (include/ublk_io_pattern.h)
 * @io_hint_random: reads and writes offered with UBLK_IO_PATTERN_RANDOM
 * @aio_timed_out: ublk_bpf_aio_alloc() calls refused because the IO had
 *	timed out (a program that submits from aio_complete() cannot keep a
 *	timed-out IO alive)
 * @aio_spread: aios that could have copied in their stage but went to the
 *	worker, on another CPU, because the submitter keeps a deep queue
 *	(the spare-CPU rule; also counted in @aio_fallback)
 * @aio_combined: tmpfs writes another IO's stage did for this one, as the
 *	file's writer, while this stage went back to its submitter (also
 *	counted in @aio_inline)
 * @aio_spread_lost: spreads the rule ended because one of their epochs
 *	moved fewer IOs than the queue did inline just before (the spare
 *	CPU was no help, as with more vCPUs than host cores)
 * @aio_in_place_bytes: bytes of tmpfs writes copied straight into the
 *	file's page cache, under each page's lock and not the inode's (the
 *	rest went through the file's ->write_iter())
 *
 * Counters after @refused were added without an ABI version change: a
 * UBLK_U_CMD_BPF_GET_INFO buffer that ends before them gets a truncated
 * copy, and an older module leaves them as the caller set them.
 */
struct ublk_bpf_dev_stats {
	__u64	io_bpf;
	__u64	io_redirected;
	__u64	io_retried;
	__u64	io_requeued;
	__u64	io_timeout;
	__u64	io_failed;
	__u64	aio_submitted;
	__u64	aio_failed;
	__u64	zero_filled_bytes;
	__u64	dir_refused;
	__u64	double_complete;
	__u64	bad_disposition;
	__u64	refused;
	__u64	aio_inline;
	__u64	aio_fallback;
	__u64	aio_eagain;
	__u64	io_hint_sequential;
	__u64	io_hint_random;
	__u64	aio_timed_out;
	__u64	aio_spread;
	__u64	aio_combined;
	__u64	aio_spread_lost;
	__u64	aio_in_place_bytes;
};

/* ublk_bpf_dev_info.flags */
#define UBLK_BPF_INFO_F_PARAMS		(1U << 0)	/* ops_id was set */
#define UBLK_BPF_INFO_F_STARTED		(1U << 1)	/* START_DEV done */
#define UBLK_BPF_INFO_F_BOUND		(1U << 2)	/* a program serves it */

#define UBLK_BPF_OPS_NAME_LEN		16

/**
 * struct ublk_bpf_dev_info - answer of UBLK_U_CMD_BPF_GET_INFO
 * @abi_version: UBLK_BPF_ABI_VERSION of the module
 * @flags: UBLK_BPF_INFO_F_*
 * @ops_id: the ops id set by UBLK_U_CMD_BPF_SET_PARAMS
 * @nr_files: number of registered backing files
 * @ops_name: name of the bound struct_ops instance, "" when unbound
 * @stats: counters
 */
struct ublk_bpf_dev_info {
	__u32	abi_version;
	__u32	flags;
	__u32	ops_id;
	__u32	nr_files;
	char	ops_name[UBLK_BPF_OPS_NAME_LEN];
	struct ublk_bpf_dev_stats stats;
};

/*
 * Return value of ublk_bpf_ops.queue_io_cmd() and .queue_io_cmd_daemon(),
 * called with the number of bytes of the request already handled:
 *
 * UBLK_BPF_IO_QUEUED: the program owns the IO and will call
 *	ublk_bpf_complete_io() exactly once (it may have done so already).
 * UBLK_BPF_IO_REDIRECT: the program does not handle this IO; it goes on to
 *	queue_io_cmd_daemon() when called from queue_io_cmd() and that member
 *	is set, else to the ublk server. Only allowed before any byte was
 *	handled and any aio was submitted for the IO.
 * UBLK_BPF_IO_CONTINUE | n (see ublk_bpf_io_continue()): the next n bytes
 *	are handled (aios submitted for them); call again for the rest. When
 *	all bytes of the request are handled the IO completes by itself as
 *	soon as its aios have completed, with the first aio error, if any.
 *	A request without data (flush) is handled by CONTINUE | 0.
 * A negative errno: fail the IO with it (after its aios have completed).
 *	Except -ENOMEM and -EBUSY before any byte was handled and any aio
 *	submitted (for example ublk_bpf_aio_alloc() returned NULL): the
 *	request is retried a few milliseconds later.
 *
 * The ublk server gives an IO it received back to the program by committing
 * it (UBLK_U_IO_COMMIT_AND_FETCH_REQ) with result -EAGAIN: the request is
 * requeued and offered to queue_io_cmd() again from the start, for example
 * once the server has updated a map the program needed. With no program
 * bound, -EAGAIN fails the IO as on the stock driver.
 */
#define UBLK_BPF_IO_DISP_SHIFT		28
#define UBLK_BPF_IO_DISP_MASK		(0x7 << UBLK_BPF_IO_DISP_SHIFT)
#define UBLK_BPF_IO_BYTES_MASK		((1 << UBLK_BPF_IO_DISP_SHIFT) - 1)
#define UBLK_BPF_IO_QUEUED		(0 << UBLK_BPF_IO_DISP_SHIFT)
#define UBLK_BPF_IO_REDIRECT		(1 << UBLK_BPF_IO_DISP_SHIFT)
#define UBLK_BPF_IO_CONTINUE		(2 << UBLK_BPF_IO_DISP_SHIFT)

#define ublk_bpf_io_continue(bytes)	\
	(UBLK_BPF_IO_CONTINUE | ((bytes) & UBLK_BPF_IO_BYTES_MASK))

/*
 * Operations of ublk_bpf_aio_submit(). READ and WRITE need a slice of the
 * request attached first (ublk_bpf_aio_attach()); a READ aio is only allowed
 * on a READ request and a WRITE aio only on a WRITE request. DISCARD
 * (fallocate PUNCH_HOLE | KEEP_SIZE) and WRITE_ZEROES (fallocate ZERO_RANGE |
 * KEEP_SIZE) take their length from the attached slice. FSYNC and FDATASYNC
 * need no slice.
 */
#define UBLK_BPF_AIO_OP_READ		0
#define UBLK_BPF_AIO_OP_WRITE		1
#define UBLK_BPF_AIO_OP_FSYNC		2
#define UBLK_BPF_AIO_OP_FDATASYNC	3
#define UBLK_BPF_AIO_OP_DISCARD		4
#define UBLK_BPF_AIO_OP_WRITE_ZEROES	5
#define UBLK_BPF_AIO_OP_MASK		0xff
/* Flag for WRITE: the data is durable when the aio completes (RWF_DSYNC). */
#define UBLK_BPF_AIO_F_FUA		(1U << 8)

/*
 * Return value of ublk_bpf_ops.aio_complete(): 0 lets a failed aio fail its
 * IO; UBLK_BPF_AIO_HANDLED means the program dealt with the failure (for
 * example it submitted the slice again to another file) and the IO does not
 * fail because of this aio.
 */
#define UBLK_BPF_AIO_HANDLED		1

/*
 * Slices of a READ request that no aio reads are zero-filled before the
 * request completes. The module tracks the read slices as at most this many
 * disjoint ranges (adjacent and overlapping slices merge); a READ submission
 * that would need more is refused with -E2BIG.
 */
#define UBLK_BPF_MAX_READ_RANGES	8

#endif /* UBLK_BPF_UAPI_H */
