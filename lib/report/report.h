/*
 * Reports of a study: a self-contained HTML page with inline SVG figures,
 * one figure as a standalone SVG document, or figures as SVG fragments for
 * a live page (the dashboard draws with the same code, so the two never
 * disagree). docs/report.md shows them.
 *
 * The input is what the protocol returns (docs/protocol.md): the Study
 * object of study.get, with its space, and Trial objects, all of a
 * study's trials in any order (trial.list pages concatenated). The report
 * is pure computation: no I/O, no clock, no globals; the caller fetches
 * and writes.
 *
 * The page has a header (the study's definition, counts by state, the
 * best trial and its point), then the figures: history, learning curves
 * (when trials reported intermediate values), importance, effects,
 * priors, pairs, parallel coordinates, contour, the empirical
 * distribution of the losses and the timeline, and a sortable table of
 * trials. Figures keep their size bounded for any number of trials: past
 * a few hundred points per panel, points are binned into pixel cells and
 * only the best trials stay individual points (lines: the best and an
 * even sample are drawn, and the figure says so); the table lists every
 * trial of a study of up to PZ_REPORT_TABLE_MAX trials, else the best and
 * the latest PZ_REPORT_TABLE_MAX / 2 each.
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
 * `kind`: one of pz_report_plot_kinds; any other is PZ_EINVAL. Otherwise
 * as pz_report_html().
 */
int pz_report_plot(const cJSON *study, const cJSON *trials, const char *kind,
                   const struct pz_report_options *opt, char **svg_out,
                   size_t *len, struct pz_error *err);

/*
 * The figure kinds, NULL-terminated, in page order: "history",
 * "learning", "importance", "effects", "priors", "pairs", "parallel",
 * "contour", "edf", "timeline".
 */
extern const char *const pz_report_plot_kinds[];

/* --- figures from prepared data (the dashboard) ------------------------- */

/*
 * A study's data read once and drawn many times: immutable, owning all it
 * holds, safe to draw from in several threads at once. Made by
 * pz_report_data_create() or by a store (report_store.h).
 */
struct pz_report_data;

/*
 * Read `study` and `trials` (borrowed, as pz_report_html() takes them).
 * On success *out is owned by the caller. Errors: PZ_EINVAL naming the
 * bad value, PZ_ENOMEM.
 */
int pz_report_data_create(const cJSON *study, const cJSON *trials,
                          const struct pz_report_options *opt,
                          struct pz_report_data **out, struct pz_error *err);

void pz_report_data_destroy(struct pz_report_data *d);

/* What to draw, and how. */
struct pz_figure {
	const char *kind; /* one of pz_report_plot_kinds */
	/* An .svg document with its own stylesheet and background; else an
	 * <svg> element for a page that has pz_report_css. */
	int standalone;
	/* The value axis of history, learning and edf: -1 the data's loss
	 * scale, 0 linear, 1 log (falls back to linear when a value is
	 * <= 0). */
	int log;
	/* contour: the labels of its x and y axes (NULL: the two most
	 * important labels). */
	const char *x, *y;
	/* learning: only this trial's curve (by number) and the best
	 * trial's; -1: every curve. */
	long long trial;
};

/* kind NULL, standalone 0, log -1, x and y NULL, trial -1. */
void pz_figure_init(struct pz_figure *f);

/*
 * Draw figure `f` of `d`. On success *svg_out is a NUL-terminated
 * malloc'ed text of *len bytes owned by the caller. Errors: PZ_EINVAL for
 * an unknown kind or label (the message names it), PZ_ENOMEM.
 */
int pz_report_figure(const struct pz_report_data *d, const struct pz_figure *f,
                     char **svg_out, size_t *len, struct pz_error *err);

/* The stylesheet the figures need on a page (no '<' or '&'). */
extern const char pz_report_css[];

/*
 * A figure's title ("History") and a paragraph on what it shows (HTML
 * text: may hold <sub>; static strings). Returns PZ_EINVAL for an
 * unknown kind.
 */
int pz_report_figure_about(const char *kind, const char **title,
                           const char **about);

/*
 * Whether the page shows figure `kind` for `d`: every figure but the
 * learning curves, which appear when a trial reported a value.
 */
int pz_report_figure_shown(const struct pz_report_data *d, const char *kind);

/*
 * Whether figure `kind` of `d` offers a linear/log switch: -1 when it
 * does not (not a figure with a value axis, or values that cannot go on a
 * log axis or span less than a decade), else the variant shown first
 * (1: log).
 */
int pz_report_figure_log(const struct pz_report_data *d, const char *kind);

#endif
