/*
 * Unit tests of space documents (lib/space.c), params vectors (lib/sample.c)
 * and space_eval (lib/eval.c).
 *
 * Invalid spaces are checked against the exact message, JSON path first,
 * that a user would see; valid spaces (the CIFAR-100 example and a nested
 * conditional space) are sampled from the prior many times and every draw
 * must survive params -> JSON -> params and evaluate into a point. Eval is
 * compared with hand-written expected points, and pz_params_from_json with
 * a table of refused and accepted values.
 *
 * Space texts in the tables are written with single quotes for
 * readability; dq() turns them into double quotes before parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/eval.h>
#include <parzen/rng.h>
#include <parzen/params.h>
#include <parzen/sample.h>
#include <parzen/space.h>

#define TEXT_MAX 4096

/* --- helpers ------------------------------------------------------------ */

/* Copy `src` into `dst` with every single quote turned into a double one. */
static void dq(char *dst, size_t cap, const char *src)
{
	size_t i;

	assert_true(strlen(src) < cap);
	for (i = 0; src[i] != '\0'; i++)
		dst[i] = src[i] == '\'' ? '"' : src[i];
	dst[i] = '\0';
}

static void assert_prefix(const char *msg, const char *prefix,
                          const char *what)
{
	if (strncmp(msg, prefix, strlen(prefix)) != 0)
		fail_msg("%s\n  got:      %s\n  expected: %s...", what, msg,
		         prefix);
}

/* Parse a single-quoted space text that must be valid. */
static struct pz_space *load(const char *squoted)
{
	char text[TEXT_MAX];
	struct pz_space *s = NULL;
	struct pz_error err = {0};
	int rc;

	dq(text, sizeof(text), squoted);
	rc = pz_space_create_from_text(text, strlen(text), "space", &s, &err);
	if (rc != 0)
		fail_msg("space refused: %s\n  text: %s", err.msg, text);
	assert_non_null(s);
	return s;
}

/* Parse a single-quoted JSON text into a cJSON tree that must be valid. */
static cJSON *json(const char *squoted)
{
	char text[TEXT_MAX];
	cJSON *j;

	dq(text, sizeof(text), squoted);
	j = cJSON_Parse(text);
	if (j == NULL)
		fail_msg("bad JSON in the test itself: %s", text);
	return j;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Expect a space text (not quote-converted) to be refused with `prefix`. */
static void expect_refused(const char *text, size_t len, const char *prefix)
{
	struct pz_space *s = (struct pz_space *)1;
	struct pz_error err = {0};

	assert_int_equal(
	    pz_space_create_from_text(text, len, "space", &s, &err), PZ_EINVAL);
	assert_null(s);
	assert_int_equal(err.code, PZ_EINVAL);
	assert_prefix(err.msg, prefix, "space message");
}

/*
 * params -> JSON -> params must give back the same vector, and the vector
 * must evaluate. Through JSON text (what the daemon sends) values may lose
 * their last bit: cJSON prints 15 significant digits whenever they read
 * back within DBL_EPSILON, so there the vector must still validate and
 * agree to within that.
 */
static void check_round_trip(const struct pz_space *s, const double *v)
{
	struct pz_error err = {0};
	double back[64];
	cJSON *j, *j2, *point = NULL;
	char *text;

	assert_true(s->n_params <= 64);
	j = pz_params_to_json(s, v);
	assert_non_null(j);
	text = cJSON_PrintUnformatted(j);
	assert_non_null(text);
	if (pz_params_from_json(s, j, back, &err) != 0)
		fail_msg("%s\n  params: %s", err.msg, text);
	for (int i = 0; i < s->n_params; i++) {
		if (isnan(v[i]))
			assert_true(isnan(back[i]));
		else
			assert_true(back[i] == v[i]);
	}
	if (pz_eval(s, back, &point, &err) != 0)
		fail_msg("%s\n  params: %s", err.msg, text);
	assert_non_null(point);
	cJSON_Delete(point);

	j2 = cJSON_Parse(text);
	assert_non_null(j2);
	if (pz_params_from_json(s, j2, back, &err) != 0)
		fail_msg("%s\n  params: %s", err.msg, text);
	for (int i = 0; i < s->n_params; i++) {
		if (isnan(v[i]))
			assert_true(isnan(back[i]));
		else
			assert_true(fabs(back[i] - v[i]) <=
			            2 * DBL_EPSILON * fabs(v[i]));
	}
	cJSON_Delete(j2);
	cJSON_free(text);
	cJSON_Delete(j);
}

/* --- invalid spaces ----------------------------------------------------- */

struct bad_space {
	const char *text;    /* single-quoted */
	const char *msg;     /* expected prefix of err.msg */
};

#define UNI "'$hp': 'uniform', 'label': 'x'"

static const struct bad_space bad_spaces[] = {
	/* $hp itself */
	{"{'x': {'$hp': 'gaussian', 'label': 'x'}}",
	 "space.x.$hp: unknown distribution 'gaussian' (expected one of "
	 "uniform, quniform, loguniform, qloguniform, normal, qnormal, "
	 "lognormal, qlognormal, randint, uniformint, choice, pchoice)"},
	{"{'x': {'$hp': 'Uniform', 'label': 'x', 'low': 0, 'high': 1}}",
	 "space.x.$hp: unknown distribution 'Uniform'"},
	{"{'x': {'$hp': 1, 'label': 'x'}}",
	 "space.x.$hp: must be a string naming a distribution"},
	{"{'x': {'$hp': null, 'label': 'x'}}",
	 "space.x.$hp: must be a string naming a distribution"},
	{"{'x': {" UNI ", '$fn': 'int', 'low': 0, 'high': 1}}",
	 "space.x: an object cannot have both \"$hp\" and \"$fn\""},

	/* labels */
	{"{'x': {'$hp': 'uniform', 'low': 0, 'high': 1}}",
	 "space.x: missing 'label'"},
	{"{'x': {'$hp': 'uniform', 'label': '', 'low': 0, 'high': 1}}",
	 "space.x.label: must be a non-empty string"},
	{"{'x': {'$hp': 'uniform', 'label': 7, 'low': 0, 'high': 1}}",
	 "space.x.label: must be a non-empty string"},
	{"{'x': {'$hp': 'uniform', 'label': ['x'], 'low': 0, 'high': 1}}",
	 "space.x.label: must be a non-empty string"},
	{"{'a': {" UNI ", 'low': 0, 'high': 1},"
	 " 'b': {'$hp': 'normal', 'label': 'x', 'mu': 0, 'sigma': 1}}",
	 "space.b: duplicate label 'x' (first used at space.a)"},
	{"{'a': {" UNI ", 'low': 0, 'high': 1},"
	 " 'b': {'$hp': 'choice', 'label': 'c', 'options': [1,"
	 "  {'w': {'$hp': 'normal', 'label': 'x', 'mu': 0, 'sigma': 1}}]}}",
	 "space.b.options[1].w: duplicate label 'x' (first used at space.a)"},
	{"{'$hp': 'choice', 'label': 'c', 'options': ["
	 " {'$hp': 'randint', 'label': 'c', 'high': 3}]}",
	 "space.options[0]: duplicate label 'c' (first used at space)"},

	/* missing, non-number and non-finite arguments */
	{"{'x': {" UNI ", 'high': 1}}", "space.x: missing argument 'low'"},
	{"{'x': {'$hp': 'normal', 'label': 'x', 'mu': 0}}",
	 "space.x: missing argument 'sigma'"},
	{"{'x': {'$hp': 'quniform', 'label': 'x', 'low': 0, 'high': 1}}",
	 "space.x: missing argument 'q'"},
	{"{'x': {'$hp': 'randint', 'label': 'x', 'low': 0}}",
	 "space.x: missing argument 'high'"},
	{"{'x': {" UNI ", 'low': '0', 'high': 1}}",
	 "space.x.low: must be a finite number"},
	{"{'x': {'$hp': 'normal', 'label': 'x', 'mu': null, 'sigma': 1}}",
	 "space.x.mu: must be a finite number"},
	{"{'x': {" UNI ", 'low': 0, 'high': 1e999}}",
	 "space.x.high: must be a finite number"},
	{"{'x': {'$hp': 'qnormal', 'label': 'x', 'mu': 0, 'sigma': 1,"
	 " 'q': -1e999}}",
	 "space.x.q: must be a finite number"},

	/* low >= high for every bounded kind */
	{"{'x': {" UNI ", 'low': 1, 'high': 1}}",
	 "space.x: high must be > low (got low 1, high 1)"},
	{"{'x': {'$hp': 'quniform', 'label': 'x', 'low': 5, 'high': 2,"
	 " 'q': 1}}",
	 "space.x: high must be > low (got low 5, high 2)"},
	{"{'x': {'$hp': 'loguniform', 'label': 'x', 'low': 0, 'high': -1}}",
	 "space.x: high must be > low (got low 0, high -1)"},
	{"{'x': {'$hp': 'qloguniform', 'label': 'x', 'low': 2, 'high': 2,"
	 " 'q': 1}}",
	 "space.x: high must be > low (got low 2, high 2)"},
	{"{'x': {'$hp': 'randint', 'label': 'x', 'low': 3, 'high': 3}}",
	 "space.x: high must be > low (randint draws from [low, high); "
	 "got low 3, high 3)"},
	{"{'x': {'$hp': 'randint', 'label': 'x', 'high': 0}}",
	 "space.x: high must be > low (randint draws from [low, high); "
	 "got low 0, high 0)"},
	{"{'x': {'$hp': 'uniformint', 'label': 'x', 'low': 4, 'high': 4}}",
	 "space.x: high must be > low (got low 4, high 4)"},
	{"{'x': {'$hp': 'uniformint', 'label': 'x', 'low': 5, 'high': 1}}",
	 "space.x: high must be > low (got low 5, high 1)"},

	/* log-space bounds */
	{"{'x': {'$hp': 'loguniform', 'label': 'x', 'low': -701, 'high': 0}}",
	 "space.x: log-space bounds must lie in [-700, 700] (low and high are "
	 "logarithms, as in hyperopt)"},
	{"{'x': {'$hp': 'qloguniform', 'label': 'x', 'low': 0, 'high': 701,"
	 " 'q': 1}}",
	 "space.x: log-space bounds must lie in [-700, 700]"},

	/* q and sigma */
	{"{'x': {'$hp': 'quniform', 'label': 'x', 'low': 0, 'high': 1,"
	 " 'q': 0}}",
	 "space.x.q: q must be > 0 (got 0)"},
	{"{'x': {'$hp': 'qnormal', 'label': 'x', 'mu': 0, 'sigma': 1,"
	 " 'q': -0.5}}",
	 "space.x.q: q must be > 0 (got -0.5)"},
	{"{'x': {'$hp': 'qlognormal', 'label': 'x', 'mu': 0, 'sigma': 1,"
	 " 'q': 0}}",
	 "space.x.q: q must be > 0 (got 0)"},
	{"{'x': {'$hp': 'normal', 'label': 'x', 'mu': 0, 'sigma': 0}}",
	 "space.x.sigma: sigma must be > 0 (got 0)"},
	{"{'x': {'$hp': 'lognormal', 'label': 'x', 'mu': 0, 'sigma': -2}}",
	 "space.x.sigma: sigma must be > 0 (got -2)"},

	/* integer bounds */
	{"{'x': {'$hp': 'randint', 'label': 'x', 'high': 2.5}}",
	 "space.x.high: must be an integer (got 2.5)"},
	{"{'x': {'$hp': 'randint', 'label': 'x', 'low': 0.5, 'high': 4}}",
	 "space.x.low: must be an integer (got 0.5)"},
	{"{'x': {'$hp': 'uniformint', 'label': 'x', 'low': 1.5, 'high': 4}}",
	 "space.x.low: must be an integer (got 1.5)"},

	/* choice and pchoice */
	{"{'x': {'$hp': 'choice', 'label': 'x', 'options': []}}",
	 "space.x.options: must be a non-empty array of spaces"},
	{"{'x': {'$hp': 'choice', 'label': 'x', 'options': {'a': 1}}}",
	 "space.x.options: must be a non-empty array of spaces"},
	{"{'x': {'$hp': 'choice', 'label': 'x'}}",
	 "space.x: missing argument 'options'"},
	{"{'x': {'$hp': 'pchoice', 'label': 'x', 'options': [1, 2]}}",
	 "space.x: missing argument 'p'"},
	{"{'x': {'$hp': 'pchoice', 'label': 'x', 'options': [1, 2],"
	 " 'p': 0.5}}",
	 "space.x.p: must be an array of probabilities"},
	{"{'x': {'$hp': 'pchoice', 'label': 'x', 'options': [1, 2],"
	 " 'p': [1]}}",
	 "space.x.p: has 1 probabilities for 2 options"},
	{"{'x': {'$hp': 'pchoice', 'label': 'x', 'options': [1, 2],"
	 " 'p': [0.5, 0.4]}}",
	 "space.x.p: probabilities sum to 0.9, must sum to 1"},
	{"{'x': {'$hp': 'pchoice', 'label': 'x', 'options': [1, 2],"
	 " 'p': [0.7, 0.7]}}",
	 "space.x.p: probabilities sum to 1.4, must sum to 1"},
	{"{'x': {'$hp': 'pchoice', 'label': 'x', 'options': [1, 2],"
	 " 'p': [-0.5, 1.5]}}",
	 "space.x.p[0]: must be a probability in [0, 1]"},
	{"{'x': {'$hp': 'pchoice', 'label': 'x', 'options': [1, 2],"
	 " 'p': [0, 1.5]}}",
	 "space.x.p[1]: must be a probability in [0, 1]"},
	{"{'x': {'$hp': 'pchoice', 'label': 'x', 'options': [1, 2],"
	 " 'p': ['0.5', 0.5]}}",
	 "space.x.p[0]: must be a probability in [0, 1]"},

	/* unknown arguments */
	{"{'x': {" UNI ", 'low': 0, 'high': 1, 'q': 1}}",
	 "space.x: unknown argument 'q' for uniform (expected low, high)"},
	{"{'x': {'$hp': 'choice', 'label': 'x', 'options': [1], 'p': [1]}}",
	 "space.x: unknown argument 'p' for choice (expected options)"},
	{"{'x': {'$hp': 'normal', 'label': 'x', 'mu': 0, 'sigma': 1,"
	 " 'low': 0}}",
	 "space.x: unknown argument 'low' for normal (expected mu, sigma)"},
	{"{'x': {'$hp': 'randint', 'label': 'x', 'upper': 3}}",
	 "space.x: unknown argument 'upper' for randint (expected low, high)"},

	/* function nodes */
	{"{'x': {'$fn': 'floor', 'args': [1.5]}}",
	 "space.x.$fn: unknown function 'floor' (expected one of int, float, "
	 "add, sub, mul, div, neg, pow)"},
	{"{'x': {'$fn': ['int'], 'args': [1.5]}}",
	 "space.x.$fn: must be a string naming a function"},
	{"{'x': {'$fn': 'int', 'args': [1, 2]}}",
	 "space.x.args: int takes 1 argument, got 2"},
	{"{'x': {'$fn': 'neg', 'args': []}}",
	 "space.x.args: neg takes 1 argument, got 0"},
	{"{'x': {'$fn': 'sub', 'args': [1]}}",
	 "space.x.args: sub takes 2 arguments, got 1"},
	{"{'x': {'$fn': 'pow', 'args': [1, 2, 3]}}",
	 "space.x.args: pow takes 2 arguments, got 3"},
	{"{'x': {'$fn': 'add', 'args': [1]}}",
	 "space.x.args: add takes 2 to 64 arguments, got 1"},
	{"{'x': {'$fn': 'int'}}",
	 "space.x: missing argument 'args' (an array)"},
	{"{'x': {'$fn': 'int', 'args': [1], 'label': 'x'}}",
	 "space.x: unknown argument 'label' for int (expected args)"},
	{"{'x': {'$fn': 'int', 'args': [1], 'base': 10}}",
	 "space.x: unknown argument 'base' for int (expected args)"},
	{"{'x': {'$fn': 'add', 'args': [1, {'$hp': 'bogus'}]}}",
	 "space.x.args[1].$hp: unknown distribution 'bogus'"},

	/* plain objects, literals and JSON text */
	{"{'a': {'$ref': 'x'}}",
	 "space.a: key '$ref' is reserved (keys starting with '$' are "
	 "\"$hp\" and \"$fn\" only)"},
	{"[1, {'b': {'$': 0}}]",
	 "space[1].b: key '$' is reserved"},
	{"{'a': [1, -1e999]}", "space.a[1]: numbers must be finite"},
	{"{'x': }", "space: invalid JSON at byte 6"},
	{"{'x': [1, 2}", "space: invalid JSON at byte 11"},
	{"", "space: invalid JSON at byte 0"},
	{"{} x", "space: unexpected bytes after the JSON value at byte 3"},
	{"{}{}", "space: unexpected bytes after the JSON value at byte 2"},
	{"1 2", "space: unexpected bytes after the JSON value at byte 2"},

	/* errors deep inside options and arrays keep their full path */
	{"{'optimizer': {'$hp': 'choice', 'label': 'optimizer', 'options': ["
	 " 'sgd', {'rho': {'$hp': 'uniform', 'label': 'rho', 'low': 1,"
	 " 'high': 0}}]}}",
	 "space.optimizer.options[1].rho: high must be > low "
	 "(got low 1, high 0)"},
	{"[0, {" UNI ", 'low': 0}]", "space[1]: missing argument 'high'"},
	{"{'a': {'$hp': 'pchoice', 'label': 'a', 'p': [0.5, 0.5],"
	 " 'options': [0, {'$hp': 'choice', 'label': 'b', 'options': ["
	 " {'c': [{'$hp': 'normal', 'label': 'n', 'mu': 0,"
	 " 'sigma': 0}]}]}]}}",
	 "space.a.options[1].options[0].c[0].sigma: sigma must be > 0"},
};

static void invalid_spaces(void **state)
{
	char text[TEXT_MAX];
	size_t n = sizeof(bad_spaces) / sizeof(bad_spaces[0]);

	(void)state;
	assert_true(n >= 35);
	for (size_t i = 0; i < n; i++) {
		struct pz_space *s = NULL;
		struct pz_error err = {0};
		int rc;

		dq(text, sizeof(text), bad_spaces[i].text);
		rc = pz_space_create_from_text(text, strlen(text), "space", &s,
		                               &err);
		if (rc != PZ_EINVAL)
			fail_msg("case %zu: rc %d, expected PZ_EINVAL\n"
			         "  text: %s", i, rc, text);
		assert_null(s);
		if (strncmp(err.msg, bad_spaces[i].msg,
		            strlen(bad_spaces[i].msg)) != 0)
			fail_msg("case %zu: %s\n  got:      %s\n"
			         "  expected: %s...", i, text, err.msg,
			         bad_spaces[i].msg);
	}
}

/* Bytes after the value are refused even when `len` stops short of them. */
static void invalid_text_length(void **state)
{
	const char *text = "{\"a\": 1}  \n\t ";

	(void)state;
	/* Trailing whitespace is fine; a NUL inside `len` is not. */
	{
		struct pz_space *s = NULL;
		struct pz_error err = {0};

		assert_int_equal(pz_space_create_from_text(
		                     text, strlen(text), "space", &s, &err),
		                 0);
		pz_space_destroy(s);
	}
	expect_refused("{}\0", 3, "space: unexpected bytes after the JSON "
	                          "value at byte 2");
	/* Only `len` bytes are read: the value is cut off. */
	expect_refused("{\"a\": 1}", 5, "space: invalid JSON at byte");
}

static void invalid_root_name(void **state)
{
	struct pz_space *s = NULL;
	struct pz_error err = {0};
	cJSON *doc;

	(void)state;
	doc = json("{'x': {'$hp': 'uniform', 'label': 'x', 'low': 1,"
	           " 'high': 0}}");
	assert_int_equal(pz_space_create(doc, "cfg", &s, &err), PZ_EINVAL);
	assert_null(s);
	assert_prefix(err.msg, "cfg.x: high must be > low", "root name");
	assert_int_equal(pz_space_create(doc, NULL, &s, &err), PZ_EINVAL);
	assert_prefix(err.msg, "space.x: high must be > low", "NULL root");
	cJSON_Delete(doc);
}

/* Builds n nested levels of `open`...`inner`...`close` into buf. */
static char *nest(int n, const char *open, const char *inner,
                  const char *close)
{
	size_t lo = strlen(open), li = strlen(inner), lc = strlen(close);
	char *buf = malloc((size_t)n * (lo + lc) + li + 1);
	char *p = buf;

	assert_non_null(buf);
	for (int i = 0; i < n; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, inner, li);
	p += li;
	for (int i = 0; i < n; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return buf;
}

static void invalid_depth(void **state)
{
	struct pz_space *s = NULL;
	struct pz_error err = {0};
	char *text, *want;
	int d = PZ_SPACE_MAX_DEPTH;

	(void)state;
	/* The literal at depth PZ_SPACE_MAX_DEPTH is still fine. */
	text = nest(d, "[", "1", "]");
	assert_int_equal(pz_space_create_from_text(text, strlen(text), "space",
	                                           &s, &err), 0);
	pz_space_destroy(s);
	free(text);

	text = nest(d + 1, "[", "1", "]");
	want = nest(d + 1, "[0]", "", "");
	{
		char msg[PZ_ERROR_MSG_MAX];

		snprintf(msg, sizeof(msg),
		         "space%s: nested deeper than %d levels", want,
		         PZ_SPACE_MAX_DEPTH);
		expect_refused(text, strlen(text), msg);
	}
	free(want);
	free(text);

	/* Objects count the same way. */
	text = nest(d + 1, "{\"a\": ", "null", "}");
	want = nest(d + 1, ".a", "", "");
	{
		char msg[PZ_ERROR_MSG_MAX];

		snprintf(msg, sizeof(msg), "space%s: nested deeper than", want);
		expect_refused(text, strlen(text), msg);
	}
	free(want);
	free(text);

	/* Far deeper than the limit: refused, not a stack overflow. */
	text = nest(900, "[", "1", "]");
	expect_refused(text, strlen(text), "space[0][0]");
	free(text);
}

static void invalid_sizes(void **state)
{
	struct pz_space *s = NULL;
	struct pz_error err = {0};
	char label[PZ_LABEL_MAX + 2], text[PZ_LABEL_MAX + 128];
	char *big, *p;
	size_t cap;

	(void)state;
	/* Labels of PZ_LABEL_MAX bytes pass, one more is refused. */
	memset(label, 'a', sizeof(label) - 1);
	label[PZ_LABEL_MAX] = '\0';
	snprintf(text, sizeof(text),
	         "{\"$hp\": \"uniform\", \"label\": \"%s\", \"low\": 0, "
	         "\"high\": 1}", label);
	assert_int_equal(pz_space_create_from_text(text, strlen(text), "space",
	                                           &s, &err), 0);
	assert_int_equal(pz_space_find(s, label), 0);
	pz_space_destroy(s);
	label[PZ_LABEL_MAX] = 'a';
	label[PZ_LABEL_MAX + 1] = '\0';
	snprintf(text, sizeof(text),
	         "{\"$hp\": \"uniform\", \"label\": \"%s\", \"low\": 0, "
	         "\"high\": 1}", label);
	expect_refused(text, strlen(text),
	               "space.label: longer than 256 bytes");

	/* add and mul take at most 64 arguments (eval's fixed array). */
	cap = 64 * 4 + 64;
	big = malloc(cap);
	assert_non_null(big);
	p = big + sprintf(big, "{\"$fn\": \"add\", \"args\": [1");
	for (int i = 1; i < 65; i++)
		p += sprintf(p, ",1");
	sprintf(p, "]}");
	expect_refused(big, strlen(big),
	               "space.args: add takes 2 to 64 arguments, got 65");
	free(big);

	/* At most PZ_SPACE_MAX_PARAMS hyperparameters. */
	cap = (size_t)(PZ_SPACE_MAX_PARAMS + 1) * 96 + 16;
	big = malloc(cap);
	assert_non_null(big);
	p = big;
	*p++ = '{';
	for (int i = 0; i <= PZ_SPACE_MAX_PARAMS; i++)
		p += sprintf(p, "%s\"p%d\": {\"$hp\": \"uniform\", \"label\": "
		             "\"p%d\", \"low\": 0, \"high\": 1}",
		             i > 0 ? ", " : "", i, i);
	sprintf(p, "}");
	assert_true(strlen(big) < cap);
	expect_refused(big, strlen(big),
	               "space.p4096: more than 4096 hyperparameters");
	free(big);
}

/* --- valid spaces -------------------------------------------------------- */

static void valid_literals(void **state)
{
	static const char *const texts[] = {
		"3", "'abc'", "null", "true", "[]", "{}",
		"{'a': [1, 'two', null, false, {'b': {}}], 'c': -0.5}",
	};
	struct pz_error err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct pz_space *s = load(texts[i]);
		cJSON *want = json(texts[i]), *point = NULL;

		assert_int_equal(s->n_params, 0);
		assert_int_equal(pz_eval(s, NULL, &point, &err), 0);
		assert_true(cJSON_Compare(point, want, 1));
		cJSON_Delete(point);
		cJSON_Delete(want);
		pz_space_destroy(s);
	}
	pz_space_destroy(NULL);
}

static void valid_kinds(void **state)
{
	struct pz_space *s;
	const struct pz_param *p;

	(void)state;
	s = load("{'r': {'$hp': 'randint', 'label': 'r', 'high': 3},"
	         " 'p': {'$hp': 'pchoice', 'label': 'p', 'options': ['a', 'b'],"
	         "  'p': [0.25, 0.75]},"
	         " 'q': {'$hp': 'qlognormal', 'label': 'q', 'mu': 1,"
	         "  'sigma': 2, 'q': 0.5},"
	         " 'l': {'$hp': 'loguniform', 'label': 'l', 'low': -700,"
	         "  'high': 700}}");
	assert_int_equal(s->n_params, 4);
	p = &s->params[0];
	assert_string_equal(p->label, "r");
	assert_string_equal(p->path, "space.r");
	assert_int_equal(p->kind, PZ_HP_RANDINT);
	assert_true(p->low == 0 && p->high == 3);
	assert_true(pz_space_param_step(p) == 1);
	p = &s->params[1];
	assert_int_equal(p->kind, PZ_HP_PCHOICE);
	assert_int_equal(p->n_options, 2);
	assert_non_null(p->p);
	assert_true(p->p[0] == 0.25 && p->p[1] == 0.75);
	p = &s->params[2];
	assert_int_equal(p->kind, PZ_HP_QLOGNORMAL);
	assert_true(p->mu == 1 && p->sigma == 2 && p->q == 0.5);
	assert_true(pz_space_param_step(p) == 0.5);
	assert_true(pz_space_param_step(&s->params[3]) == 0);
	assert_int_equal(s->n_groups, 1);
	assert_int_equal(s->groups[0].n_members, 4);
	pz_space_destroy(s);
}

static void valid_cifar100(void **state)
{
	static const char *const labels[] = {
		"lr_rate_mult", "l2_weight_reg_mult", "batch_size",
		"optimizer", "coarse_labels_weight", "conv_dropout_proba",
		"fc_dropout_proba", "use_BN", "first_conv", "first_conv_size",
		"residual", "residual_units", "conv_hiddn_units_mult",
		"nb_conv_pool_layers", "conv_pool_res_start_idx",
		"pooling_type", "conv_kernel_size", "res_conv_kernel_size",
		"fc_units_1_mult", "one_more_fc", "fc_units_2_mult",
		"activation",
	};
	int n_labels = (int)(sizeof(labels) / sizeof(labels[0]));
	struct pz_space *s = NULL;
	struct pz_error err = {0};
	struct pz_rng rng;
	double v[32];
	size_t len;
	char *text = read_file(PZ_TEST_DATA "/cifar100.json", &len);
	int seen_active[32] = {0}, seen_inactive[32] = {0};
	int i_res, i_units;

	(void)state;
	if (pz_space_create_from_text(text, len, "space", &s, &err) != 0)
		fail_msg("cifar100.json refused: %s", err.msg);
	free(text);
	assert_int_equal(s->n_params, n_labels);
	for (int i = 0; i < n_labels; i++)
		assert_int_equal(pz_space_find(s, labels[i]), i);
	/* Always, first_conv=1, residual=1, one_more_fc=1. */
	assert_int_equal(s->n_groups, 4);
	i_res = pz_space_find(s, "residual");
	i_units = pz_space_find(s, "residual_units");
	assert_int_equal(s->params[i_units].parent, i_res);
	assert_int_equal(s->params[i_units].parent_option, 1);
	assert_string_equal(s->params[i_units].path,
	                    "space.residual.options[1]");
	assert_int_equal(s->params[i_res].parent, -1);

	for (uint64_t k = 0; k < 2000; k++) {
		pz_rng_init(&rng, 20240607, k);
		pz_sample_prior(s, &rng, v);
		for (int i = 0; i < s->n_params; i++) {
			if (isnan(v[i]))
				seen_inactive[i]++;
			else
				seen_active[i]++;
		}
		check_round_trip(s, v);
	}
	/* Each conditional label was both active and inactive. */
	for (int i = 0; i < s->n_params; i++) {
		assert_true(seen_active[i] > 0);
		if (s->params[i].parent >= 0)
			assert_true(seen_inactive[i] > 0);
		else
			assert_int_equal(seen_inactive[i], 0);
	}
	pz_space_destroy(s);
}

/* --- conditional activation ---------------------------------------------- */

/*
 * Two levels of choices: model -> svm -> kernel -> rbf/poly, and
 * model -> forest -> depth (a pchoice) -> max_depth.
 */
static const char nested_space[] =
	"{'model': {'$hp': 'choice', 'label': 'model', 'options': ["
	"  {'type': 'svm',"
	"   'C': {'$hp': 'loguniform', 'label': 'svm_C', 'low': -3, 'high': 3},"
	"   'kernel': {'$hp': 'choice', 'label': 'svm_kernel', 'options': ["
	"     'linear',"
	"     {'type': 'rbf', 'gamma': {'$hp': 'loguniform',"
	"      'label': 'rbf_gamma', 'low': -5, 'high': 0}},"
	"     {'type': 'poly', 'degree': {'$hp': 'randint',"
	"      'label': 'poly_degree', 'low': 2, 'high': 6},"
	"      'coef0': {'$hp': 'uniform', 'label': 'poly_coef0', 'low': 0,"
	"      'high': 1}}]}},"
	"  {'type': 'forest',"
	"   'n_trees': {'$hp': 'quniform', 'label': 'forest_trees', 'low': 10,"
	"    'high': 500, 'q': 10},"
	"   'depth': {'$hp': 'pchoice', 'label': 'forest_depth', 'p': [0.25,"
	"    0.75], 'options': [null, {'$hp': 'uniformint',"
	"    'label': 'forest_max_depth', 'low': 2, 'high': 12}]}},"
	"  'baseline']},"
	" 'lr': {'$hp': 'normal', 'label': 'lr', 'mu': 0, 'sigma': 1}}";

enum {
	N_MODEL, N_SVM_C, N_KERNEL, N_GAMMA, N_DEGREE, N_COEF0, N_TREES,
	N_DEPTH, N_MAX_DEPTH, N_LR, N_NESTED
};

static const char *const nested_labels[N_NESTED] = {
	"model", "svm_C", "svm_kernel", "rbf_gamma", "poly_degree",
	"poly_coef0", "forest_trees", "forest_depth", "forest_max_depth", "lr",
};

/* Which labels the space above makes active, written out by hand. */
static int nested_expect_active(const double *v, int i)
{
	switch (i) {
	case N_SVM_C:
	case N_KERNEL:
		return v[N_MODEL] == 0;
	case N_GAMMA:
		return v[N_MODEL] == 0 && v[N_KERNEL] == 1;
	case N_DEGREE:
	case N_COEF0:
		return v[N_MODEL] == 0 && v[N_KERNEL] == 2;
	case N_TREES:
	case N_DEPTH:
		return v[N_MODEL] == 1;
	case N_MAX_DEPTH:
		return v[N_MODEL] == 1 && v[N_DEPTH] == 1;
	default:
		return 1;
	}
}

static void conditional_activation(void **state)
{
	struct pz_space *s = load(nested_space);
	struct pz_error err = {0};
	struct pz_rng rng;
	int model[3] = {0}, kernel[3] = {0}, depth[2] = {0};
	double v[N_NESTED];

	(void)state;
	assert_int_equal(s->n_params, N_NESTED);
	for (int i = 0; i < N_NESTED; i++)
		assert_int_equal(pz_space_find(s, nested_labels[i]), i);
	assert_int_equal(s->params[N_GAMMA].parent, N_KERNEL);
	assert_int_equal(s->params[N_GAMMA].parent_option, 1);
	assert_int_equal(s->params[N_MAX_DEPTH].parent, N_DEPTH);
	assert_int_equal(s->params[N_TREES].parent_option, 1);
	/* {model, lr}, {svm_C, kernel}, {gamma}, {degree, coef0},
	 * {trees, depth}, {max_depth} */
	assert_int_equal(s->n_groups, 6);
	assert_int_equal(s->groups[0].n_members, 2);
	assert_int_equal(s->groups[0].members[1], N_LR);
	assert_int_equal(s->groups[0].cond_param, -1);
	assert_int_equal(s->groups[3].cond_param, N_KERNEL);
	assert_int_equal(s->groups[3].cond_option, 2);
	assert_int_equal(s->groups[3].members[0], N_DEGREE);
	assert_int_equal(s->groups[3].members[1], N_COEF0);
	assert_int_equal(s->params[N_COEF0].group, 3);

	for (uint64_t k = 0; k < 3000; k++) {
		cJSON *point = NULL;
		const cJSON *m;

		pz_rng_init(&rng, 7, k);
		pz_sample_prior(s, &rng, v);
		for (int i = 0; i < N_NESTED; i++) {
			int want = nested_expect_active(v, i);

			if (want == isnan(v[i]))
				fail_msg("draw %u: %s is %g, expected %s",
				         (unsigned)k, nested_labels[i], v[i],
				         want ? "active" : "inactive");
			assert_int_equal(pz_space_is_active(s, v, i), want);
		}
		model[(int)v[N_MODEL]]++;
		if (v[N_MODEL] == 0)
			kernel[(int)v[N_KERNEL]]++;
		if (v[N_MODEL] == 1)
			depth[(int)v[N_DEPTH]]++;
		check_round_trip(s, v);

		/* The point holds the chosen branch only. */
		assert_int_equal(pz_eval(s, v, &point, &err), 0);
		m = cJSON_GetObjectItemCaseSensitive(point, "model");
		if (v[N_MODEL] == 2) {
			assert_true(cJSON_IsString(m));
			assert_string_equal(m->valuestring, "baseline");
		} else {
			const cJSON *t =
			    cJSON_GetObjectItemCaseSensitive(m, "type");

			assert_string_equal(t->valuestring,
			                    v[N_MODEL] == 0 ? "svm" : "forest");
			assert_int_equal(cJSON_GetArraySize(m), 3);
		}
		cJSON_Delete(point);
	}
	for (int i = 0; i < 3; i++)
		assert_true(model[i] > 0 && kernel[i] > 0);
	/* pchoice p = [0.25, 0.75] over ~1000 forest draws. */
	assert_true(depth[0] > 0 && depth[1] > depth[0]);
	pz_space_destroy(s);
}

static void is_active_and_find(void **state)
{
	struct pz_space *s = load(nested_space);
	double v[N_NESTED];

	(void)state;
	for (int i = 0; i < N_NESTED; i++)
		v[i] = NAN;
	assert_int_equal(pz_space_find(s, "lr"), N_LR);
	assert_int_equal(pz_space_find(s, "forest_max_depth"), N_MAX_DEPTH);
	assert_int_equal(pz_space_find(s, "nope"), -1);
	assert_int_equal(pz_space_find(s, ""), -1);
	assert_int_equal(pz_space_find(s, "LR"), -1);
	assert_int_equal(pz_space_find(s, "forest_max"), -1);

	/* Unconditional labels are active whatever the values. */
	assert_true(pz_space_is_active(s, v, N_MODEL));
	assert_true(pz_space_is_active(s, v, N_LR));
	/* A NAN parent activates nothing. */
	assert_false(pz_space_is_active(s, v, N_SVM_C));
	v[N_MODEL] = 0;
	assert_true(pz_space_is_active(s, v, N_SVM_C));
	assert_true(pz_space_is_active(s, v, N_KERNEL));
	assert_false(pz_space_is_active(s, v, N_TREES));
	assert_false(pz_space_is_active(s, v, N_GAMMA));
	v[N_KERNEL] = 1;
	assert_true(pz_space_is_active(s, v, N_GAMMA));
	assert_false(pz_space_is_active(s, v, N_DEGREE));
	v[N_KERNEL] = 2;
	assert_true(pz_space_is_active(s, v, N_DEGREE));
	assert_true(pz_space_is_active(s, v, N_COEF0));
	v[N_MODEL] = 1;
	v[N_KERNEL] = NAN;
	assert_false(pz_space_is_active(s, v, N_SVM_C));
	assert_false(pz_space_is_active(s, v, N_DEGREE));
	assert_true(pz_space_is_active(s, v, N_TREES));
	v[N_DEPTH] = 0;
	assert_false(pz_space_is_active(s, v, N_MAX_DEPTH));
	v[N_DEPTH] = 1;
	assert_true(pz_space_is_active(s, v, N_MAX_DEPTH));
	pz_space_destroy(s);
}

/* --- eval ---------------------------------------------------------------- */

static const char eval_space[] =
	"{'name': 'run', 'flags': [true, false, null],"
	" 'nested': {'a': [1, {'b': 'c'}], 'empty': {}, 'arr': []},"
	" 'lr': {'$hp': 'loguniform', 'label': 'lr', 'low': -5, 'high': 0},"
	" 'units': {'$fn': 'int', 'args': [{'$hp': 'quniform',"
	"  'label': 'units', 'low': 16, 'high': 256, 'q': 16}]},"
	" 'opt': {'$hp': 'choice', 'label': 'opt', 'options': ["
	"  {'name': 'sgd', 'momentum': {'$hp': 'uniform',"
	"   'label': 'momentum', 'low': 0, 'high': 1}},"
	"  {'name': 'adam', 'betas': [0.9, {'$fn': 'sub', 'args': [1,"
	"   {'$hp': 'loguniform', 'label': 'one_minus_beta2', 'low': -9,"
	"    'high': -3}]}]}]},"
	" 'trunc': {'$fn': 'int', 'args': [{'$hp': 'uniform', 'label': 't',"
	"  'low': -5, 'high': 5}]},"
	" 'f': {'$fn': 'float', 'args': [{'$hp': 'randint', 'label': 'k',"
	"  'high': 10}]},"
	" 'sum': {'$fn': 'add', 'args': [1, 2, {'$hp': 'uniformint',"
	"  'label': 'ui', 'low': 1, 'high': 3}]},"
	" 'prod': {'$fn': 'mul', 'args': [2, 3, 0.5]},"
	" 'quot': {'$fn': 'div', 'args': [7, 2]},"
	" 'neg': {'$fn': 'neg', 'args': [{'$fn': 'pow', 'args': [2, 10]}]},"
	" 'layers': {'$hp': 'choice', 'label': 'layers', 'options': ["
	"  [], [64], [64, {'$fn': 'int', 'args': [32.9]}]]},"
	" 'bn': {'$hp': 'choice', 'label': 'bn', 'options': [false, true]},"
	" 'one_plus': {'$fn': 'add', 'args': [1, {'$hp': 'lognormal',"
	"  'label': 'ln', 'mu': 0, 'sigma': 1}]},"
	" 'act': {'$hp': 'pchoice', 'label': 'act', 'p': [0.5, 0.5],"
	"  'options': [{'name': 'relu'}, null]}}";

static void check_eval(const struct pz_space *s, const char *params,
                       const char *expected)
{
	struct pz_error err = {0};
	cJSON *pj = json(params), *want = json(expected), *point = NULL;
	double v[32];

	assert_true(s->n_params <= 32);
	if (pz_params_from_json(s, pj, v, &err) != 0)
		fail_msg("params refused: %s", err.msg);
	if (pz_eval(s, v, &point, &err) != 0)
		fail_msg("eval failed: %s", err.msg);
	if (!cJSON_Compare(point, want, 1)) {
		char got[TEXT_MAX];

		assert_true(
		    cJSON_PrintPreallocated(point, got, sizeof(got), 0));
		fail_msg("point differs\n  got:  %s\n  want: %s", got,
		         expected);
	}
	cJSON_Delete(point);
	cJSON_Delete(want);
	cJSON_Delete(pj);
}

static void eval_points(void **state)
{
	struct pz_space *s = load(eval_space);

	(void)state;
	check_eval(s,
	           "{'lr': 0.01, 'units': 64, 'opt': 1, 'one_minus_beta2':"
	           " 0.03125, 't': -2.7, 'k': 7, 'ui': 3, 'layers': 2, 'bn': 1,"
	           " 'ln': 0.5, 'act': 1}",
	           "{'name': 'run', 'flags': [true, false, null],"
	           " 'nested': {'a': [1, {'b': 'c'}], 'empty': {}, 'arr': []},"
	           " 'lr': 0.01, 'units': 64,"
	           " 'opt': {'name': 'adam', 'betas': [0.9, 0.96875]},"
	           " 'trunc': -2, 'f': 7, 'sum': 6, 'prod': 3, 'quot': 3.5,"
	           " 'neg': -1024, 'layers': [64, 32], 'bn': true,"
	           " 'one_plus': 1.5, 'act': null}");
	check_eval(s,
	           "{'lr': 1, 'units': 256, 'opt': 0, 'momentum': 0.25,"
	           " 't': 4.999, 'k': 0, 'ui': 1, 'layers': 0, 'bn': 0,"
	           " 'ln': 2.25, 'act': 0}",
	           "{'name': 'run', 'flags': [true, false, null],"
	           " 'nested': {'a': [1, {'b': 'c'}], 'empty': {}, 'arr': []},"
	           " 'lr': 1, 'units': 256,"
	           " 'opt': {'name': 'sgd', 'momentum': 0.25},"
	           " 'trunc': 4, 'f': 0, 'sum': 4, 'prod': 3, 'quot': 3.5,"
	           " 'neg': -1024, 'layers': [], 'bn': false,"
	           " 'one_plus': 3.25, 'act': {'name': 'relu'}}");
	pz_space_destroy(s);
}

/* int() truncates toward zero, like Python's int(), not floor(). */
static void eval_int_truncates(void **state)
{
	static const struct {
		double x, want;
	} cases[] = {
		{-2.7, -2}, {2.7, 2}, {-0.2, 0}, {4.999, 4}, {-4.999, -4},
		{3, 3}, {-3, -3}, {0.5, 0}, {-0.5, 0},
	};
	struct pz_space *s = load(
	    "[{'$fn': 'int', 'args': [{'$hp': 'uniform', 'label': 't',"
	    " 'low': -5, 'high': 5}]}, {'$fn': 'float', 'args': [true]}]");
	struct pz_error err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *point = NULL;
		double v = cases[i].x, got;

		assert_int_equal(pz_eval(s, &v, &point, &err), 0);
		got = cJSON_GetArrayItem(point, 0)->valuedouble;
		if (got != cases[i].want)
			fail_msg("int(%g) = %g, expected %g", cases[i].x, got,
			         cases[i].want);
		/* float(True) is 1.0, as in Python. */
		assert_true(cJSON_GetArrayItem(point, 1)->valuedouble == 1.0);
		cJSON_Delete(point);
	}
	pz_space_destroy(s);
}

static void eval_refusals(void **state)
{
	static const struct {
		const char *space;
		double value;
		const char *msg;
	} cases[] = {
		{"{'r': {'$fn': 'div', 'args': [1, {'$hp': 'uniform',"
		 " 'label': 'd', 'low': -1, 'high': 1}]}}", 0,
		 "space.r: div() has no finite result"},
		{"{'r': {'$fn': 'div', 'args': [{'$hp': 'uniform',"
		 " 'label': 'd', 'low': -1, 'high': 1}, 0]}}", 0.5,
		 "space.r: div() has no finite result"},
		{"{'r': {'$fn': 'pow', 'args': [-8, {'$hp': 'uniform',"
		 " 'label': 'd', 'low': 0, 'high': 1}]}}", 0.5,
		 "space.r: pow() has no finite result"},
		{"{'r': {'$fn': 'pow', 'args': [0, {'$hp': 'uniform',"
		 " 'label': 'd', 'low': -2, 'high': 0}]}}", -1,
		 "space.r: pow() has no finite result"},
		{"{'r': {'$fn': 'mul', 'args': [1e300, {'$hp': 'uniform',"
		 " 'label': 'd', 'low': 0, 'high': 1e10}]}}", 1e9,
		 "space.r: mul() has no finite result"},
		{"[{'$fn': 'neg', 'args': [{'$hp': 'choice', 'label': 'd',"
		 " 'options': [1, 'one']}]}]", 1,
		 "space[0]: neg() argument 1 is not a number"},
		{"{'r': {'$fn': 'add', 'args': [1, [{'$hp': 'uniform',"
		 " 'label': 'd', 'low': 0, 'high': 1}]]}}", 0.5,
		 "space.r: add() argument 2 is not a number"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pz_space *s = load(cases[i].space);
		struct pz_error err = {0};
		cJSON *point = (cJSON *)1;
		double v = cases[i].value;

		assert_int_equal(s->n_params, 1);
		assert_int_equal(pz_eval(s, &v, &point, &err), PZ_EINVAL);
		assert_null(point);
		assert_prefix(err.msg, cases[i].msg, "eval message");
		pz_space_destroy(s);
	}
}

/* --- params validation -------------------------------------------------- */

static const char params_space[] =
	"{'u': {'$hp': 'uniform', 'label': 'u', 'low': -1, 'high': 1},"
	" 'lu': {'$hp': 'loguniform', 'label': 'lu', 'low': -2, 'high': 2},"
	" 'ri': {'$hp': 'randint', 'label': 'ri', 'low': 2, 'high': 5},"
	" 'ui': {'$hp': 'uniformint', 'label': 'ui', 'low': 2, 'high': 5},"
	" 'qu': {'$hp': 'quniform', 'label': 'qu', 'low': 0.6, 'high': 10.4,"
	"  'q': 2},"
	" 'qlu': {'$hp': 'qloguniform', 'label': 'qlu', 'low': 0, 'high': 3,"
	"  'q': 5},"
	" 'n': {'$hp': 'normal', 'label': 'n', 'mu': 0, 'sigma': 1},"
	" 'qn': {'$hp': 'qnormal', 'label': 'qn', 'mu': 0, 'sigma': 1,"
	"  'q': 0.5},"
	" 'ln': {'$hp': 'lognormal', 'label': 'ln', 'mu': 0, 'sigma': 1},"
	" 'c': {'$hp': 'choice', 'label': 'c', 'options': [0,"
	"  {'$hp': 'uniform', 'label': 'inner', 'low': 0, 'high': 1}, 2]}}";

static const char params_base[] =
	"{'u': 0, 'lu': 1, 'ri': 2, 'ui': 5, 'qu': 4, 'qlu': 10, 'n': -3,"
	" 'qn': 1.5, 'ln': 0.1, 'c': 1, 'inner': 0.5}";

struct params_case {
	const char *patch;   /* members set in the base params */
	const char *remove;  /* label removed from the base params, or NULL */
	int rc;
	const char *msg;     /* expected prefix of err.msg when rc != 0 */
};

static const struct params_case params_cases[] = {
	/* labels and types */
	{"{'zz': 1}", NULL, PZ_ENOENT, "params.zz: no such label in the space"},
	{"{'U': 1}", NULL, PZ_ENOENT, "params.U: no such label in the space"},
	{"{'u': '0.5'}", NULL, PZ_EINVAL, "params.u: must be a finite number"},
	{"{'ri': null}", NULL, PZ_EINVAL, "params.ri: must be a finite number"},
	{"{'c': true}", NULL, PZ_EINVAL, "params.c: must be a finite number"},
	{"{'n': 1e999}", NULL, PZ_EINVAL, "params.n: must be a finite number"},
	{"{'n': [1]}", NULL, PZ_EINVAL, "params.n: must be a finite number"},

	/* uniform */
	{"{'u': 1.5}", NULL, PZ_ERANGE,
	 "params.u: 1.5 is outside the prior's range [-1, 1]"},
	{"{'u': -1.01}", NULL, PZ_ERANGE,
	 "params.u: -1.01 is outside the prior's range [-1, 1]"},
	{"{'u': -1}", NULL, 0, NULL},
	{"{'u': 1}", NULL, 0, NULL},

	/* loguniform: bounds are exp(low), exp(high) */
	{"{'lu': -1}", NULL, PZ_ERANGE,
	 "params.lu: -1 must be > 0 for loguniform"},
	{"{'lu': 0.1}", NULL, PZ_ERANGE,
	 "params.lu: 0.1 is outside the prior's range [0.135335, 7.38906]"},
	{"{'lu': 8}", NULL, PZ_ERANGE,
	 "params.lu: 8 is outside the prior's range [0.135335, 7.38906]"},
	{"{'lu': 7.3}", NULL, 0, NULL},
	{"{'lu': 0.14}", NULL, 0, NULL},

	/* randint [2, 5) and uniformint [2, 5] */
	{"{'ri': 5}", NULL, PZ_ERANGE,
	 "params.ri: 5 is not an integer in [2, 4]"},
	{"{'ri': 1}", NULL, PZ_ERANGE,
	 "params.ri: 1 is not an integer in [2, 4]"},
	{"{'ri': 2.5}", NULL, PZ_ERANGE,
	 "params.ri: 2.5 is not an integer in [2, 4]"},
	{"{'ri': 4}", NULL, 0, NULL},
	{"{'ui': 6}", NULL, PZ_ERANGE,
	 "params.ui: 6 is not an integer in [2, 5]"},
	{"{'ui': 3.5}", NULL, PZ_ERANGE,
	 "params.ui: 3.5 is not an integer in [2, 5]"},
	{"{'ui': 2}", NULL, 0, NULL},
	{"{'ui': 4.0}", NULL, 0, NULL},

	/* q grid and rounded bounds: qu in round([0.6, 10.4] / 2) * 2 */
	{"{'qu': 3}", NULL, PZ_ERANGE,
	 "params.qu: 3 is not a multiple of q = 2"},
	{"{'qu': 12}", NULL, PZ_ERANGE,
	 "params.qu: 12 is outside the prior's range [0.6, 10.4]"},
	{"{'qu': -2}", NULL, PZ_ERANGE,
	 "params.qu: -2 is outside the prior's range [0.6, 10.4]"},
	{"{'qu': 0}", NULL, 0, NULL},
	{"{'qu': 10}", NULL, 0, NULL},
	{"{'qn': 0.25}", NULL, PZ_ERANGE,
	 "params.qn: 0.25 is not a multiple of q = 0.5"},
	{"{'qn': -1000.5}", NULL, 0, NULL},
	{"{'qlu': 7}", NULL, PZ_ERANGE,
	 "params.qlu: 7 is not a multiple of q = 5"},
	{"{'qlu': 25}", NULL, PZ_ERANGE,
	 "params.qlu: 25 is outside the prior's range [1, 20.0855]"},
	{"{'qlu': 0}", NULL, 0, NULL},
	{"{'qlu': 20}", NULL, 0, NULL},

	/* normal kinds are unbounded; lognormal must be positive */
	{"{'n': 1e300}", NULL, 0, NULL},
	{"{'ln': 0}", NULL, PZ_ERANGE,
	 "params.ln: 0 must be > 0 for lognormal"},
	{"{'ln': -1}", NULL, PZ_ERANGE,
	 "params.ln: -1 must be > 0 for lognormal"},

	/* choices and conditional labels */
	{"{'c': 3}", NULL, PZ_ERANGE,
	 "params.c: 3 is not an option index of choice (0 to 2)"},
	{"{'c': -1}", NULL, PZ_ERANGE,
	 "params.c: -1 is not an option index of choice (0 to 2)"},
	{"{'c': 0.5}", NULL, PZ_ERANGE,
	 "params.c: 0.5 is not an option index of choice (0 to 2)"},
	{"{'c': 0}", NULL, PZ_EINVAL,
	 "params.inner: label is inactive (option 1 of 'c' was not chosen)"},
	{"{'c': 2}", "inner", 0, NULL},
	{"{}", "inner", PZ_EINVAL,
	 "params.inner: missing (the label is active)"},
	{"{}", "u", PZ_EINVAL, "params.u: missing (the label is active)"},
	{"{}", "c", PZ_EINVAL, "params.c: missing (the label is active)"},
};

static void params_validation(void **state)
{
	struct pz_space *s = load(params_space);
	size_t n = sizeof(params_cases) / sizeof(params_cases[0]);

	(void)state;
	assert_int_equal(s->n_params, 11);
	for (size_t i = 0; i < n; i++) {
		const struct params_case *pc = &params_cases[i];
		cJSON *pj = json(params_base), *patch = json(pc->patch), *c;
		struct pz_error err = {0};
		double v[11];
		int rc;

		cJSON_ArrayForEach(c, patch)
		{
			cJSON *dup = cJSON_Duplicate(c, 1);

			assert_non_null(dup);
			cJSON_DeleteItemFromObjectCaseSensitive(pj, c->string);
			cJSON_AddItemToObject(pj, c->string, dup);
		}
		if (pc->remove != NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(pj, pc->remove);
		rc = pz_params_from_json(s, pj, v, &err);
		if (rc != pc->rc)
			fail_msg("case %zu (%s): rc %d, expected %d: %s", i,
			         pc->patch, rc, pc->rc, err.msg);
		if (rc != 0) {
			if (strncmp(err.msg, pc->msg, strlen(pc->msg)) != 0)
				fail_msg("case %zu (%s)\n  got:      %s\n"
				         "  expected: %s...", i, pc->patch,
				         err.msg, pc->msg);
		} else {
			/* Accepted values land in the vector unchanged. */
			cJSON_ArrayForEach(c, pj)
			{
				int k = pz_space_find(s, c->string);

				assert_true(k >= 0);
				assert_true(v[k] == c->valuedouble);
			}
			for (int k = 0; k < s->n_params; k++) {
				const char *l = s->params[k].label;

				if (!cJSON_HasObjectItem(pj, l))
					assert_true(isnan(v[k]));
			}
		}
		cJSON_Delete(patch);
		cJSON_Delete(pj);
	}
	pz_space_destroy(s);
}

static void params_not_object(void **state)
{
	struct pz_space *s = load(params_space);
	struct pz_error err = {0};
	cJSON *pj = json("[1, 2]");
	double v[11];

	(void)state;
	assert_int_equal(pz_params_from_json(s, pj, v, &err), PZ_EINVAL);
	assert_prefix(err.msg, "params: must be an object {label: value}",
	              "not an object");
	cJSON_Delete(pj);
	pz_space_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(invalid_spaces),
		cmocka_unit_test(invalid_text_length),
		cmocka_unit_test(invalid_root_name),
		cmocka_unit_test(invalid_depth),
		cmocka_unit_test(invalid_sizes),
		cmocka_unit_test(valid_literals),
		cmocka_unit_test(valid_kinds),
		cmocka_unit_test(valid_cifar100),
		cmocka_unit_test(conditional_activation),
		cmocka_unit_test(is_active_and_find),
		cmocka_unit_test(eval_points),
		cmocka_unit_test(eval_int_truncates),
		cmocka_unit_test(eval_refusals),
		cmocka_unit_test(params_validation),
		cmocka_unit_test(params_not_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
