// SPDX-License-Identifier: GPL-2.0
/*
 * `ublk-bpf stats -n ID [--json] [--watch[=SECONDS]]`: every map the device's BPF
 * target pinned, printed through the map's own BTF and real value size
 * (per-CPU maps summed per field), and the kfunc-shim's counters of the
 * device (UBLK_U_CMD_BPF_GET_INFO) named by the module's BTF. The map
 * pinned as "stats" (key 0) is the target's counters ("target" in JSON).
 * The io_uring path's IO pattern counters come last, on either path.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_obj.h"
#include "btf_value.h"
#include "commands.h"
#include "ctrl.h"
#include "io_pattern_stats.h"
#include "json.h"
#include "log.h"
#include "state.h"
#include "ublk_bpf_uapi.h"
#include "verb.h"

/* Entries of one map printed at most; bpftool shows the rest. */
#define UBLK_STATS_MAX_ENTRIES	64
#define UBLK_STATS_MAX_MAPS	64
#define UBLK_STATS_MAP		"stats"

/* A pinned map of the device, open, with its BTF when it has one. */
struct ublk_stats_map {
	char name[NAME_MAX + 1];
	char path[PATH_MAX];
	int fd;
	struct bpf_map_info info;
	struct btf *btf;
	bool percpu;
};

static bool ublk_map_is_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool ublk_map_is_readable(__u32 type)
{
	return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_HASH ||
	       type == BPF_MAP_TYPE_LRU_HASH || ublk_map_is_percpu(type);
}

static int ublk_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ublk_stats_map *)a)->name,
		      ((const struct ublk_stats_map *)b)->name);
}

/* Every map pinned for @dev_id, sorted by name; the count, or -errno. */
static int ublk_stats_open_maps(unsigned int dev_id, struct ublk_stats_map *maps)
{
	char dir[PATH_MAX];
	struct dirent *e;
	int n = 0;
	DIR *d;

	ublk_pin_dir(dev_id, dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < UBLK_STATS_MAX_MAPS) {
		struct ublk_stats_map *m = &maps[n];
		__u32 len = sizeof(m->info);

		if (e->d_name[0] == '.')
			continue;
		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", e->d_name);
		snprintf(m->path, sizeof(m->path), "%.*s/%s", PATH_MAX - NAME_MAX - 2, dir, e->d_name);
		m->fd = bpf_obj_get(m->path);
		if (m->fd < 0)
			continue;
		/* The ops link is pinned there too: not a map. */
		if (bpf_map_get_info_by_fd(m->fd, &m->info, &len) ||
		    m->info.type == BPF_MAP_TYPE_STRUCT_OPS) {
			close(m->fd);
			continue;
		}
		m->percpu = ublk_map_is_percpu(m->info.type);
		if (m->info.btf_id && m->info.btf_value_type_id)
			m->btf = btf__load_from_kernel_by_id(m->info.btf_id);
		n++;
	}
	closedir(d);
	qsort(maps, n, sizeof(*maps), ublk_name_cmp);
	return n;
}

static void ublk_stats_close_maps(struct ublk_stats_map *maps, int n)
{
	while (n-- > 0) {
		btf__free(maps[n].btf);
		close(maps[n].fd);
	}
}

/* The value under @key, per-CPU copies summed into the first; 0 or -errno. */
static int ublk_stats_lookup(const struct ublk_stats_map *m, const void *key, char *value)
{
	size_t stride = (m->info.value_size + 7) & ~7UL;
	int ncpus = m->percpu ? libbpf_num_possible_cpus() : 1, cpu;

	if (bpf_map_lookup_elem(m->fd, key, value))
		return -errno;
	for (cpu = 1; cpu < ncpus; cpu++)
		ublk_btf_sum(m->btf, m->info.btf_value_type_id, value, value + cpu * stride);
	return 0;
}

static size_t ublk_stats_value_bytes(const struct ublk_stats_map *m)
{
	size_t stride = (m->info.value_size + 7) & ~7UL;

	return m->percpu ? stride * libbpf_num_possible_cpus() : m->info.value_size;
}

/* A key: through its BTF, else as a number. */
static json_t *ublk_stats_key(const struct ublk_stats_map *m, const void *key)
{
	if (m->info.btf_key_type_id)
		return ublk_btf_json(m->btf, m->info.btf_key_type_id, key);
	return json_integer(*(const __u32 *)key);
}

/*
 * One map: its entries (at most UBLK_STATS_MAX_ENTRIES, in key order for
 * arrays), or one line saying why not; printed as text, or returned as
 * JSON (NULL out of memory). A one-entry array is its value's fields.
 */
static json_t *ublk_stats_map(const struct ublk_stats_map *m, bool json)
{
	char *key = calloc(1, m->info.key_size + 8), *next = calloc(1, m->info.key_size + 8);
	char *value = calloc(1, ublk_stats_value_bytes(m));
	bool single = m->info.max_entries == 1 && m->info.type != BPF_MAP_TYPE_HASH;
	unsigned int shown = 0;
	const char *why = NULL;
	json_t *v = NULL;
	int more;

	if (!json)
		printf("  map %s\n", m->name);
	if (!key || !next || !value)
		why = "out of memory";
	else if (!ublk_map_is_readable(m->info.type))
		why = "not an array or hash map";
	else if (!m->btf)
		why = "no BTF for its value";
	else if (m->info.max_entries > UBLK_STATS_MAX_ENTRIES &&
		 (m->info.type == BPF_MAP_TYPE_ARRAY || m->info.type == BPF_MAP_TYPE_PERCPU_ARRAY))
		why = "an array too long to print";
	if (why) {
		if (json)
			v = json_pack("{s:s}", "unprinted", why);
		else
			printf("    (%s: see bpftool map dump pinned %s)\n", why, m->path);
		goto out;
	}
	if (json && !single)
		v = json_array();
	more = bpf_map_get_next_key(m->fd, NULL, next);
	while (!more) {
		memcpy(key, next, m->info.key_size);
		more = bpf_map_get_next_key(m->fd, key, next);
		if (shown == UBLK_STATS_MAX_ENTRIES) {
			if (!json)
				printf("    ... more entries: bpftool map dump pinned %s\n", m->path);
			break;
		}
		if (ublk_stats_lookup(m, key, value))
			continue;
		shown++;
		if (single && json) {
			v = ublk_btf_json(m->btf, m->info.btf_value_type_id, value);
			break;
		} else if (single) {
			ublk_btf_text(m->btf, m->info.btf_value_type_id, value, NULL, "    ", stdout);
			break;
		} else if (json) {
			json_array_append_new(v, json_pack("{s:o,s:o}", "key", ublk_stats_key(m, key),
							   "value", ublk_btf_json(m->btf,
								m->info.btf_value_type_id, value)));
		} else {
			printf("    [");
			ublk_json_put(ublk_stats_key(m, key), stdout);
			printf("] ");
			ublk_json_put(ublk_btf_json(m->btf, m->info.btf_value_type_id, value), stdout);
			printf("\n");
		}
	}
	if (json && single && !shown)
		v = json_null();
out:
	free(key);
	free(next);
	free(value);
	return v;
}

/* The shim's counters of the device, named by the module's BTF. */
static json_t *ublk_stats_shim(const struct ublk_bpf_dev_info *info, bool json)
{
	static struct btf *btf;
	static __u32 id;

	if (!btf)
		btf = ublk_shim_stats_btf(&id);
	if (json)
		return btf ? ublk_btf_json(btf, id, &info->stats) :
		       json_pack("{s:s}", "unprinted", "no BTF for ublk_drv");
	printf("  kfunc-shim\n");
	if (btf)
		ublk_btf_text(btf, id, &info->stats, NULL, "    ", stdout);
	else
		printf("    (no BTF for ublk_drv: its counters cannot be named)\n");
	return NULL;
}

/* A target without an io_uring twin: every IO its program redirected failed. */
static bool ublk_dev_bpf_only(unsigned int dev_id)
{
	char path[16];

	return ublk_state_get(dev_id, "path", path, sizeof(path)) == 0 &&
	       !strcmp(path, "bpf-only");
}

static json_t *ublk_stats_json(unsigned int dev_id, const struct ublk_stats_map *maps, int n,
			       const struct ublk_bpf_dev_info *info)
{
	bool bpf_only = ublk_dev_bpf_only(dev_id);
	json_t *v = json_object(), *others = json_object(), *counters;
	int i;

	json_object_set_new(v, "id", json_integer(dev_id));
	json_object_set_new(v, "ops", ublk_json_text(info->ops_name,
						     strnlen(info->ops_name, UBLK_BPF_OPS_NAME_LEN)));
	/* The target's counters first: scripts read them as "target". */
	for (i = 0; i < n; i++) {
		if (!strcmp(maps[i].name, UBLK_STATS_MAP))
			json_object_set_new(v, "target", ublk_stats_map(&maps[i], true));
		else
			json_object_set_new(others, maps[i].name, ublk_stats_map(&maps[i], true));
	}
	json_object_set_new(v, "maps", others);
	json_object_set_new(v, "shim", ublk_stats_shim(info, true));
	json_object_set_new(v, "twin", json_boolean(!bpf_only));
	if (bpf_only)
		json_object_set_new(v, "redirected_failed", ublk_json_u64(info->stats.io_redirected));
	counters = ublk_pattern_stats_json(dev_id);
	if (counters)
		json_object_set_new(v, "io_uring", counters);
	return v;
}

static void ublk_print_stats(unsigned int dev_id, const struct ublk_stats_map *maps, int n,
			     const struct ublk_bpf_dev_info *info)
{
	int i;

	printf("device %u, ops %.*s\n", dev_id, UBLK_BPF_OPS_NAME_LEN, info->ops_name);
	if (ublk_dev_bpf_only(dev_id))
		printf("  no io_uring twin: %llu redirected IOs failed with -EIO\n",
		       (unsigned long long)info->stats.io_redirected);
	for (i = 0; i < n; i++)
		ublk_stats_map(&maps[i], false);
	ublk_stats_shim(info, false);
	ublk_pattern_stats_print(dev_id, "");
}

/*
 * A device on the io_uring path only: its daemon's counters. 0, or
 * -ENOENT when it publishes none (a daemon older than the counters).
 */
static int ublk_print_io_uring_stats(unsigned int dev_id, bool json)
{
	char lead[64];
	json_t *counters;

	if (!json) {
		snprintf(lead, sizeof(lead), "device %u, io_uring path\n", dev_id);
		return ublk_pattern_stats_print(dev_id, lead) ? 0 : -ENOENT;
	}
	counters = ublk_pattern_stats_json(dev_id);
	if (!counters)
		return -ENOENT;
	ublk_json_print(json_pack("{s:I,s:s,s:o}", "id", (json_int_t)dev_id, "path", "io_uring",
				  "io_uring", counters));
	return 0;
}

int ublk_cmd_stats(const struct ublk_sel_opts *opts)
{
	static struct ublk_stats_map maps[UBLK_STATS_MAX_MAPS];
	struct ublk_bpf_dev_info info;
	struct ublk_ctrl ctrl;
	int ret, n;

	if (ublk_ctrl_open(&ctrl))
		return 1;
	do {
		memset(&info, 0, sizeof(info));
		ret = ublk_ctrl_cmd_buf(&ctrl, UBLK_U_CMD_BPF_GET_INFO, opts->dev_id, &info,
					sizeof(info));
		if (ret < 0 || !(info.flags & UBLK_BPF_INFO_F_PARAMS)) {
			struct ublksrv_ctrl_dev_info di;

			ret = -ENOENT;
			if (ublk_ctrl_get_info(&ctrl, opts->dev_id, &di) < 0)
				ublk_err("device %d does not exist", opts->dev_id);
			else if (ublk_print_io_uring_stats(opts->dev_id, opts->json) == 0)
				ret = 0;
			else
				ublk_err("device %d is served on the io_uring path: it has no BPF stats",
					 opts->dev_id);
			fflush(stdout);
			if (ret)
				break;
			continue;
		}
		n = ublk_stats_open_maps(opts->dev_id, maps);
		if (n < 0) {
			ublk_err("device %d: cannot read its pinned maps: %s", opts->dev_id,
				 strerror(-n));
			ret = n;
			break;
		}
		if (opts->json)
			ublk_json_print(ublk_stats_json(opts->dev_id, maps, n, &info));
		else
			ublk_print_stats(opts->dev_id, maps, n, &info);
		ublk_stats_close_maps(maps, n);
		fflush(stdout);
	} while (opts->watch && sleep(opts->watch) == 0);
	ublk_ctrl_close(&ctrl);
	return ret < 0;
}

static int stats_parse(int argc, char **argv, void *opts)
{
	return ublk_parse_stats(argc, argv, opts);
}

static int stats_run(void *opts)
{
	return ublk_cmd_stats(opts);
}

static const struct option *stats_options(void)
{
	return ublk_sel_verb_longopts("stats");
}

const struct ublk_verb ublk_verb_stats = {
	.name = "stats",
	.synopsis = "stats -n ID [--json] [--watch[=SECONDS]]",
	.help = "Device ID's (-n, --number ID) pinned BPF maps printed through their\n"
		"BTF (per-CPU ones summed per field), the kfunc-shim's counters, and the\n"
		"IO pattern counters of the io_uring path.\n"
		"  --json              as one JSON object\n"
		"  --watch[=SECONDS]   again every SECONDS (default 1) until interrupted",
	.options = stats_options,
	.opts_size = sizeof(struct ublk_sel_opts),
	.parse = stats_parse,
	.run = stats_run,
};
