/*
 * The report's per-label figures: the effect of each hyperparameter on the
 * loss, each prior against what the search sampled, and the scatter
 * matrix of the most important labels (plot.h has the contract).
 *
 * Panels follow the importance order. Every label's values are drawn on
 * its own axis: option names in strips for a choice, a log axis for the
 * log kinds, the prior's range widened to the values seen otherwise.
 */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Panels of the effects and priors figures: three per row. */
#define COLS 3
#define PANEL_W 400.0
#define FIG_TOP 28.0
/* At most this many labels in the scatter matrix. */
#define PAIRS_MAX 4
/* Above this many grid values a quantized prior is drawn as a density. */
#define DISCRETE_MAX 40

static void panel_open(struct pz_buf *b, const struct pz_report_data *d, int l,
                       int rank, double ox, double oy)
{
	const struct pz_param *p = &d->space->params[l];

	pz_buf_puts(b, "<g class=\"panel\" data-label=\"");
	pz_buf_text(b, p->label);
	pz_buf_printf(b,
	              "\" data-kind=\"%s\" data-rank=\"%d\" "
	              "transform=\"translate(",
	              pz_space_kind_name(p->kind), rank + 1);
	pz_buf_coord(b, ox);
	pz_buf_puts(b, " ");
	pz_buf_coord(b, oy);
	pz_buf_puts(b, ")\">");
}

static void panel_title(struct pz_buf *b, const struct pz_report_data *d, int l,
                        double x, double y, int with_prior)
{
	const struct pz_param *p = &d->space->params[l];

	pz_buf_puts(b, "<text class=\"title\" x=\"");
	pz_buf_coord(b, x);
	pz_buf_puts(b, "\" y=\"");
	pz_buf_coord(b, y);
	pz_buf_puts(b, "\">");
	pz_buf_text(b, p->label);
	pz_buf_puts(b, "<tspan class=\"note\" font-weight=\"normal\">  ");
	if (with_prior) {
		struct pz_buf t;

		/* The prior in full when it fits the panel, else its kind
		 * and range (the full text is the tooltip). */
		pz_buf_init(&t);
		pz_plot_prior_text(&t, p);
		if (t.data != NULL &&
		    7.8 * (double)strlen(p->label) + 12 +
		                    pz_chart_text_width(t.data) >
		            PANEL_W - 20) {
			const char *colon = strstr(t.data, "): ");

			pz_buf_puts(b, pz_space_kind_name(p->kind));
			if (colon != NULL)
				pz_buf_text(b, colon + 1);
			pz_buf_puts(b, "<title>");
			pz_buf_text(b, t.data);
			pz_buf_puts(b, "</title>");
		} else if (t.data != NULL) {
			pz_buf_text(b, t.data);
		}
		if (t.failed)
			b->failed = 1;
		pz_buf_finish(&t);
	} else {
		pz_buf_puts(b, pz_space_kind_name(p->kind));
		if (!isnan(d->labels[l].importance)) {
			pz_buf_puts(b, " \xc2\xb7 importance ");
			pz_buf_num(b, d->labels[l].importance, 2);
		}
	}
	pz_buf_puts(b, "</tspan></text>");
}

/* --- effects ------------------------------------------------------------ */

#define EFF_H 292.0

static void effects_panel(struct pz_buf *b, const struct pz_report_data *d,
                          int l, int rank, double ox, double oy,
                          struct pz_point *pts)
{
	const double x0 = 64, x1 = PANEL_W - 16, yb0 = 30, yb1 = 42;
	const double y0 = 48, y1 = 210;
	const struct pz_rlabel *rl = &d->labels[l];
	struct pz_chart_scale xs, ys;
	struct pz_axis ax = { 0 };
	size_t n_ok = 0, n_fail = 0, inactive = 0, above = 0;
	int binned;
	struct pz_layer layer = {
		.cls = "ok",
		.marker = PZ_MARK_DOT,
		.names = (const char *const *)rl->names,
		.direct_max = 600,
		.cell = 3,
		.keep_best = 25,
		.x0 = x0,
		.y0 = y0,
		.x1 = x1,
		.y1 = y1,
	};
	char text[160];

	pz_plot_label_scale(d, l, x0, x1, &xs);
	pz_plot_loss_scale(d, d->loss_log, y1, y0, &ys);

	/* Ok points from the front of the array, failed ones from its
	 * back. */
	for (size_t i = 0; i < d->n; i++) {
		const struct pz_rtrial *t = &d->trials[i];
		double v = pz_report_data_value(d, i, l), y = t->loss;
		struct pz_point *q;

		if (t->state != PZ_RS_OK && t->state != PZ_RS_FAIL)
			continue;
		if (isnan(v)) {
			inactive++;
			continue;
		}
		if (t->state == PZ_RS_OK) {
			q = &pts[n_ok++];
			if (!d->loss_log && y > d->loss_top) {
				y = d->loss_top;
				above++;
			}
			q->y = (float)pz_chart_scale_map(&ys, y);
		} else {
			q = &pts[d->n - ++n_fail];
			q->y = (float)((yb0 + yb1) / 2 +
			               pz_chart_jitter(t->number + 7) * 8);
		}
		q->x = (float)pz_plot_label_pos(d, l, &xs, v, t->number);
		q->trial = t->number;
		q->loss = t->loss;
		q->value = v;
		q->shade = 0;
	}

	panel_open(b, d, l, rank, ox, oy);
	pz_buf_printf(b,
	              "<g data-ok=\"%zu\" data-fail=\"%zu\" "
	              "data-inactive=\"%zu\">",
	              n_ok, n_fail, inactive);
	panel_title(b, d, l, 8, 16, 0);
	pz_plot_rect(b, "band", x0, yb0, x1 - x0, yb1 - yb0);
	pz_plot_text(b, "note", "end", x0 - 5, yb1 - 2, "failed");

	ax.scale = &xs;
	ax.dir = 'x';
	ax.at = y1;
	ax.grid = y1 - y0;
	ax.names = (const char *const *)rl->names;
	ax.step = pz_space_param_step(&d->space->params[l]);
	ax.max_ticks = 6;
	ax.title = NULL;
	ax.room = 44;
	pz_chart_axis(b, &ax);
	ax.room = 0;
	ax.scale = &ys;
	ax.dir = 'y';
	ax.at = x0;
	ax.grid = x1 - x0;
	ax.names = NULL;
	ax.step = 0;
	ax.max_ticks = 5;
	ax.title = rank % COLS == 0 ? (d->loss_log ? "loss (log)" : "loss")
	                            : NULL;
	pz_chart_axis(b, &ax);

	binned = pz_chart_points(b, &layer, pts, n_ok);
	layer.cls = "fail";
	layer.marker = PZ_MARK_CROSS;
	layer.keep_best = 0;
	layer.y0 = yb0;
	layer.y1 = yb1;
	binned |= pz_chart_points(b, &layer, pts + d->n - n_fail, n_fail);

	if (d->best >= 0 &&
	    !isnan(pz_report_data_value(d, (size_t)d->best, l))) {
		const struct pz_rtrial *t = &d->trials[d->best];
		double v = pz_report_data_value(d, (size_t)d->best, l);

		pz_chart_best(b, pz_plot_label_pos(d, l, &xs, v, t->number),
		              pz_chart_scale_map(&ys, t->loss), t->number,
		              t->loss);
	}
	snprintf(text, sizeof(text), "%zu ok", n_ok);
	if (n_fail > 0)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		         ", %zu failed", n_fail);
	if (inactive > 0)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		         "; %zu inactive, left out", inactive);
	if (binned)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		         "; binned, the 25 best as points");
	pz_plot_text(b, "note", "start", x0, EFF_H - 30, text);
	if (above > 0) {
		snprintf(text, sizeof(text),
		         "%zu losses above the axis, on "
		         "its top line",
		         above);
		pz_plot_text(b, "note", "start", x0, EFF_H - 16, text);
	}
	pz_buf_puts(b, "</g></g>");
}

void pz_plot_effects(struct pz_buf *b, const struct pz_report_data *d,
                     int standalone)
{
	struct pz_point *pts;
	int rows = (d->n_params + COLS - 1) / COLS;

	if (d->n_params == 0 ||
	    d->counts[PZ_RS_OK] + d->counts[PZ_RS_FAIL] == 0) {
		pz_plot_empty(b, "effects",
		              d->n_params == 0
		                      ? "The space has no hyperparameters."
		                      : "No trial has finished yet.",
		              standalone);
		return;
	}
	pts = malloc(d->n * sizeof(*pts));
	if (pts == NULL) {
		b->failed = 1;
		return;
	}
	pz_plot_open(b, "effects", PZ_PLOT_WIDTH, FIG_TOP + rows * EFF_H,
	             standalone);
	pz_buf_puts(b, "<g class=\"legend\">");
	pz_buf_puts(b,
	            "<g transform=\"translate(8 14)\"><g class=\"pts ok\">"
	            "<circle r=\"3.2\" cx=\"4\" cy=\"0\"/></g>"
	            "<text x=\"14\" y=\"4\">ok trial</text>"
	            "<g class=\"pts fail\"><path d=\"M80-2.5l5 5m0-5l-5 5\"/>"
	            "</g><text x=\"94\" y=\"4\">failed</text>"
	            "<circle class=\"best\" r=\"5\" cx=\"152\" cy=\"0\"/>"
	            "<text x=\"162\" y=\"4\">best trial</text>"
	            "<text class=\"note\" x=\"240\" y=\"4\">one panel per "
	            "label, most important first; the loss against the "
	            "label's value</text></g></g>");
	for (int r = 0; r < d->n_params; r++)
		effects_panel(b, d, d->order[r], r, (r % COLS) * PANEL_W,
		              FIG_TOP + (r / COLS) * EFF_H, pts);
	pz_buf_puts(b, "</svg>");
	free(pts);
}

/* --- priors ------------------------------------------------------------- */

#define PRI_H 262.0

static double phi(double z)
{
	return exp(-0.5 * z * z) / sqrt(2 * M_PI);
}

static double cdf_normal(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

/* CDF of the continuous draw behind a prior, in value space. */
static double prior_cdf(const struct pz_param *p, double x)
{
	double u;

	switch (p->kind) {
	case PZ_HP_NORMAL:
	case PZ_HP_QNORMAL:
		return cdf_normal((x - p->mu) / p->sigma);
	case PZ_HP_LOGNORMAL:
	case PZ_HP_QLOGNORMAL:
		return x <= 0 ? 0 : cdf_normal((log(x) - p->mu) / p->sigma);
	case PZ_HP_LOGUNIFORM:
	case PZ_HP_QLOGUNIFORM:
		if (x <= 0)
			return 0;
		u = (log(x) - p->low) / (p->high - p->low);
		break;
	default:
		u = (x - p->low) / (p->high - p->low);
	}
	return u < 0 ? 0 : u > 1 ? 1 : u;
}

/*
 * Prior density in axis units at axis coordinate t (the value, or its
 * log10 on a log axis).
 */
static double prior_pdf(const struct pz_param *p, double t)
{
	double lx;

	switch (p->kind) {
	case PZ_HP_NORMAL:
	case PZ_HP_QNORMAL:
		return phi((t - p->mu) / p->sigma) / p->sigma;
	case PZ_HP_LOGNORMAL:
	case PZ_HP_QLOGNORMAL:
		return M_LN10 * phi((t * M_LN10 - p->mu) / p->sigma) / p->sigma;
	case PZ_HP_LOGUNIFORM:
	case PZ_HP_QLOGUNIFORM:
		lx = t * M_LN10;
		return lx >= p->low && lx <= p->high
		               ? M_LN10 / (p->high - p->low)
		               : 0;
	case PZ_HP_RANDINT:
		return t >= p->low - 0.5 && t <= p->high - 0.5
		               ? 1 / (p->high - p->low)
		               : 0;
	case PZ_HP_UNIFORMINT:
		return t >= p->low - 0.5 && t <= p->high + 0.5
		               ? 1 / (p->high - p->low + 1)
		               : 0;
	default:
		return t >= p->low && t <= p->high ? 1 / (p->high - p->low) : 0;
	}
}

/*
 * The values a discrete prior takes on the axis, into *kmin and the count
 * (0: draw it as a density). Grid value i is (kmin + i) * step.
 */
static int discrete_grid(const struct pz_report_data *d, int l, double *step,
                         double *kmin)
{
	const struct pz_param *p = &d->space->params[l];
	const struct pz_rlabel *rl = &d->labels[l];
	double s = pz_space_param_step(p), k0, k1;

	if (pz_space_kind_is_categorical(p->kind)) {
		*step = 1;
		*kmin = 0;
		return p->n_options;
	}
	if (s <= 0)
		return 0;
	k0 = round(rl->lo / s);
	k1 = round(rl->hi / s);
	if (rl->log && k0 < 0)
		k0 = 0;
	if (k1 - k0 + 1 > DISCRETE_MAX)
		return 0;
	*step = s;
	*kmin = k0;
	return (int)(k1 - k0) + 1;
}

static double prior_mass(const struct pz_param *p, double v, double step)
{
	switch (p->kind) {
	case PZ_HP_CHOICE:
		return 1.0 / p->n_options;
	case PZ_HP_PCHOICE:
		return p->p[(int)v];
	case PZ_HP_RANDINT:
		return v >= p->low && v < p->high ? 1 / (p->high - p->low) : 0;
	case PZ_HP_UNIFORMINT:
		return v >= p->low && v <= p->high ? 1 / (p->high - p->low + 1)
		                                   : 0;
	default:
		return prior_cdf(p, v + step / 2) - prior_cdf(p, v - step / 2);
	}
}

static void rect(struct pz_buf *b, const char *cls, double x, double y,
                 double w, double h)
{
	pz_buf_printf(b, "<rect class=\"%s\" x=\"", cls);
	pz_buf_coord(b, x);
	pz_buf_puts(b, "\" y=\"");
	pz_buf_coord(b, y);
	pz_buf_puts(b, "\" width=\"");
	pz_buf_coord(b, w < 0.5 ? 0.5 : w);
	pz_buf_puts(b, "\" height=\"");
	pz_buf_coord(b, h < 0 ? 0 : h);
	pz_buf_puts(b, "\"");
}

/* Sampled share per grid value as bars, prior mass as marks over them. */
static void prior_discrete(struct pz_buf *b, const struct pz_report_data *d,
                           int l, const struct pz_chart_scale *xs, int m,
                           double step, double kmin, size_t *count, size_t n,
                           double y0, double y1, struct pz_chart_scale *ys)
{
	const struct pz_param *p = &d->space->params[l];
	double max = 0, w;

	for (int i = 0; i < m; i++) {
		double v = (kmin + i) * step, pm = prior_mass(p, v, step);
		double share = n ? (double)count[i] / (double)n : 0;

		max = pm > max ? pm : max;
		max = share > max ? share : max;
	}
	pz_chart_scale_init(ys, PZ_SCALE_LINEAR, 0, max * 1.12, y1, y0);
	if (xs->kind == PZ_SCALE_BAND) {
		w = pz_chart_scale_band(xs) * 0.7;
	} else {
		w = fabs(pz_chart_scale_map(xs, (kmin + 1) * step) -
		         pz_chart_scale_map(xs, kmin * step));
		if (xs->kind == PZ_SCALE_LOG)
			w = fabs(pz_chart_scale_map(xs, (kmin + m - 1) * step) -
			         pz_chart_scale_map(xs, (kmin + m - 2) * step));
		w = w * 0.7 < 2 ? 2 : w * 0.7 > 40 ? 40 : w * 0.7;
	}
	for (int i = 0; i < m; i++) {
		double v = (kmin + i) * step, x = pz_chart_scale_map(xs, v);
		double share = n ? (double)count[i] / (double)n : 0;

		rect(b, "hist", x - w / 2, pz_chart_scale_map(ys, share), w,
		     y1 - pz_chart_scale_map(ys, share));
		pz_buf_printf(b, " data-count=\"%zu\" data-value=\"", count[i]);
		pz_buf_num(b, v, 10);
		pz_buf_puts(b, "\"/>");
	}
	pz_buf_puts(b, "<g class=\"pmass\">");
	for (int i = 0; i < m; i++) {
		double v = (kmin + i) * step, x = pz_chart_scale_map(xs, v);
		double y = pz_chart_scale_map(ys, prior_mass(p, v, step));

		pz_buf_puts(b, "<line x1=\"");
		pz_buf_coord(b, x - w / 2 - 2);
		pz_buf_puts(b, "\" x2=\"");
		pz_buf_coord(b, x + w / 2 + 2);
		pz_buf_puts(b, "\" y1=\"");
		pz_buf_coord(b, y);
		pz_buf_puts(b, "\" y2=\"");
		pz_buf_coord(b, y);
		pz_buf_puts(b, "\"/>");
	}
	pz_buf_puts(b, "</g>");
}

/* A histogram of density in axis units, the prior's density as a line. */
static void prior_continuous(struct pz_buf *b, const struct pz_report_data *d,
                             int l, const struct pz_chart_scale *xs,
                             const double *vals, size_t n, double y0, double y1,
                             struct pz_chart_scale *ys)
{
	const struct pz_param *p = &d->space->params[l];
	int log = xs->kind == PZ_SCALE_LOG, nb;
	double t0 = log ? log10(xs->lo) : xs->lo;
	double t1 = log ? log10(xs->hi) : xs->hi, bw, max = 0;
	size_t counts[64] = { 0 };
	double curve[161];

	nb = (int)sqrt((double)n);
	nb = nb < 12 ? 12 : nb > 48 ? 48 : nb;
	bw = (t1 - t0) / nb;
	for (size_t i = 0; i < n; i++) {
		double t = log ? (vals[i] > 0 ? log10(vals[i]) : t0) : vals[i];
		int k = (int)floor((t - t0) / bw);

		counts[k < 0 ? 0 : k >= nb ? nb - 1 : k]++;
	}
	for (int k = 0; k < nb; k++) {
		double dens = n ? (double)counts[k] / ((double)n * bw) : 0;

		max = dens > max ? dens : max;
	}
	for (int i = 0; i <= 160; i++) {
		curve[i] = prior_pdf(p, t0 + (t1 - t0) * i / 160);
		max = curve[i] > max ? curve[i] : max;
	}
	pz_chart_scale_init(ys, PZ_SCALE_LINEAR, 0, max > 0 ? max * 1.12 : 1,
	                    y1, y0);
	for (int k = 0; k < nb; k++) {
		double dens = n ? (double)counts[k] / ((double)n * bw) : 0;
		double xa = xs->a * (t0 + k * bw) + xs->b;

		rect(b, "hist", xa, pz_chart_scale_map(ys, dens), xs->a * bw,
		     y1 - pz_chart_scale_map(ys, dens));
		pz_buf_printf(b, " data-count=\"%zu\"/>", counts[k]);
	}
	/* The uniform kinds have edges: draw them as steps, not slopes. */
	pz_buf_puts(b, "<path class=\"prior\" d=\"");
	for (int i = 0; i <= 160; i++) {
		double x = xs->p0 + (xs->p1 - xs->p0) * i / 160;

		if (i > 0 && curve[i] != curve[i - 1] &&
		    (p->kind == PZ_HP_UNIFORM || p->kind == PZ_HP_QUNIFORM ||
		     p->kind == PZ_HP_LOGUNIFORM ||
		     p->kind == PZ_HP_QLOGUNIFORM ||
		     pz_space_kind_is_integer(p->kind))) {
			pz_buf_puts(b, "H");
			pz_buf_coord(b, x);
		}
		pz_buf_puts(b, i ? "L" : "M");
		pz_buf_coord(b, x);
		pz_buf_puts(b, " ");
		pz_buf_coord(b, pz_chart_scale_map(ys, curve[i]));
	}
	pz_buf_puts(b, "\"/>");
}

static void prior_panel(struct pz_buf *b, const struct pz_report_data *d, int l,
                        int rank, double ox, double oy, double *vals)
{
	const double x0 = 64, x1 = PANEL_W - 16, y0 = 28, y1 = 190;
	const struct pz_rlabel *rl = &d->labels[l];
	struct pz_chart_scale xs, ys;
	struct pz_axis ax = { 0 };
	size_t n = 0, *count = NULL;
	double step = 0, kmin = 0;
	int m = discrete_grid(d, l, &step, &kmin);
	char text[160];

	for (size_t i = 0; i < d->n; i++) {
		double v = pz_report_data_value(d, i, l);

		if (!isnan(v))
			vals[n++] = v;
	}
	pz_plot_label_scale(d, l, x0, x1, &xs);
	panel_open(b, d, l, rank, ox, oy);
	pz_buf_printf(b, "<g data-sampled=\"%zu\" data-mode=\"%s\">", n,
	              m > 0 ? "discrete" : "density");
	panel_title(b, d, l, 8, 16, 1);
	if (m > 0) {
		count = calloc((size_t)m, sizeof(*count));
		if (count == NULL) {
			b->failed = 1;
			pz_buf_puts(b, "</g></g>");
			return;
		}
		for (size_t i = 0; i < n; i++) {
			long k = lround(vals[i] / step - kmin);

			if (k >= 0 && k < m)
				count[k]++;
		}
		prior_discrete(b, d, l, &xs, m, step, kmin, count, n, y0, y1,
		               &ys);
		free(count);
	} else {
		prior_continuous(b, d, l, &xs, vals, n, y0, y1, &ys);
	}
	ax.scale = &xs;
	ax.dir = 'x';
	ax.at = y1;
	ax.names = (const char *const *)rl->names;
	ax.step = pz_space_param_step(&d->space->params[l]);
	ax.max_ticks = 6;
	ax.room = 44;
	pz_chart_axis(b, &ax);
	ax.room = 0;
	ax.scale = &ys;
	ax.dir = 'y';
	ax.at = x0;
	ax.names = NULL;
	ax.step = 0;
	ax.max_ticks = 4;
	ax.title = rank % COLS != 0 ? NULL
	           : m > 0          ? "share of trials"
	                            : "density";
	pz_chart_axis(b, &ax);
	if (d->best >= 0 &&
	    !isnan(pz_report_data_value(d, (size_t)d->best, l))) {
		double x = pz_chart_scale_map(
			&xs, pz_report_data_value(d, (size_t)d->best, l));

		pz_buf_printf(b,
		              "<line class=\"bestv\" data-trial=\"%lld\" "
		              "x1=\"",
		              (long long)d->trials[d->best].number);
		pz_buf_coord(b, x);
		pz_buf_puts(b, "\" x2=\"");
		pz_buf_coord(b, x);
		pz_buf_puts(b, "\" y1=\"");
		pz_buf_coord(b, y0);
		pz_buf_puts(b, "\" y2=\"");
		pz_buf_coord(b, y1);
		pz_buf_puts(b, "\"/>");
	}
	snprintf(text, sizeof(text), "%zu trials drew a value", n);
	if (d->n > n)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		         ", %zu had the label inactive", d->n - n);
	if (m == 0 && rl->log)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		         "; density per decade");
	pz_plot_text(b, "note", "start", x0, PRI_H - 24, text);
	pz_buf_puts(b, "</g></g>");
}

void pz_plot_priors(struct pz_buf *b, const struct pz_report_data *d,
                    int standalone)
{
	double *vals;
	int rows = (d->n_params + COLS - 1) / COLS;

	if (d->n_params == 0 || d->n == 0) {
		pz_plot_empty(b, "priors",
		              d->n_params == 0
		                      ? "The space has no hyperparameters."
		                      : "No trials yet.",
		              standalone);
		return;
	}
	vals = malloc(d->n * sizeof(*vals));
	if (vals == NULL) {
		b->failed = 1;
		return;
	}
	pz_plot_open(b, "priors", PZ_PLOT_WIDTH, FIG_TOP + rows * PRI_H,
	             standalone);
	{
		double x = 8;

		pz_buf_puts(b, "<g class=\"legend\">");
		x += pz_plot_legend_item(b, x, 14,
		                         "<rect class=\"hist\" x=\"0\" "
		                         "y=\"-5\" width=\"10\" "
		                         "height=\"10\"/>",
		                         "what the search sampled");
		x += pz_plot_legend_item(b, x, 14,
		                         "<path class=\"prior\" "
		                         "d=\"M-4 0h16\"/>",
		                         "prior");
		pz_plot_legend_item(b, x, 14,
		                    "<path class=\"bestv\" d=\"M4-6v12\"/>",
		                    "best trial");
		pz_buf_puts(b, "</g>");
	}
	for (int r = 0; r < d->n_params; r++)
		prior_panel(b, d, d->order[r], r, (r % COLS) * PANEL_W,
		            FIG_TOP + (r / COLS) * PRI_H, vals);
	pz_buf_puts(b, "</svg>");
	free(vals);
}

/* --- pairs -------------------------------------------------------------- */

/* One histogram of label `l` over the ok trials, on the diagonal. */
static void pairs_diag(struct pz_buf *b, const struct pz_report_data *d, int l,
                       const struct pz_chart_scale *xs, double y0, double y1)
{
	int cat = xs->kind == PZ_SCALE_BAND;
	int nb = cat ? (int)xs->hi : 20;
	size_t counts[64] = { 0 }, max = 1;
	double t0 = xs->kind == PZ_SCALE_LOG ? log10(xs->lo) : xs->lo;
	double t1 = xs->kind == PZ_SCALE_LOG ? log10(xs->hi) : xs->hi;

	if (nb > 64)
		nb = 64;
	for (size_t i = 0; i < d->n; i++) {
		double v = pz_report_data_value(d, i, l), t;
		int k;

		if (d->trials[i].state != PZ_RS_OK || isnan(v))
			continue;
		if (cat) {
			k = (int)v;
		} else {
			t = xs->kind == PZ_SCALE_LOG ? (v > 0 ? log10(v) : t0)
			                             : v;
			k = (int)floor((t - t0) / (t1 - t0) * nb);
		}
		k = k < 0 ? 0 : k >= nb ? nb - 1 : k;
		if (++counts[k] > max)
			max = counts[k];
	}
	for (int k = 0; k < nb; k++) {
		double h = (y1 - y0 - 24) * (double)counts[k] / (double)max;
		double x, w;

		if (cat) {
			w = pz_chart_scale_band(xs) * 0.7;
			x = pz_chart_scale_map(xs, k) - w / 2;
		} else {
			w = (xs->p1 - xs->p0) / nb;
			x = xs->p0 + k * w;
		}
		rect(b, "hist", x, y1 - h, w, h);
		pz_buf_printf(b, " data-count=\"%zu\"/>", counts[k]);
	}
}

static int pairs_cell(struct pz_buf *b, const struct pz_report_data *d, int lx,
                      int ly, const float *shade, struct pz_point *pts,
                      double cx, double cy, double cs, int bottom, int left)
{
	const double x0 = cx + 70, x1 = cx + cs - 8, y0 = cy + 8;
	const double y1 = cy + cs - 50;
	struct pz_chart_scale xs, ys;
	struct pz_axis ax = { 0 };
	size_t n = 0;
	int binned;
	struct pz_layer layer = {
		.cls = "shade",
		.marker = PZ_MARK_DOT,
		.coloured = 1,
		.direct_max = 500,
		.cell = 4,
		.keep_best = 25,
		.x0 = x0,
		.y0 = y0,
		.x1 = x1,
		.y1 = y1,
	};

	pz_plot_label_scale(d, lx, x0, x1, &xs);
	pz_plot_label_scale(d, ly, y1, y0, &ys);
	pz_buf_puts(b, "<g class=\"pair\" data-x=\"");
	pz_buf_text(b, d->space->params[lx].label);
	pz_buf_puts(b, "\" data-y=\"");
	pz_buf_text(b, d->space->params[ly].label);
	pz_buf_puts(b, "\">");
	pz_plot_rect(b, "frame", x0, y0, x1 - x0, y1 - y0);
	ax.scale = &xs;
	ax.dir = 'x';
	ax.at = y1;
	ax.names = (const char *const *)d->labels[lx].names;
	ax.step = pz_space_param_step(&d->space->params[lx]);
	ax.max_ticks = 3;
	ax.title = bottom ? d->space->params[lx].label : NULL;
	ax.room = 50;
	pz_chart_axis(b, &ax);
	if (lx == ly) {
		pairs_diag(b, d, lx, &xs, y0, y1);
		pz_buf_puts(b, "<text class=\"title\" x=\"");
		pz_buf_coord(b, x0 + 6);
		pz_buf_puts(b, "\" y=\"");
		pz_buf_coord(b, y0 + 16);
		pz_buf_puts(b, "\">");
		pz_buf_text(b, d->space->params[lx].label);
		pz_buf_puts(b, "</text></g>");
		return 0;
	}
	ax.scale = &ys;
	ax.dir = 'y';
	ax.at = x0;
	ax.names = (const char *const *)d->labels[ly].names;
	ax.step = pz_space_param_step(&d->space->params[ly]);
	ax.title = left ? d->space->params[ly].label : NULL;
	ax.room = 70;
	pz_chart_axis(b, &ax);

	for (size_t i = 0; i < d->n; i++) {
		double vx = pz_report_data_value(d, i, lx);
		double vy = pz_report_data_value(d, i, ly);
		const struct pz_rtrial *t = &d->trials[i];

		if (t->state != PZ_RS_OK || isnan(vx) || isnan(vy))
			continue;
		pts[n].x = (float)pz_plot_label_pos(d, lx, &xs, vx, t->number);
		pts[n].y =
			(float)pz_plot_label_pos(d, ly, &ys, vy, t->number + 1);
		pts[n].shade = shade[i];
		pts[n].trial = t->number;
		pts[n].loss = t->loss;
		pts[n].value = NAN;
		n++;
	}
	binned = pz_chart_points(b, &layer, pts, n);
	if (d->best >= 0) {
		double vx = pz_report_data_value(d, (size_t)d->best, lx);
		double vy = pz_report_data_value(d, (size_t)d->best, ly);
		const struct pz_rtrial *t = &d->trials[d->best];

		if (!isnan(vx) && !isnan(vy))
			pz_chart_best(b,
			              pz_plot_label_pos(d, lx, &xs, vx,
			                                t->number),
			              pz_plot_label_pos(d, ly, &ys, vy,
			                                t->number + 1),
			              t->number, t->loss);
	}
	pz_buf_puts(b, "</g>");
	return binned;
}

void pz_plot_pairs(struct pz_buf *b, const struct pz_report_data *d,
                   int standalone)
{
	int labels[PAIRS_MAX], k = 0;
	size_t n_ok = d->counts[PZ_RS_OK];
	struct pz_rrank *rk = NULL;
	struct pz_point *pts;
	float *shade;
	double cs, size;
	int binned = 0;

	for (int i = 0; i < d->n_params && k < PAIRS_MAX; i++)
		if (!isnan(d->labels[d->order[i]].importance))
			labels[k++] = d->order[i];
	if (k < 2 || n_ok < 2) {
		pz_plot_empty(b, "pairs",
		              "The scatter matrix needs two labels "
		              "with enough finished trials to score.",
		              standalone);
		return;
	}
	shade = malloc(d->n * sizeof(*shade));
	pts = malloc(d->n * sizeof(*pts));
	if (pz_report_rank_ok(d, NULL, 0, &rk) < 0 || shade == NULL ||
	    pts == NULL) {
		b->failed = 1;
		goto out;
	}
	/* Colour by rank: a few huge losses cannot wash the colours out. */
	for (size_t i = 0; i < d->n; i++)
		shade[i] = 1;
	for (size_t j = 0; j < n_ok; j++)
		shade[rk[j].i] = (float)((double)j / (double)(n_ok - 1));

	cs = (PZ_PLOT_WIDTH - 230.0) / k;
	cs = cs > 270 ? 270 : cs;
	size = 16 + k * cs + 14;
	pz_plot_open(b, "pairs", PZ_PLOT_WIDTH, size, standalone);
	pz_buf_printf(b, "<g data-labels=\"%d\">", k);
	for (int row = 0; row < k; row++)
		for (int col = 0; col <= row; col++)
			binned |= pairs_cell(b, d, labels[col], labels[row],
			                     shade, pts, 16 + col * cs,
			                     16 + row * cs, cs, row == k - 1,
			                     col == 0);
	{
		char l0[48], l1[48], l2[48];
		const char *lab[3] = { l0, l1, l2 };
		double x = 16 + k * cs + 30;

		snprintf(l0, sizeof(l0), "%.4g (best)", rk[0].key);
		snprintf(l1, sizeof(l1), "%.4g (median)",
		         rk[(n_ok - 1) / 2].key);
		snprintf(l2, sizeof(l2), "%.4g (worst)", rk[n_ok - 1].key);
		pz_buf_puts(b, "<text class=\"atitle\" x=\"");
		pz_buf_coord(b, x);
		pz_buf_puts(b, "\" y=\"30\">loss, coloured by rank</text>");
		pz_chart_colourbar(b, x, 42, 16, 220, lab, 3);
		if (binned) {
			pz_buf_puts(b, "<text class=\"note\" data-binned=\"1\" "
			               "x=\"");
			pz_buf_coord(b, x);
			pz_buf_puts(b, "\" y=\"290\">Dense: binned by pixel,"
			               "</text><text class=\"note\" x=\"");
			pz_buf_coord(b, x);
			pz_buf_puts(b, "\" y=\"304\">coloured by mean rank;"
			               "</text><text class=\"note\" x=\"");
			pz_buf_coord(b, x);
			pz_buf_puts(b, "\" y=\"318\">the 25 best stay points."
			               "</text>");
		}
	}
	pz_buf_puts(b, "</g></svg>");
out:
	free(rk);
	free(shade);
	free(pts);
}
