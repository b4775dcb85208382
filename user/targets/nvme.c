// SPDX-License-Identifier: GPL-2.0
/*
 * The user-space side of bpf/nvme.bpf.o, an NVMe driver written as a BPF
 * program (docs/bpf-nvme.md): `ublk-bpf load nvme.bpf.o --pci BDF
 * [--nsid N]`. Before the daemon forks (prepare) the controller is given
 * to ublk_bpf_pci if no driver has it (refused when one has) and the
 * object's nvme_setup program sets it up; init then sizes the device from
 * what it found. The program serves every IO; there is no io_uring twin.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nvme_setup.h"
#include "params.h"
#include "pci.h"
#include "ublk.h"

/* The most one discard or write-zeroes command covers (the block layer splits). */
#define NVME_MAX_ZEROES_BYTES	(1u << 30)
/* Write Zeroes counts blocks in 16 bits, 0's based. */
#define NVME_WZ_MAX_BLOCKS	65536u

struct nvme_data {
	struct ublk_pci_bdf bdf;
	bool have_pci;
	__u32 nsid;
	struct ublk_bpf_nvme_setup setup;	/* what prepare found */
	char nsid_set[32];			/* "nsid=N" for the object */
};

static const struct ublk_tgt_option nvme_options[] = {
	{ "pci", true },
	{ "nsid", true },
	{ NULL, false },
};

static int nvme_parse_option(void *data, const char *name, const char *value)
{
	struct nvme_data *d = data;
	unsigned long v;
	char *end;

	if (!strcmp(name, "pci")) {
		if (ublk_pci_parse(value, &d->bdf)) {
			ublk_err("--pci '%s': not a PCI address (DDDD:BB:DD.F)", value);
			return -EINVAL;
		}
		d->have_pci = true;
		return 0;
	}
	errno = 0;
	v = strtoul(value, &end, 0);
	if (errno || end == value || *end || !v || v >= 0xffffffffUL || value[0] == '-') {
		ublk_err("--nsid '%s': a namespace id, 1 to 4294967294", value);
		return -EINVAL;
	}
	d->nsid = v;
	return 0;
}

/* Checks everything that can be checked before the controller is touched. */
static int nvme_check(struct ublk_dev_opts *opts, const struct nvme_data *d)
{
	unsigned int i;

	if (!opts->bpf_obj) {
		ublk_err("target nvme is a BPF program: ublk-bpf load nvme.bpf.o --pci DDDD:BB:DD.F");
		return -EINVAL;
	}
	if (!d || !d->have_pci) {
		ublk_err("%s: which controller? --pci DDDD:BB:DD.F", opts->bpf_obj);
		return -EINVAL;
	}
	if (opts->recovering) {
		ublk_err("nvme: recover would set the controller up again under its device; del and load instead");
		return -EINVAL;
	}
	if (opts->nr_files || opts->size) {
		ublk_err("nvme: no --file or --size: the namespace is the device");
		return -EINVAL;
	}
	if (opts->count > 1 || opts->ctrl_id >= 0) {
		ublk_err("nvme: one device per controller (no --count, no --ctrl)");
		return -EINVAL;
	}
	for (i = 0; i < opts->nr_sets; i++)
		if (!strncmp(opts->sets[i], "nsid=", 5)) {
			ublk_err("nvme: give the namespace with --nsid, not --set nsid");
			return -EINVAL;
		}
	if (opts->nr_sets >= UBLK_MAX_SETS) {
		ublk_err("nvme: too many --set");
		return -EINVAL;
	}
	if (opts->nr_queues > UBLK_BPF_NVME_MAX_QUEUES) {
		ublk_err("nvme: at most %u queues (-q): the controller's I/O queue pairs",
			 UBLK_BPF_NVME_MAX_QUEUES);
		return -EINVAL;
	}
	return 0;
}

/*
 * load, before the daemon forks: bind, set up, and pass the namespace to
 * the object as the const nsid. The queue depth is capped to what one
 * queue pair holds.
 */
static int nvme_prepare(struct ublk_dev_opts *opts)
{
	struct nvme_data *d = opts->tgt_opts;
	struct bpf_object *obj;
	char bdf[16];
	int ret = nvme_check(opts, d);

	if (ret)
		return ret;
	if (!d->nsid)
		d->nsid = 1;
	if (opts->queue_depth > UBLK_BPF_NVME_IO_DEPTH)
		opts->queue_depth = UBLK_BPF_NVME_IO_DEPTH;
	ublk_pci_format(&d->bdf, bdf, sizeof(bdf));
	obj = nvme_setup_open(opts->bpf_obj);
	if (!obj)
		return -EINVAL;
	ret = ublk_pci_claim("/sys", &d->bdf);
	if (!ret) {
		d->setup = (struct ublk_bpf_nvme_setup){
			.pci_addr = ublk_pci_addr(&d->bdf),
			.nsid = d->nsid,
			.nr_queues = opts->nr_queues,
			.depth = opts->queue_depth,
		};
		ret = nvme_setup_run(obj, opts->bpf_obj, bdf, &d->setup);
	}
	nvme_setup_close(obj);
	if (ret)
		return ret;
	if (!d->setup.size || d->setup.lba_shift < 9 || d->setup.lba_shift > 12) {
		ublk_err("nvme %s: namespace %u has %llu bytes in blocks of 2^%u: not servable",
			 bdf, d->nsid, (unsigned long long)d->setup.size, d->setup.lba_shift);
		return -EINVAL;
	}
	snprintf(d->nsid_set, sizeof(d->nsid_set), "nsid=%u", d->nsid);
	opts->sets[opts->nr_sets++] = d->nsid_set;
	return 0;
}

/* Discard and write-zeroes, when the controller has them (ONCS). */
static void nvme_zeroes_params(struct ublk_params *p, const struct ublk_bpf_nvme_setup *s)
{
	unsigned long long wz = (unsigned long long)NVME_WZ_MAX_BLOCKS << s->lba_shift;

	if (!(s->flags & (UBLK_BPF_NVME_SETUP_DSM | UBLK_BPF_NVME_SETUP_WZ)))
		return;
	if (wz > NVME_MAX_ZEROES_BYTES)
		wz = NVME_MAX_ZEROES_BYTES;
	p->types |= UBLK_PARAM_TYPE_DISCARD;
	p->discard.discard_granularity = 1u << s->lba_shift;
	p->discard.max_discard_segments = 1;	/* one DSM range per command */
	if (s->flags & UBLK_BPF_NVME_SETUP_DSM)
		p->discard.max_discard_sectors = NVME_MAX_ZEROES_BYTES >> 9;
	if (s->flags & UBLK_BPF_NVME_SETUP_WZ)
		p->discard.max_write_zeroes_sectors = wz >> 9;
}

static int nvme_init(struct ublk_dev *dev, const struct ublk_dev_opts *opts)
{
	const struct nvme_data *d = dev->tgt_data;
	const struct ublk_bpf_nvme_setup *s = &d->setup;
	unsigned int max_io = s->max_io;

	if (!s->size) {		/* add, or a path that skipped prepare */
		ublk_err("target nvme is a BPF program: ublk-bpf load nvme.bpf.o --pci DDDD:BB:DD.F");
		return -EINVAL;
	}
	if (!max_io || max_io > UBLK_BPF_NVME_MAX_IO)
		max_io = UBLK_BPF_NVME_MAX_IO;
	dev->lbs = 1u << s->lba_shift;
	ublk_params_init(&dev->params, s->size, s->lba_shift, max_io);
	/* PRPs: every page of a command but the first starts page-aligned */
	dev->params.basic.virt_boundary_mask = 4095;
	if (s->flags & UBLK_BPF_NVME_SETUP_VWC)
		ublk_params_set_cache(&dev->params);
	nvme_zeroes_params(&dev->params, s);
	dev->pci_addr = s->pci_addr;
	dev->has_pci = true;
	return 0;
}

static void nvme_deinit(struct ublk_dev *dev)
{
}

/* Only what the program redirected ends here: it never does. */
static void nvme_queue_io(struct ublk_queue *q, unsigned int tag,
			  const struct ublksrv_io_desc *iod)
{
	ublk_complete_io(q, tag, -EIO);
}

const struct ublk_tgt_ops ublk_tgt_nvme = {
	.name = "nvme",
	.bpf_only = true,
	.usage = "load nvme.bpf.o only: --pci DDDD:BB:DD.F (an NVMe controller no driver holds) [--nsid N] (default 1); -q 1-4, -d up to 63",
	.options = nvme_options,
	.data_size = sizeof(struct nvme_data),
	.parse_option = nvme_parse_option,
	.prepare = nvme_prepare,
	.init = nvme_init,
	.deinit = nvme_deinit,
	.queue_io = nvme_queue_io,
};
