/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to sdbus*.c: libsystemd's sd-bus functions, bound by sdbus_new()
 * (dlopen), and the connection object. */
#pragma once
#include "og-config.h"
#if HAVE_LIBSYSTEMD
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "core/sdbus.h"

struct sd_syms {
	int (*bus_new)(sd_bus **);
	int (*set_address)(sd_bus *, const char *);
	int (*start)(sd_bus *);
	int (*open_system)(sd_bus **);
	sd_bus *(*flush_close_unref)(sd_bus *);
	int (*new_method_call)(sd_bus *, sd_bus_message **, const char *, const char *,
			       const char *, const char *);
	int (*append)(sd_bus_message *, const char *, ...);
	int (*call)(sd_bus *, sd_bus_message *, uint64_t, sd_bus_error *, sd_bus_message **);
	sd_bus_message *(*message_unref)(sd_bus_message *);
	void (*error_free)(sd_bus_error *);
	int (*enter)(sd_bus_message *, char, const char *);
	int (*exit)(sd_bus_message *);
	int (*read)(sd_bus_message *, const char *, ...);
	int (*get_string)(sd_bus *, const char *, const char *, const char *, const char *,
			  sd_bus_error *, char **);
	int (*get_trivial)(sd_bus *, const char *, const char *, const char *, const char *,
			   sd_bus_error *, char, void *);
	int (*set_timeout)(sd_bus *, uint64_t);
	int (*open_user)(sd_bus **);
	int (*emit_signal)(sd_bus *, const char *, const char *, const char *, const char *, ...);
	int (*request_name)(sd_bus *, const char *, uint64_t);
	int (*match_signal)(sd_bus *, sd_bus_slot **, const char *, const char *, const char *,
			    const char *, sd_bus_message_handler_t, void *);
	int (*process)(sd_bus *, sd_bus_message **);
	int (*wait)(sd_bus *, uint64_t);
	int (*has_name)(const sd_bus_error *, const char *);
	int (*open_container)(sd_bus_message *, char, const char *);
	int (*close_container)(sd_bus_message *);
	const char *(*get_destination)(sd_bus_message *);
	int loaded;                     /* 1 bound, < 0 -errno */
	char why[200];
};
extern struct sd_syms sdl;

struct sdbus {
	sd_bus *bus;            /* systemd: its private socket, else the system bus */
	sd_bus *sys;            /* the system bus, for oomguard's own signals */
	bool named;             /* sys owns OG_BUS_NAME */
	sd_bus *user;           /* the agent: the session bus */
	struct sd_killed *got;  /* the agent: where the next Killed goes */
	bool have;
};

/* (Re)connect b->bus to systemd: 0, or -errno with err filled. */
int sdbus_reconnect(struct sdbus *b, char *err, size_t size);

/* A broken connection (systemd re-executed, dbus restarted): -ENOTCONN,
 * -ECONNRESET or -EPIPE. */
static inline bool sdbus_broken(int r)
{
	return r == -ENOTCONN || r == -ECONNRESET || r == -EPIPE;
}
#endif
