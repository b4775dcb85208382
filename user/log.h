/* SPDX-License-Identifier: GPL-2.0 */
/* One-line messages on stderr, prefixed with the program's name. */
#ifndef UBLK_BPF_LOG_H
#define UBLK_BPF_LOG_H

#include <stdio.h>

#define ublk_err(fmt, ...) fprintf(stderr, "ublk-bpf: " fmt "\n", ##__VA_ARGS__)

#endif
