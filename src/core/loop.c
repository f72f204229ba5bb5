/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "og-config.h"
#include "core/log.h"
#include "core/util.h"
#if HAVE_LIBSYSTEMD
#include <dlfcn.h>
#include <systemd/sd-daemon.h>
#endif

struct loop {
	int epfd;
	struct loop_hooks hooks;
	struct loop_source sig;
	struct loop_timer wd;
	bool running;
};

/* libsystemd is loaded only when systemd listens (NOTIFY_SOCKET or
 * WATCHDOG_USEC set). Linked, Debian 12's pulls in libgcrypt, libgpg-error,
 * liblzma, libzstd, liblz4 and libcap: about 1 MiB of resident pages in a
 * daemon that otherwise never uses them. */
static int (*notify_fn)(int, const char *);
static int (*watchdog_fn)(int, uint64_t *);

static void sd_load(void)
{
#if HAVE_LIBSYSTEMD
	void *h;

	if (notify_fn || (!getenv("NOTIFY_SOCKET") && !getenv("WATCHDOG_USEC")))
		return;
	h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_warn("NOTIFY_SOCKET is set but %s: no readiness or watchdog notifications", dlerror());
		return;
	}
	notify_fn = (__typeof__(&sd_notify))dlsym(h, "sd_notify");
	watchdog_fn = (__typeof__(&sd_watchdog_enabled))dlsym(h, "sd_watchdog_enabled");
#endif
}

void loop_notify(const char *state)
{
	if (notify_fn)
		notify_fn(0, state);
}

int loop_add(struct loop *l, struct loop_source *s, int fd, uint32_t events, loop_fn fn,
	     void *userdata)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	s->fn = fn;
	s->userdata = userdata;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		s->fd = -1;
		return -errno;
	}
	s->fd = fd;
	return 0;
}

void loop_del(struct loop *l, struct loop_source *s)
{
	if (s->fd >= 0)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	s->fd = -1;
}

void loop_close(struct loop *l, struct loop_source *s)
{
	int fd = s->fd;

	if (fd < 0)
		return;
	if (l)
		loop_del(l, s);
	close(fd);
	s->fd = -1;
}

static void on_timer(void *userdata, uint32_t events)
{
	struct loop_timer *t = userdata;
	uint64_t x;

	/* One read takes the expiry count and resets it. */
	if (read(t->src.fd, &x, sizeof(x)) < 0 && errno != EAGAIN)
		log_warn("timerfd read: %s", strerror(errno));
	t->fn(t->userdata, events);
}

int loop_timer_init(struct loop *l, struct loop_timer *t, loop_fn fn, void *userdata)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), r;

	t->src.fd = -1;
	if (fd < 0)
		return -errno;
	t->fn = fn;
	t->userdata = userdata;
	r = loop_add(l, &t->src, fd, EPOLLIN, on_timer, t);
	if (r < 0)
		close(fd);
	return r;
}

void loop_timer_arm(struct loop_timer *t, uint64_t ms)
{
	if (t->src.fd >= 0)
		timerfd_arm_ms(t->src.fd, ms);
}

void loop_timer_disarm(struct loop_timer *t)
{
	if (t->src.fd >= 0)
		timerfd_disarm(t->src.fd);
}

void loop_timer_close(struct loop *l, struct loop_timer *t)
{
	loop_close(l, &t->src);
}

static void on_signal(void *userdata, uint32_t events)
{
	struct loop *l = userdata;
	struct signalfd_siginfo si;

	while (read(l->sig.fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (l->hooks.reload)
				l->hooks.reload(l->hooks.userdata);
		} else {
			if (l->hooks.stop)
				l->hooks.stop(l->hooks.userdata);
			l->running = false;
		}
	}
}

static void on_watchdog(void *userdata, uint32_t events)
{
	loop_notify("WATCHDOG=1");
}

int loop_new(const struct loop_hooks *hooks, struct loop **ret)
{
	struct loop *l = calloc(1, sizeof(*l));
	uint64_t wd_usec = 0;
	sigset_t mask;
	int fd, r;

	if (!l)
		return -ENOMEM;
	l->hooks = *hooks;
	l->sig.fd = l->wd.src.fd = -1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->epfd < 0 || fd < 0) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		loop_free(l);
		return r;
	}
	if ((r = loop_add(l, &l->sig, fd, EPOLLIN, on_signal, l)) < 0) {
		close(fd);
		loop_free(l);
		return r;
	}
	sd_load();
	if (watchdog_fn && watchdog_fn(0, &wd_usec) > 0 && wd_usec >= 2000 &&
	    loop_timer_init(l, &l->wd, on_watchdog, l) == 0) {
		struct itimerspec its = { 0 };
		uint64_t half = wd_usec / 2;

		its.it_value.tv_sec = its.it_interval.tv_sec = (time_t)(half / 1000000);
		its.it_value.tv_nsec = its.it_interval.tv_nsec = (long)(half % 1000000) * 1000;
		timerfd_settime(l->wd.src.fd, 0, &its, NULL);
	}
	*ret = l;
	return 0;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	loop_timer_close(l, &l->wd);
	if (l->sig.fd >= 0)
		close(l->sig.fd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l);
}

int loop_run(struct loop *l)
{

	l->running = true;
	while (l->running) {
		int r = loop_run_once(l, -1);

		if (r < 0)
			return r;
	}
	return 0;
}

void loop_quit(struct loop *l)
{
	l->running = false;
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[LOOP_BATCH];
	int n = epoll_wait(l->epfd, evs, LOOP_BATCH, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct loop_source *s = evs[i].data.ptr;

		if (s->fd >= 0)         /* not removed earlier in this batch */
			s->fn(s->userdata, evs[i].events);
	}
	return n;
}
