/*
 * Reports of a study: a self-contained HTML page with inline SVG figures,
 * or one figure as a standalone SVG document (docs/report.md shows them).
 *
 * The input is what the protocol returns (docs/protocol.md): the Study
 * object of study.get, with its space, and an array of Trial objects, all
 * of a study's trials in any order (trial.list pages concatenated). The
 * report is pure computation: no I/O, no clock, no globals; the caller
 * fetches and writes.
 *
 * The page has a header (the study's definition, counts by state, the
 * best trial and its point), then the figures: history, importance,
 * effects, priors, pairs and timeline, and a sortable table of trials.
 * Figures keep their size bounded for any number of trials: past a few
 * hundred points per panel, points are binned into pixel cells and only
 * the best trials stay individual points; the table lists every trial of
 * a study of up to PZ_REPORT_TABLE_MAX trials, else the best and the
 * latest PZ_REPORT_TABLE_MAX / 2 each.
 *
 * The output is well-formed XML (XHTML whose SVG elements are in the SVG
 * namespace) that browsers read as HTML: every tag closed, every text
 * escaped, no external resources; a short inline script adds tooltips and
 * table sorting and the page is complete without it.
 */
#ifndef PZ_REPORT_H
#define PZ_REPORT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include <parzen/error.h>

#define PZ_REPORT_TABLE_MAX 1000

enum pz_report_scale {
	/* Log when the ok losses are positive and span a decade or more
	 * (max >= 10 min). */
	PZ_REPORT_SCALE_AUTO,
	PZ_REPORT_SCALE_LINEAR,
	PZ_REPORT_SCALE_LOG, /* falls back to linear if a loss is <= 0 */
};

struct pz_report_options {
	/*
	 * The time "now" in Unix seconds: running trials end there in the
	 * timeline. 0: the latest time found in the trials.
	 */
	double now;
	enum pz_report_scale loss_scale; /* of the loss axes */
};

/* The defaults: now from the data, AUTO scale. */
void pz_report_options_init(struct pz_report_options *opt);

/*
 * The HTML report of `study` (a Study object) and `trials` (an array of
 * its Trial objects), both borrowed; `opt` NULL means the defaults. On
 * success *html_out is a NUL-terminated malloc'ed text of *len bytes
 * owned by the caller. Errors: PZ_EINVAL for input that is not a study or
 * trials of it (the message names the value, e.g. "trials[3].state:
 * unknown state 'done'"), PZ_ENOMEM.
 */
int pz_report_html(const cJSON *study, const cJSON *trials,
                   const struct pz_report_options *opt, char **html_out,
                   size_t *len, struct pz_error *err);

/*
 * One figure as a standalone SVG document (with its own stylesheet).
 * `kind`: "history", "effects", "importance", "priors", "pairs" or
 * "timeline"; any other is PZ_EINVAL. Otherwise as pz_report_html().
 */
int pz_report_plot(const cJSON *study, const cJSON *trials, const char *kind,
                   const struct pz_report_options *opt, char **svg_out,
                   size_t *len, struct pz_error *err);

/* The figure kinds, NULL-terminated, in page order. */
extern const char *const pz_report_plot_kinds[];

#endif
