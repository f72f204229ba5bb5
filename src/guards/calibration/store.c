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
	" PRIMARY KEY (cgroup, t)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS minute ("
	" cgroup INTEGER NOT NULL REFERENCES cgroup(id),"
	" t INTEGER NOT NULL,"
	" n INTEGER NOT NULL,"
	" lo INTEGER NOT NULL,"
	" hi INTEGER NOT NULL,"
	" PRIMARY KEY (cgroup, t)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS limits ("
	" path TEXT PRIMARY KEY,"
	" original TEXT NOT NULL,"
	" t INTEGER NOT NULL);";

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

/* The file: created 0600 if missing (its directory 0700); ours, regular, not writable by
 * group or others, not a link (O_NOFOLLOW; sqlite opens it again with
 * SQLITE_OPEN_NOFOLLOW). */
static int check_file(const char *path, bool create, char *why, size_t size)
{
	int fd = open_mkdir_parent(path, O_RDONLY | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
	struct stat st;

	if (fd < 0) {
		snprintf(why, size, "%s: %s%s", path, strerror(-fd),
			 fd == -ELOOP ? " (a symbolic link: the store is never opened through one)" : "");
		return fd;
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

/* COMMIT; when it fails and SQLite left the transaction open (it may, on
 * BUSY, FULL or IOERR), roll it back, or every later BEGIN would fail. */
static int commit(struct cstore *s)
{
	int r = exec(s, "COMMIT");

	if (r < 0 && !sqlite3_get_autocommit(s->db))
		exec(s, "ROLLBACK");
	return r;
}

static int user_version(struct cstore *s, int *ret)
{
	sqlite3_stmt *st = NULL;
	int r = sql_err(sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL));

	if (r == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
		*ret = sqlite3_column_int(st, 0);
		r = 0;
	} else if (r > 0) {
		r = sql_err(r) ? sql_err(r) : -EIO;
	}
	sqlite3_finalize(st);
	return r;
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
	int r, version = 0;

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
	if ((r = user_version(s, &version)) == 0 && version > SCHEMA_VERSION) {
		snprintf(why, size, "%s: made by a newer oomguard (schema %d; this one knows %d)",
			 path, version, SCHEMA_VERSION);
		cstore_close(s);
		return -EPROTO;
	}
	if (r < 0 ||
	    (r = exec(s, mem ? "PRAGMA foreign_keys=ON" : "PRAGMA journal_mode=WAL")) < 0 ||
	    (r = exec(s, "PRAGMA synchronous=NORMAL")) < 0 ||
	    (r = exec(s, schema)) < 0 ||       /* tables a store made by an older build lacks */
	    (version != SCHEMA_VERSION &&
	     (r = exec(s, "PRAGMA user_version=" STRINGIFY(SCHEMA_VERSION))) < 0) ||
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

	sqlite3_bind_text(s->ins_cg, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->ins_cg);
	sqlite3_reset(s->ins_cg);
	if (rc != SQLITE_DONE)
		return sql_err(rc);
	sqlite3_bind_text(s->get_cg, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->get_cg);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s->get_cg, 0);
	/* reset at once: a statement left on a row holds its read transaction
	 * open, and no checkpoint can then move the WAL into the database */
	sqlite3_reset(s->get_cg);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -EIO : sql_err(rc);
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
		sqlite3_bind_int64(s->ins_sample, 1, id);
		sqlite3_bind_int64(s->ins_sample, 2, clamp(t_ms));
		sqlite3_bind_int64(s->ins_sample, 3, clamp(v[i].current));
		sqlite3_bind_int64(s->ins_sample, 4, clamp(v[i].anon));
		sqlite3_bind_int64(s->ins_sample, 5, clamp(v[i].file));
		sqlite3_bind_int64(s->ins_sample, 6, clamp(v[i].reclaimable));
		rc = sqlite3_step(s->ins_sample);
		sqlite3_reset(s->ins_sample);
		if (rc != SQLITE_DONE) {
			r = sql_err(rc);
			break;
		}
	}
	if (r < 0) {
		exec(s, "ROLLBACK");
		return r;
	}
	return commit(s);
}

/* One statement with a time parameter; the rows it changed, or -errno. */
static int64_t run_t(struct cstore *s, const char *sql, uint64_t t)
{
	sqlite3_stmt *st = NULL;
	int r = sql_err(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL));

	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, clamp(t));
	r = sql_err(sqlite3_step(st));
	sqlite3_finalize(st);
	return r < 0 ? r : sqlite3_changes64(s->db);
}

int64_t cstore_downsample(struct cstore *s, uint64_t before_ms)
{
	int64_t n;
	int r;

	if ((r = exec(s, "BEGIN")) < 0)
		return r;
	/* a minute already summed (a second downsampling of the same minute
	 * cannot happen: the raw samples are gone) is merged, not replaced */
	if ((n = run_t(s, "INSERT INTO minute(cgroup, t, n, lo, hi) "
		       "SELECT cgroup, (t / 60000) * 60000, count(*), min(current), max(current) "
		       "FROM sample WHERE t < ?1 GROUP BY cgroup, t / 60000 "
		       "ON CONFLICT(cgroup, t) DO UPDATE SET n = n + excluded.n, "
		       "lo = min(lo, excluded.lo), hi = max(hi, excluded.hi)", before_ms)) < 0 ||
	    (n = run_t(s, "DELETE FROM sample WHERE t < ?1", before_ms)) < 0) {
		exec(s, "ROLLBACK");
		return n;
	}
	return (r = commit(s)) < 0 ? r : n;
}

int64_t cstore_prune(struct cstore *s, uint64_t before_ms)
{
	int64_t n, m;
	int r;

	if ((n = run_t(s, "DELETE FROM sample WHERE t < ?1", before_ms)) < 0 ||
	    (m = run_t(s, "DELETE FROM minute WHERE t < ?1", before_ms)) < 0)
		return n < 0 ? n : m;
	if (n + m > 0 && (r = exec(s, "DELETE FROM cgroup WHERE id NOT IN "
			       "(SELECT cgroup FROM sample UNION SELECT cgroup FROM minute)")) < 0)
		return r;
	return n + m;
}

/* Values of one cgroup: a raw sample goes into both arrays with weight
 * 1; a minute of downsampled ones as its highest (hi) and as its lowest
 * (lo), each weighing its n: the true percentile lies between the two
 * arrays'. Memory follows the rows, not the samples they stand for. */
struct vals {
	struct wvalue *hi, *lo;
	size_t n, cap;
};

static int push(struct vals *v, uint64_t hi, uint64_t lo, uint64_t weight)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 1024;
		struct wvalue *h = realloc(v->hi, cap * sizeof(*h)), *l;

		if (!h)
			return -ENOMEM;
		v->hi = h;
		if (!(l = realloc(v->lo, cap * sizeof(*l))))
			return -ENOMEM;
		v->lo = l;
		v->cap = cap;
	}
	v->hi[v->n] = (struct wvalue){ hi, weight };
	v->lo[v->n++] = (struct wvalue){ lo, weight };
	return 0;
}

static int bind_range(sqlite3_stmt *st, int64_t cg, uint64_t from_ms, uint64_t to_ms)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, cg);
	sqlite3_bind_int64(st, 2, clamp(from_ms));
	sqlite3_bind_int64(st, 3, clamp(to_ms));
	return 0;
}

int64_t cstore_query(struct cstore *s, uint64_t from_ms, uint64_t to_ms, const char *glob,
		     cstore_stats_fn fn, void *u)
{
	sqlite3_stmt *cgs = NULL, *raw = NULL, *min = NULL;
	struct vals v = { 0 };
	int64_t reported = 0;
	int r, rc;

	if ((r = sql_err(sqlite3_prepare_v2(s->db, "SELECT id, path FROM cgroup ORDER BY path",
					    -1, &cgs, NULL))) < 0 ||
	    (r = sql_err(sqlite3_prepare_v2(s->db, "SELECT current, t FROM sample WHERE "
					    "cgroup = ?1 AND t BETWEEN ?2 AND ?3", -1, &raw,
					    NULL))) < 0 ||
	    (r = sql_err(sqlite3_prepare_v2(s->db, "SELECT hi, lo, n, t FROM minute WHERE "
					    "cgroup = ?1 AND t BETWEEN ?2 AND ?3", -1, &min,
					    NULL))) < 0)
		goto out;
	while ((rc = sqlite3_step(cgs)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(cgs, 1);
		struct calib_stats st = { .from_ms = UINT64_MAX }, low;
		int64_t id = sqlite3_column_int64(cgs, 0);

		if (!path || (glob && !cg_glob_match(glob, path)))
			continue;
		v.n = 0;
		bind_range(raw, id, from_ms, to_ms);
		while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
			uint64_t x = (uint64_t)MAX(sqlite3_column_int64(raw, 0), 0);
			uint64_t t = (uint64_t)sqlite3_column_int64(raw, 1);

			if ((r = push(&v, x, x, 1)) < 0)
				goto out;
			st.from_ms = MIN(st.from_ms, t);
			st.to_ms = MAX(st.to_ms, t);
		}
		if (rc != SQLITE_DONE) {
			r = sql_err(rc);
			goto out;
		}
		bind_range(min, id, from_ms, to_ms);
		while ((rc = sqlite3_step(min)) == SQLITE_ROW) {
			uint64_t t = (uint64_t)sqlite3_column_int64(min, 3);

			if ((r = push(&v, (uint64_t)MAX(sqlite3_column_int64(min, 0), 0),
				      (uint64_t)MAX(sqlite3_column_int64(min, 1), 0),
				      (uint64_t)MAX(sqlite3_column_int64(min, 2), 0))) < 0)
				goto out;
			st.from_ms = MIN(st.from_ms, t);
			st.to_ms = MAX(st.to_ms, t + 59999);
			st.downsampled = true;
		}
		if (rc != SQLITE_DONE) {
			r = sql_err(rc);
			goto out;
		}
		if (!v.n || calib_stats_weighted(v.hi, v.n, &st) < 0)
			continue;
		if (st.downsampled && calib_stats_weighted(v.lo, v.n, &low) == 0) {
			st.min = low.min;               /* exact: each minute's lowest */
			st.median_low = low.median;
			st.p95_low = low.p95;
		} else {
			st.median_low = st.median;
			st.p95_low = st.p95;
		}
		reported++;
		if (fn && (r = fn(path, &st, u)) != 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : sql_err(rc);
out:
	sqlite3_finalize(cgs);
	sqlite3_finalize(raw);
	sqlite3_finalize(min);
	free(v.hi);
	free(v.lo);
	return r ? r : reported;
}

int cstore_count(struct cstore *s, uint64_t *samples, uint64_t *cgroups, uint64_t *first_ms,
		 uint64_t *last_ms)
{
	sqlite3_stmt *st = NULL;
	int r = sql_err(sqlite3_prepare_v2(s->db, "SELECT (SELECT count(*) FROM sample) + "
					   "(SELECT coalesce(sum(n), 0) FROM minute), "
					   "(SELECT count(*) FROM cgroup), "
					   "(SELECT min(t) FROM (SELECT t FROM sample UNION ALL "
					   "SELECT t FROM minute)), (SELECT max(t) FROM sample)",
					   -1, &st, NULL));

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

/* One statement with text and integer parameters, stepped to the end. */
static int run(struct cstore *s, const char *sql, const char *a, const char *b, int64_t n)
{
	sqlite3_stmt *st = NULL;
	int r = sql_err(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL));

	if (r < 0)
		return r;
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if (n >= 0)
		sqlite3_bind_int64(st, 3, n);
	r = sql_err(sqlite3_step(st));
	sqlite3_finalize(st);
	return r;
}

int cstore_remember_limit(struct cstore *s, const char *path, const char *original,
			  uint64_t t_ms)
{
	return run(s, "INSERT OR IGNORE INTO limits(path, original, t) VALUES (?1, ?2, ?3)", path,
		   original, clamp(t_ms));
}

int cstore_forget_limit(struct cstore *s, const char *path)
{
	return run(s, "DELETE FROM limits WHERE path = ?1", path, NULL, -1);
}

int cstore_limits(struct cstore *s, cstore_limit_fn fn, void *u)
{
	sqlite3_stmt *st = NULL;
	int r = sql_err(sqlite3_prepare_v2(s->db, "SELECT path, original, t FROM limits ORDER BY "
					   "path", -1, &st, NULL)), rc;

	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(st, 0);
		const char *orig = (const char *)sqlite3_column_text(st, 1);

		if (path && orig && (r = fn(path, orig, (uint64_t)sqlite3_column_int64(st, 2), u)))
			break;
	}
	if (!r && rc != SQLITE_DONE)
		r = sql_err(rc);
	sqlite3_finalize(st);
	return r;
}
