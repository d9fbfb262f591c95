/*
 * The timeline figure: each trial's last run as a bar from its start to
 * its end, one row per worker, with marks on trials that were handed out
 * again after a reclaim or release, and below it how many trials ran at
 * once (plot.h has the contract).
 *
 * Up to BARS_MAX bars each is a rectangle a person can hover; past it the
 * bars are binned into pixel columns per row (timeline_bins), so a study
 * of any size draws at most rows x width small rectangles.
 */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Beyond this many bars, they are binned. */
#define BARS_MAX 3000

/* At most this many reclaim marks. */
#define MARKS_MAX 300

struct bar {
	double s, e; /* seconds since d->t0 */
	size_t i;    /* trial index */
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
	return a->delta - b->delta; /* ends before starts */
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

		while (j < n &&
		       ((bars[j].worker == NULL && bars[i].worker == NULL) ||
		        (bars[j].worker && bars[i].worker &&
		         strcmp(bars[j].worker, bars[i].worker) == 0)))
			j++;
		for (size_t k = i; k < j; k++) {
			int lane = 0;

			while (lane < lanes &&
			       lane_end[base + lane] > bars[k].s)
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

/*
 * Bars binned into pixels: each row's pixel column takes the state that
 * covers most of it (ok, running, failed), at an opacity that grows with
 * how much of the column's time trials covered, so idle time still shows.
 * Runs of equal state and opacity along a row are one rectangle, and all
 * rectangles of a state and opacity one path.
 */
static void timeline_bins(struct pz_buf *b, const struct pz_report_data *d,
                          const struct bar *bars, size_t n, int rows,
                          const struct pz_chart_scale *xs, double y0, double rh)
{
	static const char *const cls[] = { "ok", "run", "fail" };
	int cols = (int)ceil(xs->p1 - xs->p0) + 1;
	size_t cells = (size_t)rows * (size_t)cols;
	float *cov = calloc(cells * 3, sizeof(*cov));
	unsigned char *code = malloc(cells);

	if (cov == NULL || code == NULL) {
		b->failed = 1;
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		enum pz_rstate st = d->trials[bars[k].i].state;
		int si = st == PZ_RS_FAIL ? 2 : st == PZ_RS_RUNNING ? 1 : 0;
		double a = pz_chart_scale_map(xs, bars[k].s) - xs->p0;
		double e = pz_chart_scale_map(xs, bars[k].e) - xs->p0;
		float *row = cov + (size_t)bars[k].row * (size_t)cols * 3;

		a = a < 0 ? 0 : a;
		e = e > cols - 1e-6 ? cols - 1e-6 : e < a ? a : e;
		for (int c = (int)a; c <= (int)e; c++) {
			double lo = c > a ? c : a, hi = c + 1 < e ? c + 1 : e;

			row[(size_t)c * 3 + (size_t)si] += (float)(hi - lo);
		}
	}
	/* code = 1 + 4 * state + opacity level, 0: idle. */
	for (size_t i = 0; i < cells; i++) {
		const float *c = cov + i * 3;
		float total = c[0] + c[1] + c[2];
		int si = c[2] > c[0] && c[2] >= c[1] ? 2 : c[1] > c[0] ? 1 : 0;
		int lev = (int)(total * 4);

		code[i] = total <= 0 ? 0
		                     : (unsigned char)(1 + 4 * si +
		                                       (lev > 3 ? 3 : lev));
	}
	for (unsigned char want = 1; want <= 12; want++) {
		int opened = 0;

		for (int r = 0; r < rows; r++) {
			const unsigned char *row =
				code + (size_t)r * (size_t)cols;

			for (int c = 0; c < cols;) {
				int e = c;

				if (row[c] != want) {
					c++;
					continue;
				}
				while (e < cols && row[e] == want)
					e++;
				if (!opened) {
					pz_buf_printf(b,
					              "<path class=\"%s c%d\" "
					              "d=\"",
					              cls[(want - 1) / 4],
					              (want - 1) % 4);
					opened = 1;
				}
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
		if (opened)
			pz_buf_puts(b, "\"/>");
	}
out:
	free(cov);
	free(code);
}

static void timeline_bar(struct pz_buf *b, const struct pz_report_data *d,
                         const struct bar *bar, const struct pz_chart_scale *xs,
                         double y0, double rh)
{
	const struct pz_rtrial *t = &d->trials[bar->i];
	double x = pz_chart_scale_map(xs, bar->s),
	       w = pz_chart_scale_map(xs, bar->e) - x;
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
	              (long long)t->number,
	              pz_report_data_state_name(t->state));
	if (t->state == PZ_RS_OK) {
		pz_buf_puts(b, " data-loss=\"");
		pz_buf_num(b, t->loss, 6);
		pz_buf_puts(b, "\"");
	}
	pz_buf_puts(b, "/>");
}

/* Running trials over time: the most at once in each pixel column. */
static void timeline_load(struct pz_buf *b, const struct bar *bars, size_t n,
                          const struct pz_chart_scale *xs, double y0, double y1)
{
	struct ev *ev = malloc(2 * n * sizeof(*ev));
	int cols = (int)ceil(xs->p1 - xs->p0) + 1, cur = 0, max = 1;
	int *peak = calloc((size_t)cols, sizeof(*peak));
	struct pz_chart_scale ys;
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
		int c = (int)floor(pz_chart_scale_map(xs, ev[k].t) - xs->p0);

		c = c < 0 ? 0 : c >= cols ? cols - 1 : c;
		cur += ev[k].delta;
		if (cur > peak[c])
			peak[c] = cur;
		/* A column a trial runs through entirely keeps the level. */
		if (k + 1 < 2 * n) {
			int c2 = (int)floor(
				pz_chart_scale_map(xs, ev[k + 1].t) - xs->p0);

			c2 = c2 >= cols ? cols - 1 : c2;
			for (int j = c + 1; j < c2; j++)
				if (cur > peak[j])
					peak[j] = cur;
		}
		if (cur > max)
			max = cur;
	}
	pz_chart_scale_init(&ys, PZ_SCALE_LINEAR, 0, max, y1, y0);
	ax.scale = &ys;
	ax.dir = 'y';
	ax.at = xs->p0;
	ax.grid = xs->p1 - xs->p0;
	ax.max_ticks = 2;
	ax.step = 1;
	ax.title = "running";
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
		pz_buf_coord(b, pz_chart_scale_map(&ys, peak[c]));
	}
	pz_buf_puts(b, "H");
	pz_buf_coord(b, xs->p0 + cols);
	pz_buf_puts(b, "V");
	pz_buf_coord(b, y1);
	pz_buf_puts(b, "z\"/>");
out:
	free(ev);
	free(peak);
}

/* The bars and rows of a timeline. */
struct timeline {
	struct bar *bars;
	size_t n;
	long *row_name; /* see assign_rows() */
	double *lane_end;
	int rows;
	double span;      /* seconds from the first start to the last end */
	size_t reclaimed; /* bars of trials handed out more than once */
	size_t requeued;  /* queued trials that had started: not drawn */
};

/* One bar per trial that started and is not queued again. */
static int gather(const struct pz_report_data *d, struct timeline *tl)
{
	size_t cap = d->n ? d->n : 1;

	memset(tl, 0, sizeof(*tl));
	tl->bars = malloc(cap * sizeof(*tl->bars));
	tl->lane_end = malloc(cap * sizeof(*tl->lane_end));
	tl->row_name = malloc(cap * sizeof(*tl->row_name));
	if (tl->bars == NULL || tl->lane_end == NULL || tl->row_name == NULL)
		return -1;
	for (size_t i = 0; i < d->n; i++) {
		const struct pz_rtrial *t = &d->trials[i];
		struct bar *bar = &tl->bars[tl->n];
		double e = t->finished;

		if (isnan(t->started))
			continue;
		if (t->state == PZ_RS_QUEUED) {
			tl->requeued++;
			continue;
		}
		if (t->state == PZ_RS_RUNNING || isnan(e))
			e = d->now;
		bar->s = t->started - d->t0;
		bar->e = e > t->started ? e - d->t0 : bar->s;
		bar->i = i;
		bar->worker = t->worker;
		if (bar->e > tl->span)
			tl->span = bar->e;
		tl->reclaimed += t->reclaims > 0 || t->attempt > 0;
		tl->n++;
	}
	qsort(tl->bars, tl->n, sizeof(*tl->bars), cmp_bar);
	tl->rows = assign_rows(tl->bars, tl->n, tl->lane_end, tl->row_name);
	return 0;
}

/* Row names, when rows are tall enough to read. */
static void row_names(struct pz_buf *b, const struct timeline *tl, double x,
                      double y0, double rh)
{
	for (int r = 0; r < tl->rows && rh >= 9; r++) {
		const char *w;

		pz_buf_puts(b, "<text text-anchor=\"end\" x=\"");
		pz_buf_coord(b, x);
		pz_buf_puts(b, "\" y=\"");
		pz_buf_coord(b, y0 + r * rh + rh / 2 + 4);
		pz_buf_puts(b, "\">");
		if (tl->row_name[r] < 0) {
			pz_buf_printf(b, "\xe2\x80\xa6 lane %ld",
			              -tl->row_name[r]);
		} else {
			w = tl->bars[tl->row_name[r]].worker;
			pz_buf_text(b, w ? w : "(no worker name)");
		}
		pz_buf_puts(b, "</text>");
	}
}

/*
 * Trials handed out again after a reclaim or release: a mark where their
 * last run began; of more than MARKS_MAX, an even sample. Returns the
 * sampling step.
 */
static size_t reclaim_marks(struct pz_buf *b, const struct pz_report_data *d,
                            const struct timeline *tl,
                            const struct pz_chart_scale *xs, double y0,
                            double rh)
{
	size_t every = 1, seen = 0;

	if (tl->reclaimed > MARKS_MAX)
		every = (tl->reclaimed + MARKS_MAX - 1) / MARKS_MAX;
	pz_buf_printf(b,
	              "<g class=\"reclaims\" data-n=\"%zu\" "
	              "data-marked=\"%zu\">",
	              tl->reclaimed, (tl->reclaimed + every - 1) / every);
	for (size_t k = 0; k < tl->n; k++) {
		const struct bar *bar = &tl->bars[k];
		const struct pz_rtrial *t = &d->trials[bar->i];

		if (t->reclaims == 0 && t->attempt == 0)
			continue;
		if (seen++ % every != 0)
			continue;
		pz_buf_puts(b, "<path class=\"reclaim\" d=\"M");
		pz_buf_coord(b, pz_chart_scale_map(xs, bar->s));
		pz_buf_puts(b, " ");
		pz_buf_coord(b, y0 + bar->row * rh + rh / 2);
		pz_buf_printf(b,
		              "l-5-5v10z\" data-trial=\"%lld\" "
		              "data-reclaims=\"%d\" data-attempt=\"%d\"/>",
		              (long long)t->number, t->reclaims, t->attempt);
	}
	pz_buf_puts(b, "</g>");
	return every;
}

static void legend(struct pz_buf *b, const struct timeline *tl, double x,
                   size_t every)
{
	static const char *const box[] = { "ok", "fail", "run" };
	static const char *const name[] = { "ok", "failed", "running" };
	char marker[96], text[96];

	pz_buf_puts(b, "<g class=\"legend\">");
	for (int i = 0; i < 3; i++) {
		snprintf(marker, sizeof(marker),
		         "<rect class=\"%s\" x=\"0\" "
		         "y=\"-5\" width=\"10\" height=\"10\"/>",
		         box[i]);
		x += pz_plot_legend_item(b, x, 14, marker, name[i]);
	}
	snprintf(text, sizeof(text),
	         "handed out again after a reclaim or "
	         "release (%zu%s)",
	         tl->reclaimed, every > 1 ? ", a sample marked" : "");
	x += pz_plot_legend_item(b, x, 14,
	                         "<path class=\"reclaim\" "
	                         "d=\"M8 0l-5-5v10z\"/>",
	                         text);
	if (tl->requeued > 0) {
		snprintf(text, sizeof(text), "%zu queued again, not drawn",
		         tl->requeued);
		pz_plot_legend_item(b, x, 14, "", text);
	}
	pz_buf_puts(b, "</g>");
}

void pz_plot_timeline(struct pz_buf *b, const struct pz_report_data *d,
                      int standalone)
{
	const double x0 = 170, x1 = PZ_PLOT_WIDTH - 16, y0 = 30;
	struct timeline tl;
	struct pz_chart_scale xs;
	struct pz_axis ax = { 0 };
	double rh, y1;
	size_t every;

	if (gather(d, &tl) != 0) {
		b->failed = 1;
		goto out;
	}
	if (tl.n == 0) {
		pz_plot_empty(b, "timeline", "No trial has started yet.",
		              standalone);
		goto out;
	}
	rh = 420.0 / tl.rows;
	rh = rh > 24 ? 24 : rh < 2 ? 2 : rh;
	y1 = y0 + tl.rows * rh;
	pz_chart_scale_init(&xs, PZ_SCALE_LINEAR, 0, tl.span > 0 ? tl.span : 1,
	                    x0, x1);

	pz_plot_open(b, "timeline", PZ_PLOT_WIDTH, y1 + 136, standalone);
	pz_buf_printf(b, "<g class=\"tl\" data-rows=\"%d\" data-bars=\"%zu\">",
	              tl.rows, tl.n);
	ax.scale = &xs;
	ax.dir = 'x';
	ax.at = y1;
	ax.grid = y1 - y0;
	ax.max_ticks = 10;
	ax.format = PZ_TICK_DURATION;
	pz_chart_axis(b, &ax);
	row_names(b, &tl, x0 - 8, y0, rh);

	pz_buf_printf(b, "<g class=\"bars\" data-mode=\"%s\">",
	              tl.n > BARS_MAX ? "bins" : "bars");
	if (tl.n > BARS_MAX)
		timeline_bins(b, d, tl.bars, tl.n, tl.rows, &xs, y0, rh);
	else
		for (size_t k = 0; k < tl.n; k++)
			timeline_bar(b, d, &tl.bars[k], &xs, y0, rh);
	pz_buf_puts(b, "</g>");
	every = reclaim_marks(b, d, &tl, &xs, y0, rh);

	timeline_load(b, tl.bars, tl.n, &xs, y1 + 40, y1 + 104);
	pz_buf_puts(b, "<text class=\"atitle\" text-anchor=\"middle\" x=\"");
	pz_buf_coord(b, (x0 + x1) / 2);
	pz_buf_puts(b, "\" y=\"");
	pz_buf_coord(b, y1 + 126);
	pz_buf_puts(b, "\">time since the first trial started</text>");
	legend(b, &tl, x0, every);
	pz_buf_puts(b, "</g></svg>");
out:
	free(tl.bars);
	free(tl.lane_end);
	free(tl.row_name);
}
