/*
 * The report's figures, each drawn as one complete <svg> element from the
 * report data (report_data.h): plot.c has the history, importance and
 * empirical distribution figures and what the figures share,
 * plot_params.c the per-label ones (effects, priors, pairs),
 * plot_multi.c the parallel coordinates and the contour, plot_curves.c
 * the learning curves, plot_timeline.c the timeline; report_figure.c
 * picks one by name. Internal to the report.
 *
 * Every figure is <svg class="fig" data-plot="KIND"> in the SVG namespace;
 * with `standalone` it also carries its own stylesheet and background, as
 * an .svg file needs. docs/report.md describes what each one shows and
 * the data-* attributes it carries.
 */
#ifndef PZ_PLOTS_H
#define PZ_PLOTS_H

#include "chart.h"
#include "report_data.h"
#include "buf.h"

/* Width of every figure, in pixels (SVG user units). */
#define PZ_PLOT_WIDTH 1200

/*
 * Draw figure `f` of `d` (f->kind known, f->log resolved by the caller or
 * -1 for the data's loss scale). An unknown contour label draws the
 * default pair.
 */
void pz_plot_draw(struct pz_buf *b, const struct pz_report_data *d,
                  const struct pz_figure *f);

/*
 * History of the losses by trial number; `log`: the loss axis is log
 * (the caller checks that the losses allow it).
 */
void pz_plot_history(struct pz_buf *b, const struct pz_report_data *d, int log,
                     int standalone);
void pz_plot_importance(struct pz_buf *b, const struct pz_report_data *d,
                        int standalone);
void pz_plot_timeline(struct pz_buf *b, const struct pz_report_data *d,
                      int standalone);
void pz_plot_effects(struct pz_buf *b, const struct pz_report_data *d,
                     int standalone);
void pz_plot_priors(struct pz_buf *b, const struct pz_report_data *d,
                    int standalone);
void pz_plot_pairs(struct pz_buf *b, const struct pz_report_data *d,
                   int standalone);
/*
 * Learning curves; `log`: the value axis is log (the caller checks);
 * `trial` >= 0: only that trial's curve and the best trial's.
 */
void pz_plot_learning(struct pz_buf *b, const struct pz_report_data *d,
                      int log, long long trial, int standalone);
void pz_plot_parallel(struct pz_buf *b, const struct pz_report_data *d,
                      int standalone);
/* The contour of labels lx and ly (indices into the space's params). */
void pz_plot_contour(struct pz_buf *b, const struct pz_report_data *d, int lx,
                     int ly, int standalone);
/* The empirical distribution of the ok losses. */
void pz_plot_edf(struct pz_buf *b, const struct pz_report_data *d, int log,
                 int standalone);

/*
 * Whether the learning curves' values are all positive and span a decade
 * or more (a log axis is offered).
 */
int pz_plot_learning_log_offered(const struct pz_report_data *d);

/*
 * The default labels of the contour: the two most important with a
 * score, else the first two; -1 when the space has fewer than two.
 */
void pz_plot_contour_labels(const struct pz_report_data *d, int *lx, int *ly);

/* --- shared by the figures ---------------------------------------------- */

/* Open <svg ...> of `w` x `h` pixels for figure `kind`. */
void pz_plot_open(struct pz_buf *b, const char *kind, double w, double h,
                  int standalone);

/* A note in place of a figure that has nothing to draw. */
void pz_plot_empty(struct pz_buf *b, const char *kind, const char *why,
                   int standalone);

/*
 * The loss axis shared by the figures: the ok losses from bottom (p0) to
 * top (p1), log or linear; linear axes stop below far outliers (see
 * report_data.h, loss_top).
 */
void pz_plot_loss_scale(const struct pz_report_data *d, int log, double p0,
                        double p1, struct pz_chart_scale *s);

/* The value axis of label `l` from p0 to p1: band, log or linear. */
void pz_plot_label_scale(const struct pz_report_data *d, int l, double p0,
                         double p1, struct pz_chart_scale *s);

/*
 * Pixel of value `v` of label `l` on its scale. Categorical values, and
 * values on a grid of at least 8 pixels a step, are spread across their
 * strip by the trial's jitter.
 */
double pz_plot_label_pos(const struct pz_report_data *d, int l,
                         const struct pz_chart_scale *s, double v,
                         int64_t trial);

/* The label's prior written as "loguniform(-9.21, -2.3): 0.0001 to 0.1". */
void pz_plot_prior_text(struct pz_buf *b, const struct pz_param *p);

/* <text class="CLS" text-anchor="ANCHOR"> of `text` (escaped) at (x, y). */
void pz_plot_text(struct pz_buf *b, const char *cls, const char *anchor,
                  double x, double y, const char *text);

/* <rect class="CLS"/> from (x, y), w x h: a plot's frame or band. */
void pz_plot_rect(struct pz_buf *b, const char *cls, double x, double y,
                  double w, double h);

/*
 * The x axis along the bottom (y1) and the y axis along the left (x0) of
 * the plot area [x0, x1] x [y0, y1], with grid lines across it. `x` and
 * `y` give each axis its scale, title, ticks and step; their dir, at and
 * grid are set here.
 */
void pz_plot_axes(struct pz_buf *b, struct pz_axis x, struct pz_axis y,
                  double x0, double y0, double x1, double y1);

/*
 * A legend entry at (x, y): `marker` (SVG drawn around the origin) and
 * `text`; returns the width it takes.
 */
double pz_plot_legend_item(struct pz_buf *b, double x, double y,
                           const char *marker, const char *text);

#endif
