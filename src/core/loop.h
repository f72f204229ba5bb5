/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The event loop: one epoll, a callback per source (like sd-event), timers
 * on timerfds, the signalfd (reload, stop) and the systemd watchdog. It
 * knows no resource: guards register their own fds and timers. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct loop;
typedef void (*loop_fn)(void *userdata, uint32_t events);

/* A registered fd. The caller owns the memory (no allocation per source);
 * it must stay valid until loop_del. */
struct loop_source {
	int fd;                 /* -1 = not registered */
	loop_fn fn;
	void *userdata;
};

/* A one-shot timer: a timerfd and its source. */
struct loop_timer {
	struct loop_source src;
	loop_fn fn;
	void *userdata;
};

/* What the loop calls on SIGHUP and on SIGTERM/SIGINT. */
struct loop_hooks {
	void (*reload)(void *userdata);
	void (*stop)(void *userdata);
	void *userdata;
};

/* Block the signals, open epoll and the signalfd, start the watchdog timer
 * when systemd asks for one. 0 or -errno. */
int loop_new(const struct loop_hooks *hooks, struct loop **ret);
void loop_free(struct loop *l);

int loop_add(struct loop *l, struct loop_source *s, int fd, uint32_t events, loop_fn fn,
	     void *userdata);
/* Unregister (the fd is not closed). Safe on an unregistered source. */
void loop_del(struct loop *l, struct loop_source *s);
/* Unregister and close its fd (l may be NULL: only close). */
void loop_close(struct loop *l, struct loop_source *s);

/* A timer calling fn when it fires (its fd already drained). 0 or -errno. */
int loop_timer_init(struct loop *l, struct loop_timer *t, loop_fn fn, void *userdata);
/* Fire once after ms (0 = as soon as possible); replaces any earlier arming. */
void loop_timer_arm(struct loop_timer *t, uint64_t ms);
void loop_timer_disarm(struct loop_timer *t);
void loop_timer_close(struct loop *l, struct loop_timer *t);

/* Run until loop_quit. Each wake-up handles at most LOOP_BATCH events, so
 * no source can starve the others. 0 or -errno. */
#define LOOP_BATCH 16
int loop_run(struct loop *l);
void loop_quit(struct loop *l);

/* systemd notification (sd_notify, libsystemd dlopened only when systemd
 * listens); a no-op otherwise. */
void loop_notify(const char *state);
/* One batch of events, waiting at most timeout_ms (tests). Returns the
 * number handled or -errno. */
int loop_run_once(struct loop *l, int timeout_ms);
