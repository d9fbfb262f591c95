/*
 * The trials table (filtered, sorted, paged) and a study's summary
 * numbers (report_table.h has the contract). The rows are written by
 * table_rows.c's functions, which the report's own table uses too.
 *
 * Filtering reads the query once into a list of conditions; sorting sorts
 * the indices of the matching rows with qsort_r and a key per row, so a
 * page of 100 rows of a 100,000-trial study costs one pass and one sort.
 */
#include "report_table.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "plot.h"
#include "report_data.h"
#include "table_rows.h"

/* --- summary ------------------------------------------------------------ */

void pz_report_summarize(const struct pz_report_data *d, double now,
                         struct pz_report_summary *out)
{
	const cJSON *maxv = cJSON_GetObjectItemCaseSensitive(d->study,
	                                                     "max_trials");
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(d->study,
	                                                      "state");
	double *fin;
	size_t k = 0;

	memset(out, 0, sizeof(*out));
	for (int s = 0; s < PZ_RS_COUNT; s++)
		out->counts[s] = d->counts[s];
	out->n = d->n;
	out->done = d->counts[PZ_RS_OK] + d->counts[PZ_RS_FAIL] +
	            d->counts[PZ_RS_PRUNED];
	out->best_number = out->best_id = -1;
	out->best_loss = NAN;
	if (d->best >= 0) {
		out->best_number = d->trials[d->best].number;
		out->best_id = d->trials[d->best].id;
		out->best_loss = d->trials[d->best].loss;
	}
	out->max_trials = cJSON_IsNumber(maxv) ? maxv->valuedouble : NAN;
	out->paused = cJSON_IsString(state) &&
	              strcmp(state->valuestring, "paused") == 0;
	out->latest = d->latest;
	out->rate = out->eta = NAN;
	fin = malloc((out->done ? out->done : 1) * sizeof(*fin));
	if (fin == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		const struct pz_rtrial *t = &d->trials[i];

		if ((t->state == PZ_RS_OK || t->state == PZ_RS_FAIL ||
		     t->state == PZ_RS_PRUNED) &&
		    !isnan(t->finished))
			fin[k++] = t->finished;
	}
	qsort(fin, k, sizeof(*fin), pz_report_cmp_double);
	if (k >= 2) {
		size_t m = k < 50 ? k : 50;
		double t0 = fin[k - m], span = now - t0;

		/* m - 1 intervals between the m latest, stretched to now
		 * when nothing finished since. */
		if (now < fin[k - 1])
			span = fin[k - 1] - t0;
		if (span > 0)
			out->rate = (double)(m - 1) / span * 60;
	}
	if (!isnan(out->max_trials) && out->rate > 0 && !out->paused &&
	    (double)out->done < out->max_trials)
		out->eta = (out->max_trials - (double)out->done) / out->rate *
		           60;
	free(fin);
}

/* --- small accessors ---------------------------------------------------- */

const char *pz_report_option_name(const struct pz_report_data *d,
                                  const char *label, double v)
{
	int l = pz_space_find(d->space, label);

	return l < 0 ? NULL : pz_report_data_option(d, l, v);
}

long long pz_report_trial_id(const struct pz_report_data *d,
                             long long number)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->trials[mid].number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->n && d->trials[lo].number == number ? d->trials[lo].id
	                                                    : -1;
}

const char *pz_report_study_name(const struct pz_report_data *d)
{
	return d->name;
}

const cJSON *pz_report_study(const struct pz_report_data *d)
{
	return d->study;
}

size_t pz_report_size(const struct pz_report_data *d)
{
	return d->n;
}

int pz_report_n_labels(const struct pz_report_data *d)
{
	return d->n_params;
}

const char *pz_report_label(const struct pz_report_data *d, int i)
{
	return i >= 0 && i < d->n_params ? d->space->params[i].label : NULL;
}

void pz_report_contour_labels(const struct pz_report_data *d, const char **x,
                              const char **y)
{
	int lx, ly;

	pz_plot_contour_labels(d, &lx, &ly);
	*x = lx >= 0 ? d->space->params[lx].label : NULL;
	*y = ly >= 0 ? d->space->params[ly].label : NULL;
}

size_t pz_report_n_curves(const struct pz_report_data *d)
{
	return d->n_curves;
}

void pz_report_counts(const struct pz_report_data *d, size_t counts[5])
{
	for (int s = 0; s < PZ_RS_COUNT; s++)
		counts[s] = d->counts[s];
}

void pz_table_query_init(struct pz_table_query *q)
{
	memset(q, 0, sizeof(*q));
}

/* --- filter ------------------------------------------------------------- */

enum key {
	K_NUMBER,
	K_STATE,
	K_LOSS,
	K_WORKER,
	K_START,
	K_DURATION,
	K_ATTEMPT,
	K_STEP,
	K_LABEL,
	K_WORD, /* a plain word */
};

static const char *const key_names[] = {
	"number", "state", "loss", "worker", "start", "duration", "attempt",
	"step",
};

enum op { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE };

struct cond {
	enum key key;
	int label;
	enum op op;
	char text[128]; /* the value as written */
	double num;     /* ... as a number (NAN: not one) */
};

static int parse_key(const struct pz_report_data *d, const char *s,
                     enum key *k, int *label)
{
	for (int i = 0; i < (int)(sizeof(key_names) / sizeof(key_names[0]));
	     i++)
		if (strcmp(s, key_names[i]) == 0) {
			*k = (enum key)i;
			return 0;
		}
	*label = pz_space_find(d->space, s);
	*k = K_LABEL;
	return *label >= 0 ? 0 : -1;
}

/* Read one term of the filter into *c; 0, or PZ_EINVAL with a message. */
static int parse_term(const struct pz_report_data *d, const char *term,
                      size_t len, struct cond *c, struct pz_error *err)
{
	static const char *const ops[] = { "<=", ">=", "!=", "<", ">", "=" };
	static const enum op codes[] = { OP_LE, OP_GE, OP_NE,
		                         OP_LT, OP_GT, OP_EQ };
	char key[128];
	size_t at = len;
	int o = -1;
	char *end;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < len && o < 0; i++)
		for (int j = 0; j < 6; j++)
			if (strncmp(term + i, ops[j], strlen(ops[j])) == 0) {
				at = i;
				o = j;
				break;
			}
	if (o < 0) {
		c->key = K_WORD;
		snprintf(c->text, sizeof(c->text), "%.*s", (int)len, term);
		return 0;
	}
	snprintf(key, sizeof(key), "%.*s", (int)at, term);
	snprintf(c->text, sizeof(c->text), "%.*s",
	         (int)(len - at - strlen(ops[o])), term + at + strlen(ops[o]));
	c->op = codes[o];
	if (key[0] == '\0' || c->text[0] == '\0')
		return pz_error_set(err, PZ_EINVAL,
		                    "filter: '%.*s' needs a name and a value, "
		                    "as in loss<0.1",
		                    (int)len, term);
	if (parse_key(d, key, &c->key, &c->label) != 0)
		return pz_error_set(err, PZ_EINVAL,
		                    "filter: no column or label '%s'", key);
	c->num = strtod(c->text, &end);
	if (*end != '\0' || end == c->text)
		c->num = NAN;
	if ((c->key == K_WORKER || c->key == K_STATE ||
	     (c->key == K_LABEL && d->labels[c->label].names != NULL)) &&
	    c->op != OP_EQ && c->op != OP_NE)
		return pz_error_set(err, PZ_EINVAL,
		                    "filter: '%s' is compared with = or != only",
		                    key);
	if ((c->key != K_WORKER && c->key != K_STATE &&
	     !(c->key == K_LABEL && d->labels[c->label].names != NULL)) &&
	    isnan(c->num))
		return pz_error_set(err, PZ_EINVAL,
		                    "filter: '%s' is not a number", c->text);
	return 0;
}

/* A row's number for key `k` (NAN: none). */
static double row_num(const struct pz_report_data *d, size_t i, enum key k,
                      int label)
{
	const struct pz_rtrial *t = &d->trials[i];

	switch (k) {
	case K_NUMBER:
		return (double)t->number;
	case K_LOSS:
		return t->loss;
	case K_START:
		return t->started - d->t0;
	case K_DURATION:
		return (t->state == PZ_RS_RUNNING ? d->now : t->finished) -
		       t->started;
	case K_ATTEMPT:
		return t->attempt;
	case K_STEP:
		return t->n_curve > 0
		               ? d->curves[t->curve + (size_t)t->n_curve - 1]
		                         .step
		               : NAN;
	case K_LABEL:
		return pz_report_data_value(d, i, label);
	default:
		return NAN;
	}
}

/* A row's text for key `k` (NULL: none). */
static const char *row_text(const struct pz_report_data *d, size_t i,
                            enum key k, int label)
{
	const struct pz_rtrial *t = &d->trials[i];

	switch (k) {
	case K_WORKER:
		return t->worker;
	case K_STATE:
		return pz_report_data_state_name(t->state);
	case K_LABEL:
		return pz_report_data_option(d, label,
		                             pz_report_data_value(d, i, label));
	default:
		return NULL;
	}
}

static int contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; hay != NULL && *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

static int matches(const struct pz_report_data *d, size_t i,
                   const struct cond *c)
{
	const char *s;
	double v;

	if (c->key == K_WORD) {
		if (contains(d->trials[i].worker, c->text))
			return 1;
		for (int l = 0; l < d->n_params; l++)
			if (contains(row_text(d, i, K_LABEL, l), c->text))
				return 1;
		return 0;
	}
	if (c->key == K_WORKER || c->key == K_STATE ||
	    (c->key == K_LABEL && d->labels[c->label].names != NULL)) {
		s = row_text(d, i, c->key, c->label);
		if (s == NULL)
			return 0;
		return (strcmp(s, c->text) == 0) == (c->op == OP_EQ);
	}
	v = row_num(d, i, c->key, c->label);
	if (isnan(v))
		return 0;
	switch (c->op) {
	case OP_LT:
		return v < c->num;
	case OP_LE:
		return v <= c->num;
	case OP_GT:
		return v > c->num;
	case OP_GE:
		return v >= c->num;
	case OP_EQ:
		return v == c->num;
	default:
		return v != c->num;
	}
}

/* --- sort --------------------------------------------------------------- */

struct sort_ctx {
	const struct pz_report_data *d;
	enum key key;
	int label, desc, text;
};

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *s = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int c = 0;

	if (s->text) {
		const char *x = row_text(s->d, a, s->key, s->label);
		const char *y = row_text(s->d, b, s->key, s->label);

		if ((x == NULL) != (y == NULL))
			return x == NULL ? 1 : -1;
		if (x != NULL)
			c = strcmp(x, y);
	} else {
		double x = row_num(s->d, a, s->key, s->label);
		double y = row_num(s->d, b, s->key, s->label);

		if (isnan(x) != isnan(y))
			return isnan(x) ? 1 : -1;
		if (!isnan(x))
			c = (x > y) - (x < y);
	}
	if (c == 0)
		return (a > b) - (a < b);
	return s->desc ? -c : c;
}

/* --- table -------------------------------------------------------------- */

int pz_report_table(const struct pz_report_data *d,
                    const struct pz_table_query *q, char **html_out,
                    size_t *len, size_t *matched, struct pz_error *err)
{
	struct cond conds[16];
	size_t n_conds = 0, m = 0, *rows = NULL;
	struct sort_ctx sc = { .d = d, .key = K_NUMBER, .desc = q->desc };
	const char *f = q->filter ? q->filter : "";
	struct pz_buf b;
	int rc;

	*html_out = NULL;
	if (len != NULL)
		*len = 0;
	if (matched != NULL)
		*matched = 0;
	while (*f != '\0') {
		size_t n;

		while (isspace((unsigned char)*f))
			f++;
		n = strcspn(f, " \t\n");
		if (n == 0)
			break;
		if (n_conds == sizeof(conds) / sizeof(conds[0]))
			return pz_error_set(err, PZ_EINVAL,
			                    "filter: at most 16 conditions");
		rc = parse_term(d, f, n, &conds[n_conds++], err);
		if (rc != 0)
			return rc;
		f += n;
	}
	if (q->sort != NULL && q->sort[0] != '\0' &&
	    parse_key(d, q->sort, &sc.key, &sc.label) != 0)
		return pz_error_set(err, PZ_EINVAL,
		                    "sort: no column or label '%.80s'", q->sort);
	sc.text = sc.key == K_WORKER || sc.key == K_STATE ||
	          (sc.key == K_LABEL && d->labels[sc.label].names != NULL);
	rows = malloc((d->n ? d->n : 1) * sizeof(*rows));
	if (rows == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	for (size_t i = 0; i < d->n; i++) {
		int ok = q->states == 0 ||
		         (q->states & (1u << d->trials[i].state)) != 0;

		for (size_t c = 0; c < n_conds && ok; c++)
			ok = matches(d, i, &conds[c]);
		if (ok)
			rows[m++] = i;
	}
	if (sc.key != K_NUMBER || sc.desc)
		qsort_r(rows, m, sizeof(*rows), cmp_rows, &sc);
	if (matched != NULL)
		*matched = m;

	pz_buf_init(&b);
	{
		size_t lo = q->offset < m ? q->offset : m;
		size_t hi = q->limit == 0 || q->limit > m - lo ? m
		                                               : lo + q->limit;

		pz_buf_printf(&b,
		              "<table class=\"trials\" data-total=\"%zu\" "
		              "data-matched=\"%zu\" data-rows=\"%zu\" "
		              "data-offset=\"%zu\" data-sort=\"",
		              d->n, m, hi - lo, lo);
		pz_buf_text(&b, q->sort && q->sort[0] ? q->sort : "number");
		pz_buf_printf(&b, "\" data-dir=\"%s\">",
		              q->desc ? "desc" : "asc");
		pz_table_head(&b, d);
		pz_buf_puts(&b, "<tbody>");
		for (size_t r = lo; r < hi; r++)
			pz_table_row(&b, d, rows[r], q->link);
		pz_buf_puts(&b, "</tbody></table>");
	}
	free(rows);
	if (pz_buf_take(&b, html_out, len) != 0)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	return 0;
}
