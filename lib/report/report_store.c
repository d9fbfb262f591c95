/*
 * A study's trials as compact rows, updated in place, and immutable
 * snapshots of them for drawing (report_store.h has the contract).
 *
 * Rows are kept sorted by trial number. A search creates trials in number
 * order, so a new trial is appended; a changed one is found by binary
 * search and replaced. A trial's members are read in one pass over the
 * object rather than by key lookups, and its params are matched to the
 * space's labels expecting the space's order first (the order the daemon
 * writes them), so reading 100,000 trials stays a small part of drawing
 * them. Input is checked only as far as the figures depend on it: a trial
 * needs a number and a known state, an ok trial a finite loss; unknown
 * members and params of unknown labels are ignored, so a report can be
 * drawn from a newer daemon's objects.
 */
#include "report_store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/params.h>

#include "report_data.h"

struct row {
	struct pz_rtrial t;      /* t.worker is owned; t.curve unused */
	struct pz_rpoint *curve; /* t.n_curve points, owned */
};

struct pz_report_store {
	cJSON *study;           /* owned copy */
	char *space_text;       /* the space as compact JSON, to compare */
	struct pz_space *space; /* owned */
	int n_params;
	char ***names; /* per label: its options' names, or NULL */
	struct row *rows;
	double *values; /* cap x n_params */
	size_t n, cap;
};

/* --- option names ------------------------------------------------------- */

/*
 * What an option of a choice is called where a person reads it is
 * lib/params' value form, as text (pz_params_option_text: "adam", 0.999,
 * true, the name of a {"name": ...} option, the first label of a nested
 * sub-space), the same text the CLI and the dashboard show. Fill the
 * names of every choice's options at or below `n`.
 */
static int name_options(struct pz_report_store *s, const struct pz_node *n)
{
	if (n->type == PZ_NODE_HP && n->n_children > 0 &&
	    s->names[n->param] == NULL) {
		char **names = calloc((size_t)n->n_children, sizeof(*names));

		if (names == NULL)
			return PZ_ENOMEM;
		s->names[n->param] = names;
		for (int i = 0; i < n->n_children; i++) {
			names[i] = pz_params_option_text(s->space, n->param,
			                                 i);
			if (names[i] == NULL)
				return PZ_ENOMEM;
		}
	}
	for (int i = 0; i < n->n_children; i++) {
		int rc = name_options(s, n->children[i]);

		if (rc != 0)
			return rc;
	}
	return 0;
}

/* --- reading a trial ---------------------------------------------------- */

static double opt_number(const cJSON *v)
{
	return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble
	                                                     : NAN;
}

/* Params of a trial into `row` (n_params values, NAN: inactive). */
static void read_params(const struct pz_report_store *s, double *row,
                        const cJSON *params)
{
	const cJSON *c;
	int hint = 0;

	for (int l = 0; l < s->n_params; l++)
		row[l] = NAN;
	cJSON_ArrayForEach(c, params) {
		int l;

		if (c->string == NULL)
			continue;
		while (hint < s->n_params &&
		       strcmp(s->space->params[hint].label, c->string) != 0)
			hint++;
		if (hint < s->n_params) {
			l = hint++;
		} else {
			l = pz_space_find(s->space, c->string);
			if (l < 0)
				continue;
			hint = l + 1;
		}
		if (cJSON_IsNumber(c) && isfinite(c->valuedouble))
			row[l] = c->valuedouble;
		else if (!cJSON_IsNumber(c) && s->names[l] != NULL)
			row[l] = pz_params_option_index(s->space, l, c);
		/* An option index must name an option. */
		if (s->names[l] != NULL &&
		    !(row[l] >= 0 && row[l] < s->space->params[l].n_options &&
		      row[l] == floor(row[l])))
			row[l] = NAN;
	}
}

/*
 * The learning curve of a trial: "intermediate": [[step, value], ...].
 * Points that are not two finite numbers are left out; the points are
 * sorted by step if they were not.
 */
static int read_curve(const cJSON *inter, struct row *r)
{
	int n = cJSON_GetArraySize(inter), k = 0, sorted = 1;
	const cJSON *p;

	if (!cJSON_IsArray(inter) || n == 0)
		return 0;
	r->curve = malloc((size_t)n * sizeof(*r->curve));
	if (r->curve == NULL)
		return PZ_ENOMEM;
	cJSON_ArrayForEach(p, inter) {
		double st = opt_number(cJSON_GetArrayItem(p, 0));
		double v = opt_number(cJSON_GetArrayItem(p, 1));

		if (!cJSON_IsArray(p) || isnan(st) || isnan(v))
			continue;
		if (k > 0 && st < r->curve[k - 1].step)
			sorted = 0;
		r->curve[k].step = st;
		r->curve[k++].value = v;
	}
	/* Insertion sort: curves arrive sorted, this is a check. */
	for (int i = 1; i < k && !sorted; i++)
		for (int j = i; j > 0 && r->curve[j].step < r->curve[j - 1].step;
		     j--) {
			struct pz_rpoint t = r->curve[j];

			r->curve[j] = r->curve[j - 1];
			r->curve[j - 1] = t;
		}
	r->t.n_curve = k;
	return 0;
}

static int read_trial(const struct pz_report_store *s, size_t i,
                      const cJSON *t, struct row *r, double *values,
                      struct pz_error *err)
{
	const cJSON *c, *number = NULL, *state = NULL, *loss = NULL;
	const cJSON *params = NULL, *inter = NULL;
	const char *worker = NULL;

	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(t))
		return pz_error_set(err, PZ_EINVAL,
		                    "trials[%zu]: must be a Trial object", i);
	r->t.id = -1;
	r->t.loss = r->t.created = r->t.started = r->t.finished = NAN;
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
				r->t.started = opt_number(c);
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
				r->t.id = (int64_t)c->valuedouble;
			else if (strcmp(k, "intermediate") == 0)
				inter = c;
			break;
		case 'c':
			if (strcmp(k, "created") == 0)
				r->t.created = opt_number(c);
			break;
		case 'f':
			if (strcmp(k, "finished") == 0)
				r->t.finished = opt_number(c);
			break;
		case 'w':
			if (strcmp(k, "worker") == 0 && cJSON_IsString(c))
				worker = c->valuestring;
			break;
		case 'a':
			if (strcmp(k, "attempt") == 0 && cJSON_IsNumber(c))
				r->t.attempt = c->valueint;
			break;
		case 'r':
			if (strcmp(k, "reclaims") == 0 && cJSON_IsNumber(c))
				r->t.reclaims = c->valueint;
			break;
		}
	}
	if (!cJSON_IsNumber(number) || !(number->valuedouble >= 0) ||
	    number->valuedouble > 9007199254740992.0 ||
	    number->valuedouble != floor(number->valuedouble))
		return pz_error_set(err, PZ_EINVAL,
		                    "trials[%zu].number: must be an integer "
		                    ">= 0",
		                    i);
	r->t.number = (int64_t)number->valuedouble;
	if (!cJSON_IsString(state))
		return pz_error_set(err, PZ_EINVAL,
		                    "trials[%zu].state: must be a string", i);
	r->t.state = pz_report_data_state(state->valuestring);
	if (r->t.state == PZ_RS_COUNT)
		return pz_error_set(err, PZ_EINVAL,
		                    "trials[%zu].state: unknown state '%.40s'", i,
		                    state->valuestring);
	if (r->t.state == PZ_RS_OK || r->t.state == PZ_RS_PRUNED) {
		r->t.loss = opt_number(loss);
		if (r->t.state == PZ_RS_OK && isnan(r->t.loss))
			return pz_error_set(err, PZ_EINVAL,
			                    "trials[%zu].loss: an ok trial needs "
			                    "a finite loss",
			                    i);
	}
	if (params != NULL && !cJSON_IsObject(params) && !cJSON_IsNull(params))
		return pz_error_set(err, PZ_EINVAL,
		                    "trials[%zu].params: must be an object", i);
	read_params(s, values, params);
	if (worker != NULL && (r->t.worker = strdup(worker)) == NULL)
		goto nomem;
	if (read_curve(inter, r) != 0)
		goto nomem;
	return 0;
nomem:
	free((char *)r->t.worker);
	free(r->curve);
	return pz_error_set(err, PZ_ENOMEM, "out of memory");
}

/* --- the store ---------------------------------------------------------- */

static char *space_text(const cJSON *study)
{
	return cJSON_PrintUnformatted(
		cJSON_GetObjectItemCaseSensitive(study, "space"));
}

static int check_study(const cJSON *study, struct pz_error *err)
{
	if (!cJSON_IsObject(study))
		return pz_error_set(err, PZ_EINVAL,
		                    "study: must be a Study object");
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(study, "name")))
		return pz_error_set(err, PZ_EINVAL,
		                    "study.name: must be a string");
	if (cJSON_GetObjectItemCaseSensitive(study, "space") == NULL)
		return pz_error_set(err, PZ_EINVAL, "study.space: missing");
	return 0;
}

int pz_report_store_create(const cJSON *study, struct pz_report_store **out,
                           struct pz_error *err)
{
	struct pz_report_store *s;
	int rc;

	*out = NULL;
	rc = check_study(study, err);
	if (rc != 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	rc = pz_space_create(cJSON_GetObjectItemCaseSensitive(study, "space"),
	                     "study.space", &s->space, err);
	if (rc != 0)
		goto fail;
	s->n_params = s->space->n_params;
	s->study = cJSON_Duplicate(study, 1);
	s->space_text = space_text(study);
	s->names = calloc((size_t)(s->n_params ? s->n_params : 1),
	                  sizeof(*s->names));
	if (s->study == NULL || s->space_text == NULL || s->names == NULL ||
	    name_options(s, s->space->root) != 0) {
		rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	pz_report_store_destroy(s);
	return rc;
}

void pz_report_store_destroy(struct pz_report_store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free((char *)s->rows[i].t.worker);
		free(s->rows[i].curve);
	}
	for (int l = 0; l < s->n_params && s->names != NULL; l++) {
		if (s->names[l] == NULL)
			continue;
		for (int k = 0; k < s->space->params[l].n_options; k++)
			free(s->names[l][k]);
		free(s->names[l]);
	}
	free(s->names);
	free(s->rows);
	free(s->values);
	free(s->space_text);
	cJSON_Delete(s->study);
	pz_space_destroy(s->space);
	free(s);
}

int pz_report_store_set_study(struct pz_report_store *s, const cJSON *study,
                              struct pz_error *err)
{
	cJSON *copy;
	char *text;
	int same;
	int rc = check_study(study, err);

	if (rc != 0)
		return rc;
	text = space_text(study);
	if (text == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	same = strcmp(text, s->space_text) == 0;
	free(text);
	if (!same)
		return pz_error_set(err, PZ_EINVAL,
		                    "study.space: not the space of the study "
		                    "in the store");
	copy = cJSON_Duplicate(study, 1);
	if (copy == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	cJSON_Delete(s->study);
	s->study = copy;
	return 0;
}

const cJSON *pz_report_store_study(const struct pz_report_store *s)
{
	return s->study;
}

size_t pz_report_store_size(const struct pz_report_store *s)
{
	return s->n;
}

/* Where trial `number` is, or would be inserted. */
static size_t find(const struct pz_report_store *s, int64_t number)
{
	size_t lo = 0, hi = s->n;

	if (s->n > 0 && s->rows[s->n - 1].t.number < number)
		return s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->rows[mid].t.number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *pz_report_store_state(const struct pz_report_store *s,
                                  long long number)
{
	size_t i = find(s, number);

	if (i < s->n && s->rows[i].t.number == number)
		return pz_report_data_state_name(s->rows[i].t.state);
	return NULL;
}

static int grow(struct pz_report_store *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64, np = (size_t)s->n_params;
	struct row *rows;
	double *values;

	rows = realloc(s->rows, cap * sizeof(*rows));
	if (rows == NULL)
		return PZ_ENOMEM;
	s->rows = rows;
	values = realloc(s->values, cap * (np ? np : 1) * sizeof(*values));
	if (values == NULL)
		return PZ_ENOMEM;
	s->values = values;
	s->cap = cap;
	return 0;
}

int pz_report_store_put(struct pz_report_store *s, const cJSON *trial,
                        size_t index, struct pz_error *err)
{
	size_t np = (size_t)s->n_params, i;
	double *vals = malloc((np ? np : 1) * sizeof(*vals));
	struct row r;
	int rc;

	if (vals == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	rc = read_trial(s, index, trial, &r, vals, err);
	if (rc != 0)
		goto out;
	i = find(s, r.t.number);
	if (i < s->n && s->rows[i].t.number == r.t.number) {
		free((char *)s->rows[i].t.worker);
		free(s->rows[i].curve);
	} else {
		if (s->n == s->cap && grow(s) != 0) {
			free((char *)r.t.worker);
			free(r.curve);
			rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
			goto out;
		}
		memmove(&s->rows[i + 1], &s->rows[i],
		        (s->n - i) * sizeof(*s->rows));
		memmove(&s->values[(i + 1) * np], &s->values[i * np],
		        (s->n - i) * np * sizeof(*s->values));
		s->n++;
	}
	s->rows[i] = r;
	memcpy(&s->values[i * np], vals, np * sizeof(*vals));
out:
	free(vals);
	return rc;
}

/* --- snapshots ---------------------------------------------------------- */

static char **copy_names(char **names, int n)
{
	char **out = calloc((size_t)n, sizeof(*out));

	for (int i = 0; out != NULL && i < n; i++) {
		out[i] = strdup(names[i]);
		if (out[i] == NULL) {
			while (i-- > 0)
				free(out[i]);
			free(out);
			return NULL;
		}
	}
	return out;
}

int pz_report_store_snapshot(const struct pz_report_store *s,
                             const struct pz_report_options *opt,
                             struct pz_report_data **out,
                             struct pz_error *err)
{
	struct pz_report_options defaults;
	struct pz_report_data *d;
	size_t np = (size_t)s->n_params, chars = 0, points = 0, pos = 0, at = 0;
	int rc;

	*out = NULL;
	if (opt == NULL) {
		pz_report_options_init(&defaults);
		opt = &defaults;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	for (size_t i = 0; i < s->n; i++) {
		if (s->rows[i].t.worker != NULL)
			chars += strlen(s->rows[i].t.worker) + 1;
		points += (size_t)s->rows[i].t.n_curve;
	}
	d->study = cJSON_Duplicate(s->study, 1);
	d->n = s->n;
	d->n_params = s->n_params;
	d->trials = malloc((s->n ? s->n : 1) * sizeof(*d->trials));
	d->values = malloc((s->n ? s->n : 1) * (np ? np : 1) *
	                   sizeof(*d->values));
	d->curves = malloc((points ? points : 1) * sizeof(*d->curves));
	d->strings = malloc(chars ? chars : 1);
	d->labels = calloc(np ? np : 1, sizeof(*d->labels));
	d->order = calloc(np ? np : 1, sizeof(*d->order));
	if (d->study == NULL || d->trials == NULL || d->values == NULL ||
	    d->curves == NULL || d->strings == NULL || d->labels == NULL ||
	    d->order == NULL)
		goto nomem;
	d->name = cJSON_GetObjectItemCaseSensitive(d->study, "name")
	                  ->valuestring;
	rc = pz_space_create(cJSON_GetObjectItemCaseSensitive(d->study,
	                                                      "space"),
	                     "study.space", &d->space, err);
	if (rc != 0)
		goto fail;
	for (int l = 0; l < s->n_params; l++)
		if (s->names[l] != NULL &&
		    (d->labels[l].names = copy_names(
			     s->names[l], s->space->params[l].n_options)) ==
		            NULL)
			goto nomem;
	for (size_t i = 0; i < s->n; i++) {
		const struct row *r = &s->rows[i];
		struct pz_rtrial *t = &d->trials[i];

		*t = r->t;
		if (r->t.worker != NULL) {
			size_t len = strlen(r->t.worker) + 1;

			memcpy(d->strings + pos, r->t.worker, len);
			t->worker = d->strings + pos;
			pos += len;
		}
		t->curve = at;
		if (r->t.n_curve > 0)
			memcpy(d->curves + at, r->curve,
			       (size_t)r->t.n_curve * sizeof(*d->curves));
		at += (size_t)r->t.n_curve;
	}
	d->n_points = points;
	if (np > 0 && s->n > 0)
		memcpy(d->values, s->values, s->n * np * sizeof(*d->values));
	if (pz_report_data_finish(d, opt) != 0)
		goto nomem;
	*out = d;
	return 0;
nomem:
	rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
fail:
	pz_report_data_destroy(d);
	return rc;
}
