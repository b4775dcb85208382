// SPDX-License-Identifier: GPL-2.0
/*
 * A BPF target object says which target it is by the name of its
 * ublk_bpf_ops instance; the loader gives the instance an id of its own and
 * the target its configuration before loading, so the same object can serve
 * many devices, each with its own maps, pinned where bpftool finds them.
 */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf_obj.h"
#include "log.h"
#include "timing.h"
#include "ublk_bpf_uapi.h"

#define UBLK_SHIM_ABI_PATH "/sys/module/ublk_drv/parameters/bpf_abi_version"

/* What libbpf printed (the verifier's log included), for the reason we show. */
static char ublk_libbpf_log[64 * 1024];

static int ublk_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t used = strlen(ublk_libbpf_log), room = sizeof(ublk_libbpf_log) - used;
	va_list copy;
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	if (getenv("UBLK_BPF_VERBOSE")) {
		va_copy(copy, ap);
		vfprintf(stderr, fmt, copy);
		va_end(copy);
	}
	n = vsnprintf(ublk_libbpf_log + used, room, fmt, ap);
	if (n >= (int)room)	/* keep the start: the log's end is only summaries */
		ublk_libbpf_log[sizeof(ublk_libbpf_log) - 1] = '\0';
	return 0;
}

static bool ublk_starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

void ublk_bpf_log_start(void)
{
	libbpf_set_print(ublk_libbpf_print);
	ublk_libbpf_log[0] = '\0';
}

const char *ublk_bpf_log(void)
{
	return ublk_libbpf_log;
}

/*
 * The reason, for the one line we print: the verifier's last words when a
 * program was refused (the log's last line that is not a summary), else
 * libbpf's last line. The log stays whole (ublk_bpf_log()).
 */
static const char *ublk_libbpf_last_error(void)
{
	static char last[512], log[sizeof(ublk_libbpf_log)];
	char *line, *save = NULL, *prog = NULL, *reason = NULL, *fallback = NULL;
	bool in_log = false;

	memcpy(log, ublk_libbpf_log, sizeof(log));
	for (line = strtok_r(log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "-- BEGIN PROG LOAD LOG --")) {
			in_log = true;
			prog = line;
		} else if (strstr(line, "-- END PROG LOAD LOG --")) {
			in_log = false;
		} else if (in_log && *line && !ublk_starts_with(line, "processed ") &&
			   !ublk_starts_with(line, "verification time") &&
			   !ublk_starts_with(line, "stack depth")) {
			reason = line;
		} else if (!in_log) {
			fallback = line;
		}
	}
	if (reason && prog) {
		char *end = strstr(prog, ": -- BEGIN");

		if (end)
			*end = '\0';
		snprintf(last, sizeof(last), "%s: %s",
			 ublk_starts_with(prog, "libbpf: ") ? prog + 8 : prog, reason);
	} else {
		snprintf(last, sizeof(last), "%s", fallback ? fallback : "unknown error");
	}
	return last;
}

struct btf *ublk_shim_stats_btf(__u32 *stats_id)
{
	struct btf *vmlinux = btf__load_vmlinux_btf(), *mod;
	int id;

	if (!vmlinux)
		return NULL;
	mod = btf__load_module_btf("ublk_drv", vmlinux);
	id = mod ? btf__find_by_name_kind(mod, "ublk_bpf_dev_stats", BTF_KIND_STRUCT) : -1;
	if (id < 0 || btf__resolve_size(mod, id) > (long)sizeof(struct ublk_bpf_dev_stats)) {
		btf__free(mod);
		btf__free(vmlinux);
		return NULL;
	}
	*stats_id = id;
	/* The module's split BTF keeps using vmlinux's: freed with the process. */
	return mod;
}

unsigned int ublk_bpf_shim_abi(void)
{
	unsigned int abi = 0;
	FILE *f = fopen(UBLK_SHIM_ABI_PATH, "r");

	if (f) {
		if (fscanf(f, "%u", &abi) != 1)
			abi = 0;
		fclose(f);
	}
	return abi;
}

/* libbpf reads any ELF; say plainly when the file is none, or not BPF. */
static int ublk_check_elf(const char *path)
{
	GElf_Ehdr ehdr;
	int fd, ret = 0;
	Elf *elf;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		ublk_err("cannot open BPF object %s: %s", path, strerror(errno));
		return ret;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr)) {
		ublk_err("%s is not an ELF file (a BPF object is built with clang -target bpf)", path);
		ret = -ENOEXEC;
	} else if (ehdr.e_machine != EM_BPF) {
		ublk_err("%s is an ELF file, but not a BPF object", path);
		ret = -ENOEXEC;
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return ret;
}

/* Offset of member @name in the struct of BTF type @type_id; -1 if none. */
static int ublk_btf_member_off(const struct btf *btf, __u32 type_id, const char *name)
{
	const struct btf_type *t = btf__type_by_id(btf, type_id);
	const struct btf_member *m;
	int i;

	if (!t || !btf_is_struct(t))
		return -1;
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), name))
			return (int)(btf_member_bit_offset(t, i) / 8);
	return -1;
}

static struct bpf_map *ublk_ops_map(struct bpf_object *obj, int *count)
{
	struct bpf_map *map, *found = NULL;

	*count = 0;
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		(*count)++;
		found = map;
	}
	return found;
}

/* The ops struct of @map as the object holds it, and its BTF type. */
/*
 * The ops' initial value, and where its "id" (a u32) and "name" members
 * are; NULL unless both lie inside it (a crafted object's BTF may say
 * otherwise).
 */
static char *ublk_ops_data(struct bpf_object *obj, struct bpf_map *map, int *id_off,
			   int *name_off)
{
	const struct btf *btf = bpf_object__btf(obj);
	__u32 type_id = bpf_map__btf_value_type_id(map);
	const struct btf_type *t = btf__type_by_id(btf, type_id);
	size_t size;
	char *data = bpf_map__initial_value(map, &size);

	*id_off = ublk_btf_member_off(btf, type_id, "id");
	*name_off = ublk_btf_member_off(btf, type_id, "name");
	if (!data || !t || *id_off < 0 || *name_off < 0 ||
	    strcmp(btf__name_by_offset(btf, t->name_off), "ublk_bpf_ops") ||
	    (size_t)*id_off + sizeof(__u32) > size ||
	    (size_t)*name_off + UBLK_BPF_OPS_NAME_LEN > size)
		return NULL;
	return data;
}

int ublk_bpf_obj_open(struct ublk_bpf_obj *o, const char *path)
{
	const struct btf *btf;
	struct bpf_map *map;
	int count, off, id_off, ret;
	char *data;

	memset(o, 0, sizeof(*o));
	ublk_bpf_log_start();
	ret = ublk_check_elf(path);
	if (ret)
		return ret;
	o->obj = bpf_object__open_file(path, NULL);
	if (!o->obj) {
		ret = -errno;
		ublk_err("%s: libbpf cannot open it: %s", path, ublk_libbpf_last_error());
		return ret;
	}
	map = ublk_ops_map(o->obj, &count);
	btf = bpf_object__btf(o->obj);
	if (count != 1 || !btf) {
		ublk_err("%s: expected one ublk_bpf_ops instance, found %d", path, count);
		ret = -EINVAL;
		goto fail;
	}
	data = ublk_ops_data(o->obj, map, &id_off, &off);
	if (!data) {
		ublk_err("%s: its struct_ops map %s is not a ublk_bpf_ops", path,
			 bpf_map__name(map));
		ret = -EINVAL;
		goto fail;
	}
	snprintf(o->target, sizeof(o->target), "%.*s", UBLK_BPF_OPS_NAME_LEN, data + off);
	return 0;
fail:
	ublk_bpf_obj_close(o);
	return ret;
}

/*
 * The object's own .rodata (libbpf names it "<object>.rodata"), where the
 * tool writes `config`; not a custom ".rodata.NAME" section, nor strings.
 */
static bool ublk_is_config_map(const struct bpf_map *map)
{
	const char *name = bpf_map__name(map), *dot = strrchr(name, '.');

	return bpf_map__is_internal(map) && dot && !strcmp(dot, ".rodata");
}

/* Writes @cfg into the object's `config` global, if it has one. */
static int ublk_set_config(struct bpf_object *obj, const struct ublk_tgt_config *cfg)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *v;
	const struct btf_type *sec;
	struct bpf_map *map;
	size_t size;
	char *data;
	int id, i;

	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return 0;
	sec = btf__type_by_id(btf, id);
	bpf_object__for_each_map(map, obj)
		if (ublk_is_config_map(map))
			break;
	data = map ? bpf_map__initial_value(map, &size) : NULL;
	for (i = 0, v = btf_var_secinfos(sec); data && i < btf_vlen(sec); i++, v++) {
		const struct btf_type *var = btf__type_by_id(btf, v->type);

		if (strcmp(btf__name_by_offset(btf, var->name_off), "config"))
			continue;
		if (v->size != sizeof(*cfg) || v->offset + v->size > size)
			return -EINVAL;
		memcpy(data + v->offset, cfg, sizeof(*cfg));
	}
	return 0;
}

/*
 * UBLK_BPF_TIMING: the verifier's statistics of each program (log level 4:
 * a few lines, not the whole log, so verification is not slowed), where
 * `load`'s time goes. Each program gets a buffer of @bufs.
 */
#define UBLK_STATS_PROGS	8
#define UBLK_STATS_LEN		1024

static void ublk_verifier_stats_ask(struct bpf_object *obj,
				    char (*bufs)[UBLK_STATS_LEN])
{
	struct bpf_program *prog;
	int i = 0;

	bpf_object__for_each_program(prog, obj) {
		if (i == UBLK_STATS_PROGS)
			break;
		bufs[i][0] = '\0';
		bpf_program__set_log_buf(prog, bufs[i++], UBLK_STATS_LEN);
		bpf_program__set_log_level(prog, 4);
	}
}

static void ublk_verifier_stats_print(struct bpf_object *obj,
				      char (*bufs)[UBLK_STATS_LEN])
{
	struct bpf_program *prog;
	char *c;
	int i = 0;

	bpf_object__for_each_program(prog, obj) {
		if (i == UBLK_STATS_PROGS)
			break;
		for (c = bufs[i]; *c; c++)	/* one line a program */
			if (*c == '\n')
				*c = c[1] ? ';' : '\0';
		fprintf(stderr, "ublk-bpf: verifier %s: %s\n", bpf_program__name(prog),
			bufs[i++]);
	}
}

int ublk_bpf_obj_load_unregistered(struct ublk_bpf_obj *o, const char *path,
				   unsigned int ops_id, const struct ublk_tgt_config *cfg)
{
	static char stats[UBLK_STATS_PROGS][UBLK_STATS_LEN];
	bool want_stats = ublk_timing_on();
	struct bpf_map *map;
	int count, id_off, name_off, ret;
	char *data;

	map = ublk_ops_map(o->obj, &count);
	data = ublk_ops_data(o->obj, map, &id_off, &name_off);
	if (!data)	/* checked by ublk_bpf_obj_open() */
		return -EINVAL;
	memcpy(data + id_off, &ops_id, sizeof(ops_id));
	o->ops_id = ops_id;
	ret = ublk_set_config(o->obj, cfg);
	if (ret) {
		ublk_err("%s: its 'config' global is not a struct ublk_tgt_config", path);
		return ret;
	}
	if (want_stats)
		ublk_verifier_stats_ask(o->obj, stats);
	ublk_libbpf_log[0] = '\0';
	ret = bpf_object__load(o->obj);
	if (want_stats && !ret)
		ublk_verifier_stats_print(o->obj, stats);
	if (ret)
		ublk_err("%s: the kernel refused it: %s", path, ublk_libbpf_last_error());
	return ret;
}

int ublk_bpf_obj_register(struct ublk_bpf_obj *o, const char *path)
{
	int count, ret;

	o->link = bpf_map__attach_struct_ops(ublk_ops_map(o->obj, &count));
	if (!o->link) {
		ret = -errno;
		ublk_err("%s: cannot register its ublk_bpf_ops: %s", path, strerror(errno));
		return ret;
	}
	return 0;
}

int ublk_bpf_obj_load(struct ublk_bpf_obj *o, const char *path,
		      unsigned int ops_id, const struct ublk_tgt_config *cfg)
{
	int ret = ublk_bpf_obj_load_unregistered(o, path, ops_id, cfg);

	return ret ? ret : ublk_bpf_obj_register(o, path);
}

void ublk_pin_dir(unsigned int dev_id, char *buf, size_t len)
{
	const char *root = getenv("UBLK_BPF_PIN_ROOT");

	snprintf(buf, len, "%s/%u", root && *root ? root : "/sys/fs/bpf/ublk", dev_id);
}

/* A map's pin name: .rodata becomes "config", others keep their name. */
static const char *ublk_pin_name(struct bpf_map *map)
{
	const char *name = bpf_map__name(map);

	return ublk_is_config_map(map) ? "config" : name;
}

int ublk_bpf_obj_pin(struct ublk_bpf_obj *o, unsigned int dev_id)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], *slash;
	struct bpf_map *map;
	int ret;

	ublk_pin_dir(dev_id, dir, sizeof(dir));
	slash = strrchr(dir, '/');
	*slash = '\0';
	mkdir(dir, 0700);
	*slash = '/';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		ret = -errno;
		ublk_err("cannot create %s: %s (is bpffs mounted on /sys/fs/bpf?)", dir, strerror(errno));
		return ret;
	}
	bpf_object__for_each_map(map, o->obj) {
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS ||
		    (bpf_map__is_internal(map) && !ublk_is_config_map(map)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ublk_pin_name(map));
		ret = bpf_map__pin(map, path);
		if (ret) {
			ublk_err("cannot pin map %s at %s: %s", bpf_map__name(map), path, strerror(-ret));
			return ret;
		}
	}
	snprintf(path, sizeof(path), "%s/ops", dir);
	ret = bpf_link__pin(o->link, path);
	if (ret)
		ublk_err("cannot pin the ops link at %s: %s", path, strerror(-ret));
	return ret;
}

void ublk_unpin_dev(unsigned int dev_id)
{
	char dir[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *e;
	DIR *d;

	ublk_pin_dir(dev_id, dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void ublk_bpf_obj_close(struct ublk_bpf_obj *o)
{
	bpf_link__destroy(o->link);
	bpf_object__close(o->obj);
	o->link = NULL;
	o->obj = NULL;
}
