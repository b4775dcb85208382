/* SPDX-License-Identifier: GPL-2.0 */
/* BPF target objects: inspection, loading and attaching with libbpf. */
#ifndef UBLK_BPF_BPF_OBJ_H
#define UBLK_BPF_BPF_OBJ_H

#include <stdbool.h>

#include <stddef.h>

#include "ublk_bpf_uapi.h"
#include "ublk_tgt_common.h"

struct bpf_object;
struct bpf_link;
struct btf;

struct ublk_bpf_obj {
	struct bpf_object *obj;
	struct bpf_link *link;
	char target[UBLK_BPF_OPS_NAME_LEN + 1];	/* the ops' name */
	unsigned int ops_id;
};

/*
 * Opens @path and finds its ublk_bpf_ops (the target's name) without
 * loading anything. Prints one line and returns a negative errno when the
 * file is not a BPF object with exactly one ublk_bpf_ops.
 */
int ublk_bpf_obj_open(struct ublk_bpf_obj *o, const char *path);
/* Sets the ops id and the target config, loads, and registers the ops. */
int ublk_bpf_obj_load(struct ublk_bpf_obj *o, const char *path,
		      unsigned int ops_id, const struct ublk_tgt_config *cfg);
/*
 * ublk_bpf_obj_load() in its two steps, for a loader that registers the
 * ops itself: shim_test moves its link to a fresh load (replace).
 */
int ublk_bpf_obj_load_unregistered(struct ublk_bpf_obj *o, const char *path,
				   unsigned int ops_id, const struct ublk_tgt_config *cfg);
int ublk_bpf_obj_register(struct ublk_bpf_obj *o, const char *path);
/* Pins every map and the ops link under <pin root>/<dev_id>/. */
int ublk_bpf_obj_pin(struct ublk_bpf_obj *o, unsigned int dev_id);
void ublk_bpf_obj_close(struct ublk_bpf_obj *o);

/*
 * libbpf's messages, the verifier's logs included, are kept from the
 * opening of an object (or from ublk_bpf_log_start()) on; ublk_bpf_log()
 * is what was kept (the start of it, when long).
 */
void ublk_bpf_log_start(void);
const char *ublk_bpf_log(void);

/*
 * The module's BTF (split over vmlinux's), which names the kfunc-shim's
 * counters: *@stats_id is struct ublk_bpf_dev_stats. NULL without it.
 */
struct btf *ublk_shim_stats_btf(__u32 *stats_id);

/* The kfunc-shim's ABI version, 0 when the running ublk_drv is stock. */
unsigned int ublk_bpf_shim_abi(void);

/* <pin root>/<dev_id>: $UBLK_BPF_PIN_ROOT or /sys/fs/bpf/ublk. */
void ublk_pin_dir(unsigned int dev_id, char *buf, size_t len);
/* Removes the device's pins; nothing there is fine. */
void ublk_unpin_dev(unsigned int dev_id);

#endif
