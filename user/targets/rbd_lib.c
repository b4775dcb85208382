// SPDX-License-Identifier: GPL-2.0
/* librados and librbd through dlopen(): see rbd_lib.h. */
#include <dlfcn.h>

#include "log.h"
#include "rbd_lib.h"

static struct rbd_lib rbd_lib;

const struct rbd_lib *rbd_lib_open(void)
{
	static const char *const names[] = { "librados.so.2", "librbd.so.1" };
	static bool loaded;
	void *h[2];
	unsigned int i;

	if (loaded)
		return &rbd_lib;
	for (i = 0; i < 2; i++) {
		/* GLOBAL: librbd resolves librados' symbols through it. */
		h[i] = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
		if (!h[i]) {
			ublk_err("rbd: cannot load %s (apt-get install librbd1): %s", names[i], dlerror());
			return NULL;
		}
	}
#define RBD_LIB_LOOKUP(f)						\
	do {								\
		*(void **)&rbd_lib.f = dlsym(h[#f[1] == 'b'], #f);	\
		if (!rbd_lib.f) {					\
			ublk_err("rbd: %s lacks %s", names[#f[1] == 'b'], #f);	\
			return NULL;					\
		}							\
	} while (0);
	RBD_LIB_FUNCS(RBD_LIB_LOOKUP)
#undef RBD_LIB_LOOKUP
	loaded = true;
	return &rbd_lib;
}
