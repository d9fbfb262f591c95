/*
 * The report's figures over trials: the loss history, the importance bar
 * chart and the empirical distribution of the losses, plus what every
 * figure shares (the stylesheet, the <svg> element, the loss and label
 * axes, legends). plot.h has the contract.
 */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char pz_report_css[] =
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
	".pts.pruned path{fill:#8a929c;fill-opacity:.8}"
	".pts.pruned .bin{fill:#8a929c}"
	".bin{shape-rendering:crispEdges}"
	".bin.s0{fill-opacity:.14}.bin.s1{fill-opacity:.28}"
	".bin.s2{fill-opacity:.45}.bin.s3{fill-opacity:.65}"
	".bin.s4{fill-opacity:.85}"
	".bsf{fill:none;stroke:#e07b00;stroke-width:2}"
	".best{fill:none;stroke:#d62728;stroke-width:2.2}"
	".bestv{stroke:#d62728;stroke-width:1.5;stroke-dasharray:4 3}"
	".bar{fill:#3568a8}"
	".bar.top{fill:#1f4f8f}"
	".tl .ok{fill:#3568a8}.tl .fail{fill:#c8423b}.tl .run{fill:#e08a1e}"
	".tl .pruned{fill:#8a929c}"
	".tl .retry{stroke:#1d232b;stroke-width:1}"
	".tl .c0{fill-opacity:.3}.tl .c1{fill-opacity:.5}"
	".tl .c2{fill-opacity:.75}"
	".tl .reclaim{fill:#1d232b}"
	".tl .busy{fill:#8fa9cc;stroke:#3568a8;stroke-width:1}"
	".hist{fill:#3568a8;fill-opacity:.4;stroke:#3568a8;stroke-width:.8}"
	".prior{fill:none;stroke:#e07b00;stroke-width:2}"
	".pmass{fill:#e07b00}"
	".pmass line{stroke:#e07b00;stroke-width:2}"
	".legend text{fill:#1d232b}"
	".curve{fill:none;stroke-width:1.1;stroke-linejoin:round}"
	".curve.ok{stroke:#3568a8;stroke-opacity:.45}"
	".curve.pruned{stroke:#8a929c;stroke-opacity:.55}"
	".curve.fail{stroke:#c8423b;stroke-opacity:.5}"
	".curve.run{stroke:#e08a1e;stroke-opacity:.9;stroke-width:1.6}"
	".curve.best{stroke:#d62728;stroke-width:2.6;stroke-opacity:1}"
	".cend{fill:#8a929c}"
	".pc{fill:none;stroke-width:1;stroke-opacity:.55}"
	".pc.top{stroke-width:1.6;stroke-opacity:.9}"
	".pc.best{stroke:#d62728;stroke-width:2.6;stroke-opacity:1}"
	".edf{fill:none;stroke:#3568a8;stroke-width:2}"
	".cell{shape-rendering:crispEdges}"
	".pcaxis text{paint-order:stroke;stroke:#fff;stroke-width:3px;"
	"stroke-linejoin:round}";

/* --- shared ------------------------------------------------------------- */

void pz_plot_open(struct pz_buf *b, const char *kind, double w, double h,
                  int standalone)
{
	pz_buf_printf(b,
	              "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	              "class=\"fig\" data-plot=\"%s\" viewBox=\"0 0 %g %g\" "
	              "width=\"%g\" height=\"%g\">",
	              kind, w, h, w, h);
	if (standalone)
		pz_buf_printf(b,
		              "<style>%s</style><rect width=\"100%%\" "
		              "height=\"100%%\" fill=\"#fff\"/>",
		              pz_report_css);
}

void pz_plot_empty(struct pz_buf *b, const char *kind, const char *why,
                   int standalone)
{
	pz_plot_open(b, kind, PZ_PLOT_WIDTH, 40, standalone);
	pz_buf_puts(b, "<text class=\"note\" data-empty=\"1\" x=\"10\" "
	               "y=\"24\">");
	pz_buf_text(b, why);
	pz_buf_puts(b, "</text></svg>");
}

void pz_plot_loss_scale(const struct pz_report_data *d, int log, double p0,
                        double p1, struct pz_chart_scale *s)
{
	if (log) {
		pz_chart_scale_init(s, PZ_SCALE_LOG, d->loss_lo, d->loss_hi, p0,
		                    p1);
		pz_chart_scale_pad(s, 0.04);
	} else {
		pz_chart_scale_init(s, PZ_SCALE_LINEAR, d->loss_lo, d->loss_top,
		                    p0, p1);
		pz_chart_scale_pad(s, 0.04);
	}
}

void pz_plot_label_scale(const struct pz_report_data *d, int l, double p0,
                         double p1, struct pz_chart_scale *s)
{
	const struct pz_param *p = &d->space->params[l];
	const struct pz_rlabel *rl = &d->labels[l];

	if (pz_space_kind_is_categorical(p->kind)) {
		pz_chart_scale_init(s, PZ_SCALE_BAND, 0, p->n_options, p0, p1);
	} else if (rl->log) {
		pz_chart_scale_init(s, PZ_SCALE_LOG, rl->lo, rl->hi, p0, p1);
		pz_chart_scale_pad(s, 0.03);
	} else if (pz_space_param_step(p) > 0) {
		/* Room for the strips of the end values (pz_plot_label_pos). */
		pz_chart_scale_init(s, PZ_SCALE_LINEAR,
		                    rl->lo - pz_space_param_step(p) / 2,
		                    rl->hi + pz_space_param_step(p) / 2, p0,
		                    p1);
	} else {
		pz_chart_scale_init(s, PZ_SCALE_LINEAR, rl->lo, rl->hi, p0, p1);
		pz_chart_scale_pad(s, 0.03);
	}
}

double pz_plot_label_pos(const struct pz_report_data *d, int l,
                         const struct pz_chart_scale *s, double v,
                         int64_t trial)
{
	const struct pz_param *p = &d->space->params[l];
	double x = pz_chart_scale_map(s, v), q = pz_space_param_step(p), w;

	if (pz_space_kind_is_categorical(p->kind))
		return x +
		       pz_chart_jitter(trial) * 0.6 * pz_chart_scale_band(s);
	/* Values on a grid wide enough to see become strips too. */
	if (q > 0 && (s->kind == PZ_SCALE_LINEAR || v - q / 2 > 0)) {
		w = fabs(pz_chart_scale_map(s, v + q / 2) -
		         pz_chart_scale_map(s, v - q / 2));
		if (w >= 8)
			x += pz_chart_jitter(trial) * 0.5 * w;
	}
	return x;
}

void pz_plot_prior_text(struct pz_buf *b, const struct pz_param *p)
{
	pz_buf_printf(b, "%s(", pz_space_kind_name(p->kind));
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
	/* Log bounds are logarithms: say which values they mean. */
	if (p->kind == PZ_HP_LOGUNIFORM || p->kind == PZ_HP_QLOGUNIFORM) {
		pz_buf_puts(b, ": ");
		pz_buf_num(b, exp(p->low), 3);
		pz_buf_puts(b, " to ");
		pz_buf_num(b, exp(p->high), 3);
	}
}

void pz_plot_text(struct pz_buf *b, const char *cls, const char *anchor,
                  double x, double y, const char *text)
{
	pz_buf_printf(b, "<text class=\"%s\" text-anchor=\"%s\" x=\"", cls,
	              anchor);
	pz_buf_coord(b, x);
	pz_buf_puts(b, "\" y=\"");
	pz_buf_coord(b, y);
	pz_buf_puts(b, "\">");
	pz_buf_text(b, text);
	pz_buf_puts(b, "</text>");
}

void pz_plot_rect(struct pz_buf *b, const char *cls, double x, double y,
                  double w, double h)
{
	pz_buf_printf(b, "<rect class=\"%s\" x=\"", cls);
	pz_buf_coord(b, x);
	pz_buf_puts(b, "\" y=\"");
	pz_buf_coord(b, y);
	pz_buf_puts(b, "\" width=\"");
	pz_buf_coord(b, w);
	pz_buf_puts(b, "\" height=\"");
	pz_buf_coord(b, h);
	pz_buf_puts(b, "\"/>");
}

void pz_plot_axes(struct pz_buf *b, struct pz_axis x, struct pz_axis y,
                  double x0, double y0, double x1, double y1)
{
	x.dir = 'x';
	x.at = y1;
	x.grid = y1 - y0;
	pz_chart_axis(b, &x);
	y.dir = 'y';
	y.at = x0;
	y.grid = x1 - x0;
	pz_chart_axis(b, &y);
}

double pz_plot_legend_item(struct pz_buf *b, double x, double y,
                           const char *marker, const char *text)
{
	pz_buf_puts(b, "<g transform=\"translate(");
	pz_buf_coord(b, x);
	pz_buf_puts(b, " ");
	pz_buf_coord(b, y);
	pz_buf_printf(b, ")\">%s<text x=\"14\" y=\"4\">", marker);
	pz_buf_text(b, text);
	pz_buf_puts(b, "</text></g>");
	return 30 + pz_chart_text_width(text);
}

static const char mark_ok[] =
	"<g class=\"pts ok\"><circle r=\"3.2\" cx=\"4\" cy=\"0\"/></g>";
static const char mark_fail[] =
	"<g class=\"pts fail\"><path d=\"M1.5-2.5l5 5m0-5l-5 5\"/></g>";
static const char mark_run[] =
	"<g class=\"pts run\"><circle r=\"3\" cx=\"4\" cy=\"0\"/></g>";
static const char mark_pruned[] =
	"<g class=\"pts pruned\"><path d=\"M0.5-2.5h7l-3.5 6z\"/></g>";
static const char mark_bsf[] = "<path class=\"bsf\" d=\"M-4 0h16\"/>";
static const char mark_best[] =
	"<circle class=\"best\" r=\"5\" cx=\"4\" cy=\"0\"/>";

/* --- history ------------------------------------------------------------ */

/*
 * The best loss so far along the trial numbers, as a step line. Steps
 * that fall in the pixel column of the previous one are merged, so the
 * path has at most one step per column whatever the number of trials.
 */
static void best_so_far(struct pz_buf *b, const struct pz_report_data *d,
                        const struct pz_chart_scale *xs,
                        const struct pz_chart_scale *ys)
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
		            ? d->loss_top
		            : best;
		px = pz_chart_scale_map(xs, (double)t->number);
		py = pz_chart_scale_map(ys, l);
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

/*
 * Where the history draws each trial that ran: ok and pruned ones at their
 * loss (clipped to loss_top on a linear axis, to the bottom of a log axis
 * when not positive), failed, running and loss-less pruned ones in the
 * band at y = band. `pts` receives the ok, failed, running, then pruned
 * trials, n[0] to n[3] of them. Returns how many losses were clipped.
 */
static size_t history_points(const struct pz_report_data *d,
                             const struct pz_chart_scale *xs,
                             const struct pz_chart_scale *ys, int log,
                             double band, struct pz_point *pts, size_t n[4])
{
	size_t next[4], above = 0;

	n[0] = d->counts[PZ_RS_OK];
	n[1] = d->counts[PZ_RS_FAIL];
	n[2] = d->counts[PZ_RS_RUNNING];
	n[3] = d->counts[PZ_RS_PRUNED];
	next[0] = 0;
	next[1] = n[0];
	next[2] = n[0] + n[1];
	next[3] = n[0] + n[1] + n[2];
	for (size_t i = 0; i < d->n; i++) {
		const struct pz_rtrial *t = &d->trials[i];
		int run = t->state == PZ_RS_OK       ? 0
		          : t->state == PZ_RS_FAIL   ? 1
		          : t->state == PZ_RS_PRUNED ? 3
		                                     : 2;
		struct pz_point *p;
		double l = t->loss;

		if (t->state == PZ_RS_QUEUED)
			continue;
		p = &pts[next[run]++];
		p->x = (float)pz_chart_scale_map(xs, (double)t->number);
		p->y = (float)(band + pz_chart_jitter(t->number) * 10);
		p->trial = t->number;
		p->loss = l;
		p->value = NAN;
		p->shade = 0;
		if ((run != 0 && run != 3) || isnan(l))
			continue;
		if (!log && l > d->loss_top) {
			l = d->loss_top;
			above++;
		}
		p->y = (float)(log && !(l > 0) ? ys->p0
		                                : pz_chart_scale_map(ys, l));
		if (!log && l < ys->lo)
			p->y = (float)ys->p0;
	}
	return above;
}

/* The legend along the top of the history, from x. */
static void history_legend(struct pz_buf *b, const struct pz_report_data *d,
                           double x)
{
	char text[96];

	pz_buf_puts(b, "<g class=\"legend\">");
	snprintf(text, sizeof(text), "ok (%zu)", d->counts[PZ_RS_OK]);
	x += pz_plot_legend_item(b, x, 14, mark_ok, text);
	snprintf(text, sizeof(text), "failed (%zu)", d->counts[PZ_RS_FAIL]);
	x += pz_plot_legend_item(b, x, 14, mark_fail, text);
	snprintf(text, sizeof(text), "running (%zu)", d->counts[PZ_RS_RUNNING]);
	x += pz_plot_legend_item(b, x, 14, mark_run, text);
	if (d->counts[PZ_RS_PRUNED] > 0) {
		snprintf(text, sizeof(text), "pruned (%zu)",
		         d->counts[PZ_RS_PRUNED]);
		x += pz_plot_legend_item(b, x, 14, mark_pruned, text);
	}
	x += pz_plot_legend_item(b, x, 14, mark_bsf, "best so far");
	if (d->best >= 0) {
		const struct pz_rtrial *t = &d->trials[d->best];

		snprintf(text, sizeof(text), "best: trial %lld, loss %.6g",
		         (long long)t->number, t->loss);
		pz_plot_legend_item(b, x, 14, mark_best, text);
	}
	pz_buf_puts(b, "</g>");
}

void pz_plot_history(struct pz_buf *b, const struct pz_report_data *d, int log,
                     int standalone)
{
	const double x0 = 76, x1 = PZ_PLOT_WIDTH - 16, yb0 = 34, yb1 = 50;
	const double y0 = 58, y1 = 318, h = 356;
	size_t ran = d->n - d->counts[PZ_RS_QUEUED], n[4], above;
	int binned;
	struct pz_layer l = {
		.cls = "ok",
		.marker = PZ_MARK_DOT,
		.direct_max = 2000,
		.cell = 3,
		.keep_best = 50,
		.x0 = x0,
		.y0 = y0,
		.x1 = x1,
		.y1 = y1,
	};
	struct pz_chart_scale xs, ys;
	struct pz_point *pts;

	if (ran == 0) {
		pz_plot_empty(b, "history", "No trial has run yet.",
		              standalone);
		return;
	}
	pts = malloc(ran * sizeof(*pts));
	if (pts == NULL) {
		b->failed = 1;
		return;
	}
	pz_chart_scale_init(&xs, PZ_SCALE_LINEAR, (double)d->trials[0].number,
	                    (double)d->trials[d->n - 1].number, x0, x1);
	pz_chart_scale_pad(&xs, 0.01);
	pz_plot_loss_scale(d, log, y1, y0, &ys);
	above = history_points(d, &xs, &ys, log, (yb0 + yb1) / 2, pts, n);

	pz_plot_open(b, "history", PZ_PLOT_WIDTH, h, standalone);
	pz_buf_printf(b, "<g data-variant=\"%s\">", log ? "log" : "linear");
	pz_plot_rect(b, "band", x0, yb0, x1 - x0, yb1 - yb0);
	pz_plot_text(b, "note", "end", x0 - 5, yb1 - 4, "no loss");
	pz_plot_axes(b,
	             (struct pz_axis){ .scale = &xs, .title = "trial number",
	                               .max_ticks = 12 },
	             (struct pz_axis){ .scale = &ys,
	                               .title = log ? "loss (log scale)"
	                                            : "loss",
	                               .max_ticks = 7 },
	             x0, y0, x1, y1);

	binned = pz_chart_points(b, &l, pts, n[0]);
	l.y0 = yb0;
	l.y1 = yb1;
	l.keep_best = 0;
	l.cls = "fail";
	l.marker = PZ_MARK_CROSS;
	binned |= pz_chart_points(b, &l, pts + n[0], n[1]);
	l.cls = "run";
	l.marker = PZ_MARK_RING;
	binned |= pz_chart_points(b, &l, pts + n[0] + n[1], n[2]);
	l.cls = "pruned";
	l.marker = PZ_MARK_TRI;
	l.y0 = y0;
	l.y1 = y1;
	if (n[3] > 0)
		binned |= pz_chart_points(b, &l, pts + n[0] + n[1] + n[2],
		                          n[3]);
	free(pts);

	if (d->best >= 0) {
		const struct pz_rtrial *t = &d->trials[d->best];

		best_so_far(b, d, &xs, &ys);
		pz_chart_best(b, pz_chart_scale_map(&xs, (double)t->number),
		              pz_chart_scale_map(&ys, t->loss), t->number,
		              t->loss);
	}
	if (above > 0 || binned) {
		pz_buf_printf(b,
		              "<text class=\"note\" text-anchor=\"end\" "
		              "data-binned=\"%d\" x=\"",
		              binned);
		pz_buf_coord(b, x1);
		pz_buf_puts(b, "\" y=\"18\">");
		if (above > 0)
			pz_buf_printf(b,
			              "%zu losses above the axis, drawn on its "
			              "top line%s",
			              above, binned ? "; " : "");
		if (binned)
			pz_buf_puts(b, "dense: points binned into pixel cells "
			               "(darker: more trials), the 50 best "
			               "drawn as points");
		pz_buf_puts(b, "</text>");
	}
	history_legend(b, d, x0);
	pz_buf_puts(b, "</g></svg>");
}

/* --- importance --------------------------------------------------------- */

void pz_plot_importance(struct pz_buf *b, const struct pz_report_data *d,
                        int standalone)
{
	const double x0 = 250, x1 = PZ_PLOT_WIDTH - 200, top = 12, rh = 24;
	double max = 0, h, y1;
	struct pz_chart_scale xs;
	struct pz_axis ax = { 0 };

	if (d->n_params == 0) {
		pz_plot_empty(b, "importance",
		              "The space has no "
		              "hyperparameters.",
		              standalone);
		return;
	}
	for (int l = 0; l < d->n_params; l++)
		if (d->labels[l].importance > max)
			max = d->labels[l].importance;
	y1 = top + rh * d->n_params + 4;
	h = y1 + 40;
	pz_chart_scale_init(&xs, PZ_SCALE_LINEAR, 0,
	                    max > 0.05 ? max * 1.05 : 0.05, x0, x1);
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
		double w = isnan(s) ? 0 : pz_chart_scale_map(&xs, s) - x0;

		pz_buf_puts(b, "<text text-anchor=\"end\" x=\"");
		pz_buf_coord(b, x0 - 8);
		pz_buf_puts(b, "\" y=\"");
		pz_buf_coord(b, y + rh / 2 + 4);
		pz_buf_puts(b, "\">");
		pz_buf_text(b, d->space->params[l].label);
		pz_buf_puts(b, "</text>");
		pz_buf_printf(b,
		              "<rect class=\"bar%s\" data-rank=\"%d\" "
		              "data-label=\"",
		              r == 0 && s > 0 ? " top" : "", r + 1);
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
			pz_buf_printf(b,
			              "too few ok trials with this label "
			              "(fewer than %d)",
			              10);
		} else {
			pz_buf_num(b, s, 3);
			pz_buf_printf(b, "  (%zu ok trials with a value)",
			              rl->n_scored);
		}
		pz_buf_puts(b, "</text>");
	}
	pz_buf_puts(b, "</svg>");
}

/* --- empirical distribution --------------------------------------------- */

/*
 * The share of ok trials with a loss at most x, as a step line. Steps in
 * one pixel column are merged into one vertical move, so the path has at
 * most two vertices a column whatever the number of trials.
 */
void pz_plot_edf(struct pz_buf *b, const struct pz_report_data *d, int log,
                 int standalone)
{
	const double x0 = 76, x1 = PZ_PLOT_WIDTH - 16, y0 = 30, y1 = 290;
	const double h = 336;
	size_t n = d->counts[PZ_RS_OK], k = 0, beyond = 0, vertices = 0;
	struct pz_chart_scale xs, ys;
	double *loss, col = -1;

	if (n == 0) {
		pz_plot_empty(b, "edf", "No trial has finished ok yet.",
		              standalone);
		return;
	}
	loss = malloc(n * sizeof(*loss));
	if (loss == NULL) {
		b->failed = 1;
		return;
	}
	for (size_t i = 0; i < d->n; i++)
		if (d->trials[i].state == PZ_RS_OK)
			loss[k++] = d->trials[i].loss;
	qsort(loss, n, sizeof(*loss), pz_report_cmp_double);
	pz_plot_loss_scale(d, log, x0, x1, &xs);
	pz_chart_scale_init(&ys, PZ_SCALE_LINEAR, 0, 1, y1, y0);

	pz_plot_open(b, "edf", PZ_PLOT_WIDTH, h, standalone);
	pz_buf_printf(b, "<g data-variant=\"%s\" data-n=\"%zu\">",
	              log ? "log" : "linear", n);
	pz_plot_axes(b,
	             (struct pz_axis){ .scale = &xs,
	                               .title = log ? "loss (log scale)"
	                                            : "loss",
	                               .max_ticks = 12 },
	             (struct pz_axis){ .scale = &ys,
	                               .title = "share of ok trials",
	                               .max_ticks = 5 },
	             x0, y0, x1, y1);

	pz_buf_puts(b, "<path class=\"edf\" d=\"M");
	pz_buf_coord(b, x0);
	pz_buf_puts(b, " ");
	pz_buf_coord(b, y1);
	for (size_t i = 0; i < n; i++) {
		double px = pz_chart_scale_map(&xs, loss[i]);
		double py = pz_chart_scale_map(&ys, (double)(i + 1) / (double)n);

		if (px > x1) {
			beyond = n - i;
			break;
		}
		if (px < x0)
			px = x0;
		/* Trials in the same column as the previous: only the
		 * last one's height matters. */
		if (i + 1 < n && floor(pz_chart_scale_map(&xs, loss[i + 1])) ==
		                         floor(px) &&
		    pz_chart_scale_map(&xs, loss[i + 1]) <= x1)
			continue;
		if (floor(px) != col) {
			pz_buf_puts(b, "H");
			pz_buf_coord(b, px);
			col = floor(px);
			vertices++;
		}
		pz_buf_puts(b, "V");
		pz_buf_coord(b, py);
		vertices++;
	}
	if (beyond == 0) {
		pz_buf_puts(b, "H");
		pz_buf_coord(b, x1);
	}
	pz_buf_printf(b, "\" data-vertices=\"%zu\"/>", vertices);
	if (d->best >= 0) {
		const struct pz_rtrial *t = &d->trials[d->best];

		pz_chart_best(b, pz_chart_scale_map(&xs, t->loss),
		              pz_chart_scale_map(&ys, 1.0 / (double)n),
		              t->number, t->loss);
	}
	{
		char text[128];
		double med = loss[(n - 1) / 2];

		snprintf(text, sizeof(text),
		         "%zu ok trials \xc2\xb7 best %.6g \xc2\xb7 median %.6g",
		         n, loss[0], med);
		pz_buf_puts(b, "<g class=\"legend\">");
		pz_plot_legend_item(b, x0, 14,
		                         "<path class=\"edf\" d=\"M-4 0h16\"/>",
		                         text);
		pz_buf_puts(b, "</g>");
	}
	if (beyond > 0) {
		pz_buf_puts(b, "<text class=\"note\" text-anchor=\"end\" x=\"");
		pz_buf_coord(b, x1);
		pz_buf_printf(b,
		              "\" y=\"18\">%zu losses beyond the axis; the "
		              "curve reaches 1 there</text>",
		              beyond);
	}
	pz_buf_puts(b, "</g></svg>");
	free(loss);
}
