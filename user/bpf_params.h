/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parameters of a BPF object by name: its `const volatile` variables, typed
 * through the object's BTF, written between open and load so the verifier
 * sees them as constants. Independent of targets and devices.
 */
#ifndef UBLK_BPF_BPF_PARAMS_H
#define UBLK_BPF_BPF_PARAMS_H

#include <stdio.h>

struct bpf_object;

/*
 * Applies "NAME=VALUE" to the opened, not yet loaded @obj. Says why in one
 * line (naming @path) and returns -EINVAL when NAME is unknown, a map, not
 * const volatile, the tool's own `config`, or of a type this tool cannot
 * write, or when VALUE does not fit the type.
 */
int ublk_bpf_param_set(struct bpf_object *obj, const char *path, const char *assignment);
/* Every one of @sets in order; stops at the first bad one. */
int ublk_bpf_params_apply(struct bpf_object *obj, const char *path,
			  const char *const *sets, unsigned int nr_sets);
/* One line per settable variable: name, type, default. */
void ublk_bpf_params_print(struct bpf_object *obj, FILE *out);

#endif
