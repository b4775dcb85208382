/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the time of `add`/`load` goes: with UBLK_BPF_TIMING set in the
 * environment, each step prints "ublk-bpf: timing STEP MS" on stderr, MS
 * the milliseconds since the verb began (the benchmark splits them), and
 * each BPF program loaded prints the verifier's own statistics:
 * "ublk-bpf: verifier PROG: verification time N usec ...; processed N insns
 * ...". */
#ifndef UBLK_BPF_TIMING_H
#define UBLK_BPF_TIMING_H

#include <stdbool.h>

/* Notes the end of @step; the first call starts the clock. */
void ublk_timing(const char *step);
/* Is UBLK_BPF_TIMING set? (bpf_obj.c then prints the verifier's stats too) */
bool ublk_timing_on(void);

#endif
