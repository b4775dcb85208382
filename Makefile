# SPDX-License-Identifier: GPL-2.0
#
# make          build the tool, the BPF targets and the kfunc-shim into .output/;
#               runs `scripts/setup.sh build` first on a machine that lacks it
#               (build packages, the Debian 6.12 kernel's source and headers,
#               libbpf/bpftool built from it)
# make install  install into $(DESTDIR)$(PREFIX) (PREFIX=/usr/local); the list:
#               make install-list; make uninstall removes it
# make setup    the build's set-up and the VM rig's (QEMU, fio, test tools,
#               the kernel image); make setup-build, make setup-rig: either
#               (scripts/setup.sh --dry-run build|rig says what they install)
# make check    every test: host unit tests, then the VM tests
# make check-6.1   the io_uring path on Debian 12's default 6.1 kernel, in the VM
#               (make setup-6.1 fetches it; not part of check)
# make demo     the main job, in the VM
# make bench    BPF vs io_uring vs kernel drivers, side by side, in the VM
#               (check, demo, bench, profile and mutants set the rig up first)
# make profile JOB=GROUP/PATH/JOB   a guest perf profile of one bench job
# make bench-rbd   the rbd target against rbd-nbd and krbd on one Ceph image
#               (one VM boot, its own cluster; not part of bench)
# make bench-nvme  the nvme-tcp target against the kernel's nvme-tcp host,
#               and the tag-set memory of a shared controller
# make bench-cpus   the BPF path at 1, 2 and 4 vCPUs against the kernel's drivers
# make bench-bpf-nvme   the BPF NVMe driver against the kernel's nvme on QEMU's
#               controller: icount (instructions per IO), then tcg wall clock
# make mutants  each kfunc-shim guarantee's test fails without the guarantee
# make check-bpf-nvme   the shim's NVMe kfuncs (ublk_bpf_pci) on QEMU's NVMe
#               controller, one short boot (docs/bpf-nvme.md; not part of check)
# make fuzz     libFuzzer (ASan, UBSan) on the parsers: command lines, --set,
#               state and configuration files, numbers; FUZZ_SECONDS per
#               harness (default 300), FUZZ=NAME... a subset (tests/fuzz/)
# make crash-test   power cuts under ext4 on the file targets, replayed from a
#               dm-log-writes log (long; CRASH_TARGETS= a subset)
# make deb      the Debian packages ublk-bpf and ublk-bpf-dkms in .output/deb/
# make system-test   the packages on a Debian 12 system booted with systemd in
#               QEMU: reboots under load, kernel point update, removal (long)
# V=1 shows the commands.

.DELETE_ON_ERROR:
.SUFFIXES:

OUTPUT := .output
# The kernel cache of scripts/setup.sh: $UBLK_BPF_CACHE, else the one this
# tree was built with (so that `sudo make install` finds it), else ~/.cache.
CACHE ?= $(or $(UBLK_BPF_CACHE),$(shell cat $(OUTPUT)/cache-dir 2>/dev/null),$(HOME)/.cache/ublk-bpf)
export UBLK_BPF_CACHE := $(CACHE)
KERNEL_ENV := $(CACHE)/current.env

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Kernel paths (UBLK_KSRC, UBLK_KHEADERS, ...) recorded by scripts/setup.sh.
-include $(KERNEL_ENV)

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	    -Wno-unused-parameter
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
CPPFLAGS := -D_GNU_SOURCE -I$(OUTPUT)/include -Iinclude -Iuser -Iuser/targets -I$(UBLK_LIBBPF_INCLUDE)
LIBS := $(UBLK_LIBBPF_A) -luring -ljansson -lelf -lz -lpthread

# The core and the verbs in user/, the targets and their table in user/targets/.
USER_SRCS := $(filter-out user/main.c,$(wildcard user/*.c user/targets/*.c))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
UNIT_SRCS := $(wildcard tests/host/unit_*.c)
UNIT_BINS := $(patsubst tests/host/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
UAPI := $(OUTPUT)/include/linux/ublk_cmd.h
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
TEST_BPF_OBJS := $(patsubst tests/bpf/%.bpf.c,$(OUTPUT)/tests/bpf/%.bpf.o,$(wildcard tests/bpf/*.bpf.c))
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall \
	      -I$(OUTPUT)/include -Iinclude -Ibpf -Ikfunc-shim -I$(UBLK_LIBBPF_INCLUDE) \
	      -I/usr/include/$(shell $(CC) -dumpmachine)

.PHONY: all setup setup-build setup-rig rig check demo bench bench-rbd bench-nvme bench-cpus bench-bpf-nvme profile thousand unit shim shim-tests \
	mutants check-bpf-nvme crash-test clean install uninstall install-list deb system-test fuzz fuzz-build setup-6.1 check-6.1
all: $(OUTPUT)/bin/ublk-bpf $(BPF_OBJS) $(OUTPUT)/bin/bpftool shim $(OUTPUT)/include/vmlinux_gen.h \
     $(OUTPUT)/bpf.cflags $(OUTPUT)/lib/ublk-bpf $(OUTPUT)/cache-dir

# Kernel types for ./vmlinux.h, from the BTF of the kernel we run on.
$(OUTPUT)/include/vmlinux_gen.h: $(KERNEL_ENV)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(UBLK_BPFTOOL) btf dump file $(UBLK_KHEADERS)/vmlinux format c >$@

# The drop-in ublk_drv.ko (kbuild decides what to rebuild), when the target
# kernel's headers are there (scripts/setup.sh build fetches them).
shim: $(KERNEL_ENV)
ifneq ($(wildcard $(UBLK_KHEADERS)/Makefile),)
	$(Q)$(MAKE) --no-print-directory -C kfunc-shim
else
	@echo "  SKIP     kfunc-shim: no kernel headers at '$(UBLK_KHEADERS)' (scripts/setup.sh build)"
endif

# bpftool 7.5 from the kernel's source (bookworm's 7.1 predates module BTF
# struct_ops), beside the tool so the VM tests and users find it.
$(OUTPUT)/bin/bpftool: $(KERNEL_ENV)
	$(Q)mkdir -p $(@D)
	$(Q)ln -sf $(UBLK_BPFTOOL) $@

# The build needs only the build's part of the set-up; the VM rig
# (packages, the kernel image) is set up by the targets that boot it.
# Goals that build nothing never set up (make uninstall on a bare machine).
NO_SETUP_GOALS := clean uninstall install-list setup setup-build setup-rig rig setup-6.1
ifneq ($(filter-out $(NO_SETUP_GOALS),$(or $(MAKECMDGOALS),all)),)
$(KERNEL_ENV):
	$(Q)scripts/setup.sh build
endif
setup-build:
	$(Q)scripts/setup.sh build
setup setup-rig rig:
	$(Q)scripts/setup.sh rig

# Where the build found its kernel cache, for later runs (sudo make install);
# rewritten only when it changes.
$(OUTPUT)/cache-dir: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)echo $(abspath $(CACHE)) | cmp -s - $@ || echo $(abspath $(CACHE)) >$@
FORCE:

# The built tree laid out as an install: the tool's search for objects by
# name (bin/../lib/ublk-bpf) finds the built ones.
$(OUTPUT)/lib/ublk-bpf:
	$(Q)mkdir -p $(@D)
	$(Q)ln -sfn ../bpf $@

# The ublk uAPI of the kernel we run on, from Debian's source package.
$(UAPI): $(KERNEL_ENV)
	$(Q)mkdir -p $(@D)
	$(Q)test -n "$(UBLK_KSRC)" || { echo "no kernel source: run make setup" >&2; exit 1; }
	$(Q)cp $(UBLK_KSRC)/include/uapi/linux/ublk_cmd.h $@

$(OUTPUT)/user/%.o: user/%.c $(wildcard user/*.h user/targets/*.h include/*.h) $(UAPI)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARNINGS) -c $< -o $@

# The BPF targets; `ublk-bpf load .output/bpf/stripe.bpf.o ...`.
$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h include/*.h) kfunc-shim/ublk_bpf.bpf.h kfunc-shim/ublk_bpf_ops.h $(UAPI)
	$(call msg,BPF,$<)
	$(Q)mkdir -p $(@D)
	$(Q)clang $(BPF_CFLAGS) -c $< -o $@

# The flags a target of one's own is built with, from anywhere:
# clang $(cat .output/bpf.cflags) -c my.bpf.c (docs/writing-a-target.md).
$(OUTPUT)/bpf.cflags: Makefile $(KERNEL_ENV) $(UAPI)
	$(call msg,GEN,$@)
	$(Q)echo $(foreach f,$(BPF_CFLAGS),$(if $(filter -I%,$(f)),-I$(abspath $(f:-I%=%)),$(f))) >$@

# Objects `load` must refuse, and targets of the tests' own.
$(OUTPUT)/tests/bpf/%.bpf.o: tests/bpf/%.bpf.c $(wildcard bpf/*.h bpf/*.bpf.c include/*.h) $(UAPI)
	$(call msg,BPF,$<)
	$(Q)mkdir -p $(@D)
	$(Q)clang $(BPF_CFLAGS) -c $< -o $@

# Everything of user/ but main(): the tool, the unit tests and shim_test
# link it.
$(OUTPUT)/libublk-bpf.a: $(USER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

# The version `ublk-bpf --version` prints (and the packages carry).
VERSION := $(shell cat VERSION)
$(OUTPUT)/user/main.o: VERSION
$(OUTPUT)/user/main.o: CPPFLAGS += -DUBLK_BPF_VERSION='"$(VERSION)"'

$(OUTPUT)/bin/ublk-bpf: $(OUTPUT)/user/main.o $(OUTPUT)/libublk-bpf.a
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/tests/unit_%: tests/host/unit_%.c tests/host/unit.h $(wildcard include/*.h) $(OUTPUT)/libublk-bpf.a
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -Itests/host $(CFLAGS) $(WARNINGS) $< $(OUTPUT)/libublk-bpf.a $(LIBS) -o $@

# Helpers the VM tests run (from the host's tree, visible in the guest).
$(OUTPUT)/tests/stripe_check $(OUTPUT)/tests/raid10_check $(OUTPUT)/tests/move_ext: $(OUTPUT)/tests/%: tests/host/%.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $< -o $@

# The crash-consistency test's replay of a dm-log-writes log (tests/crash).
$(OUTPUT)/tests/crash_replay: tests/crash/crash_replay.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $< -o $@

# Crafted objects for the tests of what load refuses (tests/host/btf_patch.c).
$(OUTPUT)/tests/btf_patch: tests/host/btf_patch.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARNINGS) $< $(LIBS) -o $@

unit: $(UNIT_BINS) $(OUTPUT)/tests/stripe_check $(OUTPUT)/tests/raid10_check $(OUTPUT)/tests/move_ext $(OUTPUT)/tests/btf_patch \
      $(OUTPUT)/tests/crash_replay \
      $(TEST_BPF_OBJS) shim-tests

# The kfunc-shim's test programs (tests/shim), run by the VM tier.
shim-tests: $(UAPI) $(OUTPUT)/libublk-bpf.a
	$(Q)$(MAKE) --no-print-directory -C tests/shim

check: all unit fuzz-build | rig
	$(Q)tests/run_tests.sh

# --- fuzzing -----------------------------------------------------------------
# libFuzzer harnesses of the parsers (tests/fuzz/fuzz_NAME.c) over the core
# built again with clang's coverage, ASan and UBSan (which aborts), in
# .output/fuzz/; built only for make fuzz and make check. The libFuzzer
# runtime is Debian's libclang-rt-dev (scripts/setup.sh build).
FUZZ_CC := clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN)
# clang's extra warning on { NULL } table ends, which gcc does not give.
FUZZ_WARNINGS := $(WARNINGS) -Wno-missing-field-initializers
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst %,$(OUTPUT)/fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_OBJS := $(patsubst user/%.c,$(OUTPUT)/fuzz/user/%.o,$(USER_SRCS))
FUZZ_SECONDS ?= 300

$(OUTPUT)/fuzz/user/%.o: user/%.c $(wildcard user/*.h user/targets/*.h include/*.h) $(UAPI)
	$(call msg,FUZZCC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_WARNINGS) -c $< -o $@

$(OUTPUT)/fuzz/libublk-bpf.a: $(FUZZ_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(OUTPUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(OUTPUT)/fuzz/libublk-bpf.a
	$(call msg,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -Itests/fuzz $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_WARNINGS) $< \
		$(OUTPUT)/fuzz/libublk-bpf.a $(LIBS) -o $@ || \
		{ echo "fuzz: no libFuzzer runtime? (apt-get install libclang-rt-dev, or make setup-build)" >&2; exit 1; }

# The harnesses and the BPF objects the --set ones read.
fuzz-build: $(FUZZ_BINS) $(BPF_OBJS) $(TEST_BPF_OBJS)

# The long run; make check runs a short one (tests/run_tests.sh).
fuzz: fuzz-build
	$(Q)tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) $(FUZZ)

# Debian 12's default kernel, 6.1 (scripts/kernel-6.1.sh: its image and a
# ublk_drv built from its own source, cached): what works there, in two VM
# boots of under 10 minutes each (features, smoke, figures and half the
# io_uring tests, then the other half). Not part of check.
setup-6.1:
	$(Q)scripts/kernel-6.1.sh
check-6.1: all unit | rig
	$(Q)scripts/kernel-6.1.sh
	$(Q)rc=0; \
	UBLK_TEST_FILTER='test_(bad|bmap|fs|kublk|linear|loop|mirror|null)_[0-9]+' \
		tests/vm/run.sh --kernel 6.1 --timeout 720 tests/ublk/on_other_kernel.sh || rc=1; \
	UBLK_TEST_FILTER='test_(nbd|raid10|recover|rundir|stripe)_[0-9]+' \
		tests/vm/run.sh --kernel 6.1 --timeout 720 tests/ublk/on_other_kernel.sh --tests || rc=1; \
	exit $$rc

# The demo checks the stripe layout with the same oracle the tests use.
demo: all $(OUTPUT)/tests/stripe_check | rig
	$(Q)tests/vm/run.sh tests/demo.sh

# Benchmarks (not tests): .output/bench/report.{md,json}.
bench: all | rig
	$(Q)tests/bench/bench.sh

# The rbd target against rbd-nbd and krbd: .output/bench/rbd_vs.md.
bench-rbd: all | rig
	$(Q)tests/bench/rbd_vs.sh

# The nvme-tcp target against the kernel's nvme-tcp host on one nvmet-tcp
# subsystem, then the tag-set bytes of devices with their own sets against
# one controller; one VM boot each. Not part of bench.
bench-nvme: all | rig
	$(Q)tests/bench/nvme_vs.sh
	$(Q)tests/bench/tagset_mem.sh

bench-bpf-nvme: all | rig
	$(Q)tests/bench/bpf_nvme_vs.sh --icount --smp 1
	$(Q)tests/bench/bpf_nvme_vs.sh --smp 1

profile: all | rig
	$(Q)tests/bench/profile.sh "$(JOB)"

# Does the BPF path use every CPU: loop, stripe and mirror at 1, 2 and 4
# vCPUs (TCG wall clock), N fio jobs on N queues and one at QD32, with the
# shim's spare-CPU rule on and off, against the kernel's drivers;
# .output/bench/cpus/report.md. One VM boot per vCPU count.
bench-cpus: all | rig
	$(Q)tests/bench/cpus.sh

# A thousand devices made and deleted (null, loop with fio on 100, a daemon
# killed half-way through del -a): checks and figures in
# .output/bench/thousand.md; one VM boot. Not part of check.
thousand: all | rig
	$(Q)tests/bench/thousand.sh

# Power cuts under ext4 on every file target, replayed from a dm-log-writes
# log (docs/crash-consistency.md); one VM boot, ~30 min. Not part of check.
crash-test: all $(OUTPUT)/tests/crash_replay $(OUTPUT)/tests/bpf/crash_noflush.bpf.o | rig
	$(Q)tests/vm/run.sh --timeout 3300 --mem 3072 tests/crash/crash_test.sh $(CRASH_TARGETS)

# One VM boot: every tests/shim/mutants/*.patch must fail its shim tests
# (nvme_io loads test objects of tests/bpf).
mutants: all shim-tests $(TEST_BPF_OBJS) | rig
	$(Q)tests/shim/mutants.sh

# The shim test pci_nvme and the VM test nvme_01 (bpf/nvme.bpf.o serving a
# device) need QEMU's NVMe controller (--nvme), which make check's boot
# lacks: there they say SKIP.
check-bpf-nvme: all shim-tests $(TEST_BPF_OBJS) | rig
	$(Q)tests/vm/run.sh --nvme 64M --timeout 600 bash -c \
		'env SHIM_TESTS="pci_nvme nvme_io rmmod" bash tests/shim/test_shim.sh; s=$$?; \
		 UBLK_TEST_FILTER=nvme_ bash tests/ublk/run_all.sh && exit $$s'

# --- make install -----------------------------------------------------------
# The tool finds its objects as ../lib/ublk-bpf beside its own folder, so
# SBINDIR and BPFOBJDIR follow PREFIX together; the folders that are
# ublk-bpf's alone are named after it. The others may be moved.
PREFIX ?= /usr/local
SBINDIR := $(PREFIX)/sbin
BPFOBJDIR := $(PREFIX)/lib/ublk-bpf
INCLUDEDIR := $(PREFIX)/include/ublk-bpf
DOCDIR := $(PREFIX)/share/doc/ublk-bpf
PKGCONFIGDIR ?= $(PREFIX)/lib/pkgconfig
MAN8DIR ?= $(PREFIX)/share/man/man8
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# udev reads no rules under /usr/local; systemd reads /usr/local/lib/systemd.
UDEVRULESDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/udev/rules.d,/etc/udev/rules.d)
SYSTEMDUNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
INSTALL ?= install

# What a target of one's own includes: ours, the ublk uAPI we build with,
# the kernel's types, and libbpf's BPF-side headers of the same release.
HEADERS := bpf/ublk_tgt.bpf.h kfunc-shim/ublk_bpf.bpf.h kfunc-shim/ublk_bpf_ops.h $(wildcard include/*.h) vmlinux.h \
	   $(OUTPUT)/include/vmlinux_gen.h
LIBBPF_HEADERS = $(wildcard $(UBLK_LIBBPF_INCLUDE)/bpf/bpf_*.h)
# What the system integration puts under dist/: udev rules, systemd units,
# the systemd generator, and the helpers both use (beside the objects). They
# name /usr/sbin/ublk-bpf and /usr/lib/ublk-bpf: install writes the PREFIX's.
DIST_UDEV := $(wildcard dist/udev/*.rules)
DIST_SYSTEMD := $(wildcard dist/systemd/*.service)
DIST_GENERATORS := $(wildcard dist/systemd/*-generator)
DIST_HELPERS := $(wildcard dist/udev/udev-name dist/lib/conf.sh)
SYSTEMDGENERATORDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system-generators,$(PREFIX)/lib/systemd/system-generators)
DIST_SED := sed -e 's|/usr/sbin/ublk-bpf|$(SBINDIR)/ublk-bpf|g' -e 's|/usr/lib/ublk-bpf|$(BPFOBJDIR)|g'
DOCS := README.md $(wildcard docs/*.md)
# The license, beside the docs; LICENSE_FILES= leaves it out (a Debian
# package states it in its copyright file).
LICENSE_FILES ?= LICENSE LICENSES/GPL-2.0

# Every installed file, DESTDIR left out: `make install-list` prints them.
INSTALL_FILES = $(SBINDIR)/ublk-bpf $(addprefix $(BPFOBJDIR)/,$(notdir $(BPF_OBJS))) \
	$(addprefix $(INCLUDEDIR)/,$(notdir $(HEADERS)) linux/ublk_cmd.h \
		    $(addprefix bpf/,$(notdir $(LIBBPF_HEADERS)))) \
	$(PKGCONFIGDIR)/ublk-bpf.pc $(MAN8DIR)/ublk-bpf.8 $(BASHCOMPDIR)/ublk-bpf \
	$(addprefix $(DOCDIR)/,$(notdir $(DOCS) $(LICENSE_FILES))) \
	$(addprefix $(UDEVRULESDIR)/,$(notdir $(DIST_UDEV))) \
	$(addprefix $(SYSTEMDUNITDIR)/,$(notdir $(DIST_SYSTEMD))) \
	$(addprefix $(SYSTEMDGENERATORDIR)/,$(notdir $(DIST_GENERATORS))) \
	$(addprefix $(BPFOBJDIR)/,$(notdir $(DIST_HELPERS)))

install-list:
	@printf '%s\n' $(INSTALL_FILES) | sort

# The clang flags of a target of one's own: pkg-config --cflags ublk-bpf.
$(OUTPUT)/ublk-bpf.pc: scripts/ublk-bpf.pc.in VERSION FORCE
	$(Q)mkdir -p $(@D)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|; s|@VERSION@|$(VERSION)|' \
		-e 's|@MULTIARCH@|$(shell $(CC) -dumpmachine)|' $< >$@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

# install_dist FILE,DIR,MODE: a dist/ file with the PREFIX's paths in it.
install_dist = mkdir -p $(DESTDIR)$(2) && $(DIST_SED) $(1) >$(DESTDIR)$(2)/$(notdir $(1)) && \
	chmod $(3) $(DESTDIR)$(2)/$(notdir $(1)) &&

# Builds only what it installs (the shim is DKMS's or kfunc-shim/'s).
install: $(OUTPUT)/bin/ublk-bpf $(BPF_OBJS) $(UAPI) $(OUTPUT)/include/vmlinux_gen.h \
	 $(OUTPUT)/ublk-bpf.pc
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(addprefix $(DESTDIR),$(SBINDIR) $(BPFOBJDIR) $(INCLUDEDIR)/linux \
		$(INCLUDEDIR)/bpf $(PKGCONFIGDIR) $(MAN8DIR) $(BASHCOMPDIR) $(DOCDIR))
	$(Q)$(INSTALL) -m 0755 $(OUTPUT)/bin/ublk-bpf $(DESTDIR)$(SBINDIR)/
	$(Q)$(INSTALL) -m 0644 $(BPF_OBJS) $(DESTDIR)$(BPFOBJDIR)/
	$(Q)$(INSTALL) -m 0644 $(HEADERS) $(DESTDIR)$(INCLUDEDIR)/
	$(Q)$(INSTALL) -m 0644 $(UAPI) $(DESTDIR)$(INCLUDEDIR)/linux/
	$(Q)$(INSTALL) -m 0644 $(LIBBPF_HEADERS) $(DESTDIR)$(INCLUDEDIR)/bpf/
	$(Q)$(INSTALL) -m 0644 $(OUTPUT)/ublk-bpf.pc $(DESTDIR)$(PKGCONFIGDIR)/
	$(Q)$(INSTALL) -m 0644 man/ublk-bpf.8 $(DESTDIR)$(MAN8DIR)/
	$(Q)$(INSTALL) -m 0644 scripts/ublk-bpf.bash-completion $(DESTDIR)$(BASHCOMPDIR)/ublk-bpf
	$(Q)$(INSTALL) -m 0644 $(DOCS) $(LICENSE_FILES) $(DESTDIR)$(DOCDIR)/
	$(Q)$(foreach f,$(DIST_UDEV),$(call install_dist,$(f),$(UDEVRULESDIR),0644)) true
	$(Q)$(foreach f,$(DIST_SYSTEMD),$(call install_dist,$(f),$(SYSTEMDUNITDIR),0644)) true
	$(Q)$(foreach f,$(DIST_GENERATORS),$(call install_dist,$(f),$(SYSTEMDGENERATORDIR),0755)) true
	$(Q)$(foreach f,$(DIST_HELPERS),$(call install_dist,$(f),$(BPFOBJDIR),$(if $(filter %.sh,$(f)),0644,0755))) true

# Removes the installed files, then ublk-bpf's own folders when empty (an
# object of one's own in lib/ublk-bpf stays, and so does its folder).
uninstall:
	$(call msg,RM,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALL_FILES)) $(DESTDIR)$(INCLUDEDIR)/bpf/bpf_*.h
	$(Q)rmdir $(addprefix $(DESTDIR),$(INCLUDEDIR)/linux $(INCLUDEDIR)/bpf $(INCLUDEDIR) \
		$(BPFOBJDIR) $(DOCDIR)) 2>/dev/null || true

# Debian packages (debhelper, dh-dkms), built from a copy of the tree.
deb:
	$(Q)scripts/setup.sh deb
	$(Q)scripts/deb.sh

# Not part of check: tens of minutes of TCG boots (tests/system/README.md).
# BOOTS=N reboots under load (default 10); PHASES= a subset of the phases.
system-test: deb
	$(Q)tests/system/run.sh $(if $(BOOTS),--boots $(BOOTS)) $(PHASES)

clean:
	rm -rf $(OUTPUT)
