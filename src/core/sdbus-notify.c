/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oomguard's own Killed signal on the system bus, and the user agent's side:
 * listening for it and handing a desktop notification to the session bus
 * (sdbus.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "og-config.h"
#include "core/sdbus.h"
#include "core/sdbus-int.h"

#if HAVE_LIBSYSTEMD
static int open_sys(struct sdbus *b, char *err, size_t size)
{
	int r;

	if (b->sys)
		return 0;
	if ((r = sdl.open_system(&b->sys)) < 0) {
		b->sys = NULL;
		snprintf(err, size, "cannot reach the system bus: %s", strerror(-r));
		return r;
	}
	sdl.set_timeout(b->sys, 2000000);
	return 0;
}

static int emit(struct sdbus *b, const struct sd_killed *k)
{
	return sdl.emit_signal(b->sys, OG_BUS_PATH, OG_BUS_IFACE, "Killed", "uusssss",
			       k->pid, k->uid, k->comm, k->guard, k->trigger, k->reason,
			       k->cgroup);
}

int sdbus_emit_killed(struct sdbus *b, const struct sd_killed *k, char *err, size_t size)
{
	int r;

	if ((r = open_sys(b, err, size)) < 0)
		return r;
	if (!b->named) {
		/* only root may own it (the bus policy oomguard ships): a
		 * listener that matches on it knows the signal is ours */
		r = sdl.request_name(b->sys, OG_BUS_NAME, 0);
		if (r < 0) {
			snprintf(err, size, "cannot own %s on the system bus (is its policy, "
				 "dbus-1/system.d/%s.conf, installed?): %s", OG_BUS_NAME,
				 OG_BUS_NAME, strerror(-r));
			return r;
		}
		b->named = true;
	}
	r = emit(b, k);
	if (sdbus_broken(r)) {
		sdl.flush_close_unref(b->sys);
		b->sys = NULL;
		b->named = false;
		return sdbus_emit_killed(b, k, err, size);
	}
	if (r < 0)
		snprintf(err, size, "emitting Killed: %s", strerror(-r));
	return r < 0 ? r : 0;
}

static void copy(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s ? s : "");
}

static int on_killed(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct sdbus *b = userdata;
	const char *comm, *guard, *trigger, *reason, *cgroup;
	uint32_t pid, uid;

	/* The bus matched the broadcast on its sender (the owner of
	 * OG_BUS_NAME, root's alone); a signal sent to us by name bypasses
	 * that match, so anyone could forge one that way: refused. */
	if (sdl.get_destination(m))
		return 0;
	if (sdl.read(m, "uusssss", &pid, &uid, &comm, &guard, &trigger, &reason, &cgroup) < 0)
		return 0;       /* not ours to understand: ignored */
	b->got->pid = pid;
	b->got->uid = uid;
	copy(b->got->comm, sizeof(b->got->comm), comm);
	copy(b->got->guard, sizeof(b->got->guard), guard);
	copy(b->got->trigger, sizeof(b->got->trigger), trigger);
	copy(b->got->reason, sizeof(b->got->reason), reason);
	copy(b->got->cgroup, sizeof(b->got->cgroup), cgroup);
	b->have = true;
	return 1;
}

int sdbus_agent_open(struct sdbus *b, char *err, size_t size)
{
	int r;

	if ((r = open_sys(b, err, size)) < 0)
		return r;
	r = sdl.match_signal(b->sys, NULL, OG_BUS_NAME, OG_BUS_PATH, OG_BUS_IFACE, "Killed",
			     on_killed, b);
	if (r < 0) {
		snprintf(err, size, "cannot listen for %s.Killed: %s", OG_BUS_IFACE, strerror(-r));
		return r;
	}
	if ((r = sdl.open_user(&b->user)) < 0) {
		b->user = NULL;
		snprintf(err, size, "cannot reach the session bus: %s", strerror(-r));
		return r;
	}
	sdl.set_timeout(b->user, 2000000);
	return 0;
}

int sdbus_agent_next(struct sdbus *b, struct sd_killed *ret, uint64_t timeout_ms)
{
	int r;

	b->got = ret;
	b->have = false;
	for (;;) {
		while ((r = sdl.process(b->sys, NULL)) > 0)
			if (b->have)
				return 1;
		if (r < 0)
			return r;
		if (b->have)
			return 1;
		r = sdl.wait(b->sys, timeout_ms * 1000);
		if (r < 0)
			return r;
		if (r == 0)
			return 0;
	}
}

int sdbus_desktop_notify(struct sdbus *b, const char *summary, const char *body,
			 unsigned urgency, char *err, size_t size)
{
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	r = sdl.new_method_call(b->user, &m, "org.freedesktop.Notifications",
				"/org/freedesktop/Notifications", "org.freedesktop.Notifications",
				"Notify");
	if (r >= 0)     /* app, replaces id, icon, summary, body, actions, hints, timeout */
		r = sdl.append(m, "susssasa{sv}i", "oomguard", 0, "dialog-warning", summary, body,
			       0, 1, "urgency", "y", (unsigned char)urgency, -1);
	if (r >= 0)
		r = sdl.call(b->user, m, 2000000, &e, &reply);
	if (r < 0)
		snprintf(err, size, "Notify: %s%s%s", e.name ? e.name : strerror(-r),
			 e.message ? ": " : "", e.message ? e.message : "");
	sdl.error_free(&e);
	sdl.message_unref(reply);
	sdl.message_unref(m);
	return r < 0 ? r : 0;
}

#else /* !HAVE_LIBSYSTEMD */

int sdbus_emit_killed(struct sdbus *b, const struct sd_killed *k, char *err, size_t size)
{
	return -ENOTSUP;
}

int sdbus_agent_open(struct sdbus *b, char *err, size_t size)
{
	return -ENOTSUP;
}

int sdbus_agent_next(struct sdbus *b, struct sd_killed *ret, uint64_t timeout_ms)
{
	return -ENOTSUP;
}

int sdbus_desktop_notify(struct sdbus *b, const char *summary, const char *body,
			 unsigned urgency, char *err, size_t size)
{
	return -ENOTSUP;
}
#endif
