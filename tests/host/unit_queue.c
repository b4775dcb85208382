// SPDX-License-Identifier: GPL-2.0
/*
 * A queue thread tells its end on the eventfd its owner gave, and sends
 * no signal: a process-wide SIGUSR1 once reached shim_test, where it means
 * "unregister the program". The thread runs for real over a memfd standing
 * in for the char device: every FETCH_REQ it queues fails (a memfd takes
 * no uring_cmd), so it ends at once, as after STOP_DEV.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ublk.h"
#include "unit.h"

static volatile sig_atomic_t signals_seen;

static void count_signal(int sig)
{
	signals_seen++;
}

/* A device of one queue of @depth over a memfd; 0, or skip (no io_uring). */
static int fake_dev(struct ublk_dev *dev, unsigned int depth)
{
	memset(dev, 0, sizeof(*dev));
	dev->info.dev_id = 4242;	/* no such device: the affinity query fails */
	dev->info.nr_hw_queues = 1;
	dev->info.queue_depth = depth;
	dev->cdev_fd = memfd_create("unit-ublkc", MFD_CLOEXEC);
	if (dev->cdev_fd < 0 || ftruncate(dev->cdev_fd, 1 << 20))
		return -errno;
	dev->queues = calloc(1, sizeof(*dev->queues));
	return dev->queues ? 0 : -ENOMEM;
}

/*
 * Starts the queue and waits for its thread to end: 1, or 0 when the ring
 * could not be made here (no io_uring: nothing to test).
 */
static int run_queue(int *unit_failed, struct ublk_dev *dev, int exit_fd)
{
	struct ublk_queue *q = &dev->queues[0];
	int ret, i;

	ret = ublk_queue_start(dev, 0, -1, exit_fd);
	for (i = 0; i < 500 && !__atomic_load_n(&q->exited, __ATOMIC_ACQUIRE); i++) {
		if (ret < 0 && !q->ios) {	/* joined by the start: no ring */
			printf("# no io_uring ring here (%d): not tested\n", ret);
			return 0;
		}
		usleep(10 * 1000);
	}
	ASSERT_EQ(__atomic_load_n(&q->exited, __ATOMIC_ACQUIRE), 1);
	/* Joined by the start when it saw the refused FETCH_REQs all done. */
	if (q->ios)
		ublk_queue_join(q);
	usleep(100 * 1000);	/* a signal would have landed by now */
	return 1;
}

UNIT_TEST(exit_told_on_eventfd_not_by_signal)
{
	struct sigaction sa = { .sa_handler = count_signal };
	struct ublk_dev dev;
	struct pollfd pfd;
	eventfd_t ended = 0;

	signals_seen = 0;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	ASSERT_EQ(fake_dev(&dev, 4), 0);
	pfd.fd = eventfd(0, EFD_CLOEXEC);
	pfd.events = POLLIN;
	ASSERT_TRUE(pfd.fd >= 0);
	if (run_queue(unit_failed, &dev, pfd.fd)) {
		ASSERT_EQ(poll(&pfd, 1, 0), 1);
		ASSERT_EQ(eventfd_read(pfd.fd, &ended), 0);
		ASSERT_EQ(ended, 1);
		ASSERT_EQ(signals_seen, 0);
	}
	close(pfd.fd);
	close(dev.cdev_fd);
	free(dev.queues);
}

/* Without an eventfd (-1) the thread ends quietly all the same. */
UNIT_TEST(no_eventfd_no_signal)
{
	struct sigaction sa = { .sa_handler = count_signal };
	struct ublk_dev dev;

	signals_seen = 0;
	sigaction(SIGUSR1, &sa, NULL);
	ASSERT_EQ(fake_dev(&dev, 2), 0);
	if (run_queue(unit_failed, &dev, -1))
		ASSERT_EQ(signals_seen, 0);
	close(dev.cdev_fd);
	free(dev.queues);
}

UNIT_MAIN("queue", UNIT_CASE(exit_told_on_eventfd_not_by_signal),
	  UNIT_CASE(no_eventfd_no_signal))
