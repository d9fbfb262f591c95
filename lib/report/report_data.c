/*
 * Finishing a report's data (report_data.h): option names are copied in
 * by the store; here each label's axis, the counts, the best trial, the
 * loss range and the importance scores are worked out once for every
 * figure. pz_report_data_create() reads an array of trials through a
 * store (report_store.c), so there is one reader of Trial objects.
 */
#include "report_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "importance.h"
#include "report_store.h"

static const char *const state_names[PZ_RS_COUNT] = {
	"queued", "running", "ok", "fail", "pruned",
};

const char *pz_report_data_state_name(enum pz_rstate s)
{
	return state_names[s];
}

enum pz_rstate pz_report_data_state(const char *name)
{
	enum pz_rstate s;

	for (s = 0; s < PZ_RS_COUNT; s++)
		if (strcmp(name, state_names[s]) == 0)
			break;
	return s;
}

const char *pz_report_data_option(const struct pz_report_data *d, int l,
                                  double v)
{
	char **names = d->labels[l].names;

	if (names == NULL || !(v >= 0) || v >= d->space->params[l].n_options)
		return NULL;
	return names[(int)v];
}

int pz_report_rank_cmp(const void *pa, const void *pb)
{
	const struct pz_rrank *a = pa, *b = pb;

	if (a->key != b->key)
		return (a->key > b->key) - (a->key < b->key);
	return (a->i > b->i) - (a->i < b->i);
}

long pz_report_rank_ok(const struct pz_report_data *d, const int *need, int k,
                       struct pz_rrank **out)
{
	struct pz_rrank *r = malloc((d->n ? d->n : 1) * sizeof(*r));
	size_t m = 0;

	*out = r;
	if (r == NULL)
		return -1;
	for (size_t i = 0; i < d->n; i++) {
		int active = 1;

		if (d->trials[i].state != PZ_RS_OK)
			continue;
		for (int j = 0; j < k && active; j++)
			active = !isnan(pz_report_data_value(d, i, need[j]));
		if (!active)
			continue;
		r[m].key = d->trials[i].loss;
		r[m++].i = i;
	}
	qsort(r, m, sizeof(*r), pz_report_rank_cmp);
	return (long)m;
}

/* --- summaries ---------------------------------------------------------- */

/* Axis domain of label `l`: the prior's range widened to the values. */
static void label_axis(struct pz_report_data *d, int l)
{
	const struct pz_param *p = &d->space->params[l];
	struct pz_rlabel *rl = &d->labels[l];
	double lo, hi;

	rl->log = pz_space_kind_is_log(p->kind);
	switch (p->kind) {
	case PZ_HP_NORMAL:
	case PZ_HP_QNORMAL:
	case PZ_HP_LOGNORMAL:
	case PZ_HP_QLOGNORMAL:
		lo = p->mu - 3 * p->sigma;
		hi = p->mu + 3 * p->sigma;
		break;
	case PZ_HP_RANDINT:
		lo = p->low;
		hi = p->high - 1;
		break;
	case PZ_HP_CHOICE:
	case PZ_HP_PCHOICE:
		lo = 0;
		hi = p->n_options - 1;
		break;
	default:
		lo = p->low;
		hi = p->high;
	}
	if (rl->log) {
		lo = exp(lo);
		hi = exp(hi);
	}
	for (size_t i = 0; i < d->n; i++) {
		double v = pz_report_data_value(d, i, l);

		if (isnan(v))
			continue;
		rl->n_active++;
		rl->n_scored += d->trials[i].state == PZ_RS_OK;
		if (rl->log && v <= 0)
			continue;
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	rl->lo = lo;
	rl->hi = hi;
}

static int importance(struct pz_report_data *d)
{
	double *loss = malloc((d->n ? d->n : 1) * sizeof(*loss));
	double *scores = malloc((size_t)(d->n_params ? d->n_params : 1) *
	                        sizeof(*scores));
	int rc = PZ_ENOMEM;

	if (loss == NULL || scores == NULL)
		goto out;
	for (size_t i = 0; i < d->n; i++)
		loss[i] = d->trials[i].state == PZ_RS_OK ? d->trials[i].loss
		                                         : NAN;
	rc = pz_importance(d->space, d->values, loss, d->n, scores);
	if (rc != 0)
		goto out;
	for (int l = 0; l < d->n_params; l++)
		d->labels[l].importance = scores[l];
	/* Insertion sort: most important first, no score last, ties in
	 * space order. */
	for (int l = 0; l < d->n_params; l++) {
		int j = l;

		while (j > 0) {
			double a = scores[d->order[j - 1]], b = scores[l];

			if (!(isnan(a) && !isnan(b)) && !(b > a))
				break;
			d->order[j] = d->order[j - 1];
			j--;
		}
		d->order[j] = l;
	}
out:
	free(loss);
	free(scores);
	return rc;
}

int pz_report_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double pz_report_axis_top(double *v, size_t n, double lo, double hi)
{
	double q;

	if (n < 20)
		return hi;
	qsort(v, n, sizeof(*v), pz_report_cmp_double);
	q = v[(size_t)((double)(n - 1) * 0.9)];
	if (q > lo && lo + 4 * (q - lo) < hi)
		return lo + 4 * (q - lo);
	return hi;
}

/*
 * The top of a linear loss axis. Early trials of a search, and objectives
 * that return a penalty for a diverged run, give a few losses far above
 * the rest; an axis that reached them would squeeze every other trial
 * into a line. The axis stops at the lowest loss plus four times the
 * spread of the best 90% (loss_hi when that is higher); the figures draw
 * the losses above it on the axis's top edge and say how many there are.
 */
static int loss_top(struct pz_report_data *d)
{
	size_t n = d->counts[PZ_RS_OK], k = 0;
	double *l;

	d->loss_top = d->loss_hi;
	if (n < 20)
		return 0;
	l = malloc(n * sizeof(*l));
	if (l == NULL)
		return PZ_ENOMEM;
	for (size_t i = 0; i < d->n; i++)
		if (d->trials[i].state == PZ_RS_OK)
			l[k++] = d->trials[i].loss;
	d->loss_top = pz_report_axis_top(l, n, d->loss_lo, d->loss_hi);
	free(l);
	return 0;
}

static void summarize(struct pz_report_data *d,
                      const struct pz_report_options *o)
{
	double latest = -INFINITY;
	int positive = 1;

	d->best = -1;
	d->loss_lo = INFINITY;
	d->loss_hi = -INFINITY;
	d->t0 = INFINITY;
	for (size_t i = 0; i < d->n; i++) {
		const struct pz_rtrial *t = &d->trials[i];

		d->counts[t->state]++;
		d->n_curves += t->n_curve > 0;
		if (t->state == PZ_RS_OK) {
			if (d->best < 0 || t->loss < d->trials[d->best].loss)
				d->best = (long)i;
			if (t->loss < d->loss_lo)
				d->loss_lo = t->loss;
			if (t->loss > d->loss_hi)
				d->loss_hi = t->loss;
			positive &= t->loss > 0;
		}
		if (t->started < d->t0)
			d->t0 = t->started;
		if (t->created > latest)
			latest = t->created;
		if (t->started > latest)
			latest = t->started;
		if (t->finished > latest)
			latest = t->finished;
	}
	d->log_offered = d->best >= 0 && positive &&
	                 d->loss_hi >= 10 * d->loss_lo;
	switch (o->loss_scale) {
	case PZ_REPORT_SCALE_AUTO:
		d->loss_log = d->log_offered;
		break;
	case PZ_REPORT_SCALE_LOG:
		d->loss_log = d->best >= 0 && positive;
		break;
	case PZ_REPORT_SCALE_LINEAR:
		d->loss_log = 0;
	}
	d->latest = isfinite(latest) ? latest : 0;
	d->now = o->now > 0 ? o->now : latest;
	if (!isfinite(d->now))
		d->now = 0;
}

int pz_report_data_finish(struct pz_report_data *d,
                          const struct pz_report_options *o)
{
	for (int l = 0; l < d->n_params; l++)
		label_axis(d, l);
	summarize(d, o);
	if (loss_top(d) != 0 || importance(d) != 0)
		return PZ_ENOMEM;
	return 0;
}

int pz_report_data_create(const cJSON *study, const cJSON *trials,
                          const struct pz_report_options *opt,
                          struct pz_report_data **out, struct pz_error *err)
{
	struct pz_report_store *s;
	const cJSON *t;
	size_t i = 0;
	int rc;

	*out = NULL;
	if (!cJSON_IsArray(trials))
		return pz_error_set(err, PZ_EINVAL,
		                    "trials: must be an array of Trial "
		                    "objects");
	rc = pz_report_store_create(study, &s, err);
	if (rc != 0)
		return rc;
	cJSON_ArrayForEach(t, trials) {
		rc = pz_report_store_put(s, t, i++, err);
		if (rc != 0)
			goto out;
	}
	rc = pz_report_store_snapshot(s, opt, out, err);
out:
	pz_report_store_destroy(s);
	return rc;
}

void pz_report_data_destroy(struct pz_report_data *d)
{
	if (d == NULL)
		return;
	for (int l = 0; l < d->n_params && d->labels != NULL; l++) {
		if (d->labels[l].names == NULL)
			continue;
		for (int k = 0; k < d->space->params[l].n_options; k++)
			free(d->labels[l].names[k]);
		free(d->labels[l].names);
	}
	pz_space_destroy(d->space);
	cJSON_Delete(d->study);
	free(d->trials);
	free(d->values);
	free(d->curves);
	free(d->strings);
	free(d->labels);
	free(d->order);
	free(d);
}
