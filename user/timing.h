/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the time of `add`/`load` goes: with UBLK_BPF_TIMING set in the
 * environment, each step prints "ublk-bpf: timing STEP MS" on stderr, MS
 * the milliseconds since the verb began (the benchmark splits them).
 */
#ifndef UBLK_BPF_TIMING_H
#define UBLK_BPF_TIMING_H

/* Notes the end of @step; the first call starts the clock. */
void ublk_timing(const char *step);

#endif
