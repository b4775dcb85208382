/* SPDX-License-Identifier: GPL-2.0 */
/* The service manager's notification socket (sd_notify(3)'s protocol). */
#ifndef UBLK_BPF_NOTIFY_H
#define UBLK_BPF_NOTIFY_H

/*
 * Sends @state ("READY=1", "STOPPING=1", "STATUS=...") to $NOTIFY_SOCKET;
 * does nothing when not started by a service manager. Negative errno.
 */
int ublk_notify(const char *state);

#endif
