/*
 * Chart building blocks for the report's SVG figures: scales, axes with
 * ticks, point layers that stay small for any number of points, the loss
 * colour map and the marker of the best trial.
 *
 * Everything draws into a struct pz_buf in SVG user units (pixels). The
 * elements carry data-* attributes that make a figure checkable by a
 * program: an axis group states its scale, domain and pixel range, a
 * point layer how many points it stands for and how many it drew, and
 * every drawn point its trial number and loss (docs/report.md lists them).
 */
#ifndef PZ_CHART_H
#define PZ_CHART_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum pz_scale_kind {
	PZ_SCALE_LINEAR,
	PZ_SCALE_LOG,  /* domain > 0, mapped by log10 */
	PZ_SCALE_BAND, /* n bands; value i maps to the centre of band i */
};

struct pz_chart_scale {
	enum pz_scale_kind kind;
	double lo, hi; /* domain (BAND: 0 and the number of bands) */
	double p0, p1; /* the pixels lo and hi map to */
	double a, b;   /* pixel = a * t + b, t = value or log10(value) */
};

/*
 * A scale from domain [lo, hi] to pixels [p0, p1]. A degenerate domain
 * (lo == hi, or not finite) is widened around its value; a LOG domain
 * must be positive (the caller ensures it).
 */
void pz_chart_scale_init(struct pz_chart_scale *s, enum pz_scale_kind kind,
                         double lo, double hi, double p0, double p1);

/* Pixel of value v (not clamped). */
double pz_chart_scale_map(const struct pz_chart_scale *s, double v);

/* Width in pixels of one band (BAND scales). */
double pz_chart_scale_band(const struct pz_chart_scale *s);

/*
 * Widen a LINEAR or LOG domain by `frac` of its extent on each side
 * (LOG: of its extent in decades), keeping the pixel range.
 */
void pz_chart_scale_pad(struct pz_chart_scale *s, double frac);

/* How tick labels are written. */
enum pz_tick_format {
	PZ_TICK_NUMBER,
	PZ_TICK_DURATION, /* seconds as 0, 45s, 3m, 1h20m */
};

struct pz_axis {
	const struct pz_chart_scale *scale;
	/* 'x': a horizontal axis at y = at; 'y': a vertical one at x = at */
	char dir;
	double at;
	double grid;              /* grid lines this long across the plot */
	const char *title;        /* NULL: none */
	const char *const *names; /* BAND: the band names */
	/* Room for tick labels, in pixels: below an 'x' axis, left of a
	 * 'y' one (0: the defaults, 40 below and 46 left). Band names that do
	 * not fit across are turned (x: slanted, y: along the band), and
	 * cut with an ellipsis only when they fit no way; the full name is
	 * always in the label's <title>. */
	double room;
	int max_ticks;
	double step; /* LINEAR: ticks on multiples of this
	                             (0: any) */
	enum pz_tick_format format;
};

/*
 * Draw an axis: a <g class="axis" data-axis="x|y"
 * data-scale="linear|log|band" data-domain="lo hi" data-range="p0 p1">
 * with grid lines, ticks, tick labels and the title.
 */
void pz_chart_axis(struct pz_buf *b, const struct pz_axis *a);

/* One point of a layer: where it goes and what it stands for. */
struct pz_point {
	float x, y;    /* pixels */
	float shade;   /* colour key in [0, 1] (coloured layers) */
	int64_t trial; /* trial number */
	double loss;   /* NAN unless the trial finished ok */
	double value;  /* shown as data-x; NAN: no data-x */
};

enum pz_marker {
	PZ_MARK_DOT,
	PZ_MARK_CROSS,
	PZ_MARK_RING,
	PZ_MARK_TRI, /* a triangle pointing down: a pruned trial */
};

struct pz_layer {
	const char *cls; /* CSS class: "ok", "fail", "run", "shade" */
	enum pz_marker marker;
	int coloured;             /* fill from `shade` by the colour map */
	const char *const *names; /* values are option indices: data-x shows
	                             names[value] (NULL: numbers) */
	size_t direct_max;        /* up to this many, every point is drawn */
	double cell;              /* beyond: bins of cell x cell pixels */
	size_t keep_best;         /* ... and the lowest losses as points */
	double x0, y0, x1, y1;    /* plot area the bins cover */
};

/*
 * Append to a path's d="" the closed rectangle from (x, y), w x h, as
 * "Mx yhwvhh-wz": a run of cells of a binned layer or of a contour.
 */
void pz_chart_cells_run(struct pz_buf *b, double x, double y, double w,
                        double h);

/*
 * Draw `n` points (maybe reordered) as a <g class="pts CLS"
 * data-n="N" data-drawn="D" data-mode="points|bins">. With at most
 * direct_max points each becomes an element with data-trial (and
 * data-loss, data-x). With more, points are binned into cells: a cell is
 * a square whose opacity grows with its count (coloured layers: whose
 * colour is the mean of its points' shades), one <path> per shade, and the
 * keep_best points of lowest loss are drawn on top as points. Returns 1
 * when the points were binned (the figure says so), else 0. Never fails;
 * an allocation failure marks `b` failed.
 */
int pz_chart_points(struct pz_buf *b, const struct pz_layer *l,
                    struct pz_point *pts, size_t n);

/* The colour map (viridis): "#rrggbb" for t in [0, 1] into out[8]. */
void pz_chart_colour(double t, char out[8]);

/*
 * A ring around the best trial: <circle class="best" data-trial
 * data-loss cx cy>.
 */
void pz_chart_best(struct pz_buf *b, double x, double y, int64_t trial,
                   double loss);

/*
 * A vertical colour bar for shade 0 (top) to 1 (bottom) at (x, y), w by h
 * pixels, with `n` labels spread evenly from top to bottom.
 */
void pz_chart_colourbar(struct pz_buf *b, double x, double y, double w,
                        double h, const char *const *labels, int n);

/*
 * About how wide `s` is in pixels at the figures' 11 px font (DejaVu
 * Sans: 6.4 px a character on average), for laying out legends and
 * labels.
 */
double pz_chart_text_width(const char *s);

/*
 * A deterministic offset in [-0.5, 0.5) for trial `k`, to spread the
 * points of a categorical strip.
 */
double pz_chart_jitter(int64_t k);

#endif
