/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The memory guard (memory.c) and its description (memory-show.c). */
#pragma once
#include <stdbool.h>

#include "core/guard.h"
#include "guards/memory/policy.h"

/* Read meminfo, PSI and (while memory stalls) vmstat. 0 or -errno. */
int memory_sample(struct guard *g, struct meminfo *mi, struct psi *psi, bool *have_psi);
/* The last sample's verdict and meminfo (explain). */
const struct verdict *memory_verdict(struct guard *g, const struct meminfo **mi);
const struct psi *memory_psi(struct guard *g);
const char *memory_psi_mode(struct guard *g);
void memory_describe(struct guard *g, struct describe *d);
