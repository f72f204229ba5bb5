/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The calibration store: see store.h and docs/calibration.md. */
#include "guards/calibration/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

#define SCHEMA_VERSION 1        /* PRAGMA user_version; bump with the schema */
#define STR_(x) #x
#define STRINGIFY(x) STR_(x)
#define BUSY_TIMEOUT_MS 2000    /* a reader (calibrate) holding the lock */

struct cstore {
	sqlite3 *db;
	sqlite3_stmt *ins_cg, *get_cg, *ins_sample;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS cgroup ("
	" id INTEGER PRIMARY KEY,"
	" path TEXT NOT NULL UNIQUE);"
	"CREATE TABLE IF NOT EXISTS sample ("
	" cgroup INTEGER NOT NULL REFERENCES cgroup(id),"
	" t INTEGER NOT NULL,"
	" current INTEGER NOT NULL,"
	" anon INTEGER NOT NULL,"
	" file INTEGER NOT NULL,"
	" reclaimable INTEGER NOT NULL,"
	" PRIMARY KEY (cgroup, t)) WITHOUT ROWID;";

const char *cstore_error(const struct cstore *s)
{
	return s && s->db ? sqlite3_errmsg(s->db) : "no store";
}

static int sql_err(int rc)
{
	switch (rc) {
	case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW: return 0;
	case SQLITE_BUSY: case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_READONLY: return -EROFS;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_CANTOPEN: return -ENOENT;
	case SQLITE_PERM: case SQLITE_AUTH: return -EACCES;
	case SQLITE_CORRUPT: case SQLITE_NOTADB: return -EBADMSG;
	default: return -EIO;
	}
}

/* The file: created 0600 if missing; ours, regular, not writable by
 * group or others, not a link (O_NOFOLLOW; sqlite opens it again with
 * SQLITE_OPEN_NOFOLLOW). */
static int check_file(const char *path, bool create, char *why, size_t size)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	struct stat st;

	if (fd < 0 && errno == ENOENT && create) {      /* its directory, once: 0700 */
		char dir[PATH_MAX];
		char *slash;

		snprintf(dir, sizeof(dir), "%s", path);
		if ((slash = strrchr(dir, '/')) && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0700) == 0 || errno == EEXIST)
				fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_CREAT, 0600);
			else
				errno = ENOENT;
		}
	}
	if (fd < 0) {
		int e = errno;

		snprintf(why, size, "%s: %s%s", path, strerror(e),
			 e == ELOOP ? " (a symbolic link: the store is never opened through one)" : "");
		return -e;
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		snprintf(why, size, "%s: %s", path, strerror(e));
		return -e;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, size, "%s is not a regular file", path);
		return -EINVAL;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		snprintf(why, size, "%s: owned by uid %u with mode %04o: the store must be this "
			 "user's and not writable by group or others", path, (unsigned)st.st_uid,
			 (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

static int exec(struct cstore *s, const char *sql)
{
	return sql_err(sqlite3_exec(s->db, sql, NULL, NULL, NULL));
}

static int prepare(struct cstore *s, const char *sql, sqlite3_stmt **st)
{
	return sql_err(sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL));
}

int cstore_open(const char *path, bool create, struct cstore **ret, char *why, size_t size)
{
	bool mem = !strcmp(path, ":memory:");
	int flags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX |
		    (create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE);
	struct cstore *s;
	int r;

	if (!mem && (r = check_file(path, create, why, size)) < 0)
		return r;
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	if ((r = sql_err(sqlite3_open_v2(path, &s->db, flags, NULL))) < 0) {
		snprintf(why, size, "%s: %s", path, cstore_error(s));
		cstore_close(s);
		return r;
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if ((r = exec(s, mem ? "PRAGMA foreign_keys=ON" : "PRAGMA journal_mode=WAL")) < 0 ||
	    (r = exec(s, "PRAGMA synchronous=NORMAL")) < 0 ||
	    (create && (r = exec(s, schema)) < 0) ||
	    (create && (r = exec(s, "PRAGMA user_version=" STRINGIFY(SCHEMA_VERSION))) < 0) ||
	    (r = prepare(s, "INSERT OR IGNORE INTO cgroup(path) VALUES (?1)", &s->ins_cg)) < 0 ||
	    (r = prepare(s, "SELECT id FROM cgroup WHERE path = ?1", &s->get_cg)) < 0 ||
	    (r = prepare(s, "INSERT OR REPLACE INTO sample(cgroup, t, current, anon, file, "
			 "reclaimable) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &s->ins_sample)) < 0) {
		snprintf(why, size, "%s: %s", path, cstore_error(s));
		cstore_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

void cstore_close(struct cstore *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->ins_cg);
	sqlite3_finalize(s->get_cg);
	sqlite3_finalize(s->ins_sample);
	sqlite3_close(s->db);
	free(s);
}

static int64_t clamp(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

static int cgroup_id(struct cstore *s, const char *path, int64_t *id)
{
	int rc;

	sqlite3_reset(s->ins_cg);
	sqlite3_bind_text(s->ins_cg, 1, path, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s->ins_cg)) != SQLITE_DONE)
		return sql_err(rc);
	sqlite3_reset(s->get_cg);
	sqlite3_bind_text(s->get_cg, 1, path, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s->get_cg)) != SQLITE_ROW)
		return rc == SQLITE_DONE ? -EIO : sql_err(rc);
	*id = sqlite3_column_int64(s->get_cg, 0);
	return 0;
}

int cstore_put(struct cstore *s, uint64_t t_ms, const struct cg_sample *v, size_t n)
{
	int r;

	if ((r = exec(s, "BEGIN")) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		int64_t id = 0;
		int rc;

		if ((r = cgroup_id(s, v[i].path, &id)) < 0)
			break;
		sqlite3_reset(s->ins_sample);
		sqlite3_bind_int64(s->ins_sample, 1, id);
		sqlite3_bind_int64(s->ins_sample, 2, clamp(t_ms));
		sqlite3_bind_int64(s->ins_sample, 3, clamp(v[i].current));
		sqlite3_bind_int64(s->ins_sample, 4, clamp(v[i].anon));
		sqlite3_bind_int64(s->ins_sample, 5, clamp(v[i].file));
		sqlite3_bind_int64(s->ins_sample, 6, clamp(v[i].reclaimable));
		if ((rc = sqlite3_step(s->ins_sample)) != SQLITE_DONE) {
			r = sql_err(rc);
			break;
		}
	}
	if (r < 0) {
		exec(s, "ROLLBACK");
		return r;
	}
	return exec(s, "COMMIT");
}

int64_t cstore_prune(struct cstore *s, uint64_t before_ms)
{
	sqlite3_stmt *st = NULL;
	int64_t n;
	int r;

	if ((r = sql_err(sqlite3_prepare_v2(s->db, "DELETE FROM sample WHERE t < ?1", -1, &st,
					    NULL))) < 0)
		return r;
	sqlite3_bind_int64(st, 1, clamp(before_ms));
	r = sql_err(sqlite3_step(st));
	sqlite3_finalize(st);
	if (r < 0)
		return r;
	n = sqlite3_changes64(s->db);
	if (n > 0 && (r = exec(s, "DELETE FROM cgroup WHERE id NOT IN "
			       "(SELECT DISTINCT cgroup FROM sample)")) < 0)
		return r;
	return n;
}

struct cg_row {
	int64_t id;
	char *path;
};

int64_t cstore_query(struct cstore *s, uint64_t from_ms, uint64_t to_ms, const char *glob,
		     cstore_stats_fn fn, void *u)
{
	sqlite3_stmt *cgs = NULL, *vals = NULL;
	uint64_t *v = NULL;
	size_t cap = 0;
	int64_t reported = 0;
	int r, rc;

	if ((r = sql_err(sqlite3_prepare_v2(s->db, "SELECT id, path FROM cgroup ORDER BY path",
					    -1, &cgs, NULL))) < 0 ||
	    (r = sql_err(sqlite3_prepare_v2(s->db, "SELECT current, t FROM sample WHERE "
					    "cgroup = ?1 AND t BETWEEN ?2 AND ?3", -1, &vals,
					    NULL))) < 0)
		goto out;
	while ((rc = sqlite3_step(cgs)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(cgs, 1);
		struct calib_stats st = { .from_ms = UINT64_MAX };
		size_t n = 0;

		if (!path || (glob && !cg_glob_match(glob, path)))
			continue;
		sqlite3_reset(vals);
		sqlite3_bind_int64(vals, 1, sqlite3_column_int64(cgs, 0));
		sqlite3_bind_int64(vals, 2, clamp(from_ms));
		sqlite3_bind_int64(vals, 3, clamp(to_ms));
		while ((rc = sqlite3_step(vals)) == SQLITE_ROW) {
			uint64_t t = (uint64_t)sqlite3_column_int64(vals, 1);

			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 1024;
				uint64_t *nv = realloc(v, ncap * sizeof(*v));

				if (!nv) {
					r = -ENOMEM;
					goto out;
				}
				v = nv;
				cap = ncap;
			}
			v[n++] = (uint64_t)MAX(sqlite3_column_int64(vals, 0), 0);
			st.from_ms = MIN(st.from_ms, t);
			st.to_ms = MAX(st.to_ms, t);
		}
		if (rc != SQLITE_DONE) {
			r = sql_err(rc);
			goto out;
		}
		if (!n || calib_stats_of(v, n, &st) < 0)
			continue;
		reported++;
		if (fn && (r = fn(path, &st, u)) != 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : sql_err(rc);
out:
	sqlite3_finalize(cgs);
	sqlite3_finalize(vals);
	free(v);
	return r ? r : reported;
}

int cstore_count(struct cstore *s, uint64_t *samples, uint64_t *cgroups, uint64_t *first_ms,
		 uint64_t *last_ms)
{
	sqlite3_stmt *st = NULL;
	int r = sql_err(sqlite3_prepare_v2(s->db, "SELECT (SELECT count(*) FROM sample), "
					   "(SELECT count(*) FROM cgroup), min(t), max(t) FROM "
					   "sample", -1, &st, NULL));

	if (r < 0)
		return r;
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		*samples = (uint64_t)sqlite3_column_int64(st, 0);
		*cgroups = (uint64_t)sqlite3_column_int64(st, 1);
		*first_ms = (uint64_t)sqlite3_column_int64(st, 2);
		*last_ms = (uint64_t)sqlite3_column_int64(st, 3);
		r = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return sql_err(r);
}
