/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by shim_targets.bpf.c and its loader, shim_test.c. */
#ifndef SHIM_TARGETS_H
#define SHIM_TARGETS_H

#define SHIM_TARGETS_OPS_ID	4242
#define LOSE_SECTOR		800
/* RESUBMIT: how long aio_complete() keeps submitting for the held READ */
#define RESUBMIT_NS		(20ULL * 1000 * 1000 * 1000)

/* cfg[] keys */
enum {
	CFG_MODE,
	CFG_CHUNK,
	CFG_NR_FILES,
	CFG_RETRY_OK,
	CFG_LOST,
	CFG_HOLD,
	CFG_T0,
	CFG_MAX = 8,
};

/* cfg[CFG_MODE] */
enum {
	MODE_NULL,
	MODE_LOOP,
	MODE_LOOP_QUEUED,
	MODE_STRIPE,
	MODE_DAEMON,
	MODE_REDIRECT_ODD,
	MODE_RETRY,
	MODE_BAD_DIR,
	MODE_DOUBLE,
	MODE_LOSE,
	MODE_BUSY,
	MODE_RESUBMIT,
};

/* cnt[] keys */
enum {
	CNT_QUEUE,
	CNT_DAEMON,
	CNT_RELEASE,
	CNT_AIO_DONE,
	CNT_AIO_ERR,
	CNT_SUBMIT_ERR,
	CNT_EPERM,
	CNT_EALREADY,
	CNT_LOST,
	CNT_ATTACH,
	CNT_DETACH,
	CNT_RESUBMIT,
	CNT_ALLOC_NULL,
	CNT_MAX = 16,
};

#endif /* SHIM_TARGETS_H */
