// SPDX-License-Identifier: GPL-2.0
/*
 * user/pci.c: PCI addresses, and the binding rules on a sysfs tree of the
 * kernel's shape built in a temporary folder: a device nobody drives gets
 * driver_override + drivers_probe, one another driver holds is refused
 * with nothing written, a non-NVMe function is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pci.h"
#include "ublk_bpf_nvme.h"
#include "unit.h"

UNIT_TEST(parse_good)
{
	struct ublk_pci_bdf b;
	char buf[16];

	ASSERT_EQ(ublk_pci_parse("0000:00:05.0", &b), 0);
	ASSERT_EQ(b.domain, 0);
	ASSERT_EQ(b.bus, 0);
	ASSERT_EQ(b.dev, 5);
	ASSERT_EQ(b.fn, 0);
	ASSERT_EQ(ublk_pci_addr(&b), 5 << 3);
	ASSERT_EQ(ublk_pci_parse("ABcd:fF:1f.7", &b), 0);
	ASSERT_EQ(ublk_pci_addr(&b), (__u32)UBLK_BPF_PCI_ADDR(0xabcdu, 0xff, 0x1f, 7));
	ublk_pci_format(&b, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "abcd:ff:1f.7");
	/* the domain may be left out */
	ASSERT_EQ(ublk_pci_parse("01:02.3", &b), 0);
	ASSERT_EQ(ublk_pci_addr(&b), UBLK_BPF_PCI_ADDR(0, 1, 2, 3));
}

UNIT_TEST(parse_bad)
{
	static const char *const bad[] = {
		"", "0000:00:05", "0000:00:20.0", "0000:00:05.8", "0000:00:05.0 ",
		" 0000:00:05.0", "0000-00:05.0", "00000:00:05.0", "0000:000:05.0",
		"0000:00:5.0", "g000:00:05.0", "0000:00:05.00", "0:0:5.0", "00:05.0x",
		"+000:00:05.0", "0000:00:05:0",
	};
	struct ublk_pci_bdf b = { 9, 9, 9, 9 };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ublk_pci_parse(bad[i], &b) != -EINVAL)
			UNIT_FAIL("'%s' parsed", bad[i]);
	ASSERT_EQ(ublk_pci_parse(NULL, &b), -EINVAL);
	/* a refused address leaves the result alone */
	ASSERT_EQ(b.domain, 9);
}

/* A fake /sys: bus/pci/devices/0000:00:05.0 with @class and maybe a driver. */
static char root[64];

static void put(const char *rel, const char *val)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (f) {
		fputs(val, f);
		fclose(f);
	}
}

static void get(const char *rel, char *buf, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = '\0';
		fclose(f);
	}
}

static void fake_sysfs(const char *class, const char *driver)
{
	char cmd[512];

	snprintf(root, sizeof(root), "/tmp/unit_pci.XXXXXX");
	if (!mkdtemp(root))
		return;
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/bus/pci/devices/0000:00:05.0 %s/bus/pci/drivers/%s",
		 root, root, driver ? driver : "none");
	if (system(cmd))
		return;
	put("bus/pci/devices/0000:00:05.0/class", class);
	put("bus/pci/devices/0000:00:05.0/driver_override", "(null)\n");
	put("bus/pci/drivers_probe", "");
	if (driver) {
		snprintf(cmd, sizeof(cmd), "ln -s ../../drivers/%s %s/bus/pci/devices/0000:00:05.0/driver",
			 driver, root);
		if (system(cmd))
			return;
	}
}

static void fake_sysfs_rm(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		return;
}

UNIT_TEST(claim_rules)
{
	struct ublk_pci_bdf b = { 0, 0, 5, 0 }, other = { 0, 0, 6, 0 };
	char drv[64], buf[64];

	/* held by nvme: refused, nothing written */
	fake_sysfs("0x010802\n", "nvme");
	ASSERT_EQ(ublk_pci_driver(root, &b, drv, sizeof(drv)), 0);
	ASSERT_STR_EQ(drv, "nvme");
	ASSERT_EQ(ublk_pci_claim(root, &b), -EBUSY);
	get("bus/pci/devices/0000:00:05.0/driver_override", buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "(null)\n");
	get("bus/pci/drivers_probe", buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "");
	/* no such device */
	ASSERT_EQ(ublk_pci_claim(root, &other), -ENODEV);
	fake_sysfs_rm();

	/* ours already: nothing to do */
	fake_sysfs("0x010802\n", UBLK_BPF_PCI_DRIVER);
	ASSERT_EQ(ublk_pci_claim(root, &b), 0);
	get("bus/pci/drivers_probe", buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "");
	fake_sysfs_rm();

	/* not NVMe (a SATA AHCI controller): refused, nothing written */
	fake_sysfs("0x010601\n", NULL);
	ASSERT_EQ(ublk_pci_claim(root, &b), -ENOTTY);
	get("bus/pci/devices/0000:00:05.0/driver_override", buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "(null)\n");
	fake_sysfs_rm();

	/*
	 * no driver: the override and the probe are written; a plain file
	 * binds nothing, so the claim fails and takes the override back
	 */
	fake_sysfs("0x010802\n", NULL);
	ASSERT_EQ(ublk_pci_driver(root, &b, drv, sizeof(drv)), 0);
	ASSERT_STR_EQ(drv, "");
	ASSERT_EQ(ublk_pci_claim(root, &b), -ENXIO);
	get("bus/pci/drivers_probe", buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "0000:00:05.0");
	get("bus/pci/devices/0000:00:05.0/driver_override", buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "\n");
	fake_sysfs_rm();
}

UNIT_MAIN("pci",
	  UNIT_CASE(parse_good), UNIT_CASE(parse_bad), UNIT_CASE(claim_rules))
