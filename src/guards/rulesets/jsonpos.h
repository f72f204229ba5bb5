/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The line and column of a value in JSON text (with the // and block
 * comments oomd's reader allows), found by its path: json-c keeps no
 * positions, and an error must say FILE:LINE:COL. */
#pragma once
#include <stddef.h>

/* One step: into the member key of an object (key set; the last member of
 * that name, as json-c keeps it) or the element index of an array. */
struct jpos_step {
	const char *key;
	size_t index;
};

/* The position of the value at path, or of the deepest step of it that
 * exists (1-based line and column; a tab is one column). Always 0. */
int jpos_find(const char *buf, size_t len, const struct jpos_step *path, size_t n, int *line,
	      int *col);
/* The line and column of byte off. */
void jpos_line_col(const char *buf, size_t off, int *line, int *col);
