/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The clients of the status socket: `oomguard status` (the running
 * daemon's snapshot, then the one-shot look of explain.c, which alone is
 * printed when no daemon answers; --json: the daemon's object alone) and `oomguard watch` (a line a second, and each decision
 * once as it happens). Never a monitoring loop of their own: every reading
 * is the daemon's. */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "og-config.h"
#include "core/daemon.h"
#include "core/util.h"
#include "report/snapshot.h"

#define READ_TIMEOUT_MS 2000
#define REPLY_MAX (1u << 20)

static void socket_path(const struct og_opts *o, char *out, size_t size)
{
	if (o->status_socket)
		snprintf(out, size, "%s", o->status_socket);
	else
		snprintf(out, size, "%s/status.sock", o->runtime_dir ? o->runtime_dir : OG_RUNTIME_DIR);
}

/* Connect, read the object to EOF (at most READ_TIMEOUT_MS). 0 with
 * *ret, or -errno (-EPROTO: not a snapshot; -EPERM: closed without a
 * word, as the daemon does for a peer that is not root or its own uid). */
static int ask_daemon(const char *path, json_object **ret)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 16384;
	char *buf = NULL;
	int fd, r = 0;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		goto out;
	}
	if (!(buf = malloc(cap))) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if ((r = poll(&p, 1, READ_TIMEOUT_MS)) <= 0) {
			r = r < 0 ? -errno : -ETIMEDOUT;
			goto out;
		}
		if (len + 1 == cap) {
			char *more = cap < REPLY_MAX ? realloc(buf, cap * 2) : NULL;

			if (!more) {
				r = -EMSGSIZE;
				goto out;
			}
			buf = more;
			cap *= 2;
		}
		if ((n = read(fd, buf + len, cap - len - 1)) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	/* a daemon that closed on us without a word (not root, or its peer
	 * check refused us) sends nothing */
	r = len ? 0 : -EPERM;
	if (!r && !(*ret = json_tokener_parse(buf)))
		r = -EPROTO;
out:
	free(buf);
	close(fd);
	return r;
}

static int take(const char *path, struct og_snapshot *snap, json_object **ret_o)
{
	json_object *o = NULL;
	int r = ask_daemon(path, &o);

	if (r < 0)
		return r;
	if (snap_from_json(o, snap) < 0) {
		json_object_put(o);
		return -EPROTO;
	}
	if (ret_o)
		*ret_o = o;
	else
		json_object_put(o);
	return 0;
}

static const char *why(int r)
{
	return r == -EPROTO ? "it did not answer with a snapshot" :
	       r == -EPERM ? "it closed without a word: the status socket is root's" : strerror(-r);
}

int status_client(const struct og_opts *o)
{
	static struct og_snapshot snap;
	json_object *obj = NULL;
	char path[4096];
	int r;

	socket_path(o, path, sizeof(path));
	if ((r = take(path, &snap, &obj)) < 0) {
		fprintf(stderr, "oomguard: no daemon answers on %s (%s): a one-shot look instead\n",
			path, why(r));
		return status_run(o);
	}
	if (o->json) {
		printf("%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(obj);
		return 0;
	}
	json_object_put(obj);
	/* the daemon's counters and decisions, then each guard's section as
	 * status always printed it (the shield's members, the oom_score_adj
	 * values in force): what the snapshot does not carry */
	snap_print(&snap, stdout);
	printf("\nEach guard now (a one-shot look):\n");
	fflush(stdout);
	return status_run(o);
}

int watch_client(const struct og_opts *o)
{
	static struct og_snapshot snap;
	char path[4096], line[4096];
	uint64_t seen = 0;
	bool answered = false;

	socket_path(o, path, sizeof(path));
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long n = 0; !o->count || n < o->count; n++) {
		struct timespec second = { 1, 0 };
		int r;

		if (n)
			nanosleep(&second, NULL);
		if ((r = take(path, &snap, NULL)) < 0) {
			if (!answered) {
				fprintf(stderr, "oomguard: no daemon answers on %s: %s\n", path, why(r));
				return 1;
			}
			printf("no daemon answers on %s: %s\n", path, why(r));
			continue;
		}
		answered = true;
		if (snap.seq < seen)
			seen = 0;       /* a daemon restarted counts from 1 again */
		snap_watch_line(&snap, line, sizeof(line));
		printf("%s\n", line);
		for (size_t i = 0; i < snap.n_dec; i++) {
			const struct snap_decision *d = snap_decision_at(&snap, i);

			if (d->seq <= seen)
				continue;
			snap_decision_line(d, line, sizeof(line));
			printf("%s\n", line);
		}
		seen = snap.seq;
	}
	return 0;
}
