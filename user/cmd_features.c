// SPDX-License-Identifier: GPL-2.0
/* `ublk-bpf features`: what the running ublk driver offers, by name. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ctrl.h"
#include "bpf_obj.h"
#include "log.h"
#include "ublk_bpf_uapi.h"
#include "verb.h"

#define UBLK_FEATURE(name) { UBLK_F_##name, #name }

static const struct {
	uint64_t flag;
	const char *name;
} ublk_feature_names[] = {
	UBLK_FEATURE(SUPPORT_ZERO_COPY),
	UBLK_FEATURE(URING_CMD_COMP_IN_TASK),
	UBLK_FEATURE(NEED_GET_DATA),
	UBLK_FEATURE(USER_RECOVERY),
	UBLK_FEATURE(USER_RECOVERY_REISSUE),
	UBLK_FEATURE(UNPRIVILEGED_DEV),
	UBLK_FEATURE(CMD_IOCTL_ENCODE),
	UBLK_FEATURE(USER_COPY),
	UBLK_FEATURE(ZONED),
	UBLK_FEATURE(USER_RECOVERY_FAIL_IO),
	UBLK_FEATURE(UPDATE_SIZE),
	UBLK_FEATURE(AUTO_BUF_REG),
	UBLK_FEATURE(QUIESCE),
	UBLK_FEATURE(PER_IO_DAEMON),
	UBLK_FEATURE(NO_AUTO_PART_SCAN),
	UBLK_FEATURE(BPF),	/* the kfunc-shim's, include/ublk_bpf_uapi.h */
};

const char *ublk_feature_name(uint64_t flag)
{
	size_t i;

	for (i = 0; i < sizeof(ublk_feature_names) / sizeof(ublk_feature_names[0]); i++)
		if (ublk_feature_names[i].flag == flag)
			return ublk_feature_names[i].name;
	return NULL;
}

int ublk_cmd_features(void)
{
	struct ublk_ctrl ctrl;
	uint64_t features = 0;
	unsigned int bit;
	int ret;

	if (ublk_ctrl_open(&ctrl))
		return 1;
	if (ublk_ctrl_legacy_ops()) {
		/*
		 * A driver before Linux 6.5 (Debian 12's 6.1) cannot tell its
		 * features; the flags it keeps of a throw-away ADD_DEV can.
		 */
		ret = ublk_ctrl_probe_flags(&ctrl, UBLK_F_SUPPORT_ZERO_COPY |
					    UBLK_F_URING_CMD_COMP_IN_TASK | UBLK_F_NEED_GET_DATA |
					    UBLK_F_USER_RECOVERY | UBLK_F_USER_RECOVERY_REISSUE |
					    UBLK_F_CMD_IOCTL_ENCODE | UBLK_F_USER_COPY, &features);
		ublk_ctrl_close(&ctrl);
		if (ret < 0) {
			ublk_err("the ublk driver has no UBLK_U_CMD_GET_FEATURES, and a probe device could not be added: %s",
				 strerror(-ret));
			return 1;
		}
		printf("ublk features 0x%llx (an old driver without GET_FEATURES: the flags a probe device kept; commands sent by number)\n",
		       (unsigned long long)features);
	} else {
		ret = ublk_ctrl_get_features(&ctrl, &features);
		ublk_ctrl_close(&ctrl);
		if (ret < 0) {
			ublk_err("UBLK_U_CMD_GET_FEATURES failed: %s", strerror(-ret));
			return 1;
		}
		printf("ublk features 0x%llx\n", (unsigned long long)features);
	}
	for (bit = 0; bit < 64; bit++) {
		const char *name = ublk_feature_name(1ULL << bit);

		if (!(features & (1ULL << bit)))
			continue;
		if (name)
			printf("  bit %-2u %s\n", bit, name);
		else
			printf("  bit %-2u unknown to this build\n", bit);
	}
	if (ublk_bpf_shim_abi())
		printf("kfunc-shim loaded, ABI version %u (this tool: %u)\n", ublk_bpf_shim_abi(),
		       UBLK_BPF_ABI_VERSION);
	else
		printf("kfunc-shim not loaded: BPF targets run on the io_uring path\n");
	return 0;
}

static int features_parse(int argc, char **argv, void *opts)
{
	return ublk_parse_none(argc, argv, opts);
}

static int features_run(void *opts)
{
	return ublk_cmd_features();
}

static const struct option *features_options(void)
{
	return ublk_sel_verb_longopts("features");
}

const struct ublk_verb ublk_verb_features = {
	.name = "features",
	.synopsis = "features",
	.help = "The running ublk driver's feature bits by name, and whether it has the\n"
		"kfunc-shim's BPF support (its ABI version).",
	.options = features_options,
	.opts_size = sizeof(struct ublk_sel_opts),
	.parse = features_parse,
	.run = features_run,
};
