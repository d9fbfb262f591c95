/*
 * The learning curves figure: the values each trial reported
 * (trial.report, "intermediate" in the protocol) against their step, one
 * line per trial (plot.h has the contract).
 *
 * Ok trials are blue, pruned ones grey with a triangle where they were
 * stopped, failed ones red, running ones orange, and the best trial's
 * curve is drawn last in thick red. Past CURVES_MAX curves, the figure
 * keeps every running trial's, the CURVES_BEST best finished ones and an
 * even sample of the rest up to CURVES_MAX, and says so: more lines than
 * that are a grey smear a person cannot read anyway, and a page of
 * 100,000 curves would not stay small. Each curve keeps at most one
 * vertex per pixel column.
 */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURVES_MAX 400
#define CURVES_BEST 100
#define RUNNING_MAX 100

int pz_plot_learning_log_offered(const struct pz_report_data *d)
{
	double lo = INFINITY, hi = -INFINITY;

	for (size_t i = 0; i < d->n_points; i++) {
		double v = d->curves[i].value;

		if (!(v > 0))
			return 0;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	return d->n_points > 0 && hi >= 10 * lo;
}

static double last_value(const struct pz_report_data *d,
                         const struct pz_rtrial *t)
{
	return d->curves[t->curve + (size_t)t->n_curve - 1].value;
}

/*
 * Which curves to draw: marks `keep` and returns how many. Every curve up
 * to CURVES_MAX; past it the running ones (up to RUNNING_MAX), the best
 * trial, the CURVES_BEST finished ones with the lowest final values and
 * an even sample of the others.
 */
static size_t choose(const struct pz_report_data *d, unsigned char *keep,
                     size_t *n_running)
{
	struct pz_rrank *p;
	size_t m = 0, kept = 0, rest, every;

	*n_running = 0;
	memset(keep, 0, d->n);
	for (size_t i = 0; i < d->n; i++) {
		if (d->trials[i].n_curve == 0)
			continue;
		if (d->n_curves <= CURVES_MAX) {
			keep[i] = 1;
			kept++;
		}
	}
	if (d->n_curves <= CURVES_MAX)
		return kept;
	p = malloc(d->n_curves * sizeof(*p));
	if (p == NULL)
		return 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct pz_rtrial *t = &d->trials[i];

		if (t->n_curve == 0)
			continue;
		if (t->state == PZ_RS_RUNNING && *n_running < RUNNING_MAX) {
			keep[i] = 1;
			kept++;
			++*n_running;
			continue;
		}
		p[m].key = t->state == PZ_RS_OK || t->state == PZ_RS_PRUNED
		                   ? last_value(d, t)
		                   : INFINITY;
		p[m++].i = i;
	}
	qsort(p, m, sizeof(*p), pz_report_rank_cmp);
	for (size_t j = 0; j < m && j < CURVES_BEST; j++) {
		keep[p[j].i] = 1;
		kept++;
	}
	if (d->best >= 0 && d->trials[d->best].n_curve > 0 &&
	    !keep[d->best]) {
		keep[d->best] = 1;
		kept++;
	}
	rest = m > CURVES_BEST ? m - CURVES_BEST : 0;
	every = rest > 0 && CURVES_MAX > kept
	                ? (rest + (CURVES_MAX - kept) - 1) / (CURVES_MAX - kept)
	                : 0;
	for (size_t j = CURVES_BEST; every > 0 && j < m; j += every) {
		kept += !keep[p[j].i];
		keep[p[j].i] = 1;
	}
	free(p);
	return kept;
}

static void curve(struct pz_buf *b, const struct pz_report_data *d, size_t i,
                  const struct pz_chart_scale *xs,
                  const struct pz_chart_scale *ys, double top, int best)
{
	static const char *const cls[PZ_RS_COUNT] = { "ok", "run", "ok", "fail",
		                                       "pruned" };
	const struct pz_rtrial *t = &d->trials[i];
	const struct pz_rpoint *pt = d->curves + t->curve;
	double last = -1, x = 0, y = 0;

	pz_buf_printf(b,
	              "<path class=\"curve %s\" data-trial=\"%lld\" "
	              "data-state=\"%s\" data-steps=\"%d\" data-last=\"",
	              best ? "best" : cls[t->state], (long long)t->number,
	              pz_report_data_state_name(t->state), t->n_curve);
	pz_buf_num(b, pt[t->n_curve - 1].step, 17);
	pz_buf_puts(b, "\" data-loss=\"");
	pz_buf_num(b, pt[t->n_curve - 1].value, 6);
	pz_buf_puts(b, "\" d=\"");
	for (int k = 0; k < t->n_curve; k++) {
		double v = pt[k].value;

		if (ys->kind == PZ_SCALE_LINEAR && v > top)
			v = top;
		x = pz_chart_scale_map(xs, pt[k].step);
		y = ys->kind == PZ_SCALE_LOG && !(v > 0)
		            ? ys->p0
		            : pz_chart_scale_map(ys, v);
		/* One vertex per pixel column; the last always. */
		if (k > 0 && floor(x) == last && k + 1 < t->n_curve)
			continue;
		pz_buf_puts(b, k == 0 ? "M" : "L");
		pz_buf_coord(b, x);
		pz_buf_puts(b, " ");
		pz_buf_coord(b, y);
		last = floor(x);
	}
	/* A single point still shows: a dot-long line. */
	if (t->n_curve == 1)
		pz_buf_puts(b, "h0.5");
	pz_buf_puts(b, "\"/>");
	if (t->state == PZ_RS_PRUNED) {
		pz_buf_puts(b, "<path class=\"cend\" d=\"M");
		pz_buf_coord(b, x - 3.5);
		pz_buf_puts(b, " ");
		pz_buf_coord(b, y - 2.5);
		pz_buf_printf(b, "h7l-3.5 6z\" data-trial=\"%lld\"/>",
		              (long long)t->number);
	}
}

/*
 * The value axis's top on a linear scale, as the loss axis's
 * (report_data.c, loss_top), so a few diverged epochs do not flatten the
 * rest.
 */
static double value_top(const struct pz_report_data *d, double lo, double hi)
{
	size_t n = d->n_points;
	double *v, top;

	if (n < 20 || (v = malloc(n * sizeof(*v))) == NULL)
		return hi;
	for (size_t i = 0; i < n; i++)
		v[i] = d->curves[i].value;
	top = pz_report_axis_top(v, n, lo, hi);
	free(v);
	return top;
}

void pz_plot_learning(struct pz_buf *b, const struct pz_report_data *d,
                      int log, long long trial, int standalone)
{
	const double x0 = 76, x1 = PZ_PLOT_WIDTH - 16, y0 = 40, y1 = 330;
	const double h = 380;
	double slo = INFINITY, shi = -INFINITY, vlo = INFINITY;
	double vhi = -INFINITY, top;
	size_t kept, running, clipped = 0;
	unsigned char *keep;
	struct pz_chart_scale xs, ys;
	char text[200];

	if (d->n_curves == 0) {
		pz_plot_empty(b, "learning",
		              "No trial has reported an intermediate value "
		              "(trial.report) yet.",
		              standalone);
		return;
	}
	keep = malloc(d->n);
	if (keep == NULL) {
		b->failed = 1;
		return;
	}
	kept = choose(d, keep, &running);
	if (trial >= 0) {
		/* One trial's curve, against the best trial's. */
		kept = running = 0;
		for (size_t i = 0; i < d->n; i++) {
			keep[i] = d->trials[i].n_curve > 0 &&
			          (d->trials[i].number == trial ||
			           (long)i == d->best);
			kept += keep[i];
		}
	}
	for (size_t i = 0; i < d->n_points; i++) {
		const struct pz_rpoint *p = &d->curves[i];

		slo = p->step < slo ? p->step : slo;
		shi = p->step > shi ? p->step : shi;
		if (log && !(p->value > 0))
			continue;
		vlo = p->value < vlo ? p->value : vlo;
		vhi = p->value > vhi ? p->value : vhi;
	}
	top = log ? vhi : value_top(d, vlo, vhi);
	for (size_t i = 0; i < d->n_points && !log; i++)
		clipped += d->curves[i].value > top;
	pz_chart_scale_init(&xs, PZ_SCALE_LINEAR, slo, shi, x0, x1);
	pz_chart_scale_pad(&xs, 0.01);
	pz_chart_scale_init(&ys, log ? PZ_SCALE_LOG : PZ_SCALE_LINEAR, vlo, top,
	                    y1, y0);
	pz_chart_scale_pad(&ys, 0.04);

	pz_plot_open(b, "learning", PZ_PLOT_WIDTH, h, standalone);
	pz_buf_printf(b, "<g data-variant=\"%s\">", log ? "log" : "linear");
	pz_plot_axes(b,
	             (struct pz_axis){ .scale = &xs, .title = "step",
	                               .max_ticks = 12, .step = 1 },
	             (struct pz_axis){ .scale = &ys,
	                               .title = log ? "reported value (log "
	                                              "scale)"
	                                            : "reported value",
	                               .max_ticks = 7 },
	             x0, y0, x1, y1);

	pz_buf_printf(b,
	              "<g class=\"curves\" data-n=\"%zu\" data-drawn=\"%zu\">",
	              d->n_curves, kept);
	/* Finished first, running over them, the best on top. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < d->n; i++) {
			int run = d->trials[i].state == PZ_RS_RUNNING;

			if (keep[i] && (long)i != d->best && run == pass)
				curve(b, d, i, &xs, &ys, top, 0);
		}
	if (d->best >= 0 && d->trials[d->best].n_curve > 0)
		curve(b, d, (size_t)d->best, &xs, &ys, top, 1);
	pz_buf_puts(b, "</g><g class=\"legend\">");
	{
		double x = x0;

		x += pz_plot_legend_item(b, x, 14,
		                         "<path class=\"curve ok\" "
		                         "d=\"M-4 0h16\"/>",
		                         "ok");
		x += pz_plot_legend_item(b, x, 14,
		                         "<path class=\"curve pruned\" "
		                         "d=\"M-4 0h16\"/><path class=\"cend\" "
		                         "d=\"M8.5-2.5h7l-3.5 6z\"/>",
		                         "pruned (stopped at the triangle)");
		x += pz_plot_legend_item(b, x, 14,
		                         "<path class=\"curve run\" "
		                         "d=\"M-4 0h16\"/>",
		                         "running");
		pz_plot_legend_item(b, x, 14,
		                    "<path class=\"curve best\" d=\"M-4 0h16\"/>",
		                    "best trial");
	}
	pz_buf_puts(b, "</g>");
	if (kept < d->n_curves && trial < 0) {
		snprintf(text, sizeof(text),
		         "%zu of %zu curves drawn: the %d best, %zu running "
		         "and an even sample",
		         kept, d->n_curves, CURVES_BEST, running);
		pz_buf_puts(b, "<text class=\"note\" data-sampled=\"1\" "
		               "x=\"");
		pz_buf_coord(b, x0);
		pz_buf_puts(b, "\" y=\"32\">");
		pz_buf_text(b, text);
		pz_buf_puts(b, "</text>");
	}
	if (clipped > 0) {
		pz_buf_puts(b, "<text class=\"note\" text-anchor=\"end\" x=\"");
		pz_buf_coord(b, x1);
		pz_buf_printf(b,
		              "\" y=\"32\">%zu values above the axis, drawn on "
		              "its top line</text>",
		              clipped);
	}
	pz_buf_puts(b, "</g></svg>");
	free(keep);
}
