/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A file replaced whole, so that a reader (node_exporter's textfile
 * collector) sees the old content or the new, never half of it. */
#pragma once
#include <stddef.h>

/* Write buf to a temp file in path's directory (".NAME.XXXXXX", which the
 * collector ignores: it reads *.prom), mode 0644, fsync, rename it over
 * path, fsync the directory. Blocks: call it from a worker lane. 0 or
 * -errno (the temp file removed). */
int textfile_replace(const char *path, const char *buf, size_t len);
