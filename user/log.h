/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Messages of the tool and its daemons, one line each. On a terminal or
 * under systemd they go to stderr ("ublk-bpf: ..."; under systemd with
 * the "<N>" priority prefix the journal reads); a daemon that detached
 * from its caller sends them to syslog instead, where the journal keeps
 * them too.
 */
#ifndef UBLK_BPF_LOG_H
#define UBLK_BPF_LOG_H

#include <stdbool.h>
#include <syslog.h>

void ublk_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* From now on, to syslog (a daemon whose stderr is gone). */
void ublk_log_to_syslog(void);
/* Is stderr the journal's stream (systemd's $JOURNAL_STREAM)? */
bool ublk_log_is_journal(void);

/*
 * At most @burst messages of one call site per @period seconds; the
 * number left out is said with the next one that goes through.
 */
struct ublk_ratelimit {
	long window;		/* start of the current period, seconds */
	unsigned int printed;
	unsigned int missed;
};
bool ublk_ratelimit_ok(struct ublk_ratelimit *rl, unsigned int period, unsigned int burst,
		       unsigned int *missed);

#define ublk_err(fmt, ...) ublk_log(LOG_ERR, fmt, ##__VA_ARGS__)
#define ublk_warn(fmt, ...) ublk_log(LOG_WARNING, fmt, ##__VA_ARGS__)
#define ublk_info(fmt, ...) ublk_log(LOG_INFO, fmt, ##__VA_ARGS__)

#endif
