# SPDX-License-Identifier: GPL-2.0
#
# make          build the tool (.output/bin/ublk-bpf); runs the set-up first
#               on a machine that lacks it
# make setup    install packages, the Debian 6.12 kernel and libbpf/bpftool
# make check    every test: host unit tests, then the VM tests
# make demo     the main job, in the VM
# make bench    BPF vs io_uring vs kernel drivers, side by side, in the VM
# make profile JOB=GROUP/PATH/JOB   a guest perf profile of one bench job
# make mutants  each kfunc-shim guarantee's test fails without the guarantee
# V=1 shows the commands.

.DELETE_ON_ERROR:
.SUFFIXES:

OUTPUT := .output
CACHE ?= $(HOME)/.cache/ublk-bpf
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

.PHONY: all setup check demo bench profile unit shim shim-tests mutants clean
all: $(OUTPUT)/bin/ublk-bpf $(BPF_OBJS) $(OUTPUT)/bin/bpftool shim $(OUTPUT)/include/vmlinux_gen.h \
     $(OUTPUT)/bpf.cflags

# Kernel types for ./vmlinux.h, from the BTF of the kernel we run on.
$(OUTPUT)/include/vmlinux_gen.h: $(KERNEL_ENV)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(UBLK_BPFTOOL) btf dump file $(UBLK_KHEADERS)/vmlinux format c >$@

# The drop-in ublk_drv.ko (kbuild decides what to rebuild).
shim: $(KERNEL_ENV)
	$(Q)$(MAKE) --no-print-directory -C kfunc-shim

# bpftool 7.5 from the kernel's source (bookworm's 7.1 predates module BTF
# struct_ops), beside the tool so the VM tests and users find it.
$(OUTPUT)/bin/bpftool: $(KERNEL_ENV)
	$(Q)mkdir -p $(@D)
	$(Q)ln -sf $(UBLK_BPFTOOL) $@

setup $(KERNEL_ENV):
	$(Q)scripts/setup.sh

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
$(OUTPUT)/tests/bpf/%.bpf.o: tests/bpf/%.bpf.c $(wildcard bpf/*.h include/*.h) $(UAPI)
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
$(OUTPUT)/tests/stripe_check $(OUTPUT)/tests/raid10_check: $(OUTPUT)/tests/%: tests/host/%.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $< -o $@

# Crafted objects for the tests of what load refuses (tests/host/btf_patch.c).
$(OUTPUT)/tests/btf_patch: tests/host/btf_patch.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARNINGS) $< $(LIBS) -o $@

unit: $(UNIT_BINS) $(OUTPUT)/tests/stripe_check $(OUTPUT)/tests/raid10_check $(OUTPUT)/tests/btf_patch \
      $(TEST_BPF_OBJS) shim-tests

# The kfunc-shim's test programs (tests/shim), run by the VM tier.
shim-tests: $(UAPI) $(OUTPUT)/libublk-bpf.a
	$(Q)$(MAKE) --no-print-directory -C tests/shim

check: all unit
	$(Q)tests/run_tests.sh

# The demo checks the stripe layout with the same oracle the tests use.
demo: all $(OUTPUT)/tests/stripe_check
	$(Q)tests/vm/run.sh tests/demo.sh

# Benchmarks (not tests): .output/bench/report.{md,json}.
bench: all
	$(Q)tests/bench/bench.sh

profile: all
	$(Q)tests/bench/profile.sh "$(JOB)"

# One VM boot: every tests/shim/mutants/*.patch must fail its shim tests.
mutants: all shim-tests
	$(Q)tests/shim/mutants.sh

clean:
	rm -rf $(OUTPUT)
