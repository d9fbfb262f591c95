/*
 * Reading a study and its trials for a report (report_data.h).
 *
 * Trials are read in one pass over each object's members rather than by
 * key lookups, and a trial's params are matched to the space's labels
 * expecting the space's order first (the order the daemon writes them),
 * so reading 100,000 trials stays a small part of a report's time. Input
 * is checked only as far as the figures depend on it: a trial needs a
 * number and a known state, an ok trial a finite loss; unknown members
 * and params of unknown labels are ignored, so a report can be drawn from
 * a newer daemon's objects.
 */
#include "report_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "importance.h"
#include "buf.h"

static const char *const state_names[PZ_RS_COUNT] = {
	"queued",
	"running",
	"ok",
	"fail",
};

const char *pz_report_data_state_name(enum pz_rstate s)
{
	return state_names[s];
}

/* --- option names ------------------------------------------------------- */

/*
 * A person's name for an option: a literal option is its own value; an
 * object is its "name" member when that is a literal; an option that is
 * a hyperparameter is that label; anything else "option N".
 */
static char *option_name(const struct pz_space *space,
                         const struct pz_node *opt, int index)
{
	const cJSON *lit = NULL;
	struct pz_buf b;
	char *out;

	if (opt->type == PZ_NODE_LITERAL) {
		lit = opt->literal;
	} else if (opt->type == PZ_NODE_OBJECT) {
		for (int i = 0; i < opt->n_children; i++)
			if (strcmp(opt->keys[i], "name") == 0 &&
			    opt->children[i]->type == PZ_NODE_LITERAL)
				lit = opt->children[i]->literal;
	}
	pz_buf_init(&b);
	if (lit != NULL && cJSON_IsString(lit))
		pz_buf_puts(&b, lit->valuestring);
	else if (lit != NULL && cJSON_IsNumber(lit))
		pz_buf_num(&b, lit->valuedouble, 15);
	else if (lit != NULL && cJSON_IsBool(lit))
		pz_buf_puts(&b, cJSON_IsTrue(lit) ? "true" : "false");
	else if (lit != NULL && cJSON_IsNull(lit))
		pz_buf_puts(&b, "null");
	else if (opt->type == PZ_NODE_HP)
		pz_buf_puts(&b, space->params[opt->param].label);
	else
		pz_buf_printf(&b, "option %d", index);
	if (pz_buf_take(&b, &out, NULL) != 0)
		return NULL;
	return out;
}

/* Fill the option names of every choice below `n`. */
static int name_options(struct pz_report_data *d, const struct pz_node *n)
{
	if (n->type == PZ_NODE_HP && n->n_children > 0) {
		struct pz_rlabel *l = &d->labels[n->param];

		l->names = calloc((size_t)n->n_children, sizeof(*l->names));
		if (l->names == NULL)
			return PZ_ENOMEM;
		for (int i = 0; i < n->n_children; i++) {
			l->names[i] = option_name(d->space, n->children[i], i);
			if (l->names[i] == NULL)
				return PZ_ENOMEM;
		}
	}
	for (int i = 0; i < n->n_children; i++) {
		int rc = name_options(d, n->children[i]);

		if (rc != 0)
			return rc;
	}
	return 0;
}

/* --- trials ------------------------------------------------------------- */

static double opt_number(const cJSON *v)
{
	return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble
	                                                     : NAN;
}

/*
 * Params of trial `i` into its row. `hint` is where the next label is
 * expected in the space's table.
 */
static void read_params(struct pz_report_data *d, size_t i, const cJSON *params)
{
	double *row = d->values + i * (size_t)d->n_params;
	const cJSON *c;
	int hint = 0;

	for (int l = 0; l < d->n_params; l++)
		row[l] = NAN;
	cJSON_ArrayForEach(c, params) {
		int l = -1;

		if (c->string == NULL || !cJSON_IsNumber(c))
			continue;
		while (hint < d->n_params &&
		       strcmp(d->space->params[hint].label, c->string) != 0)
			hint++;
		if (hint < d->n_params) {
			l = hint++;
		} else {
			l = pz_space_find(d->space, c->string);
			hint = l + 1;
		}
		if (l >= 0 && isfinite(c->valuedouble))
			row[l] = c->valuedouble;
	}
}

static int read_trial(struct pz_report_data *d, size_t i, const cJSON *t,
                      struct pz_error *err)
{
	struct pz_rtrial *r = &d->trials[i];
	const cJSON *c, *number = NULL, *state = NULL, *loss = NULL;
	const cJSON *params = NULL;

	if (!cJSON_IsObject(t))
		return pz_error_set(err, PZ_EINVAL,
		                    "trials[%zu]: must be a Trial object", i);
	r->json = t;
	r->id = -1;
	r->loss = r->created = r->started = r->finished = NAN;
	cJSON_ArrayForEach(c, t) {
		const char *k = c->string;

		/* Dispatch on the first letter: most members cost one
		 * strcmp. */
		switch (k != NULL ? k[0] : '\0') {
		case 'n':
			if (strcmp(k, "number") == 0)
				number = c;
			break;
		case 's':
			if (strcmp(k, "state") == 0)
				state = c;
			else if (strcmp(k, "started") == 0)
				r->started = opt_number(c);
			break;
		case 'l':
			if (strcmp(k, "loss") == 0)
				loss = c;
			break;
		case 'p':
			if (strcmp(k, "params") == 0)
				params = c;
			break;
		case 'i':
			if (strcmp(k, "id") == 0 && cJSON_IsNumber(c))
				r->id = (int64_t)c->valuedouble;
			break;
		case 'c':
			if (strcmp(k, "created") == 0)
				r->created = opt_number(c);
			break;
		case 'f':
			if (strcmp(k, "finished") == 0)
				r->finished = opt_number(c);
			break;
		case 'w':
			if (strcmp(k, "worker") == 0 && cJSON_IsString(c))
				r->worker = c->valuestring;
			break;
		case 'a':
			if (strcmp(k, "attempt") == 0 && cJSON_IsNumber(c))
				r->attempt = c->valueint;
			break;
		case 'r':
			if (strcmp(k, "reclaims") == 0 && cJSON_IsNumber(c))
				r->reclaims = c->valueint;
			break;
		}
	}
	if (!cJSON_IsNumber(number) || !(number->valuedouble >= 0) ||
	    number->valuedouble > 9007199254740992.0 ||
	    number->valuedouble != floor(number->valuedouble))
		return pz_error_set(err, PZ_EINVAL,
		                    "trials[%zu].number: must "
		                    "be an integer >= 0",
		                    i);
	r->number = (int64_t)number->valuedouble;
	if (!cJSON_IsString(state))
		return pz_error_set(err, PZ_EINVAL,
		                    "trials[%zu].state: must be "
		                    "a string",
		                    i);
	for (r->state = 0; r->state < PZ_RS_COUNT; r->state++)
		if (strcmp(state->valuestring, state_names[r->state]) == 0)
			break;
	if (r->state == PZ_RS_COUNT)
		return pz_error_set(err, PZ_EINVAL,
		                    "trials[%zu].state: unknown "
		                    "state '%.40s'",
		                    i, state->valuestring);
	if (r->state == PZ_RS_OK) {
		r->loss = opt_number(loss);
		if (isnan(r->loss))
			return pz_error_set(err, PZ_EINVAL,
			                    "trials[%zu].loss: an "
			                    "ok trial needs a finite loss",
			                    i);
	}
	if (params != NULL && !cJSON_IsObject(params) && !cJSON_IsNull(params))
		return pz_error_set(err, PZ_EINVAL,
		                    "trials[%zu].params: must be "
		                    "an object",
		                    i);
	read_params(d, i, params);
	return 0;
}

static int cmp_trial_number(const void *a, const void *b)
{
	const struct pz_rtrial *x = a, *y = b;

	return (x->number > y->number) - (x->number < y->number);
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
		loss[i] = d->trials[i].loss;
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
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
	double *l, q;

	d->loss_top = d->loss_hi;
	if (n < 20)
		return 0;
	l = malloc(n * sizeof(*l));
	if (l == NULL)
		return PZ_ENOMEM;
	for (size_t i = 0; i < d->n; i++)
		if (d->trials[i].state == PZ_RS_OK)
			l[k++] = d->trials[i].loss;
	qsort(l, n, sizeof(*l), cmp_double);
	q = l[(size_t)((double)(n - 1) * 0.9)];
	if (q > d->loss_lo && d->loss_lo + 4 * (q - d->loss_lo) < d->loss_hi)
		d->loss_top = d->loss_lo + 4 * (q - d->loss_lo);
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
	d->now = o->now > 0 ? o->now : latest;
	if (!isfinite(d->now))
		d->now = 0;
}

int pz_report_data_create(const cJSON *study, const cJSON *trials,
                          const struct pz_report_options *opt,
                          struct pz_report_data **out, struct pz_error *err)
{
	struct pz_report_options defaults;
	struct pz_report_data *d;
	const cJSON *name, *space, *t;
	size_t i = 0;
	int rc;

	*out = NULL;
	if (opt == NULL) {
		pz_report_options_init(&defaults);
		opt = &defaults;
	}
	if (!cJSON_IsObject(study))
		return pz_error_set(err, PZ_EINVAL,
		                    "study: must be a Study "
		                    "object");
	name = cJSON_GetObjectItemCaseSensitive(study, "name");
	space = cJSON_GetObjectItemCaseSensitive(study, "space");
	if (!cJSON_IsString(name))
		return pz_error_set(err, PZ_EINVAL,
		                    "study.name: must be a "
		                    "string");
	if (space == NULL)
		return pz_error_set(err, PZ_EINVAL, "study.space: missing");
	if (!cJSON_IsArray(trials))
		return pz_error_set(err, PZ_EINVAL,
		                    "trials: must be an array "
		                    "of Trial objects");

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	d->study = study;
	d->name = name->valuestring;
	rc = pz_space_create(space, "study.space", &d->space, err);
	if (rc != 0)
		goto fail;
	d->n_params = d->space->n_params;
	d->n = (size_t)cJSON_GetArraySize(trials);
	d->trials = calloc(d->n ? d->n : 1, sizeof(*d->trials));
	d->values = malloc((d->n ? d->n : 1) *
	                   (size_t)(d->n_params ? d->n_params : 1) *
	                   sizeof(*d->values));
	d->labels = calloc((size_t)(d->n_params ? d->n_params : 1),
	                   sizeof(*d->labels));
	d->order = calloc((size_t)(d->n_params ? d->n_params : 1),
	                  sizeof(*d->order));
	if (d->trials == NULL || d->values == NULL || d->labels == NULL ||
	    d->order == NULL)
		goto nomem;
	if (name_options(d, d->space->root) != 0)
		goto nomem;

	cJSON_ArrayForEach(t, trials) {
		rc = read_trial(d, i, t, err);
		if (rc != 0)
			goto fail;
		i++;
	}
	for (i = 1; i < d->n; i++)
		if (d->trials[i].number < d->trials[i - 1].number)
			break;
	if (i < d->n) {
		/* Not in order: sort the trials and rebuild the rows. */
		qsort(d->trials, d->n, sizeof(*d->trials), cmp_trial_number);
		for (i = 0; i < d->n; i++) {
			const cJSON *p = cJSON_GetObjectItemCaseSensitive(
				d->trials[i].json, "params");

			read_params(d, i, p);
		}
	}
	for (int l = 0; l < d->n_params; l++)
		label_axis(d, l);
	summarize(d, opt);
	if (loss_top(d) != 0 || importance(d) != 0)
		goto nomem;
	*out = d;
	return 0;
nomem:
	rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
fail:
	pz_report_data_destroy(d);
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
	free(d->trials);
	free(d->values);
	free(d->labels);
	free(d->order);
	free(d);
}
