/*
 * Unit tests of the report's parts that a live page uses (lib/report:
 * report_store.c, report_table.c, report_figure.c, plot_curves.c,
 * plot_multi.c) and of the drawing fixes in chart.c: a store updated in
 * place and its snapshots, choices named by their values (issue 13),
 * the trials table's filter, sort and pages, a study's summary, figures
 * by name with their options, learning curves with pruned trials and
 * their sampling, log ticks spread over a few decades, band names laid
 * out instead of cut. Every check reads the SVG's data-* attributes or
 * text, as a tool would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/params.h>

#include "buf.h"
#include "chart.h"
#include "report.h"
#include "report_data.h"
#include "report_store.h"
#include "report_table.h"

/*
 * A hyperopt-style space: layers is a choice of lists of hyperparameters
 * (as examples/cifar_style's nb_hidden_layers), act a choice of
 * literals, opt a choice of objects with a name, reg a choice of objects
 * without one, lr a loguniform.
 */
static const char space_text[] =
	"{\"layers\": {\"$hp\": \"choice\", \"label\": \"layers\", \"options\": ["
	"  [{\"$fn\": \"int\", \"args\": [{\"$hp\": \"quniform\", \"label\": "
	"    \"u1\", \"low\": 16, \"high\": 64, \"q\": 16}]}],"
	"  [{\"$hp\": \"quniform\", \"label\": \"u21\", \"low\": 16, \"high\": "
	"    64, \"q\": 16}, {\"$hp\": \"quniform\", \"label\": \"u22\", "
	"    \"low\": 16, \"high\": 64, \"q\": 16}]]},"
	" \"act\": {\"$hp\": \"choice\", \"label\": \"act\", \"options\": "
	"  [\"relu\", \"tanh\", 0.5, true, null]},"
	" \"opt\": {\"$hp\": \"choice\", \"label\": \"opt\", \"options\": "
	"  [{\"name\": \"adam\"}, {\"name\": \"sgd\", \"m\": {\"$hp\": "
	"  \"uniform\", \"label\": \"m\", \"low\": 0, \"high\": 1}}]},"
	" \"reg\": {\"$hp\": \"choice\", \"label\": \"reg\", \"options\": "
	"  [{\"kind\": \"l1\", \"w\": 1}, {\"kind\": \"l2\", \"w\": 2}]},"
	" \"lr\": {\"$hp\": \"loguniform\", \"label\": \"lr\", \"low\": -9.4, "
	"  \"high\": -0.97}}";

static cJSON *parse(const char *text)
{
	cJSON *j = cJSON_Parse(text);

	if (j == NULL)
		fail_msg("bad JSON in the test: %s", text);
	return j;
}

static cJSON *study(void)
{
	cJSON *s = parse("{\"name\": \"live\", \"algo\": \"tpe\", \"seed\": 1, "
	                 "\"state\": \"running\", \"max_trials\": 100}");

	cJSON_AddItemToObject(s, "space", parse(space_text));
	return s;
}

/*
 * Trial `k`: layers k % 2, act k % 5, opt k % 2, reg 0, lr spread over
 * decades, loss from lr (best near lr 3e-3) unless failed (every 9th);
 * `curve` reported values over 6 steps ending at the loss; state as
 * given.
 */
static cJSON *trial(int k, const char *state, int curve)
{
	char text[1024];
	double lr = 1e-4 * pow(10, (k % 17) / 5.0);
	double loss = 0.05 + fabs(log10(lr / 3e-3)) + 0.001 * k;
	int n;

	n = snprintf(text, sizeof(text),
	             "{\"id\": %d, \"number\": %d, \"state\": \"%s\", "
	             "\"worker\": \"w%d\", \"attempt\": 0, "
	             "\"started\": %d, \"finished\": %d, \"params\": {"
	             "\"layers\": %d, %s, \"act\": %d, \"opt\": %d, %s"
	             "\"reg\": 0, \"lr\": %.17g}, \"loss\": ",
	             k + 100, k, state, k % 3, 1000 + 10 * k, 1005 + 10 * k,
	             k % 2, k % 2 ? "\"u21\": 16, \"u22\": 32" : "\"u1\": 48",
	             k % 5, k % 2, k % 2 ? "\"m\": 0.5, " : "", lr);
	if (strcmp(state, "ok") == 0 || strcmp(state, "pruned") == 0)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%.17g",
		              loss);
	else
		n += snprintf(text + n, sizeof(text) - (size_t)n, "null");
	if (curve) {
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		              ", \"intermediate\": [");
		for (int s = 0; s < (strcmp(state, "pruned") == 0 ? 3 : 6);
		     s++)
			n += snprintf(text + n, sizeof(text) - (size_t)n,
			              "%s[%d, %.17g]", s ? ", " : "", s,
			              loss + 0.5 * (5 - s));
		n += snprintf(text + n, sizeof(text) - (size_t)n, "]");
	}
	snprintf(text + n, sizeof(text) - (size_t)n, "}");
	return parse(text);
}

static const char *state_of(int k)
{
	return k % 9 == 4 ? "fail" : k % 11 == 7 ? "pruned" : "ok";
}

static struct pz_report_store *store_of(int n, int curves)
{
	cJSON *st = study();
	struct pz_report_store *s;
	struct pz_error err = { 0 };

	if (pz_report_store_create(st, &s, &err) != 0)
		fail_msg("store: %s", err.msg);
	cJSON_Delete(st);
	for (int k = 0; k < n; k++) {
		cJSON *t = trial(k, state_of(k), curves);

		if (pz_report_store_put(s, t, (size_t)k, &err) != 0)
			fail_msg("put %d: %s", k, err.msg);
		cJSON_Delete(t);
	}
	return s;
}

static struct pz_report_data *snap(struct pz_report_store *s)
{
	struct pz_report_data *d;
	struct pz_error err = { 0 };

	if (pz_report_store_snapshot(s, NULL, &d, &err) != 0)
		fail_msg("snapshot: %s", err.msg);
	return d;
}

static char *figure(const struct pz_report_data *d, const char *kind,
                    int log, long long trial_number)
{
	struct pz_figure f;
	struct pz_error err = { 0 };
	char *svg;
	size_t len;

	pz_figure_init(&f);
	f.kind = kind;
	f.log = log;
	f.trial = trial_number;
	if (pz_report_figure(d, &f, &svg, &len, &err) != 0)
		fail_msg("%s: %s", kind, err.msg);
	assert_int_equal(strlen(svg), len);
	return svg;
}

/* The number after `attr="` at the first place it occurs after `from`. */
static double attr_num(const char *text, const char *attr)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "%s=\"", attr);
	p = strstr(text, want);
	if (p == NULL)
		fail_msg("no %s in the figure", attr);
	return strtod(p + strlen(want), NULL);
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* --- the store ---------------------------------------------------------- */

static void test_store_replaces_and_snapshots(void **state)
{
	struct pz_report_store *s = store_of(10, 0);
	struct pz_report_data *a, *b;
	struct pz_error err = { 0 };
	size_t c[5];
	cJSON *t;

	(void)state;
	assert_int_equal(pz_report_store_size(s), 10);
	a = snap(s);
	/* Trial 3 ends; a new trial 10 is created; then trial 2 again, out
	 * of order. */
	t = trial(3, "running", 0);
	assert_int_equal(pz_report_store_put(s, t, 0, &err), 0);
	cJSON_Delete(t);
	assert_string_equal(pz_report_store_state(s, 3), "running");
	t = trial(12, "queued", 0);
	assert_int_equal(pz_report_store_put(s, t, 0, &err), 0);
	cJSON_Delete(t);
	t = trial(11, "ok", 0);
	assert_int_equal(pz_report_store_put(s, t, 0, &err), 0);
	cJSON_Delete(t);
	assert_int_equal(pz_report_store_size(s), 12);
	assert_null(pz_report_store_state(s, 10));
	b = snap(s);
	/* The first snapshot did not move. */
	assert_int_equal(pz_report_size(a), 10);
	pz_report_counts(a, c);
	assert_int_equal(c[1], 0);
	pz_report_counts(b, c);
	assert_int_equal(c[0], 1);
	assert_int_equal(c[1], 1);
	assert_int_equal(pz_report_trial_id(b, 11), 111);
	assert_int_equal(pz_report_trial_id(b, 10), -1);
	/* Unreadable trials change nothing. */
	t = parse("{\"number\": 3, \"state\": \"done\"}");
	assert_int_equal(pz_report_store_put(s, t, 7, &err), PZ_EINVAL);
	assert_string_equal(err.msg, "trials[7].state: unknown state 'done'");
	cJSON_Delete(t);
	assert_string_equal(pz_report_store_state(s, 3), "running");
	/* The study may change, its space may not. */
	t = study();
	cJSON_ReplaceItemInObject(t, "state", cJSON_CreateString("paused"));
	assert_int_equal(pz_report_store_set_study(s, t, &err), 0);
	cJSON_ReplaceItemInObject(t, "space", parse("{\"a\": 1}"));
	assert_int_equal(pz_report_store_set_study(s, t, &err), PZ_EINVAL);
	cJSON_Delete(t);
	pz_report_data_destroy(a);
	pz_report_data_destroy(b);
	pz_report_store_destroy(s);
}

/* --- values, not indices ------------------------------------------------ */

static void test_options_named_by_value(void **state)
{
	struct pz_report_store *s = store_of(4, 0);
	struct pz_report_data *d = snap(s);
	struct pz_error err = { 0 };
	cJSON *t;

	(void)state;
	/* lib/params' value form, as text: what the CLI prints. */
	assert_string_equal(pz_report_option_name(d, "layers", 0), "u1");
	assert_string_equal(pz_report_option_name(d, "layers", 1), "u21");
	assert_string_equal(pz_report_option_name(d, "act", 0), "relu");
	assert_string_equal(pz_report_option_name(d, "act", 2), "0.5");
	assert_string_equal(pz_report_option_name(d, "act", 3), "true");
	assert_string_equal(pz_report_option_name(d, "act", 4), "null");
	assert_string_equal(pz_report_option_name(d, "opt", 1), "sgd");
	assert_string_equal(pz_report_option_name(d, "reg", 1),
	                    "{\"kind\":\"l2\",\"w\":2}");
	assert_null(pz_report_option_name(d, "act", 5));
	assert_null(pz_report_option_name(d, "lr", 0));
	{
		const struct pz_space *sp = d->space;

		for (int l = 0; l < sp->n_params; l++)
			for (int k = 0; k < sp->params[l].n_options; k++) {
				char *text = pz_params_option_text(sp, l, k);

				assert_string_equal(
					pz_report_option_name(
						d, sp->params[l].label, k),
					text);
				free(text);
			}
	}
	pz_report_data_destroy(d);
	/* A trial whose params give a choice by value reads as its index. */
	t = parse("{\"number\": 9, \"state\": \"ok\", \"loss\": 1, "
	          "\"params\": {\"layers\": \"u1\", \"u1\": 16, \"act\": "
	          "true, \"opt\": \"adam\", \"reg\": {\"$index\": 1}, "
	          "\"lr\": 0.01}}");
	assert_int_equal(pz_report_store_put(s, t, 0, &err), 0);
	cJSON_Delete(t);
	d = snap(s);
	{
		struct pz_table_query q;
		char *html;
		size_t len, matched;

		pz_table_query_init(&q);
		q.filter = "number=9";
		assert_int_equal(pz_report_table(d, &q, &html, &len, &matched,
		                                 &err),
		                 0);
		assert_int_equal(matched, 1);
		assert_non_null(strstr(html, "<td>u1</td>"));
		assert_non_null(strstr(html,
		                       "<td>{&quot;kind&quot;:&quot;l2&quot;,"
		                       "&quot;w&quot;:2}</td>"));
		assert_non_null(strstr(html, "<td>true</td>"));
		assert_non_null(strstr(html, "<td>adam</td>"));
		free(html);
	}
	pz_report_data_destroy(d);
	pz_report_store_destroy(s);
}

/* --- the table ---------------------------------------------------------- */

static void test_table_filter_sort_pages(void **state)
{
	struct pz_report_store *s = store_of(60, 0);
	struct pz_report_data *d = snap(s);
	struct pz_error err = { 0 };
	struct pz_table_query q;
	char *html, *row;
	size_t len, matched;
	static const struct {
		const char *filter, *msg;
	} bad[] = {
		{ "nolabel<3", "filter: no column or label 'nolabel'" },
		{ "loss<abc", "filter: 'abc' is not a number" },
		{ "act<relu", "filter: 'act' is compared with = or != only" },
		{ "loss<", "filter: 'loss<' needs a name and a value" },
	};

	(void)state;
	pz_table_query_init(&q);
	q.filter = "act=tanh loss<1";
	q.sort = "loss";
	assert_int_equal(pz_report_table(d, &q, &html, &len, &matched, &err),
	                 0);
	/* act=tanh is every 5th trial from 1; loss<1 keeps ok and pruned
	 * ones with lr within a decade of 3e-3. */
	assert_true(matched > 0 && matched < 12);
	assert_int_equal(attr_num(html, "data-matched"), (double)matched);
	assert_int_equal(count(html, "<tr class="), matched);
	assert_int_equal(count(html, "<td>tanh</td>"), matched);
	free(html);
	/* Pages: the newest first, 7 a page. */
	pz_table_query_init(&q);
	q.sort = "number";
	q.desc = 1;
	q.offset = 7;
	q.limit = 7;
	q.link = "/trial?id=";
	assert_int_equal(pz_report_table(d, &q, &html, &len, &matched, &err),
	                 0);
	assert_int_equal(matched, 60);
	assert_int_equal(count(html, "<tr class="), 7);
	row = strstr(html, "<tr class=");
	assert_int_equal(attr_num(row, "data-trial"), 52);
	assert_non_null(strstr(row, "<a href=\"/trial?id=152\">52</a>"));
	free(html);
	/* States: fail only. */
	pz_table_query_init(&q);
	q.states = 1u << 3;
	assert_int_equal(pz_report_table(d, &q, &html, &len, &matched, &err),
	                 0);
	assert_int_equal(matched, 7); /* 4, 13, ..., 58 */
	free(html);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pz_table_query_init(&q);
		q.filter = bad[i].filter;
		assert_int_equal(pz_report_table(d, &q, &html, &len, &matched,
		                                 &err),
		                 PZ_EINVAL);
		if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) != 0)
			fail_msg("'%s': got '%s'", bad[i].filter, err.msg);
	}
	pz_report_data_destroy(d);
	pz_report_store_destroy(s);
}

static void test_summary_rate_eta(void **state)
{
	struct pz_report_store *s = store_of(21, 0);
	struct pz_report_data *d = snap(s);
	struct pz_report_summary sum;

	(void)state;
	/* 21 trials finished every 10 s (from 1005 to 1205); at 1205 the
	 * rate is 20 intervals / 200 s = 6 a minute, with 79 left of 100. */
	pz_report_summarize(d, 1205, &sum);
	assert_int_equal(sum.n, 21);
	assert_int_equal(sum.done, 21);
	assert_true(fabs(sum.rate - 6.0) < 1e-9);
	assert_true(fabs(sum.eta - 79.0 / 6 * 60) < 1e-6);
	assert_true(sum.best_number >= 0);
	/* Nothing finished for 1000 s more: the rate falls. */
	pz_report_summarize(d, 2205, &sum);
	assert_true(sum.rate < 1.2);
	pz_report_data_destroy(d);
	pz_report_store_destroy(s);
}

/* --- figures ------------------------------------------------------------ */

static void test_learning_curves(void **state)
{
	struct pz_report_store *s = store_of(30, 1);
	struct pz_report_data *d = snap(s);
	char *svg;

	(void)state;
	assert_true(pz_report_figure_shown(d, "learning"));
	svg = figure(d, "learning", -1, -1);
	/* Every trial reported: 30 curves, all drawn, pruned ones with an
	 * end mark, the best one red. */
	assert_int_equal(attr_num(strstr(svg, "class=\"curves\""), "data-n"),
	                 30);
	assert_int_equal(attr_num(strstr(svg, "class=\"curves\""),
	                          "data-drawn"),
	                 30);
	assert_int_equal(count(svg, "class=\"curve pruned\" data-trial"), 3);
	assert_int_equal(count(svg, "6z\" data-trial"), 3);
	assert_int_equal(count(svg, "class=\"curve best\" data-trial"), 1);
	assert_null(strstr(svg, "data-sampled"));
	free(svg);
	/* One trial's curve against the best's. */
	svg = figure(d, "learning", 0, 5);
	assert_int_equal(count(svg, "\" data-state=\""), 2);
	assert_non_null(strstr(svg, "data-trial=\"5\""));
	free(svg);
	pz_report_data_destroy(d);
	pz_report_store_destroy(s);
	/* Past 400 curves, a sample, and the figure says so. */
	s = store_of(700, 1);
	d = snap(s);
	svg = figure(d, "learning", 1, -1);
	assert_int_equal(attr_num(strstr(svg, "class=\"curves\""), "data-n"),
	                 700);
	assert_true(attr_num(strstr(svg, "class=\"curves\""), "data-drawn") <=
	            400);
	assert_non_null(strstr(svg, "data-sampled=\"1\""));
	assert_non_null(strstr(svg, "data-variant=\"log\""));
	free(svg);
	pz_report_data_destroy(d);
	pz_report_store_destroy(s);
	/* No curves: the figure is not shown, and says why. */
	s = store_of(5, 0);
	d = snap(s);
	assert_false(pz_report_figure_shown(d, "learning"));
	svg = figure(d, "learning", -1, -1);
	assert_non_null(strstr(svg, "data-empty"));
	free(svg);
	pz_report_data_destroy(d);
	pz_report_store_destroy(s);
}

static void test_every_figure_by_name(void **state)
{
	struct pz_report_store *s = store_of(800, 1);
	struct pz_report_data *d = snap(s);
	struct pz_figure f;
	struct pz_error err = { 0 };
	const char *x, *y;
	char *svg;
	size_t len;

	(void)state;
	for (int k = 0; pz_report_plot_kinds[k] != NULL; k++) {
		char want[64];

		svg = figure(d, pz_report_plot_kinds[k], -1, -1);
		snprintf(want, sizeof(want), "data-plot=\"%s\"",
		         pz_report_plot_kinds[k]);
		assert_non_null(strstr(svg, want));
		assert_null(strstr(svg, "data-empty"));
		free(svg);
	}
	/* Binned points are said to be binned. */
	svg = figure(d, "effects", -1, -1);
	assert_non_null(strstr(svg, "data-mode=\"bins\""));
	assert_non_null(strstr(svg, "binned, the 25 best as points"));
	free(svg);
	/* The parallel coordinates sample past 600 lines and say so. */
	svg = figure(d, "parallel", -1, -1);
	assert_true(attr_num(svg, "data-drawn") <= 600);
	assert_non_null(strstr(svg, "data-sampled"));
	free(svg);
	/* The contour's default labels are active in every trial (u1, m,
	 * u21 and u22 are conditional), and chosen ones are drawn. */
	pz_report_contour_labels(d, &x, &y);
	assert_non_null(x);
	assert_non_null(y);
	for (const char *const *c = (const char *const[]){ "u1", "m", "u21",
	                                                   "u22", NULL };
	     *c != NULL; c++)
		assert_true(strcmp(x, *c) != 0 && strcmp(y, *c) != 0);
	pz_figure_init(&f);
	f.kind = "contour";
	f.x = "lr";
	f.y = "act";
	assert_int_equal(pz_report_figure(d, &f, &svg, &len, &err), 0);
	assert_non_null(strstr(svg, "data-x=\"lr\" data-y=\"act\""));
	assert_true(attr_num(svg, "data-cells") > 0);
	free(svg);
	f.x = "nolabel";
	assert_int_equal(pz_report_figure(d, &f, &svg, &len, &err), PZ_EINVAL);
	assert_string_equal(err.msg, "x: no label 'nolabel' in the space");
	f.kind = "radar";
	assert_int_equal(pz_report_figure(d, &f, &svg, &len, &err), PZ_EINVAL);
	/* The empirical distribution keeps one vertex pair a column. */
	svg = figure(d, "edf", 0, -1);
	assert_true(attr_num(svg, "data-vertices") <= 2 * 1200);
	free(svg);
	pz_report_data_destroy(d);
	pz_report_store_destroy(s);
}

/* --- drawing fixes ------------------------------------------------------ */

/* The data-value of every tick of an axis, into t; returns how many. */
static int ticks(const char *svg, double *t, int max)
{
	int n = 0;

	for (const char *p = svg; n < max &&
	     (p = strstr(p, "class=\"tick\"")) != NULL; p++) {
		const char *v = strstr(p, "data-value=\"");
		const char *end = strstr(p, ">");

		if (v != NULL && v < end)
			t[n++] = strtod(v + 12, NULL);
	}
	return n;
}

static void test_log_ticks_spread(void **state)
{
	/* The pairs' learning_rate_init: 7.9e-5 to 0.38, three ticks wanted
	 * in a narrow cell. Powers of ten across the axis, never 0.1 0.2
	 * 0.3 at its end. */
	struct pz_chart_scale s;
	struct pz_axis a = { 0 };
	struct pz_buf b;
	double t[16];
	char *svg;
	int n;

	(void)state;
	pz_chart_scale_init(&s, PZ_SCALE_LOG, 7.9e-5, 0.38, 0, 160);
	a.scale = &s;
	a.dir = 'x';
	a.at = 100;
	a.max_ticks = 3;
	pz_buf_init(&b);
	pz_chart_axis(&b, &a);
	assert_int_equal(pz_buf_take(&b, &svg, NULL), 0);
	n = ticks(svg, t, 16);
	assert_true(n >= 2);
	for (int i = 0; i < n; i++)
		assert_true(fabs(log10(t[i]) - round(log10(t[i]))) < 1e-9);
	assert_true(t[n - 1] / t[0] >= 100);
	free(svg);
	/* Within a decade: 1-2-5 steps. */
	pz_chart_scale_init(&s, PZ_SCALE_LOG, 16, 256, 0, 160);
	pz_buf_init(&b);
	pz_chart_axis(&b, &a);
	assert_int_equal(pz_buf_take(&b, &svg, NULL), 0);
	n = ticks(svg, t, 16);
	assert_int_equal(n, 4);
	assert_true(t[0] == 20 && t[1] == 50 && t[2] == 100 && t[3] == 200);
	free(svg);
}

static void test_band_names_laid_out(void **state)
{
	static const char *const names[] = { "option zero", "option one",
		                             "option two" };
	static const char *const long_names[] = {
		"[units_1_of_3, units_2_of_3, units_3_of_3]", "b", "c"
	};
	struct pz_chart_scale s;
	struct pz_axis a = { 0 };
	struct pz_buf b;
	char *svg;

	(void)state;
	/* A pairs cell's y axis: 3 bands of 60 px, 70 px of room. The names
	 * are wrapped, not cut. */
	pz_chart_scale_init(&s, PZ_SCALE_BAND, 0, 3, 180, 0);
	a.scale = &s;
	a.dir = 'y';
	a.at = 70;
	a.names = names;
	a.room = 70;
	pz_buf_init(&b);
	pz_chart_axis(&b, &a);
	assert_int_equal(pz_buf_take(&b, &svg, NULL), 0);
	assert_null(strstr(svg, "\xe2\x80\xa6"));
	assert_non_null(strstr(svg, ">option</tspan>"));
	assert_non_null(strstr(svg, ">zero</tspan>"));
	assert_non_null(strstr(svg, "data-name=\"option zero\""));
	free(svg);
	/* Too long for any layout: cut, with the full name kept. */
	a.names = long_names;
	a.room = 30;
	pz_chart_scale_init(&s, PZ_SCALE_BAND, 0, 3, 60, 0);
	pz_buf_init(&b);
	pz_chart_axis(&b, &a);
	assert_int_equal(pz_buf_take(&b, &svg, NULL), 0);
	assert_non_null(strstr(svg, "\xe2\x80\xa6"));
	assert_non_null(strstr(svg, "<title>[units_1_of_3, units_2_of_3, "
	                            "units_3_of_3]</title>"));
	free(svg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_replaces_and_snapshots),
		cmocka_unit_test(test_options_named_by_value),
		cmocka_unit_test(test_table_filter_sort_pages),
		cmocka_unit_test(test_summary_rate_eta),
		cmocka_unit_test(test_learning_curves),
		cmocka_unit_test(test_every_figure_by_name),
		cmocka_unit_test(test_log_ticks_spread),
		cmocka_unit_test(test_band_names_laid_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
