/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Worker lanes: one thread per lane, one call per lane, results through an
 * eventfd and deadlines through a timerfd, both behind one epoll fd.
 *
 * One mutex guards every lane's state. Neither fn nor release nor done runs
 * with it held, so the loop thread only ever waits for a few instructions.
 * A lane thread still running when the worker is freed is detached and
 * holds a reference; the last reference frees the memory. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/worker.h"

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define TIMEOUT_MS_MAX (100ULL * 365 * 24 * 3600 * 1000) /* a century: no overflow */

enum lane_state {
	LANE_IDLE,    /* free for a submit */
	LANE_RUNNING, /* submitted; fn queued or running, deadline not reached */
	LANE_DONE,    /* fn returned; the result waits for worker_dispatch() */
	LANE_HUNG,    /* abandoned (deadline or worker_free); fn still running */
};

struct lane {
	struct worker *w;
	pthread_t thread;
	pthread_cond_t cond; /* wakes the lane thread: a call queued, told, stopping */
	bool started;        /* the thread exists */
	bool queued;         /* a call waits for the thread to take it */
	bool told;           /* done() has returned for a hung call: release may run */
	bool detached;       /* worker_free() left this thread to finish alone */
	enum lane_state state;
	worker_fn fn;
	worker_done_fn done;
	worker_release_fn release;
	void *arg;
	uint64_t deadline_ns;
	int result;
};

struct worker {
	pthread_mutex_t mu;
	unsigned refs; /* the owner + each detached lane thread */
	bool stopping;
	int epfd, efd, tfd;
	unsigned n_lanes;
	struct lane lanes[];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void lock(const struct worker *w)
{
	pthread_mutex_lock((pthread_mutex_t *)&w->mu);
}

static void unlock(const struct worker *w)
{
	pthread_mutex_unlock((pthread_mutex_t *)&w->mu);
}

/* With mu held. Once stopping, the fds are (being) closed. */
static void wake_loop(struct worker *w)
{
	uint64_t one = 1;

	if (!w->stopping && write(w->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, so the fd is readable anyway. */
	}
}

/* With mu held: arm the timerfd for the earliest deadline, or disarm it.
 * timerfd_settime() cannot fail on our own fd with a valid value. */
static void arm_timer(struct worker *w)
{
	struct itimerspec its = { 0 };
	uint64_t first = UINT64_MAX;

	for (unsigned i = 0; i < w->n_lanes; i++)
		if (w->lanes[i].state == LANE_RUNNING && w->lanes[i].deadline_ns < first)
			first = w->lanes[i].deadline_ns;
	if (first != UINT64_MAX) {
		its.it_value.tv_sec = (time_t)(first / NSEC_PER_SEC);
		its.it_value.tv_nsec = (long)(first % NSEC_PER_SEC);
	}
	timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void destroy(struct worker *w)
{
	for (unsigned i = 0; i < w->n_lanes; i++)
		pthread_cond_destroy(&w->lanes[i].cond);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

static void *lane_main(void *p)
{
	struct lane *l = p;
	struct worker *w = l->w;
	bool last = false;

	lock(w);
	for (;;) {
		while (!l->queued && !w->stopping)
			pthread_cond_wait(&l->cond, &w->mu);
		if (!l->queued)
			break;
		l->queued = false;
		worker_fn fn = l->fn;
		void *arg = l->arg;
		int r = 0;

		/* Past its deadline before it started: skip it, only release. */
		if (l->state == LANE_RUNNING) {
			unlock(w);
			r = fn(arg);
			lock(w);
		}
		if (l->state == LANE_RUNNING) {
			l->result = r;
			l->state = LANE_DONE;
		} else { /* LANE_HUNG: arg is release's once done() is through with it. */
			worker_release_fn release = l->release;

			while (!l->told)
				pthread_cond_wait(&l->cond, &w->mu);
			unlock(w);
			if (release)
				release(arg);
			lock(w);
			l->state = LANE_IDLE;
		}
		wake_loop(w);
	}
	if (l->detached)
		last = --w->refs == 0;
	unlock(w);
	if (last)
		destroy(w);
	return NULL;
}

/* With mu held. The thread starts with every signal blocked, so that the
 * daemon's signalfd sees them all, and on a small stack. */
static int lane_start(struct lane *l)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int r;

	r = pthread_attr_init(&attr);
	if (r != 0)
		return -r;
	r = pthread_attr_setstacksize(&attr, WORKER_STACK_SIZE);
	if (r == 0) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		r = pthread_create(&l->thread, &attr, lane_main, l);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	pthread_attr_destroy(&attr);
	if (r != 0)
		return -r;
	l->started = true;
	return 0;
}

int worker_new(unsigned n_lanes, struct worker **ret)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct worker *w;
	int r;

	if (n_lanes == 0 || n_lanes > WORKER_LANES_MAX || !ret)
		return -EINVAL;
	w = calloc(1, sizeof(*w) + n_lanes * sizeof(w->lanes[0]));
	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->mu, NULL);
	w->refs = 1;
	w->n_lanes = n_lanes;
	for (unsigned i = 0; i < n_lanes; i++) {
		w->lanes[i].w = w;
		pthread_cond_init(&w->lanes[i].cond, NULL);
	}
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->efd < 0 || w->tfd < 0 || w->epfd < 0 ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->efd, &ev) < 0 ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->tfd, &ev) < 0) {
		r = -errno;
		worker_free(w);
		return r;
	}
	*ret = w;
	return 0;
}

int worker_fd(const struct worker *w)
{
	return w->epfd;
}

int worker_submit(struct worker *w, unsigned lane, worker_fn fn, void *arg, uint64_t timeout_ms,
		  worker_done_fn done, worker_release_fn release)
{
	struct lane *l;
	int r = 0;

	if (!w || lane >= w->n_lanes || !fn || timeout_ms == 0)
		return -EINVAL;
	if (timeout_ms > TIMEOUT_MS_MAX)
		timeout_ms = TIMEOUT_MS_MAX;
	l = &w->lanes[lane];
	lock(w);
	if (l->state != LANE_IDLE)
		r = -EBUSY;
	else if (!l->started)
		r = lane_start(l);
	if (r == 0) {
		l->fn = fn;
		l->arg = arg;
		l->done = done;
		l->release = release;
		l->deadline_ns = mono_ns() + timeout_ms * NSEC_PER_MSEC;
		l->state = LANE_RUNNING;
		l->queued = true;
		l->told = false;
		pthread_cond_signal(&l->cond);
		arm_timer(w);
	}
	unlock(w);
	return r;
}

int worker_lane_start(struct worker *w, unsigned lane)
{
	int r = 0;

	if (!w || lane >= w->n_lanes)
		return -EINVAL;
	lock(w);
	if (!w->lanes[lane].started)
		r = lane_start(&w->lanes[lane]);
	unlock(w);
	return r;
}

void worker_dispatch(struct worker *w)
{
	uint64_t buf;

	/* Drain first: whatever finishes from here on wakes the fd again. */
	if (read(w->efd, &buf, sizeof(buf)) < 0) {
		/* EAGAIN: no result or freed lane reported. */
	}
	if (read(w->tfd, &buf, sizeof(buf)) < 0) {
		/* EAGAIN: no deadline expired. */
	}
	for (unsigned i = 0; i < w->n_lanes; i++) {
		struct lane *l = &w->lanes[i];
		worker_done_fn done;
		bool timed_out;
		void *arg;
		int result;

		lock(w);
		if (l->state == LANE_DONE) {
			l->state = LANE_IDLE;
			result = l->result;
			timed_out = false;
		} else if (l->state == LANE_RUNNING && l->deadline_ns <= mono_ns()) {
			l->state = LANE_HUNG;
			result = -ETIMEDOUT;
			timed_out = true;
		} else {
			unlock(w);
			continue;
		}
		done = l->done;
		arg = l->arg;
		unlock(w);
		if (done)
			done(arg, result, timed_out);
		if (timed_out) {
			lock(w);
			l->told = true;
			pthread_cond_signal(&l->cond);
			unlock(w);
		}
	}
	lock(w);
	arm_timer(w);
	unlock(w);
}

/* LANE_IDLE for a lane out of range. */
static enum lane_state lane_state(const struct worker *w, unsigned lane)
{
	enum lane_state st;

	if (!w || lane >= w->n_lanes)
		return LANE_IDLE;
	lock(w);
	st = w->lanes[lane].state;
	unlock(w);
	return st;
}

int worker_wait(struct worker *w, unsigned lane, uint64_t timeout_ms)
{
	uint64_t end = mono_ns() + timeout_ms * NSEC_PER_MSEC;

	while (worker_lane_busy(w, lane)) {
		uint64_t now = mono_ns();
		struct pollfd p = { .fd = worker_fd(w), .events = POLLIN };
		uint64_t ms;

		if (now >= end)
			return -ETIMEDOUT;
		ms = (end - now) / NSEC_PER_MSEC + 1;
		poll(&p, 1, ms < 1000 ? (int)ms : 1000);
		worker_dispatch(w);
	}
	return 0;
}

bool worker_lane_busy(const struct worker *w, unsigned lane)
{
	return lane_state(w, lane) != LANE_IDLE;
}

bool worker_lane_hung(const struct worker *w, unsigned lane)
{
	return lane_state(w, lane) == LANE_HUNG;
}

void worker_free(struct worker *w)
{
	bool drop[WORKER_LANES_MAX] = { false };
	bool last;

	if (!w)
		return;
	lock(w);
	w->stopping = true;
	for (unsigned i = 0; i < w->n_lanes; i++) {
		struct lane *l = &w->lanes[i];

		if (l->state == LANE_DONE || (l->state == LANE_RUNNING && l->queued)) {
			/* fn has returned or never started: release arg here. */
			drop[i] = true;
			l->queued = false;
			l->state = LANE_IDLE;
		} else if (l->state != LANE_IDLE) {
			/* fn is running: its thread finishes alone. */
			l->state = LANE_HUNG;
			l->told = true;
			l->detached = true;
			w->refs++;
		}
		pthread_cond_signal(&l->cond);
	}
	unlock(w);
	/* No thread writes to the fds any more (stopping). */
	close_fd(w->epfd);
	close_fd(w->efd);
	close_fd(w->tfd);
	for (unsigned i = 0; i < w->n_lanes; i++) {
		struct lane *l = &w->lanes[i];

		if (drop[i] && l->release)
			l->release(l->arg);
		if (!l->started)
			continue;
		if (l->detached)
			pthread_detach(l->thread);
		else
			pthread_join(l->thread, NULL);
	}
	lock(w);
	last = --w->refs == 0;
	unlock(w);
	if (last)
		destroy(w);
}
