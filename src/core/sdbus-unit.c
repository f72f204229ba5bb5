/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Protection through systemd's D-Bus API: the protected slice, a unit's
 * MemoryLow= and weights, a process moved into a transient scope (sdbus.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "og-config.h"
#include "core/sdbus.h"
#include "core/sdbus-int.h"
#include "core/util.h"

#if HAVE_LIBSYSTEMD
#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

static int append_protect(sd_bus_message *m, const struct sd_protect *p)
{
	int r = 0;

	if ((p->memory_low || p->all) && r >= 0)
		r = sdl.append(m, "(sv)", "MemoryLow", "t", p->memory_low);
	if ((p->memory_min || p->all) && r >= 0)
		r = sdl.append(m, "(sv)", "MemoryMin", "t", p->memory_min);
	if ((p->cpu_weight >= 0 || p->all) && r >= 0)
		r = sdl.append(m, "(sv)", "CPUWeight", "t",
			       p->cpu_weight >= 0 ? (uint64_t)p->cpu_weight : UINT64_MAX);
	if ((p->io_weight >= 0 || p->all) && r >= 0)
		r = sdl.append(m, "(sv)", "IOWeight", "t",
			       p->io_weight >= 0 ? (uint64_t)p->io_weight : UINT64_MAX);
	return r;
}

static void call_err(char *err, size_t size, const char *what, const char *unit,
		     const sd_bus_error *e, int r)
{
	snprintf(err, size, "%s(%s): %s%s%s", what, unit, e->name ? e->name : strerror(-r),
		 e->message ? ": " : "", e->message ? e->message : "");
}

/* method on the manager; props: the settings, then a Slice= and PIDs= for a scope */
struct unit_call {
	const char *method, *unit, *slice, *description;
	const struct sd_protect *p;
	int pid;
};

static int unit_call(struct sdbus *b, const struct unit_call *u, uint64_t timeout_ms,
		     sd_bus_error *e)
{
	sd_bus_message *m = NULL, *reply = NULL;
	bool transient = !strcmp(u->method, "StartTransientUnit");
	int r;

	r = sdl.new_method_call(b->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, u->method);
	if (r >= 0)
		r = transient ? sdl.append(m, "ss", u->unit, "fail") : sdl.append(m, "sb", u->unit, 1);
	if (r >= 0)
		r = sdl.open_container(m, 'a', "(sv)");
	if (r >= 0 && u->p)
		r = append_protect(m, u->p);
	if (r >= 0 && u->description)
		r = sdl.append(m, "(sv)", "Description", "s", u->description);
	if (r >= 0 && u->slice)
		r = sdl.append(m, "(sv)", "Slice", "s", u->slice);
	if (r >= 0 && u->pid > 0)
		r = sdl.append(m, "(sv)", "PIDs", "au", 1, (uint32_t)u->pid);
	if (r >= 0 && u->pid > 0)       /* gone when its processes are */
		r = sdl.append(m, "(sv)", "CollectMode", "s", "inactive-or-failed");
	if (r >= 0)
		r = sdl.close_container(m);
	if (r >= 0 && transient)        /* no auxiliary units */
		r = sdl.append(m, "a(sa(sv))", 0);
	if (r >= 0)
		r = sdl.call(b->bus, m, timeout_ms * 1000, e, &reply);
	sdl.message_unref(reply);
	sdl.message_unref(m);
	return r < 0 ? r : 0;
}

/* Connected, and reconnected once when the connection broke. */
static int call_once_more(struct sdbus *b, const struct unit_call *u, uint64_t timeout_ms,
			  char *err, size_t size)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = b->bus ? 0 : sdbus_reconnect(b, err, size);

	if (r < 0)
		return r;
	r = unit_call(b, u, timeout_ms, &e);
	if (sdbus_broken(r) && sdbus_reconnect(b, err, size) == 0) {
		sdl.error_free(&e);
		r = unit_call(b, u, timeout_ms, &e);
	}
	if (r < 0 && sdl.has_name(&e, "org.freedesktop.systemd1.UnitExists"))
		r = -EEXIST;
	else if (r < 0)
		call_err(err, size, u->method, u->unit, &e, r);
	sdl.error_free(&e);
	return r;
}

int sdbus_protect_slice(struct sdbus *b, const char *slice, const struct sd_protect *p,
			uint64_t timeout_ms, char *err, size_t size)
{
	struct unit_call u = { .method = "StartTransientUnit", .unit = slice, .p = p,
			       .description = "oomguard: processes protected from memory pressure" };
	int r = call_once_more(b, &u, timeout_ms, err, size);

	if (r != -EEXIST)
		return r;
	return sdbus_protect_unit(b, slice, p, timeout_ms, err, size);
}

int sdbus_protect_unit(struct sdbus *b, const char *unit, const struct sd_protect *p,
		       uint64_t timeout_ms, char *err, size_t size)
{
	struct unit_call u = { .method = "SetUnitProperties", .unit = unit, .p = p };

	return call_once_more(b, &u, timeout_ms, err, size);
}

int sdbus_scope_pid(struct sdbus *b, const char *scope, const char *slice, int pid,
		    const char *description, uint64_t timeout_ms, char *err, size_t size)
{
	struct unit_call u = { .method = "StartTransientUnit", .unit = scope, .slice = slice,
			       .pid = pid, .description = description };
	int r = call_once_more(b, &u, timeout_ms, err, size);

	if (r == -EEXIST)
		snprintf(err, size, "StartTransientUnit(%s): the unit exists", scope);
	return r;
}

static const char *unit_iface(const char *unit)
{
	static const struct { const char *suffix, *iface; } kinds[] = {
		{ ".service", "org.freedesktop.systemd1.Service" },
		{ ".scope", "org.freedesktop.systemd1.Scope" },
		{ ".slice", "org.freedesktop.systemd1.Slice" },
		{ ".socket", "org.freedesktop.systemd1.Socket" },
		{ ".mount", "org.freedesktop.systemd1.Mount" },
		{ ".swap", "org.freedesktop.systemd1.Swap" },
	};
	size_t n = strlen(unit);

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		size_t k = strlen(kinds[i].suffix);

		if (n > k && !strcmp(unit + n - k, kinds[i].suffix))
			return kinds[i].iface;
	}
	return NULL;
}

int sdbus_unit_protection(struct sdbus *b, const char *unit, struct sd_protect *ret,
			  uint64_t timeout_ms, char *err, size_t size)
{
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *iface = unit_iface(unit), *path;
	uint64_t cpu = 0, io = 0;
	int r;

	if (!iface) {
		snprintf(err, size, "%s: not a unit with a cgroup", unit);
		return -EINVAL;
	}
	if (!b->bus && (r = sdbus_reconnect(b, err, size)) < 0)
		return r;
	r = sdl.new_method_call(b->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "GetUnit");
	if (r >= 0)
		r = sdl.append(m, "s", unit);
	if (r >= 0)
		r = sdl.call(b->bus, m, timeout_ms * 1000, &e, &reply);
	if (r >= 0)
		r = sdl.read(reply, "o", &path);
	if (r >= 0)
		r = sdl.get_trivial(b->bus, SD_DEST, path, iface, "MemoryLow", &e, 't',
				    &ret->memory_low);
	if (r >= 0)
		r = sdl.get_trivial(b->bus, SD_DEST, path, iface, "MemoryMin", &e, 't',
				    &ret->memory_min);
	if (r >= 0)
		r = sdl.get_trivial(b->bus, SD_DEST, path, iface, "CPUWeight", &e, 't', &cpu);
	if (r >= 0)
		r = sdl.get_trivial(b->bus, SD_DEST, path, iface, "IOWeight", &e, 't', &io);
	if (r < 0) {
		call_err(err, size, "GetUnit", unit, &e, r);
	} else {
		ret->cpu_weight = cpu == UINT64_MAX ? -1 : (int64_t)cpu;
		ret->io_weight = io == UINT64_MAX ? -1 : (int64_t)io;
	}
	sdl.error_free(&e);
	sdl.message_unref(reply);
	sdl.message_unref(m);
	return r < 0 ? r : 0;
}

#else /* !HAVE_LIBSYSTEMD */

int sdbus_protect_slice(struct sdbus *b, const char *slice, const struct sd_protect *p,
			uint64_t timeout_ms, char *err, size_t size)
{
	return -ENOTSUP;
}

int sdbus_protect_unit(struct sdbus *b, const char *unit, const struct sd_protect *p,
		       uint64_t timeout_ms, char *err, size_t size)
{
	return -ENOTSUP;
}

int sdbus_unit_protection(struct sdbus *b, const char *unit, struct sd_protect *ret,
			  uint64_t timeout_ms, char *err, size_t size)
{
	return -ENOTSUP;
}

int sdbus_scope_pid(struct sdbus *b, const char *scope, const char *slice, int pid,
		    const char *description, uint64_t timeout_ms, char *err, size_t size)
{
	return -ENOTSUP;
}
#endif
