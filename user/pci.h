/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A PCI function by its address ("DDDD:BB:DD.F") and its binding to the
 * kfunc-shim's ublk_bpf_pci driver through sysfs (docs/bpf-nvme.md,
 * "Binding"): a device nobody drives is bound, a device another driver
 * holds is refused, never taken. @sysfs is "/sys", or a tree of the same
 * shape (the host tests).
 */
#ifndef UBLK_BPF_PCI_H
#define UBLK_BPF_PCI_H

#include <stddef.h>
#include <linux/types.h>

struct ublk_pci_bdf {
	unsigned int domain, bus, dev, fn;
};

/*
 * "DDDD:BB:DD.F" (hex; the domain may be left out: 0000) into @b; -EINVAL
 * for anything else, out-of-range fields or trailing bytes included.
 */
int ublk_pci_parse(const char *s, struct ublk_pci_bdf *b);
/* The canonical "0000:00:05.0" of @b; @buf of 13 bytes or more. */
void ublk_pci_format(const struct ublk_pci_bdf *b, char *buf, size_t len);
/* UBLK_BPF_PCI_ADDR() of @b: the address the kfuncs and params take. */
__u32 ublk_pci_addr(const struct ublk_pci_bdf *b);

/*
 * What holds the function: 0 and its driver's name in @drv ("" for none);
 * -ENODEV when there is no such device, -ENOTTY when it is not an NVMe
 * controller (class 0x010802).
 */
int ublk_pci_driver(const char *sysfs, const struct ublk_pci_bdf *b, char *drv, size_t len);

/*
 * Makes ublk_bpf_pci drive the NVMe controller @b: nothing to do when it
 * already does, bound (driver_override, drivers_probe) when no driver
 * has it. Says why in one line and returns a negative errno when it is no
 * NVMe controller, another driver holds it (the line names the unbind
 * command), or the bind did not take (the kfunc-shim not loaded).
 */
int ublk_pci_claim(const char *sysfs, const struct ublk_pci_bdf *b);

#endif
