/*
 * Unit tests of the study report's pure parts: the importance method
 * (lib/importance.c) on synthetic data where one label drives the loss,
 * the XML escaping and number formatting of the writer (lib/svg.c), and
 * pz_report_html() / pz_report_plot() (lib/report.c) on small studies
 * built in memory: what they accept, what they refuse with which message,
 * and, under the sanitizers and valgrind, that drawing every figure of a
 * study large enough to bin its points is clean. The report's content is
 * checked end to end, through the daemon and an XML parser, by
 * tests/integration/test_report.py.
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

#include "importance.h"
#include "report.h"
#include <parzen/rng.h>
#include <parzen/params.h>
#include <parzen/sample.h>
#include <parzen/space.h>
#include "buf.h"

/* Labels x (uniform), c (choice of 3), z (loguniform), w (uniform). */
static const char space_text[] =
	"{\"x\": {\"$hp\": \"uniform\", \"label\": \"x\", \"low\": -1, "
	"\"high\": 1},"
	" \"c\": {\"$hp\": \"choice\", \"label\": \"c\", \"options\": "
	"[\"a\", \"b\", \"c\"]},"
	" \"z\": {\"$hp\": \"loguniform\", \"label\": \"z\", \"low\": -9, "
	"\"high\": 0},"
	" \"w\": {\"$hp\": \"uniform\", \"label\": \"w\", \"low\": 0, "
	"\"high\": 5}}";

static struct pz_space *load_space(void)
{
	struct pz_space *s = NULL;
	struct pz_error err = { 0 };

	if (pz_space_create_from_text(space_text, strlen(space_text), "space",
	                              &s, &err) != 0)
		fail_msg("space: %s", err.msg);
	return s;
}

/*
 * n prior draws of the space into values (n x 4), and a loss per row from
 * `driver`: 0 makes it x^2, 1 the choice's index; plus a little noise.
 */
static void draw(const struct pz_space *s, size_t n, int driver, double *values,
                 double *loss)
{
	for (size_t i = 0; i < n; i++) {
		struct pz_rng r;
		double *v = values + i * (size_t)s->n_params;

		pz_rng_init(&r, 11, i);
		pz_sample_prior(s, &r, v);
		loss[i] = (driver == 0 ? v[0] * v[0] : v[1]) +
		          0.05 * pz_rng_normal(&r);
	}
}

/* --- importance --------------------------------------------------------- */

static void test_importance_numeric_driver(void **state)
{
	struct pz_space *s = load_space();
	size_t n = 400;
	double *values = malloc(n * 4 * sizeof(*values));
	double *loss = malloc(n * sizeof(*loss)), scores[4];

	(void)state;
	draw(s, n, 0, values, loss);
	assert_int_equal(pz_importance(s, values, loss, n, scores), 0);
	/* x alone orders the losses; c, z and w do nothing. */
	assert_true(scores[0] > 0.6);
	for (int l = 1; l < 4; l++) {
		assert_true(scores[l] < 0.05);
		assert_true(scores[0] > 10 * scores[l] + 0.1);
	}
	free(values);
	free(loss);
	pz_space_destroy(s);
}

static void test_importance_choice_driver(void **state)
{
	struct pz_space *s = load_space();
	size_t n = 300;
	double *values = malloc(n * 4 * sizeof(*values));
	double *loss = malloc(n * sizeof(*loss)), scores[4];

	(void)state;
	draw(s, n, 1, values, loss);
	assert_int_equal(pz_importance(s, values, loss, n, scores), 0);
	assert_true(scores[1] > 0.8);
	assert_true(scores[0] < 0.05 && scores[2] < 0.05 && scores[3] < 0.05);
	free(values);
	free(loss);
	pz_space_destroy(s);
}

/* Rows that did not finish ok (NAN loss) and inactive labels (NAN value)
 * are left out; a label with fewer than ten scored rows has no score. */
static void test_importance_left_out(void **state)
{
	struct pz_space *s = load_space();
	size_t n = 200;
	double *values = malloc(n * 4 * sizeof(*values));
	double *loss = malloc(n * sizeof(*loss)), scores[4];

	(void)state;
	draw(s, n, 0, values, loss);
	for (size_t i = 0; i < n; i++) {
		if (i % 4 == 0)
			loss[i] = NAN;
		if (i >= 9)
			values[i * 4 + 3] = NAN; /* w: active in 9 rows */
	}
	assert_int_equal(pz_importance(s, values, loss, n, scores), 0);
	assert_true(scores[0] > 0.6);
	assert_true(isnan(scores[3]));
	free(values);
	free(loss);
	pz_space_destroy(s);
}

static void test_importance_1d_edges(void **state)
{
	double x[40], y[40], score;

	(void)state;
	for (int i = 0; i < 40; i++) {
		x[i] = i;
		y[i] = 1.0;
	}
	/* All losses equal: nothing to explain. */
	assert_int_equal(pz_importance_1d(x, y, 40, 0, &score), 0);
	assert_true(score == 0);
	/* Fewer than ten pairs: no score. */
	assert_int_equal(pz_importance_1d(x, y, 9, 0, &score), 0);
	assert_true(isnan(score));
	/* Loss increasing with x: close to 1. */
	for (int i = 0; i < 40; i++)
		y[i] = 0.5 * i;
	assert_int_equal(pz_importance_1d(x, y, 40, 0, &score), 0);
	assert_true(score > 0.9 && score <= 1);
	/* Only one value: one group, no effect. */
	for (int i = 0; i < 40; i++)
		x[i] = 3;
	assert_int_equal(pz_importance_1d(x, y, 40, 1, &score), 0);
	assert_true(score == 0);
}

/* --- writer ------------------------------------------------------------- */

static char *take(struct pz_buf *b)
{
	char *out;

	assert_int_equal(pz_buf_take(b, &out, NULL), 0);
	return out;
}

static void test_escape(void **state)
{
	struct pz_buf b;
	char *out;

	(void)state;
	pz_buf_init(&b);
	pz_buf_text(&b, "a<b>&\"'\t\x01\x7f\xff\xc3\xa9\xed\xa0\x80z");
	out = take(&b);
	assert_string_equal(out, "a&lt;b&gt;&amp;&quot;&#39;\t"
	                         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	                         "\xc3\xa9"
	                         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
	free(out);
}

static void test_numbers(void **state)
{
	struct pz_buf b;
	char *out;

	(void)state;
	pz_buf_init(&b);
	pz_buf_coord(&b, 12.34);
	pz_buf_puts(&b, " ");
	pz_buf_coord(&b, -0.04);
	pz_buf_puts(&b, " ");
	pz_buf_coord(&b, 5);
	pz_buf_puts(&b, " ");
	pz_buf_coord(&b, -2.25);
	pz_buf_puts(&b, " ");
	pz_buf_coord(&b, NAN);
	pz_buf_puts(&b, " ");
	pz_buf_num(&b, 0.00031234, 3);
	pz_buf_puts(&b, " ");
	pz_buf_num(&b, NAN, 3);
	out = take(&b);
	assert_string_equal(out, "12.3 0 5 -2.3 0 0.000312 nan");
	free(out);
}

/* --- reports ------------------------------------------------------------ */

static cJSON *parse(const char *text)
{
	cJSON *j = cJSON_Parse(text);

	if (j == NULL)
		fail_msg("bad JSON in the test: %s", text);
	return j;
}

static cJSON *study(void)
{
	cJSON *s = parse("{\"name\": \"t <&> \\u0001\", \"algo\": \"tpe\", "
	                 "\"seed\": 1, \"config\": {}, \"created\": 1.7e9}");

	cJSON_AddItemToObject(s, "space", parse(space_text));
	return s;
}

/* n trials of the test space: every 7th failed, the last running. */
static cJSON *trials(size_t n)
{
	struct pz_space *s = load_space();
	cJSON *arr = cJSON_CreateArray();
	double v[4];

	for (size_t i = 0; i < n; i++) {
		struct pz_rng r;
		cJSON *t = cJSON_CreateObject();
		const char *st = i + 1 == n   ? "running"
		                 : i % 7 == 3 ? "fail"
		                              : "ok";

		pz_rng_init(&r, 5, i);
		pz_sample_prior(s, &r, v);
		cJSON_AddNumberToObject(t, "id", (double)i + 1);
		cJSON_AddNumberToObject(t, "number", (double)i);
		cJSON_AddStringToObject(t, "state", st);
		cJSON_AddItemToObject(t, "params", pz_params_to_json(s, v));
		if (strcmp(st, "ok") == 0)
			cJSON_AddNumberToObject(t, "loss", v[0] * v[0] + 0.01);
		else
			cJSON_AddNullToObject(t, "loss");
		cJSON_AddStringToObject(t, "worker", i % 2 ? "w1" : "w0");
		cJSON_AddNumberToObject(t, "attempt", i % 50 == 5);
		cJSON_AddNumberToObject(t, "reclaims", i % 50 == 5);
		cJSON_AddNumberToObject(t, "started", 1.7e9 + 10.0 * i);
		if (i + 1 < n)
			cJSON_AddNumberToObject(t, "finished",
			                        1.7e9 + 10.0 * i + 15);
		cJSON_AddItemToArray(arr, t);
	}
	pz_space_destroy(s);
	return arr;
}

static void test_report_every_figure(void **state)
{
	size_t sizes[] = { 0, 30, 3000 };

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		cJSON *st = study(), *tr = trials(sizes[k]);
		struct pz_error err = { 0 };
		char *out;
		size_t len;

		assert_int_equal(pz_report_html(st, tr, NULL, &out, &len, &err),
		                 0);
		assert_int_equal(strlen(out), len);
		assert_non_null(strstr(out, "<!DOCTYPE html>"));
		assert_non_null(strstr(out, "t &lt;&amp;&gt; \xef\xbf\xbd"));
		assert_non_null(strstr(out, "</html>"));
		free(out);
		for (int p = 0; pz_report_plot_kinds[p] != NULL; p++) {
			char want[64];

			assert_int_equal(pz_report_plot(st, tr,
			                                pz_report_plot_kinds[p],
			                                NULL, &out, &len, &err),
			                 0);
			snprintf(want, sizeof(want), "data-plot=\"%s\"",
			         pz_report_plot_kinds[p]);
			assert_non_null(strstr(out, want));
			assert_memory_equal(out, "<?xml", 5);
			free(out);
		}
		cJSON_Delete(st);
		cJSON_Delete(tr);
	}
}

/* Every kind of prior, a value of 0 on a log axis, a pchoice. */
static const char every_kind[] =
	"{\"u\": {\"$hp\": \"quniform\", \"label\": \"u\", \"low\": 0, "
	"\"high\": 10, \"q\": 2},"
	" \"n\": {\"$hp\": \"normal\", \"label\": \"n\", \"mu\": 1, "
	"\"sigma\": 2},"
	" \"qn\": {\"$hp\": \"qnormal\", \"label\": \"qn\", \"mu\": 0, "
	"\"sigma\": 3, \"q\": 1},"
	" \"ln\": {\"$hp\": \"lognormal\", \"label\": \"ln\", \"mu\": 0, "
	"\"sigma\": 1},"
	" \"qln\": {\"$hp\": \"qlognormal\", \"label\": \"qln\", "
	"\"mu\": 0, \"sigma\": 1, \"q\": 1},"
	" \"qlu\": {\"$hp\": \"qloguniform\", \"label\": \"qlu\", "
	"\"low\": -2, \"high\": 3, \"q\": 1},"
	" \"ri\": {\"$hp\": \"randint\", \"label\": \"ri\", \"low\": 1, "
	"\"high\": 90},"
	" \"ui\": {\"$hp\": \"uniformint\", \"label\": \"ui\", \"low\": 1, "
	"\"high\": 4},"
	" \"pc\": {\"$hp\": \"pchoice\", \"label\": \"pc\", \"p\": [0.2, "
	"0.8], \"options\": [null, {\"$hp\": \"uniform\", \"label\": "
	"\"inner\", \"low\": 0, \"high\": 1}]}}";

/* n trials of `space_doc`: prior draws, the loss of the first value. */
static cJSON *trials_of(const char *space_doc, size_t n, const char *state,
                        double loss_scale)
{
	struct pz_space *s = NULL;
	struct pz_error err = { 0 };
	cJSON *arr = cJSON_CreateArray();
	double v[16];

	if (pz_space_create_from_text(space_doc, strlen(space_doc), "space",
	                              &s, &err) != 0)
		fail_msg("space: %s", err.msg);
	for (size_t i = 0; i < n; i++) {
		struct pz_rng r;
		cJSON *t = cJSON_CreateObject();

		pz_rng_init(&r, 9, i);
		pz_sample_prior(s, &r, v);
		cJSON_AddNumberToObject(t, "number", (double)i);
		cJSON_AddStringToObject(t, "state", state);
		cJSON_AddItemToObject(t, "params", pz_params_to_json(s, v));
		cJSON_AddNumberToObject(t, "loss", loss_scale *
		                        (s->n_params ? v[0] : 1.0));
		cJSON_AddItemToArray(arr, t);
	}
	pz_space_destroy(s);
	return arr;
}

/* Studies at the edges: each figure is drawn or says why not. */
static void test_report_edges(void **state)
{
	static const struct {
		const char *space, *state;
		size_t n;
		double loss;
	} cases[] = {
		{ "{\"a\": 1}", "ok", 5, -1 },     /* no labels, equal losses */
		{ every_kind, "ok", 400, -1 },     /* negative losses */
		{ every_kind, "ok", 3, 1 },
		{ every_kind, "queued", 4, 1 },    /* nothing ran */
		{ every_kind, "running", 1, 1 },
		{ space_text, "fail", 50, 1 },     /* nothing ok */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *st = parse("{\"name\": \"edge\"}");
		cJSON *tr = trials_of(cases[i].space, cases[i].n, cases[i].state,
		                      cases[i].loss);
		struct pz_error err = { 0 };
		char *out;
		size_t len;

		cJSON_AddItemToObject(st, "space", parse(cases[i].space));
		if (pz_report_html(st, tr, NULL, &out, &len, &err) != 0)
			fail_msg("case %zu: %s", i, err.msg);
		free(out);
		for (int p = 0; pz_report_plot_kinds[p] != NULL; p++) {
			assert_int_equal(pz_report_plot(st, tr,
			                                pz_report_plot_kinds[p],
			                                NULL, &out, &len, &err), 0);
			free(out);
		}
		cJSON_Delete(st);
		cJSON_Delete(tr);
	}
}

/* Bad input is refused with a message that names the value. */
static void test_report_refuses(void **state)
{
	static const struct {
		const char *trials, *msg;
	} cases[] = {
		{ "{}", "trials: must be an array" },
		{ "[1]", "trials[0]: must be a Trial object" },
		{ "[{\"state\": \"ok\", \"loss\": 1}]",
		  "trials[0].number: must be an integer" },
		{ "[{\"number\": 0, \"state\": \"queued\"}, "
		  "{\"number\": 1, \"state\": \"done\"}]",
		  "trials[1].state: unknown state 'done'" },
		{ "[{\"number\": 0, \"state\": \"ok\"}]",
		  "trials[0].loss: an ok trial needs a finite loss" },
		{ "[{\"number\": 0, \"state\": \"ok\", \"loss\": 1, "
		  "\"params\": 3}]",
		  "trials[0].params: must be an object" },
	};
	cJSON *st = study(), *bad;
	struct pz_error err = { 0 };
	char *out;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *tr = parse(cases[i].trials);

		assert_int_equal(pz_report_html(st, tr, NULL, &out, &len, &err),
		                 PZ_EINVAL);
		assert_null(out);
		if (strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("got '%s', expected '%s'", err.msg,
			         cases[i].msg);
		cJSON_Delete(tr);
	}
	bad = parse("{\"name\": \"x\"}");
	assert_int_equal(pz_report_html(bad, bad, NULL, &out, &len, &err),
	                 PZ_EINVAL);
	assert_string_equal(err.msg, "study.space: missing");
	cJSON_Delete(bad);
	bad = parse("[]");
	assert_int_equal(pz_report_plot(st, bad, "contour", NULL, &out, &len,
	                                &err),
	                 PZ_EINVAL);
	assert_non_null(strstr(err.msg, "unknown plot 'contour'"));
	cJSON_Delete(bad);
	cJSON_Delete(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_importance_numeric_driver),
		cmocka_unit_test(test_importance_choice_driver),
		cmocka_unit_test(test_importance_left_out),
		cmocka_unit_test(test_importance_1d_edges),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_report_every_figure),
		cmocka_unit_test(test_report_edges),
		cmocka_unit_test(test_report_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
