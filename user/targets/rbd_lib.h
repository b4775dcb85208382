/* SPDX-License-Identifier: GPL-2.0 */
/*
 * librados and librbd, opened with dlopen() the first time the rbd target
 * is used: the tool does not link them, so every other verb and target
 * starts as fast as before (the two libraries pull in most of Ceph's
 * client), and a machine without librbd1 runs everything but rbd.
 */
#ifndef UBLK_BPF_RBD_LIB_H
#define UBLK_BPF_RBD_LIB_H

#include <rados/librados.h>
#include <rbd/librbd.h>

#define RBD_LIB_FUNCS(X) \
	X(rados_create2) X(rados_conf_read_file) X(rados_conf_parse_env) \
	X(rados_conf_set) X(rados_connect) X(rados_shutdown) X(rados_ioctx_create) \
	X(rados_ioctx_set_namespace) X(rados_ioctx_destroy) \
	X(rbd_open) X(rbd_open_read_only) X(rbd_close) X(rbd_stat) X(rbd_get_size) \
	X(rbd_set_image_notification) X(rbd_update_watch) X(rbd_update_unwatch) \
	X(rbd_aio_create_completion) X(rbd_aio_read) X(rbd_aio_write) \
	X(rbd_aio_flush) X(rbd_aio_discard) X(rbd_aio_write_zeroes) \
	X(rbd_aio_get_arg) X(rbd_aio_get_return_value) X(rbd_aio_release) \
	X(rbd_poll_io_events)

#define RBD_LIB_FIELD(f) __typeof__(&f) f;
struct rbd_lib {
	RBD_LIB_FUNCS(RBD_LIB_FIELD)
};

/* The libraries' functions; NULL (and one line said why) when they are missing. */
const struct rbd_lib *rbd_lib_open(void);

#endif
