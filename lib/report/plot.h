/*
 * The report's figures, each drawn as one complete <svg> element from the
 * report data (report_data.h): plots.c has the history and importance
 * figures and what the figures share, plots_params.c the per-label ones
 * (effects, priors, pairs), plots_timeline.c the timeline. Internal to
 * the report.
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

/* The stylesheet of the figures (no '<' or '&': safe in XML text). */
extern const char pz_plot_css[];

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

/*
 * A legend entry at (x, y): `marker` (SVG drawn around the origin) and
 * `text`; returns the width it takes.
 */
double pz_plot_legend_item(struct pz_buf *b, double x, double y,
                           const char *marker, const char *text);

#endif
