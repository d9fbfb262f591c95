/*
 * The figures over several labels at once: parallel coordinates (each ok
 * trial a line through every label's axis to its loss) and the contour of
 * two labels (the loss over their plane), plot.h has the contract.
 *
 * Both colour a trial by the rank of its loss (viridis, dark = low), as
 * the scatter matrix does, so a few huge losses do not wash the colours
 * out. Parallel coordinates draw every line up to PC_LINES ok trials;
 * past that the PC_BEST best and an even sample by rank, and say so. The
 * contour is a kernel-smoothed map on a grid of CELL-pixel cells, so its
 * size does not grow with the number of trials.
 */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parallel coordinates: labels shown, lines drawn, best always drawn. */
#define PC_LABELS 12
#define PC_LINES 600
#define PC_BEST 150

/* Contour: cell size in pixels, kernel width in cells. */
#define CELL 8.0
#define SIGMA 2.5
#define LEVELS 16

/* --- parallel coordinates ----------------------------------------------- */

static void pc_line(struct pz_buf *b, const struct pz_report_data *d,
                    size_t i, const int *labels, int k,
                    const struct pz_chart_scale *scales,
                    const struct pz_chart_scale *ls, const double *ax_x,
                    double shade, const char *cls)
{
	const struct pz_rtrial *t = &d->trials[i];
	char col[8];
	int first = 1;
	double l = t->loss;

	pz_chart_colour(shade, col);
	pz_buf_printf(b, "<path class=\"pc%s\" stroke=\"%s\" data-trial=\"%lld\" "
	                 "data-loss=\"",
	              cls, col, (long long)t->number);
	pz_buf_num(b, t->loss, 6);
	pz_buf_puts(b, "\" d=\"");
	for (int j = 0; j < k; j++) {
		double v = pz_report_data_value(d, i, labels[j]);

		if (isnan(v))
			continue;
		pz_buf_puts(b, first ? "M" : "L");
		pz_buf_coord(b, ax_x[j]);
		pz_buf_puts(b, " ");
		pz_buf_coord(b, pz_plot_label_pos(d, labels[j], &scales[j], v,
		                                  t->number));
		first = 0;
	}
	if (ls->kind == PZ_SCALE_LINEAR && l > d->loss_top)
		l = d->loss_top;
	pz_buf_puts(b, first ? "M" : "L");
	pz_buf_coord(b, ax_x[k]);
	pz_buf_puts(b, " ");
	pz_buf_coord(b, pz_chart_scale_map(ls, l));
	pz_buf_puts(b, "\"/>");
}

void pz_plot_parallel(struct pz_buf *b, const struct pz_report_data *d,
                      int standalone)
{
	const double x0 = 70, x1 = PZ_PLOT_WIDTH - 70, y0 = 76, y1 = 380;
	const double h = 420;
	struct pz_chart_scale scales[PC_LABELS], ls;
	double ax_x[PC_LABELS + 1], gap;
	int labels[PC_LABELS], k = 0;
	struct pz_rrank *r = NULL;
	unsigned char *keep = NULL;
	size_t drawn = 0, every = 1;
	long m;

	for (int j = 0; j < d->n_params && k < PC_LABELS; j++)
		labels[k++] = d->order[j];
	m = pz_report_rank_ok(d, NULL, 0, &r);
	if (m < 0 || (keep = calloc((size_t)m + 1, 1)) == NULL) {
		b->failed = 1;
		goto out;
	}
	if (m == 0 || k == 0) {
		pz_plot_empty(b, "parallel",
		              k == 0 ? "The space has no hyperparameters."
		                     : "No trial has finished ok yet.",
		              standalone);
		goto out;
	}
	/* Which lines: all, or the best and an even sample by rank. */
	if ((size_t)m > PC_LINES)
		every = ((size_t)m - PC_BEST + (PC_LINES - PC_BEST) - 1) /
		        (PC_LINES - PC_BEST);
	for (long j = 0; j < m; j++) {
		keep[j] = (size_t)m <= PC_LINES || j < PC_BEST ||
		          (size_t)(j - PC_BEST) % every == 0;
		drawn += keep[j];
	}
	gap = (x1 - x0) / k;
	for (int j = 0; j <= k; j++)
		ax_x[j] = x0 + gap * j;
	for (int j = 0; j < k; j++)
		pz_plot_label_scale(d, labels[j], y1, y0, &scales[j]);
	pz_plot_loss_scale(d, d->loss_log, y1, y0, &ls);

	pz_plot_open(b, "parallel", PZ_PLOT_WIDTH, h, standalone);
	pz_buf_printf(b,
	              "<g data-labels=\"%d\" data-n=\"%ld\" "
	              "data-drawn=\"%zu\">",
	              k, m, drawn);
	/* Lines first, worst first, so the best end on top. */
	pz_buf_puts(b, "<g class=\"lines\">");
	for (long j = m - 1; j >= 0; j--) {
		double shade = m > 1 ? (double)j / (double)(m - 1) : 0;

		if (!keep[j] || (long)r[j].i == d->best)
			continue;
		pc_line(b, d, r[j].i, labels, k, scales, &ls, ax_x, shade,
		        j < 10 ? " top" : "");
	}
	if (d->best >= 0)
		pc_line(b, d, (size_t)d->best, labels, k, scales, &ls, ax_x, 0,
		        " best");
	pz_buf_puts(b, "</g>");
	/* The axes over the lines, titles staggered when they crowd. */
	for (int j = 0; j <= k; j++) {
		struct pz_axis ax = { 0 };
		const char *title = j < k ? d->space->params[labels[j]].label
		                          : d->loss_log ? "loss (log)"
		                                        : "loss";
		int crowd = pz_chart_text_width(title) > gap - 8;

		ax.scale = j < k ? &scales[j] : &ls;
		ax.dir = 'y';
		ax.at = ax_x[j];
		ax.max_ticks = 5;
		ax.room = gap - 12;
		if (j < k) {
			ax.names = (const char *const *)d->labels[labels[j]]
			                   .names;
			ax.step = pz_space_param_step(
				&d->space->params[labels[j]]);
		}
		pz_buf_printf(b, "<g class=\"pcaxis\" data-label=\"");
		pz_buf_text(b, title);
		pz_buf_puts(b, "\">");
		pz_chart_axis(b, &ax);
		pz_plot_text(b, "atitle", "middle", ax_x[j],
		        crowd && j % 2 ? y0 - 30 : y0 - 14, title);
		pz_buf_puts(b, "</g>");
	}
	if (drawn < (size_t)m) {
		char text[160];

		snprintf(text, sizeof(text),
		         "%zu of %ld ok trials drawn: the %d best and an even "
		         "sample by rank",
		         drawn, m, PC_BEST);
		pz_buf_puts(b, "<g data-sampled=\"1\">");
		pz_plot_text(b, "note", "start", x0 - 40, 16, text);
		pz_buf_puts(b, "</g>");
	}
	pz_buf_puts(b, "</g></svg>");
out:
	free(r);
	free(keep);
}

/* --- contour ------------------------------------------------------------ */

/*
 * The default pair: among the six most important labels, the pair that
 * the most ok trials have both active (two labels that are always active
 * first: a conditional label and the choice that turns it on would make a
 * contour of one strip), then two numeric labels over a choice, then the
 * most important.
 */
void pz_plot_contour_labels(const struct pz_report_data *d, int *lx, int *ly)
{
	int top = d->n_params < 6 ? d->n_params : 6, best_numeric = -1;
	size_t most = 0;

	*lx = *ly = -1;
	if (d->n_params < 2)
		return;
	for (int a = 0; a < top; a++)
		for (int c = a + 1; c < top; c++) {
			int la = d->order[a], lc = d->order[c], numeric;
			size_t both = 0;

			for (size_t i = 0; i < d->n; i++)
				both += d->trials[i].state == PZ_RS_OK &&
				        !isnan(pz_report_data_value(d, i, la)) &&
				        !isnan(pz_report_data_value(d, i, lc));
			numeric = d->labels[la].names == NULL &&
			          d->labels[lc].names == NULL;
			if (*lx < 0 || both > most ||
			    (both == most && numeric > best_numeric)) {
				most = both;
				best_numeric = numeric;
				*lx = la;
				*ly = lc;
			}
		}
}

struct grid {
	int nx, ny;
	double *w, *ws; /* per cell: weight, weight x shade */
};

/*
 * Spread one trial at cell coordinates (cx, cy) with colour key `shade`
 * over the cells near it: a Gaussian of SIGMA cells along a numeric axis;
 * along a choice's axis, every cell of the trial's band and no other.
 */
static void splat(struct grid *g, double cx, double cy, double shade,
                  const int band_x[2], const int band_y[2])
{
	int r = (int)ceil(3 * SIGMA);
	int xa = band_x ? band_x[0] : (int)floor(cx) - r;
	int xb = band_x ? band_x[1] : (int)floor(cx) + r;
	int ya = band_y ? band_y[0] : (int)floor(cy) - r;
	int yb = band_y ? band_y[1] : (int)floor(cy) + r;
	double wx[128];

	xa = xa < 0 ? 0 : xa;
	ya = ya < 0 ? 0 : ya;
	xb = xb >= g->nx ? g->nx - 1 : xb;
	yb = yb >= g->ny ? g->ny - 1 : yb;
	if (xb - xa + 1 > (int)(sizeof(wx) / sizeof(wx[0])))
		xb = xa + (int)(sizeof(wx) / sizeof(wx[0])) - 1;
	/* The Gaussian is separable: one exp per column and per row. */
	for (int x = xa; x <= xb; x++) {
		double dx = band_x ? 0 : (x + 0.5 - cx) / SIGMA;

		wx[x - xa] = exp(-0.5 * dx * dx);
	}
	for (int y = ya; y <= yb; y++) {
		double dy = band_y ? 0 : (y + 0.5 - cy) / SIGMA;
		double wy = exp(-0.5 * dy * dy);
		size_t row = (size_t)y * (size_t)g->nx;

		for (int x = xa; x <= xb; x++) {
			double w = wx[x - xa] * wy;

			g->w[row + (size_t)x] += w;
			g->ws[row + (size_t)x] += w * shade;
		}
	}
}

/* The cells [*a, *b] of the band of option `v` on scale `s`. */
static void band_cells(const struct pz_chart_scale *s, double v, double p_lo,
                       int n, int out[2])
{
	double half = pz_chart_scale_band(s) / 2;
	double p = pz_chart_scale_map(s, v);
	double a = (fmin(p - half, p + half) - p_lo) / CELL;
	double e = (fmax(p - half, p + half) - p_lo) / CELL;

	out[0] = (int)ceil(a - 1e-9);
	out[1] = (int)floor(e - 1e-9);
	if (out[1] < out[0])
		out[1] = out[0];
	if (out[1] >= n)
		out[1] = n - 1;
}

/* Cells as runs of one colour level along a row, one path per level. */
static size_t draw_cells(struct pz_buf *b, const struct grid *g,
                         const signed char *level, double x0, double y0)
{
	size_t filled = 0;

	for (int lev = 0; lev < LEVELS; lev++) {
		int opened = 0;
		char col[8];

		for (int y = 0; y < g->ny; y++) {
			const signed char *row = level + (size_t)y * (size_t)g->nx;

			for (int x = 0; x < g->nx;) {
				int e = x;

				if (row[x] != lev) {
					x++;
					continue;
				}
				while (e < g->nx && row[e] == lev)
					e++;
				if (!opened) {
					pz_chart_colour((lev + 0.5) / LEVELS,
					                col);
					pz_buf_printf(b,
					              "<path class=\"cell\" "
					              "fill=\"%s\" d=\"",
					              col);
					opened = 1;
				}
				filled += (size_t)(e - x);
				pz_chart_cells_run(b, x0 + x * CELL,
				                   y0 + y * CELL, (e - x) * CELL,
				                   CELL);
				x = e;
			}
		}
		if (opened)
			pz_buf_puts(b, "\"/>");
	}
	return filled;
}

void pz_plot_contour(struct pz_buf *b, const struct pz_report_data *d, int lx,
                     int ly, int standalone)
{
	const double x0 = 90, y0 = 36, w = 640, hh = 440;
	const double x1 = x0 + w, y1 = y0 + hh, h = y1 + 64;
	struct pz_chart_scale xs, ys;
	struct pz_axis ax = { 0 };
	struct grid g = { 0 };
	struct pz_rrank *r = NULL;
	struct pz_point *pts = NULL;
	signed char *level = NULL;
	int need[2] = { lx, ly }, cat_x, cat_y;
	size_t filled;
	long m;

	if (lx < 0 || ly < 0) {
		pz_plot_empty(b, "contour",
		              "The contour needs a space of two labels or "
		              "more.",
		              standalone);
		return;
	}
	m = pz_report_rank_ok(d, need, 2, &r);
	if (m < 0) {
		b->failed = 1;
		return;
	}
	if (m < 2) {
		pz_plot_empty(b, "contour",
		              "The contour needs two ok trials with both "
		              "labels active.",
		              standalone);
		goto out;
	}
	g.nx = (int)(w / CELL);
	g.ny = (int)(hh / CELL);
	g.w = calloc((size_t)g.nx * (size_t)g.ny, sizeof(*g.w));
	g.ws = calloc((size_t)g.nx * (size_t)g.ny, sizeof(*g.ws));
	level = malloc((size_t)g.nx * (size_t)g.ny);
	pts = malloc((size_t)m * sizeof(*pts));
	if (g.w == NULL || g.ws == NULL || level == NULL || pts == NULL) {
		b->failed = 1;
		goto out;
	}
	pz_plot_label_scale(d, lx, x0, x1, &xs);
	pz_plot_label_scale(d, ly, y1, y0, &ys);
	cat_x = xs.kind == PZ_SCALE_BAND;
	cat_y = ys.kind == PZ_SCALE_BAND;
	for (long j = 0; j < m; j++) {
		size_t i = r[j].i;
		const struct pz_rtrial *t = &d->trials[i];
		double vx = pz_report_data_value(d, i, lx);
		double vy = pz_report_data_value(d, i, ly);
		double shade = (double)j / (double)(m - 1);
		int bx[2], by[2];

		if (cat_x)
			band_cells(&xs, vx, x0, g.nx, bx);
		if (cat_y)
			band_cells(&ys, vy, y0, g.ny, by);
		splat(&g, (pz_chart_scale_map(&xs, vx) - x0) / CELL,
		      (pz_chart_scale_map(&ys, vy) - y0) / CELL, shade,
		      cat_x ? bx : NULL, cat_y ? by : NULL);
		pts[j].x = (float)pz_plot_label_pos(d, lx, &xs, vx, t->number);
		pts[j].y = (float)pz_plot_label_pos(d, ly, &ys, vy,
		                                    t->number + 1);
		pts[j].shade = (float)shade;
		pts[j].trial = t->number;
		pts[j].loss = t->loss;
		pts[j].value = NAN;
	}
	/* A cell far from every trial (weight below a trial's at 1.8 sigma)
	 * stays blank. */
	for (size_t c = 0; c < (size_t)g.nx * (size_t)g.ny; c++) {
		int lev = (int)(g.ws[c] / g.w[c] * LEVELS);

		level[c] = g.w[c] < 0.2 ? -1
		           : lev >= LEVELS ? LEVELS - 1
		                           : (signed char)lev;
	}

	pz_plot_open(b, "contour", PZ_PLOT_WIDTH, h, standalone);
	pz_buf_puts(b, "<g class=\"contour\" data-x=\"");
	pz_buf_text(b, d->space->params[lx].label);
	pz_buf_puts(b, "\" data-y=\"");
	pz_buf_text(b, d->space->params[ly].label);
	pz_buf_printf(b, "\" data-n=\"%ld\">", m);
	pz_plot_rect(b, "frame", x0, y0, w, hh);
	{
		struct pz_buf cells;

		pz_buf_init(&cells);
		filled = draw_cells(&cells, &g, level, x0, y0);
		pz_buf_printf(b, "<g class=\"cells\" data-cells=\"%zu\">",
		              filled);
		if (cells.failed)
			b->failed = 1;
		else if (cells.data != NULL)
			pz_buf_put(b, cells.data, cells.len);
		pz_buf_puts(b, "</g>");
		pz_buf_finish(&cells);
	}
	ax.scale = &xs;
	ax.dir = 'x';
	ax.at = y1;
	ax.names = (const char *const *)d->labels[lx].names;
	ax.step = pz_space_param_step(&d->space->params[lx]);
	ax.max_ticks = 8;
	ax.title = d->space->params[lx].label;
	ax.room = 44;
	pz_chart_axis(b, &ax);
	ax.scale = &ys;
	ax.dir = 'y';
	ax.at = x0;
	ax.names = (const char *const *)d->labels[ly].names;
	ax.step = pz_space_param_step(&d->space->params[ly]);
	ax.title = d->space->params[ly].label;
	ax.room = 70;
	pz_chart_axis(b, &ax);
	{
		struct pz_layer layer = {
			.cls = "shade",
			.marker = PZ_MARK_DOT,
			.coloured = 1,
			.direct_max = 800,
			.cell = 4,
			.keep_best = 25,
			.x0 = x0,
			.y0 = y0,
			.x1 = x1,
			.y1 = y1,
		};
		char l0[48], l1[48], l2[48];
		const char *lab[3] = { l0, l1, l2 };

		int binned = pz_chart_points(b, &layer, pts, (size_t)m);

		if (d->best >= 0 &&
		    !isnan(pz_report_data_value(d, (size_t)d->best, lx)) &&
		    !isnan(pz_report_data_value(d, (size_t)d->best, ly))) {
			const struct pz_rtrial *t = &d->trials[d->best];

			pz_chart_best(
				b,
				pz_plot_label_pos(
					d, lx, &xs,
					pz_report_data_value(d, (size_t)d->best,
				                             lx),
					t->number),
				pz_plot_label_pos(
					d, ly, &ys,
					pz_report_data_value(d, (size_t)d->best,
				                             ly),
					t->number + 1),
				t->number, t->loss);
		}
		snprintf(l0, sizeof(l0), "%.4g (best)", r[0].key);
		snprintf(l1, sizeof(l1), "%.4g (median)", r[(m - 1) / 2].key);
		snprintf(l2, sizeof(l2), "%.4g (worst)", r[m - 1].key);
		pz_plot_text(b, "atitle", "start", x1 + 40, y0 + 10,
		        "loss, by rank");
		pz_chart_colourbar(b, x1 + 40, y0 + 22, 16, 260, lab, 3);
		pz_plot_text(b, "note", "start", x1 + 40, y0 + 310,
		        "Colour: the kernel-weighted mean rank");
		pz_plot_text(b, "note", "start", x1 + 40, y0 + 326,
		        "of the ok trials near a cell. Blank:");
		pz_plot_text(b, "note", "start", x1 + 40, y0 + 342,
		        "no trial close enough to say.");
		if (binned)
			pz_plot_text(b, "note", "start", x1 + 40, y0 + 366,
			        "Dots binned by pixel; the 25 best stay.");
	}
	pz_buf_puts(b, "</g></svg>");
out:
	free(r);
	free(pts);
	free(level);
	free(g.w);
	free(g.ws);
}
