// SPDX-License-Identifier: GPL-2.0
/* Option parsing of every verb: what is accepted, and what is refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "ublk_bpf_uapi.h"
#include "cli_kublk.h"
#include "devconf.h"
#include "state.h"
#include "targets.h"
#include "unit.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(fn, opts, ...) fn(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), opts)

/* The refusals print one line each on stderr; keep the TAP stream clean. */
static void quiet(void)
{
	if (!freopen("/dev/null", "w", stderr))
		perror("freopen");
}

UNIT_TEST(size_suffixes)
{
	unsigned long long v = 0;

	ASSERT_EQ(ublk_parse_size("4096", &v), 0);
	ASSERT_EQ(v, 4096);
	ASSERT_EQ(ublk_parse_size("64k", &v), 0);
	ASSERT_EQ(v, 64 << 10);
	ASSERT_EQ(ublk_parse_size("64KiB", &v), 0);
	ASSERT_EQ(v, 64 << 10);
	ASSERT_EQ(ublk_parse_size("1M", &v), 0);
	ASSERT_EQ(v, 1 << 20);
	ASSERT_EQ(ublk_parse_size("250G", &v), 0);
	ASSERT_EQ(v, 250ULL << 30);
	ASSERT_EQ(ublk_parse_size("2T", &v), 0);
	ASSERT_EQ(v, 2ULL << 40);
}

UNIT_TEST(size_refused)
{
	unsigned long long v = 7;

	ASSERT_EQ(ublk_parse_size("", &v), -EINVAL);
	ASSERT_EQ(ublk_parse_size("-1", &v), -EINVAL);
	ASSERT_EQ(ublk_parse_size("12x", &v), -EINVAL);
	ASSERT_EQ(ublk_parse_size("1kk", &v), -EINVAL);
	ASSERT_EQ(ublk_parse_size("99999999999999999999", &v), -EINVAL);
	ASSERT_EQ(ublk_parse_size("16777216T", &v), -EINVAL);
	ASSERT_EQ(v, 7);
}

/* --set's numbers: 0x hex, with the suffixes; one "0x" only (found by fuzz_values). */
UNIT_TEST(hex_numbers)
{
	unsigned long long v = 7;

	ASSERT_EQ(ublk_parse_u64("0x1f", true, &v), 0);
	ASSERT_EQ(v, 31);
	ASSERT_EQ(ublk_parse_u64("0X10k", true, &v), 0);
	ASSERT_EQ(v, 16 << 10);
	ASSERT_EQ(ublk_parse_u64("0x0", true, &v), 0);
	ASSERT_EQ(v, 0);
	v = 7;
	ASSERT_EQ(ublk_parse_u64("0x", true, &v), -EINVAL);
	ASSERT_EQ(ublk_parse_u64("0x0x10", true, &v), -EINVAL);
	ASSERT_EQ(ublk_parse_u64("0X0X10", true, &v), -EINVAL);
	ASSERT_EQ(ublk_parse_u64("0x0Xk", true, &v), -EINVAL);
	ASSERT_EQ(ublk_parse_u64("0x1f", false, &v), -EINVAL);
	ASSERT_EQ(v, 7);
}

UNIT_TEST(uint_range)
{
	unsigned int v = 0;

	ASSERT_EQ(ublk_parse_uint("5", "x", 1, 10, &v), 0);
	ASSERT_EQ(v, 5);
	ASSERT_EQ(ublk_parse_uint("0", "x", 1, 10, &v), -EINVAL);
	ASSERT_EQ(ublk_parse_uint("11", "x", 1, 10, &v), -EINVAL);
	ASSERT_EQ(ublk_parse_uint("3a", "x", 1, 10, &v), -EINVAL);
	ASSERT_EQ(ublk_parse_uint("-3", "x", 0, 10, &v), -EINVAL);
	ASSERT_EQ(ublk_parse_uint("", "x", 0, 10, &v), -EINVAL);
}

UNIT_TEST(add_defaults)
{
	struct ublk_dev_opts o;

	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null"), 0);
	ASSERT_STR_EQ(o.target, "null");
	ASSERT_EQ(o.dev_id, -1);
	ASSERT_EQ(o.nr_queues, 1);
	ASSERT_EQ(o.queue_depth, UBLK_DEFAULT_DEPTH);
	ASSERT_EQ(o.nr_files, 0);
	ASSERT_EQ(o.size, 0);
	ASSERT_TRUE(!o.buffered);
	ASSERT_EQ(o.count, 1);
	ASSERT_EQ(o.ctrl_id, -1);
}

UNIT_TEST(add_ctrl)
{
	struct ublk_dev_opts o;

	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--ctrl", "0"), 0);
	ASSERT_EQ(o.ctrl_id, 0);
	ASSERT_EQ(PARSE(ublk_parse_load, &o, "load", "x.bpf.o", "--ctrl=1048575"), 0);
	ASSERT_EQ(o.ctrl_id, 1048575);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--ctrl", "1048576"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--ctrl", "-1"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--ctrl", "x"), -EINVAL);
}

UNIT_TEST(add_count)
{
	struct ublk_dev_opts o;

	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--count", "64"), 0);
	ASSERT_EQ(o.count, 64);
	ASSERT_EQ(PARSE(ublk_parse_load, &o, "load", "x.bpf.o", "--count=3", "-n", "5"), 0);
	ASSERT_EQ(o.count, 3);
	ASSERT_EQ(o.dev_id, 5);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--count", "0"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--count", "1025"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--count"), -EINVAL);
}

UNIT_TEST(add_everything)
{
	struct ublk_dev_opts o;

	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "--type", "loop", "-n", "7", "-q", "4",
			"-d", "1024", "--file", "a.img", "-f", "b.img", "--size", "1G",
			"--buffered"), 0);
	ASSERT_STR_EQ(o.target, "loop");
	ASSERT_EQ(o.dev_id, 7);
	ASSERT_EQ(o.nr_queues, 4);
	ASSERT_EQ(o.queue_depth, 1024);
	ASSERT_EQ(o.nr_files, 2);
	ASSERT_STR_EQ(o.files[0], "a.img");
	ASSERT_STR_EQ(o.files[1], "b.img");
	ASSERT_EQ(o.size, 1ULL << 30);
	ASSERT_TRUE(o.buffered);
}

UNIT_TEST(add_refused)
{
	struct ublk_dev_opts o;

	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "nosuch"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--bogus"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "loop", "-f", "a", "--", "-q"), 0);
	ASSERT_STR_EQ(o.files[1], "-q");	/* after --: a file, as kublk's */
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "-q", "0"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "-q", "65"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "-d", "0"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "-d", "1025"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "-n", "x"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--size", "1000"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--size", "0"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "loop", "-f", "1", "-f", "2",
			"-f", "3", "-f", "4", "-f", "5", "-f", "6", "-f", "7", "-f", "8",
			"-f", "9"), -EINVAL);
}

/* The chunk shift stripe hands its BPF program, after parsing @argv. */
static int stripe_chunk_shift(int argc, char **argv)
{
	struct ublk_tgt_config cfg = { 0 };
	struct ublk_dev dev = { 0 };
	struct ublk_dev_opts o;
	int ret;

	ret = ublk_parse_add(argc, argv, &o);
	if (ret)
		return ret;
	dev.tgt = o.tgt;
	dev.tgt_data = calloc(1, o.tgt->data_size);
	ret = ublk_tgt_parse_args(o.tgt, &o, dev.tgt_data);
	if (!ret) {
		o.tgt->bpf_config(&dev, &cfg);
		ret = (int)cfg.chunk_shift;
	}
	free(dev.tgt_data);
	return ret;
}

/* --chunk is stripe's own option: parsed by the target, refused by others. */
UNIT_TEST(stripe_chunk)
{
	struct ublk_dev_opts o;

	ASSERT_EQ(stripe_chunk_shift(7, ARGV("add", "-t", "stripe", "--chunk", "4k", "-f", "a")), 12);
	ASSERT_EQ(stripe_chunk_shift(6, ARGV("add", "-t", "stripe", "--chunk=512k", "-f", "a")), 19);
	ASSERT_EQ(stripe_chunk_shift(5, ARGV("add", "-t", "stripe", "-f", "a")), 0);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "stripe", "--chunk", "2k"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "stripe", "--chunk", "1M"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "stripe", "--chunk", "48k"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "stripe", "--chunk"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "loop", "--chunk", "64k"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--chunk", "64k"), -EINVAL);
	/* Only load takes the BPF options. */
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--set", "a=1"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--no-bpf"), -EINVAL);
}

/* --delay-us is fault_inject's own option. */
UNIT_TEST(fault_inject_delay)
{
	struct ublk_dev_opts o;

	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "fault_inject", "--delay-us",
			"250000"), 0);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "fault_inject", "--delay-us",
			"60000001"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "fault_inject", "--delay-us",
			"-1"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--delay-us", "5"), -EINVAL);
}

UNIT_TEST(scheduler)
{
	struct ublk_dev_opts o;

	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null"), 0);
	ASSERT_EQ(strcmp(o.scheduler, "none"), 0);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--scheduler", "mq-deadline"), 0);
	ASSERT_EQ(strcmp(o.scheduler, "mq-deadline"), 0);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--scheduler", ""), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--scheduler", "a b"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--scheduler",
			"much-too-long-name"), -EINVAL);
}

UNIT_TEST(del_and_list)
{
	struct ublk_sel_opts o;

	ASSERT_EQ(PARSE(ublk_parse_del, &o, "del", "-n", "3"), 0);
	ASSERT_EQ(o.dev_id, 3);
	ASSERT_TRUE(!o.all);
	ASSERT_EQ(PARSE(ublk_parse_del, &o, "del", "-a"), 0);
	ASSERT_TRUE(o.all);
	ASSERT_EQ(PARSE(ublk_parse_del, &o, "del"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_del, &o, "del", "-a", "-n", "1"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_del, &o, "del", "--json", "-a"), -EINVAL);
	ASSERT_TRUE(!o.safe);
	ASSERT_EQ(PARSE(ublk_parse_del, &o, "del", "--safe", "-n", "2"), 0);
	ASSERT_TRUE(o.safe);
	ASSERT_EQ(PARSE(ublk_parse_del, &o, "del", "-a", "--safe"), 0);
	ASSERT_TRUE(o.safe && o.all);
	ASSERT_EQ(PARSE(ublk_parse_list, &o, "list", "--safe"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_list, &o, "list"), 0);
	ASSERT_EQ(o.dev_id, -1);
	ASSERT_EQ(PARSE(ublk_parse_list, &o, "list", "--json", "-n", "2"), 0);
	ASSERT_TRUE(o.json);
	ASSERT_EQ(o.dev_id, 2);
	ASSERT_EQ(PARSE(ublk_parse_list, &o, "list", "-a"), 0);	/* kublk's */
	ASSERT_TRUE(o.all);
	ASSERT_EQ(PARSE(ublk_parse_list, &o, "list", "-a", "-n", "1"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_stats, &o, "stats", "-n", "1", "-a"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_none, &o, "features"), 0);
	ASSERT_EQ(PARSE(ublk_parse_none, &o, "features", "x"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_none, &o, "features", "--x"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_none, &o, "features", "-n", "1"), -EINVAL);
}

/* ctrl ACTION: each action's own options, the ones it needs, nothing else. */
UNIT_TEST(ctrl_actions)
{
	struct ublk_ctrl_opts c;

	ASSERT_EQ(PARSE(ublk_parse_ctrl, &c, "ctrl", "add", "-q", "2", "-d", "32"), 0);
	ASSERT_TRUE(c.action == UBLK_CTRL_ADD && c.nr_queues == 2 && c.depth == 32 && c.id == -1);
	ASSERT_EQ(PARSE(ublk_parse_ctrl, &c, "ctrl", "add", "--id", "7", "--queues", "4",
			"--depth", "128"), 0);
	ASSERT_TRUE(c.id == 7 && c.nr_queues == 4 && c.depth == 128);
	ASSERT_EQ(PARSE(ublk_parse_ctrl, &c, "ctrl", "add", "-d", "32"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_ctrl, &c, "ctrl", "add", "-q", "2", "-d", "32", "--json"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_ctrl, &c, "ctrl", "add", "--i", "1", "-q", "2", "-d", "32"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_ctrl, &c, "ctrl", "del", "-n", "3"), 0);
	ASSERT_TRUE(c.action == UBLK_CTRL_DEL && c.id == 3);
	ASSERT_EQ(PARSE(ublk_parse_ctrl, &c, "ctrl", "del"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_ctrl, &c, "ctrl", "del", "-n", "1", "-q", "2"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_ctrl, &c, "ctrl", "list"), 0);
	ASSERT_TRUE(c.action == UBLK_CTRL_LIST && !c.json);
	ASSERT_EQ(PARSE(ublk_parse_ctrl, &c, "ctrl", "list", "--json"), 0);
	ASSERT_TRUE(c.json);
	ASSERT_EQ(PARSE(ublk_parse_ctrl, &c, "ctrl", "list", "x"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_ctrl, &c, "ctrl"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_ctrl, &c, "ctrl", "remove", "-n", "1"), -EINVAL);
}

/* Long options are matched whole: a prefix, even an unambiguous one, is refused. */
UNIT_TEST(exact_long_options)
{
	struct ublk_dev_opts d;
	struct ublk_sel_opts o;

	quiet();
	ASSERT_EQ(PARSE(ublk_parse_load, &d, "load", "x.bpf.o", "--help-params"), 0);
	ASSERT_TRUE(d.help_params);
	ASSERT_EQ(PARSE(ublk_parse_load, &d, "load", "x.bpf.o", "--help-p"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &d, "add", "-t", "null", "--buff"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &d, "add", "--typ", "null"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &d, "add", "-t", "null", "--buffered=1"), -EINVAL);
	/* A value that looks like an option is a value. */
	ASSERT_EQ(PARSE(ublk_parse_add, &d, "add", "-t", "loop", "--file", "--odd-name"), 0);
	ASSERT_STR_EQ(d.files[0], "--odd-name");
	ASSERT_EQ(PARSE(ublk_parse_add, &d, "add", "-t", "loop", "-f", "--x", "-q2"), 0);
	ASSERT_EQ(d.nr_queues, 2);
	ASSERT_EQ(PARSE(ublk_parse_list, &o, "list", "--js"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_stats, &o, "stats", "-n", "1", "--wat"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_stats, &o, "stats", "-n", "1", "--watch=3"), 0);
	ASSERT_EQ(o.watch, 3);
	ASSERT_EQ(PARSE(ublk_parse_stats, &o, "stats", "-n", "1", "--watch"), 0);
	ASSERT_EQ(o.watch, 1);
	ASSERT_EQ(PARSE(ublk_parse_stats, &o, "stats", "-n", "1", "--watch=0"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_del, &o, "del", "--json", "-a"), -EINVAL);
}

/* load takes kublk's command line as add does: files after OBJ, -r, -i. */
UNIT_TEST(load_kublk_form)
{
	struct ublk_dev_opts d;

	quiet();
	ASSERT_EQ(PARSE(ublk_parse_load, &d, "load", "stripe.bpf.o", "-q", "2", "a.img", "b.img",
			"-r", "1", "--chunk_size", "65536"), 0);
	ASSERT_STR_EQ(d.bpf_obj, "stripe.bpf.o");
	ASSERT_EQ(d.nr_files, 2);
	ASSERT_STR_EQ(d.files[1], "b.img");
	ASSERT_TRUE(d.recovery & UBLK_F_USER_RECOVERY);
	ASSERT_EQ(d.nr_tgt_args, 1);
	ASSERT_EQ(PARSE(ublk_parse_load, &d, "load", "x.bpf.o", "-t", "null"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_load, &d, "load", "x.bpf.o", "-g"), -EINVAL);
}

/* A persistent device's file: words, quotes, comments; bad quotes refused. */
UNIT_TEST(devconf_words)
{
	static struct ublk_devconf c = { .path = "t.conf" };
	char text[] = "# a disk\nload stripe -n 3 \\\n --file \"/srv/a b.img\" # legs\n"
		      "  --file '/srv/c\"d' --set label=\"x\\\"y\" f#1\n";
	char bad[] = "add -t loop --file \"/srv/open";
	struct ublk_serve_opts so;

	quiet();
	ASSERT_EQ(ublk_devconf_split(&c, text), 0);
	ASSERT_EQ(c.argc, 11);
	ASSERT_STR_EQ(c.argv[0], "load");
	ASSERT_STR_EQ(c.argv[5], "/srv/a b.img");
	ASSERT_STR_EQ(c.argv[7], "/srv/c\"d");
	ASSERT_STR_EQ(c.argv[8], "--set");
	ASSERT_STR_EQ(c.argv[9], "label=x\"y");
	ASSERT_STR_EQ(c.argv[10], "f#1");
	ASSERT_TRUE(c.argv[11] == NULL);
	ASSERT_EQ(ublk_devconf_split(&c, bad), -EINVAL);
	ASSERT_EQ(ublk_devconf_read(&c, "/nonexistent", "../etc/passwd"), -EINVAL);
	ASSERT_EQ(ublk_devconf_read(&c, "/nonexistent", "disk"), -ENOENT);
	ASSERT_EQ(PARSE(ublk_parse_serve, &so, "serve", "data", "--config-dir", "/tmp/c"), 0);
	ASSERT_STR_EQ(so.name, "data");
	ASSERT_STR_EQ(so.conf_dir, "/tmp/c");
	ASSERT_EQ(PARSE(ublk_parse_serve, &so, "serve"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_serve, &so, "serve", "a", "b"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_serve, &so, "serve", "a", "--config"), -EINVAL);
}

/* --run-dir: every verb takes it, it wins over the environment, bad ones refused. */
UNIT_TEST(run_dir)
{
	struct ublk_sel_opts sel;
	struct ublk_dev_opts dev;
	char cwd[4096], want[4200];

	ublk_state_set_dir(NULL);
	unsetenv("UBLK_BPF_RUN_DIR");
	ASSERT_STR_EQ(ublk_state_dir(), "/run/ublk-bpf");
	setenv("UBLK_BPF_RUN_DIR", "/tmp/from-env", 1);
	ASSERT_STR_EQ(ublk_state_dir(), "/tmp/from-env");
	ASSERT_EQ(PARSE(ublk_parse_list, &sel, "list", "--run-dir", "/tmp/rd1"), 0);
	ASSERT_STR_EQ(ublk_state_dir(), "/tmp/rd1");
	ASSERT_EQ(PARSE(ublk_parse_del, &sel, "del", "-a", "--run-dir=/tmp/rd2"), 0);
	ASSERT_STR_EQ(ublk_state_dir(), "/tmp/rd2");
	ASSERT_EQ(PARSE(ublk_parse_stats, &sel, "stats", "--run-dir", "/tmp/rd3", "-n", "1"), 0);
	ASSERT_STR_EQ(ublk_state_dir(), "/tmp/rd3");
	ASSERT_EQ(PARSE(ublk_parse_add, &dev, "add", "-t", "null", "--run-dir", "/tmp/rd4"), 0);
	ASSERT_STR_EQ(ublk_state_dir(), "/tmp/rd4");
	ASSERT_EQ(PARSE(ublk_parse_load, &dev, "load", "--run-dir", "/tmp/rd5", "x.bpf.o"), 0);
	ASSERT_STR_EQ(ublk_state_dir(), "/tmp/rd5");
	ASSERT_EQ(PARSE(ublk_parse_none, &sel, "features", "--run-dir", "/tmp/rd6"), 0);
	ASSERT_STR_EQ(ublk_state_dir(), "/tmp/rd6");
	ASSERT_EQ(PARSE(ublk_parse_recover, &sel, "recover", "-n", "1", "--run-dir", "/tmp/rd7"), 0);
	ASSERT_STR_EQ(ublk_state_dir(), "/tmp/rd7");
	/* Relative: made absolute, as the daemon leaves the caller's folder. */
	ASSERT_TRUE(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(want, sizeof(want), "%s/rel", cwd);
	ASSERT_EQ(PARSE(ublk_parse_list, &sel, "list", "--run-dir", "rel"), 0);
	ASSERT_STR_EQ(ublk_state_dir(), want);
	ASSERT_EQ(PARSE(ublk_parse_list, &sel, "list", "--run-dir", ""), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_list, &sel, "list", "--run-dir"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_list, &sel, "list", "--run-dir", "/dev/null"), -EINVAL);
	ublk_state_set_dir(NULL);
	ASSERT_STR_EQ(ublk_state_dir(), "/tmp/from-env");
	unsetenv("UBLK_BPF_RUN_DIR");
}

/*
 * kublk's command line (the kernel's selftest server), cli_kublk.c: each
 * form maps onto the option of ublk-bpf that does the same.
 */
UNIT_TEST(kublk_add)
{
	struct ublk_dev_opts o;

	/* Positional backing files become --file, after the options or among them. */
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "loop", "-q", "2", "-d", "64",
			"-n", "3", "a.img"), 0);
	ASSERT_STR_EQ(o.target, "loop");
	ASSERT_EQ(o.nr_queues, 2);
	ASSERT_EQ(o.queue_depth, 64);
	ASSERT_EQ(o.dev_id, 3);
	ASSERT_EQ(o.nr_files, 1);
	ASSERT_STR_EQ(o.files[0], "a.img");
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "stripe", "a.img", "-q", "1",
			"b.img"), 0);
	ASSERT_EQ(o.nr_files, 2);
	ASSERT_STR_EQ(o.files[0], "a.img");
	ASSERT_STR_EQ(o.files[1], "b.img");
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "mirror", "--file", "a.img",
			"b.img"), 0);
	ASSERT_EQ(o.nr_files, 2);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "stripe", "1", "2", "3", "4", "5",
			"6", "7", "8", "9"), -EINVAL);
	/* -r 1 is --recovery, -i 1 --reissue (alone or with -r 1); 0 is neither. */
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "-r", "1"), 0);
	ASSERT_EQ(o.recovery, UBLK_F_USER_RECOVERY);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "-r", "1", "-i", "1"), 0);
	ASSERT_EQ(o.recovery, UBLK_F_USER_RECOVERY | UBLK_F_USER_RECOVERY_REISSUE);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "-r", "1", "-i", "0"), 0);
	ASSERT_EQ(o.recovery, UBLK_F_USER_RECOVERY);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "-r", "0", "-i", "0"), 0);
	ASSERT_EQ(o.recovery, 0);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "-r", "2"), -EINVAL);
	/* --fail-io: recovery whose IO fails without a daemon; not with --reissue. */
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--fail-io"), 0);
	ASSERT_EQ(o.recovery, UBLK_F_USER_RECOVERY | UBLK_F_USER_RECOVERY_FAIL_IO);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--fail-io", "--reissue"),
		  -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "-i", "yes"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "-r"), -EINVAL);
	/*
	 * load's recovery is on by default (cmd_load.c): --no-recovery or
	 * -r 0 turn it off, and exclude asking for it; add keeps kublk's
	 * meaning (-r 0 is nothing) and refuses --no-recovery.
	 */
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "-r", "0"), 0);
	ASSERT_TRUE(!o.no_recovery);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--no-recovery"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_load, &o, "load", "x.bpf.o"), 0);
	ASSERT_TRUE(!o.no_recovery && !o.recovery);
	ASSERT_EQ(PARSE(ublk_parse_load, &o, "load", "x.bpf.o", "--no-recovery"), 0);
	ASSERT_TRUE(o.no_recovery && !o.recovery);
	ASSERT_EQ(PARSE(ublk_parse_load, &o, "load", "x.bpf.o", "-r", "0"), 0);
	ASSERT_TRUE(o.no_recovery);
	ASSERT_EQ(PARSE(ublk_parse_load, &o, "load", "x.bpf.o", "--no-recovery", "--reissue"),
		  -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_load, &o, "load", "x.bpf.o", "-r", "0", "-r", "1"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_load, &o, "load", "x.bpf.o", "--no-recovery", "--fail-io"),
		  -EINVAL);
	/* -g: NEED_GET_DATA, on the io_uring path only. */
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "loop", "-g", "a.img"), 0);
	ASSERT_TRUE(o.need_get_data);
	ASSERT_STR_EQ(o.files[0], "a.img");
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "loop", "--need-get-data", "a"), 0);
	ASSERT_TRUE(o.need_get_data);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "loop", "a"), 0);
	ASSERT_TRUE(!o.need_get_data);
	ASSERT_EQ(PARSE(ublk_parse_load, &o, "load", "x.bpf.o", "--need-get-data"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_load, &o, "load", "x.bpf.o", "-g"), -EINVAL);
	/* Zero copy is refused in one line, not taken for something else. */
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "-z"), -EINVAL);
}

/* --chunk_size BYTES is stripe's --chunk; --delay_us is --delay-us. */
UNIT_TEST(kublk_target_options)
{
	struct ublk_dev_opts o;

	ASSERT_EQ(stripe_chunk_shift(7, ARGV("add", "-t", "stripe", "--chunk_size", "65536",
					     "a", "b")), 16);
	ASSERT_EQ(stripe_chunk_shift(6, ARGV("add", "-t", "stripe", "--chunk_size=4096",
					     "a", "b")), 12);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "stripe", "--chunk_size", "65535",
			"a", "b"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "null", "--chunk_size", "65536"),
		  -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "fault_inject", "--delay_us",
			"100000"), 0);
	ASSERT_EQ(o.nr_tgt_args, 1);
	ASSERT_STR_EQ(o.tgt_args[0].name, "delay-us");
	ASSERT_STR_EQ(o.tgt_args[0].value, "100000");
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "fault_inject", "--delay_us",
			"60000001"), -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_add, &o, "add", "-t", "loop", "--delay_us", "1", "a"),
		  -EINVAL);
}

/* recover -n ID alone, or with the add command line again (kublk's form). */
UNIT_TEST(kublk_recover)
{
	struct ublk_dev_opts o;
	struct ublk_sel_opts sel;

	ASSERT_EQ(PARSE(ublk_parse_recover_as_add, &o, "recover", "-n", "2"), 0);
	ASSERT_EQ(PARSE(ublk_parse_recover, &sel, "recover", "-n", "2"), 0);
	ASSERT_EQ(sel.dev_id, 2);
	ASSERT_EQ(PARSE(ublk_parse_recover_as_add, &o, "recover", "-t", "loop", "-q", "2",
			"-r", "1", "-i", "1", "-n", "4", "a.img"), 1);
	ASSERT_EQ(o.dev_id, 4);
	ASSERT_STR_EQ(o.target, "loop");
	ASSERT_EQ(o.nr_queues, 2);
	ASSERT_EQ(o.recovery, UBLK_F_USER_RECOVERY | UBLK_F_USER_RECOVERY_REISSUE);
	ASSERT_STR_EQ(o.files[0], "a.img");
	/* Kept as the add it repeats, for a later recover from the state file. */
	ASSERT_STR_EQ(o.argv[0], "add");
	ASSERT_EQ(PARSE(ublk_parse_recover_as_add, &o, "recover", "-n", "4", "--type=null",
			"-r", "1"), 1);
	ASSERT_EQ(PARSE(ublk_parse_recover_as_add, &o, "recover", "-t", "null", "-r", "1"),
		  -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_recover_as_add, &o, "recover", "-n", "4", "-t", "null"),
		  -EINVAL);
	ASSERT_EQ(PARSE(ublk_parse_recover_as_add, &o, "recover", "-n", "4", "-t", "nosuch",
			"-r", "1"), -EINVAL);
}

int main(void)
{
	static const struct unit_case cases[] = {
		UNIT_CASE(size_suffixes), UNIT_CASE(size_refused), UNIT_CASE(hex_numbers), UNIT_CASE(uint_range),
		UNIT_CASE(add_defaults), UNIT_CASE(add_count), UNIT_CASE(add_ctrl), UNIT_CASE(add_everything), UNIT_CASE(add_refused),
		UNIT_CASE(stripe_chunk), UNIT_CASE(fault_inject_delay), UNIT_CASE(scheduler),
		UNIT_CASE(del_and_list), UNIT_CASE(ctrl_actions), UNIT_CASE(exact_long_options), UNIT_CASE(load_kublk_form), UNIT_CASE(devconf_words),
		UNIT_CASE(run_dir), UNIT_CASE(kublk_add), UNIT_CASE(kublk_target_options),
		UNIT_CASE(kublk_recover),
	};

	quiet();
	return unit_main("cli", cases, sizeof(cases) / sizeof(cases[0]));
}
