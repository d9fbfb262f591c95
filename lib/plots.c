/*
 * The report's figures over trials: the loss history, the importance bar
 * chart and the timeline of workers, plus what every figure shares (the
 * stylesheet, the <svg> element, the loss and label axes). plots.h has
 * the contract; plots_params.c draws the per-label figures.
 */
#include "plots.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char pz_plot_css[] =
	"svg.fig{display:block;max-width:100%;height:auto}"
	".fig text{font:11px 'DejaVu Sans',Verdana,sans-serif;fill:#4a525d}"
	".fig .title{font-size:13px;font-weight:bold;fill:#1d232b}"
	".fig .atitle{font-size:11.5px;fill:#1d232b}"
	".fig .note{fill:#7a838e}"
	".fig .grid{stroke:#e8ebef;fill:none}"
	".fig .domain{stroke:#9aa3ad;fill:none}"
	".fig .frame{fill:none;stroke:#e1e4e8}"
	".fig .band{fill:#f6f7f9}"
	".pts.ok circle{fill:#3568a8;fill-opacity:.7}"
	".pts.ok .bin{fill:#3568a8}"
	".pts.shade circle{stroke:#fff;stroke-width:.5}"
	".pts.fail path{stroke:#c8423b;stroke-width:1.5;fill:none}"
	".pts.fail .bin{fill:#c8423b;stroke:none}"
	".pts.run circle{fill:none;stroke:#e08a1e;stroke-width:1.4}"
	".pts.run .bin{fill:#e08a1e}"
	".bin.s0{fill-opacity:.14}.bin.s1{fill-opacity:.28}"
	".bin.s2{fill-opacity:.45}.bin.s3{fill-opacity:.65}"
	".bin.s4{fill-opacity:.85}"
	".bsf{fill:none;stroke:#e07b00;stroke-width:2}"
	".best{fill:none;stroke:#d62728;stroke-width:2.2}"
	".bestv{stroke:#d62728;stroke-width:1.5;stroke-dasharray:4 3}"
	".bar{fill:#3568a8}"
	".bar.top{fill:#1f4f8f}"
	".tl .ok{fill:#3568a8}.tl .fail{fill:#c8423b}.tl .run{fill:#e08a1e}"
	".tl .retry{stroke:#1d232b;stroke-width:1}"
	".tl .reclaim{fill:#1d232b}"
	".tl .busy{fill:#8fa9cc;stroke:#3568a8;stroke-width:1}"
	".hist{fill:#3568a8;fill-opacity:.4;stroke:#3568a8;stroke-width:.8}"
	".prior{fill:none;stroke:#e07b00;stroke-width:2}"
	".pmass{fill:#e07b00}"
	".pmass line{stroke:#e07b00;stroke-width:2}"
	".legend text{fill:#1d232b}";

/* --- shared ------------------------------------------------------------- */

void pz_plot_open(struct pz_buf *b, const char *kind, double w, double h,
                  int standalone)
{
	pz_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	              "class=\"fig\" data-plot=\"%s\" viewBox=\"0 0 %g %g\" "
	              "width=\"%g\" height=\"%g\">", kind, w, h, w, h);
	if (standalone)
		pz_buf_printf(b, "<style>%s</style><rect width=\"100%%\" "
		              "height=\"100%%\" fill=\"#fff\"/>", pz_plot_css);
}

void pz_plot_empty(struct pz_buf *b, const char *kind, const char *why,
                   int standalone)
{
	pz_plot_open(b, kind, PZ_PLOT_WIDTH, 40, standalone);
	pz_buf_puts(b, "<text class=\"note\" x=\"10\" y=\"24\">");
	pz_buf_text(b, why);
	pz_buf_puts(b, "</text></svg>");
}

void pz_plot_loss_scale(const struct pz_rdata *d, int log, double p0,
                        double p1, struct pz_scale *s)
{
	if (log) {
		pz_scale_init(s, PZ_SCALE_LOG, d->loss_lo, d->loss_hi, p0, p1);
		pz_scale_pad(s, 0.04);
	} else {
		pz_scale_init(s, PZ_SCALE_LINEAR, d->loss_lo, d->loss_top, p0,
		              p1);
		pz_scale_pad(s, 0.04);
	}
}

void pz_plot_label_scale(const struct pz_rdata *d, int l, double p0,
                         double p1, struct pz_scale *s)
{
	const struct pz_param *p = &d->space->params[l];
	const struct pz_rlabel *rl = &d->labels[l];

	if (pz_hp_is_categorical(p->kind)) {
		pz_scale_init(s, PZ_SCALE_BAND, 0, p->n_options, p0, p1);
	} else if (rl->log) {
		pz_scale_init(s, PZ_SCALE_LOG, rl->lo, rl->hi, p0, p1);
		pz_scale_pad(s, 0.03);
	} else if (pz_hp_is_integer(p->kind)) {
		pz_scale_init(s, PZ_SCALE_LINEAR, rl->lo - 0.5, rl->hi + 0.5,
		              p0, p1);
	} else {
		pz_scale_init(s, PZ_SCALE_LINEAR, rl->lo, rl->hi, p0, p1);
		pz_scale_pad(s, 0.03);
	}
}

double pz_plot_label_pos(const struct pz_rdata *d, int l,
                         const struct pz_scale *s, double v, int64_t trial)
{
	double p = pz_scale_map(s, v);

	if (pz_hp_is_categorical(d->space->params[l].kind))
		p += pz_chart_jitter(trial) * 0.6 * pz_scale_band(s);
	return p;
}

void pz_plot_prior_text(struct pz_buf *b, const struct pz_param *p)
{
	pz_buf_printf(b, "%s(", pz_hp_kind_name(p->kind));
	switch (p->kind) {
	case PZ_HP_CHOICE:
		pz_buf_printf(b, "%d options", p->n_options);
		break;
	case PZ_HP_PCHOICE:
		for (int i = 0; i < p->n_options; i++) {
			pz_buf_puts(b, i ? ", " : "p = ");
			pz_buf_num(b, p->p[i], 3);
		}
		break;
	case PZ_HP_NORMAL:
	case PZ_HP_QNORMAL:
	case PZ_HP_LOGNORMAL:
	case PZ_HP_QLOGNORMAL:
		pz_buf_puts(b, "mu ");
		pz_buf_num(b, p->mu, 4);
		pz_buf_puts(b, ", sigma ");
		pz_buf_num(b, p->sigma, 4);
		break;
	default:
		pz_buf_num(b, p->low, 4);
		pz_buf_puts(b, ", ");
		pz_buf_num(b, p->high, 4);
	}
	if (p->q > 0) {
		pz_buf_puts(b, ", q ");
		pz_buf_num(b, p->q, 4);
	}
	pz_buf_puts(b, ")");
}

/* A legend entry at (x, y): a marker and a text; returns its width. */
static double legend_item(struct pz_buf *b, double x, double y,
                          const char *marker, const char *text)
{
	pz_buf_puts(b, "<g transform=\"translate(");
	pz_buf_coord(b, x);
	pz_buf_puts(b, " ");
	pz_buf_coord(b, y);
	pz_buf_printf(b, ")\">%s<text x=\"14\" y=\"4\">", marker);
	pz_buf_text(b, text);
	pz_buf_puts(b, "</text></g>");
	return 30 + 6.4 * (double)strlen(text);
}

static const char mark_ok[] =
	"<g class=\"pts ok\"><circle r=\"3.2\" cx=\"4\" cy=\"0\"/></g>";
static const char mark_fail[] =
	"<g class=\"pts fail\"><path d=\"M1.5-2.5l5 5m0-5l-5 5\"/></g>";
static const char mark_run[] =
	"<g class=\"pts run\"><circle r=\"3\" cx=\"4\" cy=\"0\"/></g>";
static const char mark_bsf[] = "<path class=\"bsf\" d=\"M-4 0h16\"/>";
static const char mark_best[] =
	"<circle class=\"legend-best best\" r=\"5\" cx=\"4\" cy=\"0\"/>";

/* --- history ------------------------------------------------------------ */

/*
 * The best loss so far along the trial numbers, as a step line. Steps
 * that fall in the pixel column of the previous one are merged, so the
 * path has at most one step per column whatever the number of trials.
 */
static void best_so_far(struct pz_buf *b, const struct pz_rdata *d,
                        const struct pz_scale *xs, const struct pz_scale *ys)
{
	double best = INFINITY, px_last = 0, py_pending = 0;
	int started = 0, pending = 0;

	pz_buf_puts(b, "<path class=\"bsf\" d=\"");
	for (size_t i = 0; i < d->n; i++) {
		const struct pz_rtrial *t = &d->trials[i];
		double px, py, l;

		if (t->state != PZ_RS_OK || !(t->loss < best))
			continue;
		best = t->loss;
		l = ys->kind == PZ_SCALE_LINEAR && best > d->loss_top
		            ? d->loss_top : best;
		px = pz_scale_map(xs, (double)t->number);
		py = pz_scale_map(ys, l);
		if (started && px - px_last < 1) {
			py_pending = py;
			pending = 1;
			continue;
		}
		if (!started) {
			pz_buf_puts(b, "M");
			pz_buf_coord(b, px);
			pz_buf_puts(b, " ");
			started = 1;
		} else {
			if (pending) {
				pz_buf_puts(b, "V");
				pz_buf_coord(b, py_pending);
			}
			pz_buf_puts(b, "H");
			pz_buf_coord(b, px);
			pz_buf_puts(b, "V");
		}
		pz_buf_coord(b, py);
		px_last = px;
		pending = 0;
	}
	if (pending) {
		pz_buf_puts(b, "V");
		pz_buf_coord(b, py_pending);
	}
	if (started) {
		pz_buf_puts(b, "H");
		pz_buf_coord(b, xs->p1);
	}
	pz_buf_puts(b, "\"/>");
}

void pz_plot_history(struct pz_buf *b, const struct pz_rdata *d, int log,
                     int standalone)
{
	const double x0 = 76, x1 = PZ_PLOT_WIDTH - 16, yb0 = 34, yb1 = 50;
	const double y0 = 58, y1 = 318, h = 356;
	struct pz_scale xs, ys;
	struct pz_point *pts;
	size_t k[PZ_RS_COUNT] = { 0 }, off[PZ_RS_COUNT], above = 0;
	struct pz_axis ax = { 0 };
	double lx;
	char text[96];

	if (d->counts[PZ_RS_OK] + d->counts[PZ_RS_FAIL] +
	    d->counts[PZ_RS_RUNNING] == 0) {
		pz_plot_empty(b, "history", "No trial has run yet.",
		              standalone);
		return;
	}
	pts = malloc(d->n * sizeof(*pts));
	if (pts == NULL) {
		b->failed = 1;
		return;
	}
	pz_scale_init(&xs, PZ_SCALE_LINEAR, (double)d->trials[0].number,
	              (double)d->trials[d->n - 1].number, x0, x1);
	pz_scale_pad(&xs, 0.01);
	pz_plot_loss_scale(d, log, y1, y0, &ys);

	pz_plot_open(b, "history", PZ_PLOT_WIDTH, h, standalone);
	pz_buf_printf(b, "<g data-variant=\"%s\">", log ? "log" : "linear");
	pz_buf_puts(b, "<rect class=\"band\" x=\"");
	pz_buf_coord(b, x0);
	pz_buf_puts(b, "\" y=\"");
	pz_buf_coord(b, yb0);
	pz_buf_puts(b, "\" width=\"");
	pz_buf_coord(b, x1 - x0);
	pz_buf_puts(b, "\" height=\"");
	pz_buf_coord(b, yb1 - yb0);
	pz_buf_puts(b, "\"/><text class=\"note\" text-anchor=\"end\" x=\"");
	pz_buf_coord(b, x0 - 5);
	pz_buf_puts(b, "\" y=\"");
	pz_buf_coord(b, yb1 - 4);
	pz_buf_puts(b, "\">no loss</text>");

	ax.scale = &xs;
	ax.dir = 'x';
	ax.at = y1;
	ax.grid = y1 - y0;
	ax.title = "trial number";
	ax.max_ticks = 12;
	pz_chart_axis(b, &ax);
	ax.scale = &ys;
	ax.dir = 'y';
	ax.at = x0;
	ax.grid = x1 - x0;
	ax.title = log ? "loss (log scale)" : "loss";
	ax.max_ticks = 7;
	pz_chart_axis(b, &ax);

	/* Three runs of points in one array: ok, fail, running. */
	for (size_t i = 0; i < d->n; i++)
		k[d->trials[i].state]++;
	off[PZ_RS_OK] = 0;
	off[PZ_RS_FAIL] = k[PZ_RS_OK];
	off[PZ_RS_RUNNING] = off[PZ_RS_FAIL] + k[PZ_RS_FAIL];
	memset(k, 0, sizeof(k));
	for (size_t i = 0; i < d->n; i++) {
		const struct pz_rtrial *t = &d->trials[i];
		struct pz_point *p;

		if (t->state == PZ_RS_QUEUED)
			continue;
		p = &pts[off[t->state] + k[t->state]++];
		p->x = (float)pz_scale_map(&xs, (double)t->number);
		p->trial = t->number;
		p->loss = t->loss;
		p->value = NAN;
		p->shade = 0;
		if (t->state == PZ_RS_OK) {
			double l = t->loss;

			if (!log && l > d->loss_top) {
				l = d->loss_top;
				above++;
			}
			p->y = (float)pz_scale_map(&ys, l);
		} else {
			p->y = (float)((yb0 + yb1) / 2 +
			               pz_chart_jitter(t->number) * 10);
		}
	}
	{
		struct pz_layer l = {
			.cls = "ok", .marker = PZ_MARK_DOT, .direct_max = 2000,
			.cell = 3, .keep_best = 50,
			.x0 = x0, .y0 = y0, .x1 = x1, .y1 = y1,
		};

		pz_chart_points(b, &l, pts + off[PZ_RS_OK], k[PZ_RS_OK]);
		l.x0 = x0;
		l.y0 = yb0;
		l.y1 = yb1;
		l.keep_best = 0;
		l.cls = "fail";
		l.marker = PZ_MARK_CROSS;
		pz_chart_points(b, &l, pts + off[PZ_RS_FAIL], k[PZ_RS_FAIL]);
		l.cls = "run";
		l.marker = PZ_MARK_RING;
		pz_chart_points(b, &l, pts + off[PZ_RS_RUNNING],
		                k[PZ_RS_RUNNING]);
	}
	free(pts);

	if (d->best >= 0) {
		const struct pz_rtrial *t = &d->trials[d->best];

		best_so_far(b, d, &xs, &ys);
		pz_chart_best(b, pz_scale_map(&xs, (double)t->number),
		              pz_scale_map(&ys, t->loss), t->number, t->loss);
	}
	if (above > 0) {
		pz_buf_puts(b, "<text class=\"note\" text-anchor=\"end\" x=\"");
		pz_buf_coord(b, x1 - 4);
		pz_buf_puts(b, "\" y=\"");
		pz_buf_coord(b, y0 + 12);
		pz_buf_printf(b, "\">%zu losses above the axis drawn at its "
		              "top</text>", above);
	}

	/* Legend along the top. */
	pz_buf_puts(b, "<g class=\"legend\">");
	lx = x0;
	snprintf(text, sizeof(text), "ok (%zu)", d->counts[PZ_RS_OK]);
	lx += legend_item(b, lx, 14, mark_ok, text);
	snprintf(text, sizeof(text), "failed (%zu)", d->counts[PZ_RS_FAIL]);
	lx += legend_item(b, lx, 14, mark_fail, text);
	snprintf(text, sizeof(text), "running (%zu)",
	         d->counts[PZ_RS_RUNNING]);
	lx += legend_item(b, lx, 14, mark_run, text);
	lx += legend_item(b, lx, 14, mark_bsf, "best so far");
	if (d->best >= 0) {
		const struct pz_rtrial *t = &d->trials[d->best];

		snprintf(text, sizeof(text), "best: trial %lld, loss %.6g",
		         (long long)t->number, t->loss);
		legend_item(b, lx, 14, mark_best, text);
	}
	pz_buf_puts(b, "</g></g></svg>");
}

/* --- importance --------------------------------------------------------- */

void pz_plot_importance(struct pz_buf *b, const struct pz_rdata *d,
                        int standalone)
{
	const double x0 = 250, x1 = PZ_PLOT_WIDTH - 200, top = 12, rh = 24;
	double max = 0, h, y1;
	struct pz_scale xs;
	struct pz_axis ax = { 0 };

	if (d->n_params == 0) {
		pz_plot_empty(b, "importance", "The space has no "
		              "hyperparameters.", standalone);
		return;
	}
	for (int l = 0; l < d->n_params; l++)
		if (d->labels[l].importance > max)
			max = d->labels[l].importance;
	y1 = top + rh * d->n_params + 4;
	h = y1 + 40;
	pz_scale_init(&xs, PZ_SCALE_LINEAR, 0, max > 0.05 ? max * 1.05 : 0.05,
	              x0, x1);
	pz_plot_open(b, "importance", PZ_PLOT_WIDTH, h, standalone);
	ax.scale = &xs;
	ax.dir = 'x';
	ax.at = y1;
	ax.grid = y1 - top;
	ax.title = "importance (Kruskal-Wallis \xce\xb7\xc2\xb2 of the loss "
	           "ranks, 0 to 1)";
	ax.max_ticks = 8;
	pz_chart_axis(b, &ax);

	for (int r = 0; r < d->n_params; r++) {
		int l = d->order[r];
		const struct pz_rlabel *rl = &d->labels[l];
		double y = top + rh * r, s = rl->importance;
		double w = isnan(s) ? 0 : pz_scale_map(&xs, s) - x0;

		pz_buf_puts(b, "<text text-anchor=\"end\" x=\"");
		pz_buf_coord(b, x0 - 8);
		pz_buf_puts(b, "\" y=\"");
		pz_buf_coord(b, y + rh / 2 + 4);
		pz_buf_puts(b, "\">");
		pz_buf_text(b, d->space->params[l].label);
		pz_buf_puts(b, "</text>");
		pz_buf_printf(b, "<rect class=\"bar%s\" data-rank=\"%d\" "
		              "data-label=\"", r == 0 && s > 0 ? " top" : "",
		              r + 1);
		pz_buf_text(b, d->space->params[l].label);
		pz_buf_puts(b, "\" data-importance=\"");
		pz_buf_num(b, s, 6);
		pz_buf_puts(b, "\" x=\"");
		pz_buf_coord(b, x0);
		pz_buf_puts(b, "\" y=\"");
		pz_buf_coord(b, y + 4);
		pz_buf_puts(b, "\" width=\"");
		pz_buf_coord(b, w);
		pz_buf_puts(b, "\" height=\"");
		pz_buf_coord(b, rh - 8);
		pz_buf_puts(b, "\"/><text class=\"note\" x=\"");
		pz_buf_coord(b, x0 + w + 6);
		pz_buf_puts(b, "\" y=\"");
		pz_buf_coord(b, y + rh / 2 + 4);
		pz_buf_puts(b, "\">");
		if (isnan(s)) {
			pz_buf_printf(b, "too few ok trials with this label "
			              "(fewer than %d)", 10);
		} else {
			pz_buf_num(b, s, 3);
			pz_buf_printf(b, "  (%zu trials with a value)",
			              rl->n_active);
		}
		pz_buf_puts(b, "</text>");
	}
	pz_buf_puts(b, "</svg>");
}

/* --- timeline ----------------------------------------------------------- */

struct bar {
	double s, e;        /* seconds since d->t0 */
	size_t i;           /* trial index */
	const char *worker;
	int row;
};

static int cmp_bar(const void *pa, const void *pb)
{
	const struct bar *a = pa, *b = pb;
	int c = strcmp(a->worker ? a->worker : "", b->worker ? b->worker : "");

	if (c != 0)
		return c;
	if ((a->worker == NULL) != (b->worker == NULL))
		return a->worker == NULL ? 1 : -1;
	return (a->s > b->s) - (a->s < b->s);
}

struct ev {
	double t;
	int delta;
};

static int cmp_ev(const void *pa, const void *pb)
{
	const struct ev *a = pa, *b = pb;

	if (a->t != b->t)
		return (a->t > b->t) - (a->t < b->t);
	return a->delta - b->delta;   /* ends before starts */
}

/*
 * Give every bar (sorted by cmp_bar) a row: a worker's bars share a row
 * unless they overlap (anonymous workers, or a worker running two trials
 * at once), and overlapping ones go to further lanes of that worker.
 * Returns the number of rows; row_name[r] is the index of the worker's
 * first bar for its first lane, -1 - lane for the others.
 */
static int assign_rows(struct bar *bars, size_t n, double *lane_end,
                       long *row_name)
{
	int rows = 0;

	for (size_t i = 0; i < n;) {
		size_t j = i;
		int base = rows, lanes = 0;

		while (j < n && ((bars[j].worker == NULL && bars[i].worker ==
		                  NULL) || (bars[j].worker && bars[i].worker &&
		                            strcmp(bars[j].worker,
		                                   bars[i].worker) == 0)))
			j++;
		for (size_t k = i; k < j; k++) {
			int lane = 0;

			while (lane < lanes && lane_end[base + lane] > bars[k].s)
				lane++;
			if (lane == lanes) {
				row_name[base + lane] = lane == 0 ? (long)i
				                                  : -1 - lane;
				lanes++;
			}
			lane_end[base + lane] = bars[k].e;
			bars[k].row = base + lane;
		}
		rows += lanes;
		i = j;
	}
	return rows;
}

/* Runs of equal state in each row's pixel columns, one path per state. */
static void timeline_bins(struct pz_buf *b, const struct pz_rdata *d,
                          const struct bar *bars, size_t n, int rows,
                          const struct pz_scale *xs, double y0, double rh)
{
	static const char *const cls[] = { "", "ok", "run", "fail" };
	int cols = (int)ceil(xs->p1 - xs->p0) + 1;
	unsigned char *occ = calloc((size_t)rows * (size_t)cols, 1);

	if (occ == NULL) {
		b->failed = 1;
		return;
	}
	for (size_t k = 0; k < n; k++) {
		enum pz_rstate st = d->trials[bars[k].i].state;
		unsigned char code = st == PZ_RS_FAIL ? 3
		                   : st == PZ_RS_RUNNING ? 2 : 1;
		int c0 = (int)floor(pz_scale_map(xs, bars[k].s) - xs->p0);
		int c1 = (int)floor(pz_scale_map(xs, bars[k].e) - xs->p0);
		unsigned char *row = occ + (size_t)bars[k].row * (size_t)cols;

		c0 = c0 < 0 ? 0 : c0 >= cols ? cols - 1 : c0;
		c1 = c1 < c0 ? c0 : c1 >= cols ? cols - 1 : c1;
		for (int c = c0; c <= c1; c++)
			if (row[c] < code)
				row[c] = code;
	}
	for (unsigned char code = 1; code <= 3; code++) {
		pz_buf_printf(b, "<path class=\"%s\" d=\"", cls[code]);
		for (int r = 0; r < rows; r++) {
			const unsigned char *row = occ + (size_t)r * (size_t)cols;

			for (int c = 0; c < cols;) {
				int e = c;

				if (row[c] != code) {
					c++;
					continue;
				}
				while (e < cols && row[e] == code)
					e++;
				pz_buf_puts(b, "M");
				pz_buf_coord(b, xs->p0 + c);
				pz_buf_puts(b, " ");
				pz_buf_coord(b, y0 + r * rh + (rh > 4 ? 1 : 0));
				pz_buf_puts(b, "h");
				pz_buf_coord(b, e - c);
				pz_buf_puts(b, "v");
				pz_buf_coord(b, rh > 4 ? rh - 2 : rh);
				pz_buf_puts(b, "h");
				pz_buf_coord(b, c - e);
				pz_buf_puts(b, "z");
				c = e;
			}
		}
		pz_buf_puts(b, "\"/>");
	}
	free(occ);
}

static void timeline_bar(struct pz_buf *b, const struct pz_rdata *d,
                         const struct bar *bar, const struct pz_scale *xs,
                         double y0, double rh)
{
	const struct pz_rtrial *t = &d->trials[bar->i];
	double x = pz_scale_map(xs, bar->s), w = pz_scale_map(xs, bar->e) - x;
	static const char *const cls[] = { "queued", "run", "ok", "fail" };

	pz_buf_printf(b, "<rect class=\"%s%s\" x=\"", cls[t->state],
	              t->attempt > 0 ? " retry" : "");
	pz_buf_coord(b, x);
	pz_buf_puts(b, "\" y=\"");
	pz_buf_coord(b, y0 + bar->row * rh + (rh > 4 ? 1 : 0));
	pz_buf_puts(b, "\" width=\"");
	pz_buf_coord(b, w < 1 ? 1 : w);
	pz_buf_puts(b, "\" height=\"");
	pz_buf_coord(b, rh > 4 ? rh - 2 : rh);
	pz_buf_printf(b, "\" data-trial=\"%lld\" data-state=\"%s\"",
	              (long long)t->number, pz_rstate_name(t->state));
	if (t->state == PZ_RS_OK) {
		pz_buf_puts(b, " data-loss=\"");
		pz_buf_num(b, t->loss, 6);
		pz_buf_puts(b, "\"");
	}
	pz_buf_puts(b, "/>");
}

/* Running trials over time: the most at once in each pixel column. */
static void timeline_load(struct pz_buf *b, const struct bar *bars, size_t n,
                          const struct pz_scale *xs, double y0, double y1)
{
	struct ev *ev = malloc(2 * n * sizeof(*ev));
	int cols = (int)ceil(xs->p1 - xs->p0) + 1, cur = 0, max = 1;
	int *peak = calloc((size_t)cols, sizeof(*peak));
	struct pz_scale ys;
	struct pz_axis ax = { 0 };

	if (ev == NULL || peak == NULL) {
		b->failed = 1;
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		ev[2 * k].t = bars[k].s;
		ev[2 * k].delta = 1;
		ev[2 * k + 1].t = bars[k].e;
		ev[2 * k + 1].delta = -1;
	}
	qsort(ev, 2 * n, sizeof(*ev), cmp_ev);
	for (size_t k = 0; k < 2 * n; k++) {
		int c = (int)floor(pz_scale_map(xs, ev[k].t) - xs->p0);

		c = c < 0 ? 0 : c >= cols ? cols - 1 : c;
		cur += ev[k].delta;
		if (cur > peak[c])
			peak[c] = cur;
		/* A column a trial runs through entirely keeps the level. */
		if (k + 1 < 2 * n) {
			int c2 = (int)floor(pz_scale_map(xs, ev[k + 1].t) -
			                    xs->p0);

			c2 = c2 >= cols ? cols - 1 : c2;
			for (int j = c + 1; j < c2; j++)
				if (cur > peak[j])
					peak[j] = cur;
		}
		if (cur > max)
			max = cur;
	}
	pz_scale_init(&ys, PZ_SCALE_LINEAR, 0, max, y1, y0);
	ax.scale = &ys;
	ax.dir = 'y';
	ax.at = xs->p0;
	ax.grid = xs->p1 - xs->p0;
	ax.max_ticks = 3;
	pz_chart_axis(b, &ax);
	pz_buf_printf(b, "<path class=\"busy\" data-max=\"%d\" d=\"M", max);
	pz_buf_coord(b, xs->p0);
	pz_buf_puts(b, " ");
	pz_buf_coord(b, y1);
	for (int c = 0; c < cols; c++) {
		if (c > 0 && peak[c] == peak[c - 1])
			continue;
		pz_buf_puts(b, "H");
		pz_buf_coord(b, xs->p0 + c);
		pz_buf_puts(b, "V");
		pz_buf_coord(b, pz_scale_map(&ys, peak[c]));
	}
	pz_buf_puts(b, "H");
	pz_buf_coord(b, xs->p0 + cols);
	pz_buf_puts(b, "V");
	pz_buf_coord(b, y1);
	pz_buf_puts(b, "z\"/><text class=\"note\" text-anchor=\"end\" x=\"");
	pz_buf_coord(b, xs->p0 - 8);
	pz_buf_puts(b, "\" y=\"");
	pz_buf_coord(b, y0 - 4);
	pz_buf_puts(b, "\">running</text>");
out:
	free(ev);
	free(peak);
}

void pz_plot_timeline(struct pz_buf *b, const struct pz_rdata *d,
                      int standalone)
{
	const double x0 = 170, x1 = PZ_PLOT_WIDTH - 16, y0 = 30;
	struct bar *bars = malloc((d->n ? d->n : 1) * sizeof(*bars));
	double *lane_end = malloc((d->n ? d->n : 1) * sizeof(*lane_end));
	long *row_name = malloc((d->n ? d->n : 1) * sizeof(*row_name));
	size_t n = 0, reclaimed = 0, queued_seen = 0;
	int rows;
	double rh, y1, span = 0, lx;
	struct pz_scale xs;
	struct pz_axis ax = { 0 };
	char text[96];

	if (bars == NULL || lane_end == NULL || row_name == NULL) {
		b->failed = 1;
		goto out;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct pz_rtrial *t = &d->trials[i];
		double e;

		if (isnan(t->started))
			continue;
		if (t->state == PZ_RS_QUEUED) {
			queued_seen++;
			continue;
		}
		e = t->state == PZ_RS_RUNNING || isnan(t->finished) ? d->now
		                                                    : t->finished;
		bars[n].s = t->started - d->t0;
		bars[n].e = e < t->started ? 0 : e - d->t0;
		if (bars[n].e < bars[n].s)
			bars[n].e = bars[n].s;
		bars[n].i = i;
		bars[n].worker = t->worker;
		if (bars[n].e > span)
			span = bars[n].e;
		reclaimed += t->reclaims > 0 || t->attempt > 0;
		n++;
	}
	if (n == 0) {
		pz_plot_empty(b, "timeline", "No trial has started yet.",
		              standalone);
		goto out;
	}
	qsort(bars, n, sizeof(*bars), cmp_bar);
	rows = assign_rows(bars, n, lane_end, row_name);
	rh = 420.0 / rows;
	rh = rh > 18 ? 18 : rh < 2 ? 2 : rh;
	y1 = y0 + rows * rh;
	pz_scale_init(&xs, PZ_SCALE_LINEAR, 0, span > 0 ? span : 1, x0, x1);

	pz_plot_open(b, "timeline", PZ_PLOT_WIDTH, y1 + 130, standalone);
	pz_buf_printf(b, "<g class=\"tl\" data-rows=\"%d\" data-bars=\"%zu\">",
	              rows, n);
	ax.scale = &xs;
	ax.dir = 'x';
	ax.at = y1;
	ax.grid = y1 - y0;
	ax.max_ticks = 10;
	ax.format = PZ_TICK_DURATION;
	pz_chart_axis(b, &ax);

	/* Row names, when rows are tall enough to read. */
	for (int r = 0; r < rows && rh >= 9; r++) {
		const char *w;

		pz_buf_puts(b, "<text text-anchor=\"end\" x=\"");
		pz_buf_coord(b, x0 - 8);
		pz_buf_puts(b, "\" y=\"");
		pz_buf_coord(b, y0 + r * rh + rh / 2 + 4);
		pz_buf_puts(b, "\">");
		if (row_name[r] < 0) {
			pz_buf_printf(b, "\xe2\x80\xa6 lane %ld", -row_name[r]);
		} else {
			w = bars[row_name[r]].worker;
			pz_buf_text(b, w ? w : "(no worker name)");
		}
		pz_buf_puts(b, "</text>");
	}

	pz_buf_printf(b, "<g class=\"bars\" data-mode=\"%s\">",
	              n > 3000 ? "bins" : "bars");
	if (n > 3000) {
		timeline_bins(b, d, bars, n, rows, &xs, y0, rh);
	} else {
		for (size_t k = 0; k < n; k++)
			timeline_bar(b, d, &bars[k], &xs, y0, rh);
	}
	pz_buf_puts(b, "</g>");

	/* Trials handed out again after a reclaim or release: a mark where
	 * their last run began. */
	pz_buf_printf(b, "<g class=\"reclaims\" data-n=\"%zu\">", reclaimed);
	for (size_t k = 0, drawn = 0; k < n && drawn < 500; k++) {
		const struct pz_rtrial *t = &d->trials[bars[k].i];
		double x = pz_scale_map(&xs, bars[k].s);
		double y = y0 + bars[k].row * rh;

		if (t->reclaims == 0 && t->attempt == 0)
			continue;
		pz_buf_puts(b, "<path class=\"reclaim\" d=\"M");
		pz_buf_coord(b, x);
		pz_buf_puts(b, " ");
		pz_buf_coord(b, y + rh / 2);
		pz_buf_puts(b, "l-5-5v10z\" data-trial=\"");
		pz_buf_printf(b, "%lld\" data-reclaims=\"%d\" data-attempt=\"%d\"/>",
		              (long long)t->number, t->reclaims, t->attempt);
		drawn++;
	}
	pz_buf_puts(b, "</g>");

	timeline_load(b, bars, n, &xs, y1 + 44, y1 + 96);
	pz_buf_puts(b, "<text class=\"atitle\" text-anchor=\"middle\" x=\"");
	pz_buf_coord(b, (x0 + x1) / 2);
	pz_buf_puts(b, "\" y=\"");
	pz_buf_coord(b, y1 + 122);
	pz_buf_puts(b, "\">time since the first trial started</text>");

	pz_buf_puts(b, "<g class=\"legend\">");
	lx = x0;
	lx += legend_item(b, lx, 14, "<rect class=\"ok\" x=\"0\" y=\"-5\" "
	                  "width=\"10\" height=\"10\"/>", "ok");
	lx += legend_item(b, lx, 14, "<rect class=\"fail\" x=\"0\" y=\"-5\" "
	                  "width=\"10\" height=\"10\"/>", "failed");
	lx += legend_item(b, lx, 14, "<rect class=\"run\" x=\"0\" y=\"-5\" "
	                  "width=\"10\" height=\"10\"/>", "running");
	snprintf(text, sizeof(text), "handed out again after a reclaim or "
	         "release (%zu)", reclaimed);
	lx += legend_item(b, lx, 14, "<path class=\"reclaim\" "
	                  "d=\"M8 0l-5-5v10z\"/>", text);
	if (queued_seen > 0) {
		snprintf(text, sizeof(text), "%zu queued again, not drawn",
		         queued_seen);
		legend_item(b, lx, 14, "", text);
	}
	pz_buf_puts(b, "</g></g></svg>");
out:
	free(bars);
	free(lane_end);
	free(row_name);
}
