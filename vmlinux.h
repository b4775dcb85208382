/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel types for BPF programs that need them (tracing the shim, say):
 * `make` dumps them from the BTF of the Debian kernel scripts/setup.sh
 * resolved into .output/include/vmlinux_gen.h; they are never committed.
 * The targets in bpf/ do not need it: they use the ublk uAPI and
 * kfunc-shim/ublk_bpf.bpf.h only.
 */
#include "vmlinux_gen.h"
