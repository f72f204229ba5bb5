/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Worker lanes: run what may block (deleting many files, an NVML call that
 * hangs, a hook script, a D-Bus call) off the event loop, with a deadline.
 *
 * A worker has n lanes, one thread each (started on the first submit), and
 * at most one call outstanding per lane: give each guard its own lane so
 * that one hanging call never holds back another guard's work. Results and
 * deadlines come back through one pollable fd; the loop thread calls
 * worker_dispatch() when it is readable, and nothing here ever waits on a
 * call. Everything except fn and release runs on the loop thread. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define WORKER_LANES_MAX 64u
#define WORKER_STACK_SIZE (256u * 1024u) /* small: the daemon mlockall()s */

struct worker;

/* Runs on the lane's thread (all signals blocked); returns 0 / -errno or any
 * result the caller likes. */
typedef int (*worker_fn)(void *arg);
/* Runs on the loop thread, from worker_dispatch(), exactly once per
 * accepted submit. timed_out: result is -ETIMEDOUT, fn is still running
 * and arg now belongs to release (done must not free it). Otherwise result
 * is fn's and arg is done's again. */
typedef void (*worker_done_fn)(void *arg, int result, bool timed_out);
/* Frees arg when the worker is the last to hold it: after a timed-out fn
 * finally returns (on the lane thread), or for a call worker_free()
 * abandoned. May be NULL. */
typedef void (*worker_release_fn)(void *arg);

/* 1 <= n_lanes <= WORKER_LANES_MAX, else -EINVAL. No thread starts here. */
int worker_new(unsigned n_lanes, struct worker **ret);

/* Readable when a result or a deadline is due, and when a hung lane comes
 * free (then dispatch has nothing to call, but worker_lane_hung() turns
 * false). An epoll fd: add it to the loop with EPOLLIN. */
int worker_fd(const struct worker *w);

/* Run fn(arg) on the lane, due within timeout_ms (> 0). done may be NULL.
 * 0, -EBUSY while the lane has a call outstanding (including a timed-out
 * one that has not returned), -EINVAL for a bad lane, a NULL fn or a zero
 * timeout, -errno if the lane's thread cannot start. */
int worker_submit(struct worker *w, unsigned lane, worker_fn fn, void *arg, uint64_t timeout_ms,
		  worker_done_fn done, worker_release_fn release);

/* Start the lane's thread now, not on the first submit (for work that
 * must not create a thread when it comes: the kill path's hooks). 0 (also
 * when it runs already), -EINVAL for a bad lane, -errno. */
int worker_lane_start(struct worker *w, unsigned lane);

/* Call when worker_fd() is readable: runs done() for each finished call and
 * done(arg, -ETIMEDOUT, true) for each call past its deadline. A lane that
 * timed out stays busy (hung) until fn returns; then release(arg) runs and
 * the lane is free. done may submit again. Never blocks. */
void worker_dispatch(struct worker *w);

/* A call is outstanding (running, finished but not dispatched, or hung). */
bool worker_lane_busy(const struct worker *w, unsigned lane);
/* Timed out and still running: do not unload the library fn calls into. */
bool worker_lane_hung(const struct worker *w, unsigned lane);

/* Block until the lane has no call outstanding, dispatching every lane's
 * results meanwhile, for at most timeout_ms: 0, or -ETIMEDOUT (a call
 * still running). Only where waiting is the point: at exit (a guard
 * restoring what it changed) and in explain, never from the running loop. */
int worker_wait(struct worker *w, unsigned lane, uint64_t timeout_ms);

/* Joins idle lanes; a lane still running (hung or not) is detached and left
 * to finish, then its release(arg) runs. A finished result not yet
 * dispatched goes to release too: done is never called after this. Never
 * waits on a call. NULL is fine. Call it from the loop thread, not from a
 * done callback. */
void worker_free(struct worker *w);
