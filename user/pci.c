// SPDX-License-Identifier: GPL-2.0
/*
 * PCI addresses and the sysfs steps that give a controller to
 * ublk_bpf_pci. Only a device without a driver is ever bound: unbinding
 * another driver's device is the administrator's decision, so we name the
 * command instead of running it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pci.h"
#include "ublk_bpf_nvme.h"

/* Class code of an NVM Express controller: mass storage, NVM, NVMe. */
#define UBLK_PCI_CLASS_NVME 0x010802

/* One hex field of exactly @digits digits (the kernel's own spelling) up to @max. */
static const char *ublk_pci_field(const char *s, int digits, unsigned int max,
				  unsigned int *out)
{
	unsigned int v = 0;
	int i;

	for (i = 0; i < digits; i++) {
		char c = s[i];
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return NULL;
		v = v << 4 | d;
	}
	if (v > max)
		return NULL;
	*out = v;
	return s + digits;
}

int ublk_pci_parse(const char *s, struct ublk_pci_bdf *b)
{
	struct ublk_pci_bdf r = { 0 };
	const char *p = s;

	if (!s)
		return -EINVAL;
	/* "BB:DD.F" has its first ':' at 2, "DDDD:BB:DD.F" at 4 */
	if (strlen(s) == 12) {
		p = ublk_pci_field(p, 4, 0xffff, &r.domain);
		if (!p || *p++ != ':')
			return -EINVAL;
	} else if (strlen(s) != 7) {
		return -EINVAL;
	}
	p = ublk_pci_field(p, 2, 0xff, &r.bus);
	if (!p || *p++ != ':')
		return -EINVAL;
	p = ublk_pci_field(p, 2, 0x1f, &r.dev);
	if (!p || *p++ != '.')
		return -EINVAL;
	p = ublk_pci_field(p, 1, 7, &r.fn);
	if (!p || *p)
		return -EINVAL;
	*b = r;
	return 0;
}

void ublk_pci_format(const struct ublk_pci_bdf *b, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", b->domain, b->bus, b->dev, b->fn);
}

__u32 ublk_pci_addr(const struct ublk_pci_bdf *b)
{
	return UBLK_BPF_PCI_ADDR(b->domain, b->bus, b->dev, b->fn);
}

static void ublk_pci_path(const char *sysfs, const struct ublk_pci_bdf *b, const char *file,
			  char *path, size_t len)
{
	char name[16];

	ublk_pci_format(b, name, sizeof(name));
	snprintf(path, len, "%s/bus/pci/devices/%s/%s", sysfs, name, file);
}

/* The first line of a small sysfs file, without its newline; -errno. */
static int ublk_pci_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int ublk_pci_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	close(fd);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int ublk_pci_driver(const char *sysfs, const struct ublk_pci_bdf *b, char *drv, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX], class[32];
	const char *slash;
	ssize_t n;

	ublk_pci_path(sysfs, b, "class", path, sizeof(path));
	if (ublk_pci_read(path, class, sizeof(class)))
		return -ENODEV;
	if (strtoul(class, NULL, 16) != UBLK_PCI_CLASS_NVME)
		return -ENOTTY;
	drv[0] = '\0';
	ublk_pci_path(sysfs, b, "driver", path, sizeof(path));
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	link[n] = '\0';
	slash = strrchr(link, '/');
	snprintf(drv, len, "%s", slash ? slash + 1 : link);
	return 0;
}

int ublk_pci_claim(const char *sysfs, const struct ublk_pci_bdf *b)
{
	char name[16], drv[64], path[PATH_MAX];
	int ret;

	ublk_pci_format(b, name, sizeof(name));
	ret = ublk_pci_driver(sysfs, b, drv, sizeof(drv));
	if (ret == -ENODEV) {
		ublk_err("--pci %s: no such PCI device", name);
		return ret;
	}
	if (ret == -ENOTTY) {
		ublk_err("--pci %s: not an NVMe controller (class is not 0x010802)", name);
		return ret;
	}
	if (ret) {
		ublk_err("--pci %s: its driver: %s", name, strerror(-ret));
		return ret;
	}
	if (!strcmp(drv, UBLK_BPF_PCI_DRIVER))
		return 0;
	if (drv[0]) {
		ublk_err("--pci %s: driven by %s; to hand it over: echo %s > /sys/bus/pci/drivers/%s/unbind",
			 name, drv, name, drv);
		return -EBUSY;
	}
	ublk_pci_path(sysfs, b, "driver_override", path, sizeof(path));
	ret = ublk_pci_write(path, UBLK_BPF_PCI_DRIVER);
	if (!ret) {
		snprintf(path, sizeof(path), "%s/bus/pci/drivers_probe", sysfs);
		ret = ublk_pci_write(path, name);
	}
	if (!ret)
		ret = ublk_pci_driver(sysfs, b, drv, sizeof(drv));
	if (!ret && strcmp(drv, UBLK_BPF_PCI_DRIVER))
		ret = -ENXIO;
	if (ret) {
		/* leave it as it was: no override left behind */
		ublk_pci_path(sysfs, b, "driver_override", path, sizeof(path));
		ublk_pci_write(path, "\n");
		ublk_err("--pci %s: binding it to %s failed: %s (is the kfunc-shim loaded?)",
			 name, UBLK_BPF_PCI_DRIVER, strerror(-ret));
	}
	return ret;
}
