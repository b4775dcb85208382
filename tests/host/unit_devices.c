// SPDX-License-Identifier: GPL-2.0
/* The machine's devices: ublks_max, the driver's cap that ADD_DEV can hit. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "devices.h"
#include "unit.h"

/* A module parameter file holding @text; its path in @path. */
static void param_file(char *path, size_t len, const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, len, "/tmp/unit_devices.XXXXXX");
	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

UNIT_TEST(ublks_max_reached_names_the_cap)
{
	char path[64];

	param_file(path, sizeof(path), "64\n");
	ASSERT_EQ(ublk_ublks_max_reached(path, 64), 64);
	ASSERT_EQ(ublk_ublks_max_reached(path, 100), 64);
	unlink(path);
}

UNIT_TEST(ublks_max_not_reached_is_0)
{
	char path[64];

	param_file(path, sizeof(path), "64\n");
	ASSERT_EQ(ublk_ublks_max_reached(path, 63), 0);
	ASSERT_EQ(ublk_ublks_max_reached(path, 0), 0);
	unlink(path);
}

UNIT_TEST(ublks_max_unreadable_is_0)
{
	char path[64];

	ASSERT_EQ(ublk_ublks_max_reached("/nonexistent/ublks_max", 1000), 0);
	param_file(path, sizeof(path), "many\n");
	ASSERT_EQ(ublk_ublks_max_reached(path, 1000), 0);
	unlink(path);
	/* 0 means no cap, never "reached" */
	param_file(path, sizeof(path), "0\n");
	ASSERT_EQ(ublk_ublks_max_reached(path, 5), 0);
	unlink(path);
}

UNIT_MAIN("devices",
	  UNIT_CASE(ublks_max_reached_names_the_cap), UNIT_CASE(ublks_max_not_reached_is_0),
	  UNIT_CASE(ublks_max_unreadable_is_0))
