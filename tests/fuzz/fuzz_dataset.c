// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the ML dataset's rows (ds_format, ds_field) with
 * hostile process names, cgroup paths and values: the input split in three
 * at its first two NUL bytes. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "report/dataset.h"
#include "fuzz.h"

/* Read the RFC 4180 field at *p into out (its length in *ret_len); *p past
 * its separator. false: malformed (a quote inside an unquoted field, an
 * unterminated quote, something after a closing quote). */
static bool csv_field(const char **p, char *out, size_t *ret_len, char *ret_sep)
{
	const char *s = *p;
	size_t n = 0;

	if (*s == '"') {
		for (s++;; s++) {
			if (!*s)
				return false;
			if (*s == '"' && s[1] == '"')
				out[n++] = *s++;
			else if (*s == '"')
				break;
			else
				out[n++] = *s;
		}
		s++;
		if (*s != ',' && *s != '\n')
			return false;
	} else {
		for (; *s != ',' && *s != '\n'; s++) {
			if (!*s || *s == '"' || *s == '\r')
				return false;
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	*ret_len = n;
	*ret_sep = *s;
	*p = s + 1;
	return true;
}

static bool valid_utf8(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = *p >= 0x80 ? utf8_printable(p) : 1;

		if (!n)
			return false;
		p += n;
	}
	return true;
}

/* Written as it is: printable ASCII (and newlines, commas, quotes) and
 * well-formed printable UTF-8, short enough not to be cut. */
static bool plain(const char *s, size_t cap)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n' && *p != '\r') || *p == 0x7f)
			return false;
	return valid_utf8(s) && strlen(s) * 2 + 2 <= cap;
}

static void check_row(const char *row, int len, const char *comm, const char *cgroup,
		      const char *value)
{
	static char f[DS_ROW_MAX];
	const char *p = row;
	size_t flen;
	char sep = ',';
	int n = 0;

	if (len <= 0 || len >= DS_ROW_MAX || row[len - 1] != '\n' || strlen(row) != (size_t)len ||
	    !valid_utf8(row))
		abort();
	while (sep == ',') {
		if (!csv_field(&p, f, &flen, &sep))
			abort();
		if ((n == 10 && plain(comm, 256) && strcmp(f, comm)) ||
		    (n == 11 && plain(cgroup, 2048) && strcmp(f, cgroup)) ||
		    (n == 17 && plain(value, 1024) && strcmp(f, value)))
			abort();
		n++;
	}
	if (n != 18 || p != row + len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char row[DS_ROW_MAX], fld[600];
	char *buf = fuzz_cstring(data, size);
	const char *comm, *cgroup, *value, *end;
	struct ds_row r;
	size_t n, max;

	if (!buf)
		return 0;
	end = buf + size;               /* its NUL: "" */
	comm = buf;
	cgroup = comm + strlen(comm) < end ? comm + strlen(comm) + 1 : end;
	value = cgroup + strlen(cgroup) < end ? cgroup + strlen(cgroup) + 1 : end;
	ds_row_init(&r, DS_PROCESS, "calibration", 1795970245132ull);
	r.pid = 42;
	r.comm = comm;
	r.cgroup = cgroup;
	r.value = value;
	r.rss = size;
	r.alloc_rate = size ? (double)data[0] * 1e17 - 1e19 : NAN;
	check_row(row, ds_format(&r, row, sizeof(row)), comm, cgroup, value);
	/* one field at any cap: within it, quotes balanced */
	max = size ? data[size - 1] % 520 : 0;
	n = ds_field(comm, fld, max);
	if (n > max || n != strlen(fld) || !valid_utf8(fld) ||
	    (fld[0] == '"' && (n < 2 || fld[n - 1] != '"')))
		abort();
	free(buf);
	return 0;
}
