// SPDX-License-Identifier: GPL-2.0
/*
 * `ublk-bpf stats -n ID [--json] [--watch]`: the BPF target's counters
 * (its pinned per-CPU "stats" map, summed over CPUs) and the kfunc-shim's
 * own counters of the device (UBLK_U_CMD_BPF_GET_INFO).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_obj.h"
#include "commands.h"
#include "ctrl.h"
#include "log.h"
#include "state.h"
#include "ublk_bpf_uapi.h"

/* A __u64 counter of a stats struct, by name. */
struct ublk_stat_field {
	const char *name;
	size_t off;
};

/* The target's counters by name, in struct order. */
#define UBLK_TGT_STAT(f) { #f, __builtin_offsetof(struct ublk_tgt_stats, f) }
static const struct ublk_stat_field ublk_tgt_stat_fields[] = {
	UBLK_TGT_STAT(read_ios), UBLK_TGT_STAT(read_bytes), UBLK_TGT_STAT(write_ios),
	UBLK_TGT_STAT(write_bytes), UBLK_TGT_STAT(flush_ios), UBLK_TGT_STAT(discard_ios),
	UBLK_TGT_STAT(discard_bytes), UBLK_TGT_STAT(write_zeroes_ios),
	UBLK_TGT_STAT(write_zeroes_bytes), UBLK_TGT_STAT(other_ios),
	UBLK_TGT_STAT(completed_in_kernel), UBLK_TGT_STAT(redirected),
	UBLK_TGT_STAT(io_errors), UBLK_TGT_STAT(aio_errors), UBLK_TGT_STAT(dir_refused),
};

#define UBLK_SHIM_STAT(f) { #f, __builtin_offsetof(struct ublk_bpf_dev_stats, f) }
static const struct ublk_stat_field ublk_shim_stat_fields[] = {
	UBLK_SHIM_STAT(io_bpf), UBLK_SHIM_STAT(io_redirected), UBLK_SHIM_STAT(io_retried),
	UBLK_SHIM_STAT(io_requeued), UBLK_SHIM_STAT(io_timeout), UBLK_SHIM_STAT(io_failed),
	UBLK_SHIM_STAT(aio_submitted), UBLK_SHIM_STAT(aio_failed),
	UBLK_SHIM_STAT(zero_filled_bytes), UBLK_SHIM_STAT(dir_refused),
	UBLK_SHIM_STAT(double_complete), UBLK_SHIM_STAT(bad_disposition),
	UBLK_SHIM_STAT(refused), UBLK_SHIM_STAT(aio_inline), UBLK_SHIM_STAT(aio_fallback),
	UBLK_SHIM_STAT(aio_eagain),
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* @n counters of the struct at @base: "name":value pairs, or one per line. */
static void ublk_print_fields(const struct ublk_stat_field *f, size_t n,
			      const void *base, bool json)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned long long v = *(const unsigned long long *)((const char *)base + f[i].off);

		if (json)
			printf("%s\"%s\":%llu", i ? "," : "", f[i].name, v);
		else
			printf("    %-22s %llu\n", f[i].name, v);
	}
}

static int ublk_read_tgt_stats(unsigned int dev_id, struct ublk_tgt_stats *sum)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	int ncpus = libbpf_num_possible_cpus(), fd, cpu, ret;
	struct ublk_tgt_stats *per_cpu;
	__u32 key = 0;
	size_t i;

	ublk_pin_dir(dev_id, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/stats", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	per_cpu = calloc(ncpus, sizeof(*per_cpu));
	ret = per_cpu ? bpf_map_lookup_elem(fd, &key, per_cpu) : -ENOMEM;
	close(fd);
	memset(sum, 0, sizeof(*sum));
	for (cpu = 0; ret == 0 && cpu < ncpus; cpu++) {
		__u64 *dst = (__u64 *)sum, *src = (__u64 *)&per_cpu[cpu];

		for (i = 0; i < sizeof(*sum) / sizeof(__u64); i++)
			dst[i] += src[i];
	}
	free(per_cpu);
	return ret;
}

/* A target without an io_uring twin: every IO its program redirected failed. */
static bool ublk_dev_bpf_only(unsigned int dev_id)
{
	char path[16];

	return ublk_state_get(dev_id, "path", path, sizeof(path)) == 0 &&
	       !strcmp(path, "bpf-only");
}

static void ublk_print_stats(unsigned int dev_id, const struct ublk_tgt_stats *t,
			     const struct ublk_bpf_dev_info *info, bool json)
{
	bool bpf_only = ublk_dev_bpf_only(dev_id);
	size_t i;

	if (json) {
		printf("{\"id\":%u,\"ops\":\"%.*s\",\"target\":{", dev_id,
		       UBLK_BPF_OPS_NAME_LEN, info->ops_name);
		ublk_print_fields(ublk_tgt_stat_fields, ARRAY_LEN(ublk_tgt_stat_fields), t, true);
		printf(",\"lat_us_log2\":[");
		for (i = 0; i < UBLK_LAT_BUCKETS; i++)
			printf("%s%llu", i ? "," : "", (unsigned long long)t->lat_us_log2[i]);
		printf("]},\"shim\":{");
		ublk_print_fields(ublk_shim_stat_fields, ARRAY_LEN(ublk_shim_stat_fields),
				  &info->stats, true);
		printf("},\"twin\":%s", bpf_only ? "false" : "true");
		if (bpf_only)
			printf(",\"redirected_failed\":%llu",
			       (unsigned long long)info->stats.io_redirected);
		printf("}\n");
		return;
	}
	printf("device %u, ops %.*s\n", dev_id, UBLK_BPF_OPS_NAME_LEN, info->ops_name);
	if (bpf_only)
		printf("  no io_uring twin: %llu redirected IOs failed with -EIO\n",
		       (unsigned long long)info->stats.io_redirected);
	printf("  target (BPF map)\n");
	ublk_print_fields(ublk_tgt_stat_fields, ARRAY_LEN(ublk_tgt_stat_fields), t, false);
	printf("    latency (us)\n");
	for (i = 0; i < UBLK_LAT_BUCKETS; i++)
		if (t->lat_us_log2[i])
			printf("      %8llu .. %-8llu %llu\n", i ? 1ULL << i : 0ULL,
			       (1ULL << (i + 1)) - 1, (unsigned long long)t->lat_us_log2[i]);
	printf("  kfunc-shim\n");
	ublk_print_fields(ublk_shim_stat_fields, ARRAY_LEN(ublk_shim_stat_fields),
			  &info->stats, false);
}

int ublk_cmd_stats(const struct ublk_sel_opts *opts)
{
	struct ublk_bpf_dev_info info;
	struct ublk_tgt_stats t;
	struct ublk_ctrl ctrl;
	int ret;

	if (ublk_ctrl_open(&ctrl))
		return 1;
	do {
		memset(&info, 0, sizeof(info));
		ret = ublk_ctrl_cmd_buf(&ctrl, UBLK_U_CMD_BPF_GET_INFO, opts->dev_id, &info,
					sizeof(info));
		if (ret < 0 || !(info.flags & UBLK_BPF_INFO_F_PARAMS)) {
			struct ublksrv_ctrl_dev_info di;

			if (ublk_ctrl_get_info(&ctrl, opts->dev_id, &di) < 0)
				ublk_err("device %d does not exist", opts->dev_id);
			else
				ublk_err("device %d is served on the io_uring path: it has no BPF stats",
					 opts->dev_id);
			ret = -ENOENT;
			break;
		}
		ret = ublk_read_tgt_stats(opts->dev_id, &t);
		if (ret < 0) {
			ublk_err("device %d: cannot read its pinned stats map: %s", opts->dev_id,
				 strerror(-ret));
			break;
		}
		ublk_print_stats(opts->dev_id, &t, &info, opts->json);
		fflush(stdout);
	} while (opts->watch && sleep(1) == 0);
	ublk_ctrl_close(&ctrl);
	return ret < 0;
}
