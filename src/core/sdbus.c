/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd's D-Bus API through a dlopened libsystemd: see sdbus.h. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "og-config.h"
#include "core/sdbus.h"
#include "core/sdbus-int.h"
#include "core/util.h"

#if HAVE_LIBSYSTEMD
#include <systemd/sd-bus.h>
#endif

bool sd_booted_here(void)
{
	return access("/run/systemd/system", F_OK) == 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n > k && !memcmp(s + n - k, suffix, k);
}

const char *sd_unit_of_cgroup(const char *path)
{
	const char *p = path, *name = NULL;

	if (*p != '/')
		return NULL;
	while (*p == '/') {
		const char *end = strchrnul(p + 1, '/');
		size_t n = (size_t)(end - p - 1);

		name = p + 1;
		if (!*end) {    /* the last component: a unit of a kind that has a cgroup */
			if (!ends_with(name, n, ".service") && !ends_with(name, n, ".scope") &&
			    !ends_with(name, n, ".slice") && !ends_with(name, n, ".socket") &&
			    !ends_with(name, n, ".mount") && !ends_with(name, n, ".swap"))
				return NULL;
			/* systemd escapes a name that starts with _ or . or looks like
			 * a controller's file ("cpu.x.service") with one _ (cg_escape) */
			return *name == '_' && n > 1 ? name + 1 : name;
		}
		if (!ends_with(name, n, ".slice"))
			return NULL;
		p = end;
	}
	return NULL;
}

#if HAVE_LIBSYSTEMD
struct sd_syms sdl;
static pthread_once_t sd_once = PTHREAD_ONCE_INIT;

static void sd_bind(void)
{
	void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	struct { void **fn; const char *name; } syms[] = {
		{ (void **)&sdl.bus_new, "sd_bus_new" },
		{ (void **)&sdl.set_address, "sd_bus_set_address" },
		{ (void **)&sdl.start, "sd_bus_start" },
		{ (void **)&sdl.open_system, "sd_bus_open_system" },
		{ (void **)&sdl.flush_close_unref, "sd_bus_flush_close_unref" },
		{ (void **)&sdl.new_method_call, "sd_bus_message_new_method_call" },
		{ (void **)&sdl.append, "sd_bus_message_append" },
		{ (void **)&sdl.call, "sd_bus_call" },
		{ (void **)&sdl.message_unref, "sd_bus_message_unref" },
		{ (void **)&sdl.error_free, "sd_bus_error_free" },
		{ (void **)&sdl.enter, "sd_bus_message_enter_container" },
		{ (void **)&sdl.exit, "sd_bus_message_exit_container" },
		{ (void **)&sdl.read, "sd_bus_message_read" },
		{ (void **)&sdl.get_string, "sd_bus_get_property_string" },
		{ (void **)&sdl.get_trivial, "sd_bus_get_property_trivial" },
		{ (void **)&sdl.set_timeout, "sd_bus_set_method_call_timeout" },
		{ (void **)&sdl.open_user, "sd_bus_open_user" },
		{ (void **)&sdl.emit_signal, "sd_bus_emit_signal" },
		{ (void **)&sdl.request_name, "sd_bus_request_name" },
		{ (void **)&sdl.match_signal, "sd_bus_match_signal" },
		{ (void **)&sdl.process, "sd_bus_process" },
		{ (void **)&sdl.wait, "sd_bus_wait" },
		{ (void **)&sdl.has_name, "sd_bus_error_has_name" },
		{ (void **)&sdl.open_container, "sd_bus_message_open_container" },
		{ (void **)&sdl.close_container, "sd_bus_message_close_container" },
		{ (void **)&sdl.get_destination, "sd_bus_message_get_destination" },
	};

	if (!h) {
		snprintf(sdl.why, sizeof(sdl.why), "%s", dlerror());
		sdl.loaded = -ENOENT;
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(syms); i++)
		if (!(*syms[i].fn = dlsym(h, syms[i].name))) {
			snprintf(sdl.why, sizeof(sdl.why), "libsystemd.so.0 has no %s", syms[i].name);
			sdl.loaded = -ENOEXEC;
			return;
		}
	sdl.loaded = 1;
}


static int connect_bus(struct sdbus *b, char *err, size_t size)
{
	sd_bus *bus = NULL;
	int r;

	/* the private socket first, as systemctl does as root */
	if ((r = sdl.bus_new(&bus)) >= 0 &&
	    (r = sdl.set_address(bus, "unix:path=/run/systemd/private")) >= 0 &&
	    (r = sdl.start(bus)) >= 0) {
		b->bus = bus;
		sdl.set_timeout(bus, 2000000);   /* property reads: 2 s, not sd-bus's 25 */
		return 0;
	}
	if (bus)
		sdl.flush_close_unref(bus);
	bus = NULL;
	if ((r = sdl.open_system(&bus)) < 0) {
		snprintf(err, size, "cannot reach systemd: /run/systemd/private and the system "
			 "bus: %s", strerror(-r));
		return r;
	}
	b->bus = bus;
	sdl.set_timeout(bus, 2000000);
	return 0;
}

int sdbus_new(struct sdbus **ret, char *err, size_t size)
{
	struct sdbus *b;

	pthread_once(&sd_once, sd_bind);
	if (sdl.loaded < 0) {
		snprintf(err, size, "libsystemd: %s", sdl.why);
		return sdl.loaded;
	}
	if (!(b = calloc(1, sizeof(*b)))) {
		snprintf(err, size, "out of memory");
		return -ENOMEM;
	}
	*ret = b;
	return 0;
}

int sdbus_open(struct sdbus **ret, char *err, size_t size)
{
	struct sdbus *b;
	int r;

	if ((r = sdbus_new(&b, err, size)) < 0)
		return r;
	if ((r = connect_bus(b, err, size)) < 0) {
		free(b);
		return r;
	}
	*ret = b;
	return 0;
}

void sdbus_close(struct sdbus *b)
{
	if (!b)
		return;
	if (b->bus)
		sdl.flush_close_unref(b->bus);
	if (b->sys)
		sdl.flush_close_unref(b->sys);
	if (b->user)
		sdl.flush_close_unref(b->user);
	free(b);
}

static int set_memory_limit(struct sdbus *b, const char *unit, const char *prop,
			    uint64_t bytes, uint64_t timeout_ms, char *err, size_t size)
{
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	r = sdl.new_method_call(b->bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", "SetUnitProperties");
	if (r >= 0)
		r = sdl.append(m, "sba(sv)", unit, 1, 1, prop, "t", bytes);
	if (r < 0) {
		snprintf(err, size, "building SetUnitProperties: %s", strerror(-r));
		goto out;
	}
	if ((r = sdl.call(b->bus, m, timeout_ms * 1000, &e, &reply)) < 0)
		snprintf(err, size, "SetUnitProperties(%s, %s=%llu): %s%s%s", unit, prop,
			 (unsigned long long)bytes, e.name ? e.name : strerror(-r),
			 e.message ? ": " : "", e.message ? e.message : "");
out:
	sdl.error_free(&e);
	sdl.message_unref(reply);
	sdl.message_unref(m);
	return r < 0 ? r : 0;
}

int sdbus_set_memory_limit(struct sdbus *b, const char *unit, const char *prop, uint64_t bytes,
			   uint64_t timeout_ms, char *err, size_t size)
{
	int r = b->bus ? 0 : connect_bus(b, err, size);

	if (r < 0)
		return r;
	r = set_memory_limit(b, unit, prop, bytes, timeout_ms, err, size);
	/* systemd re-executed (daemon-reexec) or restarted dbus: once more */
	if (r == -ENOTCONN || r == -ECONNRESET || r == -EPIPE) {
		sdl.flush_close_unref(b->bus);
		b->bus = NULL;
		if ((r = connect_bus(b, err, size)) == 0)
			r = set_memory_limit(b, unit, prop, bytes, timeout_ms, err, size);
	}
	return r;
}

int sdbus_reconnect(struct sdbus *b, char *err, size_t size)
{
	if (b->bus)
		sdl.flush_close_unref(b->bus);
	b->bus = NULL;
	return connect_bus(b, err, size);
}

/* A broken connection (systemd re-executed): reconnect, once. */
static bool reconnect(struct sdbus *b, int r, char *err, size_t size)
{
	return sdbus_broken(r) && sdbus_reconnect(b, err, size) == 0;
}

static int restart_unit(struct sdbus *b, const char *unit, uint64_t timeout_ms, char *err,
			size_t size);

int sdbus_restart_unit(struct sdbus *b, const char *unit, uint64_t timeout_ms, char *err,
		       size_t size)
{
	int r = restart_unit(b, unit, timeout_ms, err, size);

	return reconnect(b, r, err, size) ? restart_unit(b, unit, timeout_ms, err, size) : r;
}

static int restart_unit(struct sdbus *b, const char *unit, uint64_t timeout_ms, char *err,
			size_t size)
{
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	if (!b->bus && (r = connect_bus(b, err, size)) < 0)
		return r;
	r = sdl.new_method_call(b->bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", "RestartUnit");
	if (r >= 0)
		r = sdl.append(m, "ss", unit, "replace");
	if (r >= 0)
		r = sdl.call(b->bus, m, timeout_ms * 1000, &e, &reply);
	if (r < 0)
		snprintf(err, size, "RestartUnit(%s): %s%s%s", unit, e.name ? e.name : strerror(-r),
			 e.message ? ": " : "", e.message ? e.message : "");
	sdl.error_free(&e);
	sdl.message_unref(reply);
	sdl.message_unref(m);
	return r < 0 ? r : 0;
}

/* One unit's ManagedOOM settings; 1 when it has one that says kill. */
static int oom_unit(struct sdbus *b, const char *name, const char *path, struct sd_oom_unit *u)
{
	static const struct { const char *suffix, *iface; } kinds[] = {
		{ ".service", "org.freedesktop.systemd1.Service" },
		{ ".slice", "org.freedesktop.systemd1.Slice" },
		{ ".scope", "org.freedesktop.systemd1.Scope" },
	};
	const char *iface = NULL;
	size_t n = strlen(name);
	char *mp = NULL, *sw = NULL, *cg = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (ends_with(name, n, kinds[i].suffix))
			iface = kinds[i].iface;
	if (!iface)
		return 0;
	*u = (struct sd_oom_unit){ 0 };
	if (sdl.get_string(b->bus, "org.freedesktop.systemd1", path, iface,
			  "ManagedOOMMemoryPressure", &e, &mp) < 0 ||
	    sdl.get_string(b->bus, "org.freedesktop.systemd1", path, iface, "ManagedOOMSwap", &e,
			  &sw) < 0)
		goto out;
	u->pressure_kill = mp && !strcmp(mp, "kill");
	u->swap_kill = sw && !strcmp(sw, "kill");
	if (!u->pressure_kill && !u->swap_kill)
		goto out;
	if (sdl.get_string(b->bus, "org.freedesktop.systemd1", path, iface, "ControlGroup", &e,
			  &cg) < 0 || !cg || !*cg)
		goto out;
	if (u->pressure_kill)
		sdl.get_trivial(b->bus, "org.freedesktop.systemd1", path, iface,
			       "ManagedOOMMemoryPressureLimit", &e, 'u', &u->limit);
	snprintf(u->unit, sizeof(u->unit), "%s", name);
	snprintf(u->cgroup, sizeof(u->cgroup), "%s", cg);
	r = 1;
out:
	sdl.error_free(&e);
	free(mp);
	free(sw);
	free(cg);
	return r;
}

static int managed_oom_units(struct sdbus *b, struct sd_oom_unit *out, size_t max,
			     uint64_t timeout_ms, char *err, size_t size);

int sdbus_managed_oom_units(struct sdbus *b, struct sd_oom_unit *out, size_t max,
			    uint64_t timeout_ms, char *err, size_t size)
{
	int r = managed_oom_units(b, out, max, timeout_ms, err, size);

	return reconnect(b, r, err, size) ? managed_oom_units(b, out, max, timeout_ms, err, size) : r;
}

static int managed_oom_units(struct sdbus *b, struct sd_oom_unit *out, size_t max,
			     uint64_t timeout_ms, char *err, size_t size)
{
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *name, *desc, *load, *active, *sub, *follow, *path, *jtype, *jpath;
	uint32_t jid;
	size_t k = 0;
	int r;

	if (!b->bus && (r = connect_bus(b, err, size)) < 0)
		return r;
	r = sdl.new_method_call(b->bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", "ListUnits");
	if (r >= 0)
		r = sdl.call(b->bus, m, timeout_ms * 1000, &e, &reply);
	if (r < 0) {
		snprintf(err, size, "ListUnits: %s", e.message ? e.message : strerror(-r));
		goto out;
	}
	if ((r = sdl.enter(reply, 'a', "(ssssssouso)")) < 0)
		goto bad;
	while ((r = sdl.enter(reply, 'r', "ssssssouso")) > 0) {
		r = sdl.read(reply, "ssssssouso", &name, &desc, &load, &active, &sub, &follow, &path,
			    &jid, &jtype, &jpath);
		if (r < 0 || (r = sdl.exit(reply)) < 0)
			goto bad;
		if (k < max && strcmp(active, "inactive") && oom_unit(b, name, path, &out[k]) > 0)
			k++;
	}
	if (r < 0 || (r = sdl.exit(reply)) < 0)
		goto bad;
	r = (int)k;
	goto out;
bad:
	snprintf(err, size, "ListUnits: a reply it cannot read: %s", strerror(-r));
out:
	sdl.error_free(&e);
	sdl.message_unref(reply);
	sdl.message_unref(m);
	return r;
}

#else /* !HAVE_LIBSYSTEMD */

int sdbus_open(struct sdbus **ret, char *err, size_t size)
{
	snprintf(err, size, "built without libsystemd (meson -Dsystemd=disabled)");
	return -ENOTSUP;
}

void sdbus_close(struct sdbus *b) {}

int sdbus_set_memory_limit(struct sdbus *b, const char *unit, const char *prop, uint64_t bytes,
			   uint64_t timeout_ms, char *err, size_t size)
{
	return -ENOTSUP;
}

int sdbus_managed_oom_units(struct sdbus *b, struct sd_oom_unit *out, size_t max,
			    uint64_t timeout_ms, char *err, size_t size)
{
	return -ENOTSUP;
}

int sdbus_restart_unit(struct sdbus *b, const char *unit, uint64_t timeout_ms, char *err,
		       size_t size)
{
	return -ENOTSUP;
}
#endif
