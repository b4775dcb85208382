/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF steps of a device's life, in its daemon: between SET_PARAMS and
 * START_DEV the object is loaded for this device and bound to it; at the
 * end its pins go and the program is unregistered.
 */
#ifndef UBLK_BPF_BPF_DEV_H
#define UBLK_BPF_BPF_DEV_H

#include "bpf_obj.h"
#include "ctrl.h"
#include "ublk.h"

struct ublk_bpf_dev {
	struct ublk_bpf_obj obj;
};

/*
 * Loads @opts->bpf_obj with this device's ops id, configuration and
 * --set parameters, registers the ops, pins the maps, and tells the driver
 * the ops id and the backing files. *@opened, when set, is the object
 * `load` already opened (--set applied): taken instead of opening the file
 * again, and *@opened cleared (it is the device's now). Says why and
 * returns a negative errno on failure; ublk_bpf_dev_detach() undoes what
 * was done.
 */
int ublk_bpf_dev_attach(struct ublk_ctrl *ctrl, struct ublk_dev *dev,
			const struct ublk_dev_opts *opts, struct ublk_bpf_obj **opened,
			struct ublk_bpf_dev *bd);
void ublk_bpf_dev_detach(struct ublk_dev *dev, struct ublk_bpf_dev *bd);

#endif
