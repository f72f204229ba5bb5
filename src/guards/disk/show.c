/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The disk guard in explain and status: each watched filesystem, its
 * thresholds, its fill rate and its cleanup rules, as text and JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "guards/disk/schema.h"
#include "guards/disk/state.h"

static void describe_rules(struct describe *d, const struct og_disk *e)
{
	for (size_t i = 0; e && i < e->n_cleanup; i++) {
		const struct og_disk_cleanup *r = &e->cleanup[i];
		char pats[512] = "";
		size_t o = 0;

		for (size_t k = 0; k < r->n_match && o < sizeof(pats); k++)
			o += (size_t)snprintf(pats + o, sizeof(pats) - o, "%s%s", k ? " " : "",
					      r->match[k]);
		desc_line(d, "    cleanup %s: %s older than %" PRIu64 " s", r->dir, pats,
			  r->older_than_ms / 1000);
	}
}

static void describe_watch(struct describe *d, const struct disk_watch *w)
{
	struct describe sub = { .text = d->text, .json = desc_obj(d, w->path) };
	double eta = disk_eta_s(&w->rate, &w->u);
	char inodes[96] = "no inode figures (f_files is 0)", rate[96] = "";

	if (w->u.files)
		snprintf(inodes, sizeof(inodes), "inodes %.1f%% free (threshold %g%%)",
			 fs_inodes_free_percent(&w->u), w->lim.inodes_free_percent);
	if (w->rate.have)
		snprintf(rate, sizeof(rate), "; %s %.2f MiB/s%s", w->rate.bytes_s >= 0 ? "filling at" :
			 "freeing at", (w->rate.bytes_s >= 0 ? 1 : -1) * w->rate.bytes_s / MiB,
			 eta >= 0 ? "" : "");
	desc_line(&sub, "  %s (%s): %.1f%% free of %.1f GiB (threshold %g%%), %s%s%s%s", w->path,
		  w->type, fs_free_percent(&w->u), (double)w->u.size / GiB, w->lim.free_percent,
		  inodes, rate, w->low_space || w->low_inodes ? "; UNDER ITS THRESHOLD" : "",
		  w->filling ? "; FILLING ABNORMALLY FAST" : "");
	desc_str(&sub, "type", w->type);
	desc_int(&sub, "size", (int64_t)w->u.size);
	desc_int(&sub, "avail", (int64_t)w->u.avail);
	desc_num(&sub, "free_percent", fs_free_percent(&w->u));
	desc_num(&sub, "threshold_percent", w->lim.free_percent);
	desc_int(&sub, "files", (int64_t)w->u.files);
	desc_int(&sub, "favail", (int64_t)w->u.favail);
	desc_num(&sub, "inodes_free_percent", fs_inodes_free_percent(&w->u));
	desc_num(&sub, "inodes_threshold_percent", w->lim.inodes_free_percent);
	desc_num(&sub, "fill_rate", w->rate.have ? w->rate.bytes_s : 0);
	desc_num(&sub, "eta_s", eta);
	desc_bool(&sub, "low", w->low_space || w->low_inodes);
	desc_bool(&sub, "filling", w->filling);
	desc_str(&sub, "writer_action", disk_writer_action_name(w->lim.writer_action));
	desc_int(&sub, "horizon_ms", (int64_t)w->lim.horizon_ms);
	desc_int(&sub, "cleanup_rules", w->lim.d ? (int64_t)w->lim.d->n_cleanup : 0);
	describe_rules(&sub, w->lim.d);
	if (*w->last_clean)
		desc_line(&sub, "    last cleanup: %s", w->last_clean);
	desc_str(&sub, "last_cleanup", *w->last_clean ? w->last_clean : NULL);
	if (*w->last_eaters)
		desc_line(&sub, "    last report: %s", w->last_eaters);
}

void disk_describe(struct guard *g, struct describe *d)
{
	struct disk_guard *dg = g->state;
	const struct og_config *cfg = &g->env->c->cfg;
	bool listed = cfg->sections_seen & SEC_DISK;
	struct describe fs = { .text = d->text };

	desc_int(d, "interval_ms", (int64_t)cfg->disk_interval_ms);
	desc_str(d, "watch", listed ? "listed" : "local");
	if (!g->active)
		return;
	desc_line(d, "Every %" PRIu64 " ms, %s: statvfs (free space from f_bavail, free inodes "
		  "from f_favail: what an unprivileged user can still use)%s", cfg->disk_interval_ms,
		  listed ? "the filesystems of the disk list" :
		  "every local filesystem at 5% free space / 5% free inodes, report only",
		  cfg->dry_run ? "; dry run: cleanups delete nothing" : "");
	fs.json = desc_obj(d, "filesystems");
	for (size_t i = 0; i < dg->n; i++)
		describe_watch(&fs, &dg->w[i]);
	if (!dg->n)
		desc_line(d, "  (none watched yet)");
	if (dg->skipped)
		desc_line(d, "Not watched: %s", dg->skipped);
	desc_str(d, "not_watched", dg->skipped);
	desc_int(d, "cleanups", (int64_t)dg->cleanups);
	desc_int(d, "reports", (int64_t)dg->reports);
	desc_int(d, "victims", (int64_t)dg->acted);
}
