/*
 * Unit tests of the value form of params (lib/params.c): what a choice's
 * option is called where a person reads it, the conversions index form
 * <-> value form, and the validation of value-form params a user writes.
 *
 * The spaces are the CIFAR-100 space of tests/data (literal options of
 * every JSON type, options that are hyperparameters) and the hyperopt
 * tutorial's classifier space (options that are objects with and without
 * a "name", literal objects, a function node). Prior draws must survive
 * vector -> value form -> vector bit for bit; refused inputs are checked
 * against the message a user sees, path first.
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

#include <parzen/json.h>
#include <parzen/params.h>
#include <parzen/rng.h>
#include <parzen/sample.h>
#include <parzen/space.h>

#include "space_file.h"

#define TEXT_MAX 4096

/* The tutorial's classifier space (single quotes for double ones). */
#define SPACE_CLASSIFIER \
	"{'type': {'$hp': 'choice', 'label': 'classifier_type', 'options': [" \
	"  {'name': 'naive_bayes'}," \
	"  {'name': 'svm'," \
	"   'C': {'$hp': 'uniform', 'label': 'svm_C', 'low': 0, 'high': 10}," \
	"   'kernel': {'$hp': 'choice', 'label': 'svm_kernel', 'options': [" \
	"    {'ktype': 'linear'}," \
	"    {'ktype': 'rbf', 'width': {'$hp': 'lognormal', " \
	"'label': 'svm_rbf_width', 'mu': 0, 'sigma': 1}}]}}," \
	"  {'name': 'dtree'," \
	"   'criterion': {'$hp': 'choice', 'label': 'dtree_criterion', " \
	"'options': ['gini', 'entropy']}," \
	"   'max_depth': {'$hp': 'choice', 'label': 'dtree_max_depth', " \
	"'options': [null, {'$hp': 'randint', " \
	"'label': 'dtree_max_depth_int', 'low': 1, 'high': 20}]}}]}," \
	" 'units': {'$hp': 'choice', 'label': 'units', 'options': [" \
	"  32, {'$fn': 'mul', 'args': [2, 32]}, " \
	"  [{'$fn': 'int', 'args': [{'$hp': 'quniform', 'label': 'w', " \
	"'low': 8, 'high': 64, 'q': 8}]}]]}}"

static void dq(char *dst, size_t cap, const char *src)
{
	size_t i;

	assert_true(strlen(src) < cap);
	for (i = 0; src[i] != '\0'; i++)
		dst[i] = src[i] == '\'' ? '"' : src[i];
	dst[i] = '\0';
}

static cJSON *json(const char *squoted)
{
	char text[TEXT_MAX];
	cJSON *j;

	dq(text, sizeof(text), squoted);
	j = cJSON_Parse(text);
	if (j == NULL)
		fail_msg("bad test JSON: %s", text);
	return j;
}

static struct pz_space *load(const char *squoted)
{
	char text[TEXT_MAX];
	struct pz_space *s = NULL;
	struct pz_error err = {0};

	dq(text, sizeof(text), squoted);
	if (pz_space_create_from_text(text, strlen(text), "space", &s,
	                              &err) != 0)
		fail_msg("space refused: %s", err.msg);
	return s;
}

static struct pz_space *load_file(const char *name)
{
	return test_space_file(PZ_TEST_DATA, name);
}

/* The compact JSON of `v` must be `squoted` (single quotes for double). */
static void assert_json(const cJSON *v, const char *squoted)
{
	char want[TEXT_MAX], *got = pz_json_print(v, NULL);

	dq(want, sizeof(want), squoted);
	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("got      %s\nexpected %s", got, want);
	free(got);
}

/* Option `k` of the choice labelled `label` must read `squoted`. */
static void assert_option(const struct pz_space *s, const char *label, int k,
                          const char *squoted)
{
	int i = pz_space_find(s, label);
	cJSON *v;

	assert_true(i >= 0);
	v = pz_params_option_value(s, i, k);
	assert_non_null(v);
	assert_json(v, squoted);
	cJSON_Delete(v);
}

/* --- option values ---------------------------------------------------------- */

static void test_option_values_cifar(void **state)
{
	struct pz_space *s = load_file("cifar100.json");

	(void)state;
	assert_option(s, "optimizer", 0, "'Adam'");
	assert_option(s, "optimizer", 2, "'RMSprop'");
	assert_option(s, "use_BN", 0, "false");
	assert_option(s, "use_BN", 1, "true");
	assert_option(s, "first_conv", 0, "null");
	/* An option that is a hyperparameter is named by its label. */
	assert_option(s, "first_conv", 1, "'first_conv_size'");
	assert_option(s, "residual", 1, "'residual_units'");
	assert_option(s, "nb_conv_pool_layers", 1, "3");
	assert_option(s, "pooling_type", 3, "'inception'");
	/* Not a choice, or no such option. */
	assert_null(pz_params_option_value(s, pz_space_find(s, "batch_size"),
	                                   0));
	assert_null(pz_params_option_value(s, pz_space_find(s, "optimizer"),
	                                   3));
	assert_null(pz_params_option_value(s, -1, 0));
	pz_space_destroy(s);
}

/*
 * The text people read for an option (the report, the dashboard and the
 * CLI all use it), and the way back from a value to its option.
 */
static void test_option_text_and_index(void **state)
{
	struct pz_space *s = load(SPACE_CLASSIFIER);
	struct pz_space *c = load_file("cifar100.json");
	int kernel = pz_space_find(s, "svm_kernel");
	int type = pz_space_find(s, "classifier_type");
	int bn = pz_space_find(c, "use_BN");
	int layers = pz_space_find(c, "nb_conv_pool_layers");
	char *t;
	cJSON *v;

	(void)state;
	t = pz_params_option_text(s, type, 0);
	assert_string_equal(t, "naive_bayes"); /* a string: no quotes */
	free(t);
	t = pz_params_option_text(s, kernel, 0);
	assert_string_equal(t, "{\"ktype\":\"linear\"}");
	free(t);
	t = pz_params_option_text(c, bn, 1);
	assert_string_equal(t, "true");
	free(t);
	t = pz_params_option_text(c, layers, 1);
	assert_string_equal(t, "3");
	free(t);
	assert_null(pz_params_option_text(c, bn, 2));
	assert_null(pz_params_option_text(c, pz_space_find(c, "batch_size"),
	                                  0));
	/* Every option's value names that option, and its text is the
	 * text of that value. */
	for (int l = 0; l < c->n_params; l++)
		for (int k = 0; k < c->params[l].n_options; k++) {
			char *a, *b;

			v = pz_params_option_value(c, l, k);
			assert_int_equal(pz_params_option_index(c, l, v), k);
			a = pz_params_value_text(v);
			b = pz_params_option_text(c, l, k);
			assert_string_equal(a, b);
			free(a);
			free(b);
			cJSON_Delete(v);
		}
	/* The whole literal of a named option, and {"$index": N}. */
	v = json("{'ktype': 'linear'}");
	assert_int_equal(pz_params_option_index(s, kernel, v), 0);
	cJSON_Delete(v);
	v = json("{'$index': 1}");
	assert_int_equal(pz_params_option_index(s, kernel, v), 1);
	cJSON_Delete(v);
	/* Nothing, or not a choice. */
	v = json("'rmsprop'");
	assert_int_equal(pz_params_option_index(c, bn, v), -1);
	assert_int_equal(pz_params_option_index(c, -1, v), -1);
	assert_int_equal(pz_params_option_index(
	                         c, pz_space_find(c, "batch_size"), v),
	                 -1);
	cJSON_Delete(v);
	pz_space_destroy(s);
	pz_space_destroy(c);
}

static void test_option_values_nested(void **state)
{
	struct pz_space *s = load(SPACE_CLASSIFIER);

	(void)state;
	/* An object with a "name" is called by it, literal or not. */
	assert_option(s, "classifier_type", 0, "'naive_bayes'");
	assert_option(s, "classifier_type", 1, "'svm'");
	assert_option(s, "classifier_type", 2, "'dtree'");
	/* A literal object without one is itself; a sub-space without
	 * one is the first label inside. */
	assert_option(s, "svm_kernel", 0, "{'ktype':'linear'}");
	assert_option(s, "svm_kernel", 1, "'svm_rbf_width'");
	assert_option(s, "dtree_max_depth", 1, "'dtree_max_depth_int'");
	/* A function of literals only; a label inside a function. */
	assert_option(s, "units", 0, "32");
	assert_option(s, "units", 1, "'option 1'");
	assert_option(s, "units", 2, "'w'");
	pz_space_destroy(s);
}

/* --- conversions ------------------------------------------------------------ */

/* Prior draws: vector -> values -> vector, bit for bit; both JSON paths
 * to the value form agree. */
static void roundtrip(struct pz_space *s, int n)
{
	size_t np = (size_t)s->n_params;
	double *v = malloc((np + 1) * sizeof(double));
	double *back = malloc((np + 1) * sizeof(double));
	struct pz_error err = {0};
	struct pz_rng rng;

	assert_non_null(v);
	assert_non_null(back);
	for (int t = 0; t < n; t++) {
		cJSON *values, *params, *again;
		char *a, *b;

		pz_rng_init(&rng, 7, (uint64_t)t);
		pz_sample_prior(s, &rng, v);
		values = pz_params_to_values(s, v);
		params = pz_params_to_json(s, v);
		assert_non_null(values);
		again = pz_params_json_to_values(s, params);
		a = pz_json_print(values, NULL);
		b = pz_json_print(again, NULL);
		assert_string_equal(a, b);
		free(a);
		free(b);
		/* The text goes through JSON, as it would on a command line. */
		a = pz_json_print(values, NULL);
		cJSON_Delete(again);
		again = cJSON_Parse(a);
		free(a);
		if (pz_params_from_values(s, again, "values", back, &err) != 0)
			fail_msg("draw %d refused: %s", t, err.msg);
		for (size_t i = 0; i < np; i++) {
			if (isnan(v[i]))
				assert_true(isnan(back[i]));
			else
				assert_memory_equal(&v[i], &back[i],
				                    sizeof(double));
		}
		cJSON_Delete(values);
		cJSON_Delete(params);
		cJSON_Delete(again);
	}
	free(v);
	free(back);
}

static void test_roundtrip_cifar(void **state)
{
	struct pz_space *s = load_file("cifar100.json");

	(void)state;
	roundtrip(s, 500);
	pz_space_destroy(s);
}

static void test_roundtrip_nested(void **state)
{
	struct pz_space *s = load(SPACE_CLASSIFIER);

	(void)state;
	roundtrip(s, 500);
	pz_space_destroy(s);
}

static void test_to_values(void **state)
{
	struct pz_space *s = load_file("cifar100.json");
	cJSON *params = json("{'optimizer': 1, 'use_BN': 0, 'first_conv': 1, "
	                     "'first_conv_size': 1, 'residual': 0, "
	                     "'batch_size': 105, 'nosuch': 3, "
	                     "'activation': 7, 'pooling_type': 'max'}");
	cJSON *v = pz_params_json_to_values(s, params);

	(void)state;
	/* Choices by value; numbers as they are; what is not a valid index
	 * of a known choice copied unchanged. */
	assert_json(v, "{'optimizer':'Nadam','use_BN':false,"
	               "'first_conv':'first_conv_size','first_conv_size':4,"
	               "'residual':null,'batch_size':105,'nosuch':3,"
	               "'activation':7,'pooling_type':'max'}");
	cJSON_Delete(v);
	cJSON_Delete(params);
	pz_space_destroy(s);
}

/* --- reading values back ------------------------------------------------------ */

/* `values` (single-quoted) must be refused at `path` with message `msg`
 * (verbatim). */
static void refused(const struct pz_space *s, const char *values,
                    const char *path, const char *msg)
{
	double v[64];
	struct pz_error err = {0};
	cJSON *j = json(values);

	assert_true(s->n_params < 64);
	if (pz_params_from_values(s, j, "values", v, &err) == 0)
		fail_msg("accepted: %s", values);
	assert_string_equal(err.path, path);
	if (strcmp(err.msg, msg) != 0)
		fail_msg("got      %s\nexpected %s", err.msg, msg);
	cJSON_Delete(j);
}

static void accepted(const struct pz_space *s, const char *values,
                     const char *label, double want)
{
	double v[64];
	struct pz_error err = {0};
	cJSON *j = json(values);

	if (pz_params_from_values(s, j, "values", v, &err) != 0)
		fail_msg("refused %s: %s", values, err.msg);
	assert_true(v[pz_space_find(s, label)] == want);
	cJSON_Delete(j);
}

static void test_from_values(void **state)
{
	struct pz_space *s = load(SPACE_CLASSIFIER);

	(void)state;
	accepted(s, "{'classifier_type': 'svm', 'svm_C': 3, 'svm_kernel': "
	            "{'ktype': 'linear'}, 'units': 32}", "classifier_type", 1);
	accepted(s, "{'classifier_type': {'name': 'naive_bayes'}, 'units': "
	            "'option 1'}", "units", 1);
	accepted(s, "{'classifier_type': 'naive_bayes', 'units': 32}",
	         "classifier_type", 0);
	accepted(s, "{'classifier_type': {'$index': 2}, 'dtree_criterion': "
	            "'entropy', 'dtree_max_depth': 'dtree_max_depth_int', "
	            "'dtree_max_depth_int': 5, 'units': {'$index': 0}}",
	         "dtree_criterion", 1);
	refused(s, "{'classifier_type': 'adam', 'units': 32}",
	        "values.classifier_type",
	        "values.classifier_type: \"adam\" is not the value of any "
	        "option (\"naive_bayes\", \"svm\", \"dtree\"); "
	        "{\"$index\": N} gives an option by its index");
	/* A number is a value, not an index. */
	refused(s, "{'classifier_type': 1, 'units': 32}",
	        "values.classifier_type",
	        "values.classifier_type: 1 is not the value of any option "
	        "(\"naive_bayes\", \"svm\", \"dtree\"); "
	        "{\"$index\": N} gives an option by its index");
	refused(s, "{'classifier_type': {'$index': 3}, 'units': 32}",
	        "values.classifier_type",
	        "values.classifier_type: $index must be an option index of "
	        "choice (0 to 2)");
	refused(s, "{'classifier_type': {'$index': -1}, 'units': 32}",
	        "values.classifier_type",
	        "values.classifier_type: $index must be an option index of "
	        "choice (0 to 2)");
	refused(s, "{'classifier_type': {'$index': 'x'}, 'units': 32}",
	        "values.classifier_type",
	        "values.classifier_type: $index must be an option index of "
	        "choice (0 to 2)");
	/* Checked as in index form, under the same root. */
	refused(s, "{'classifier_type': 'svm', 'svm_C': 11, 'svm_kernel': "
	           "{'ktype': 'linear'}, 'units': 32}", "values.svm_C",
	        "values.svm_C: 11 is outside the prior's range [0, 10]");
	refused(s, "{'classifier_type': 'svm', 'units': 32}", "values.svm_C",
	        "values.svm_C: missing (the label is active)");
	refused(s, "{'classifier_type': 'dtree', 'dtree_criterion': 'gini', "
	           "'dtree_max_depth': null, 'svm_C': 1, 'units': 32}",
	        "values.svm_C",
	        "values.svm_C: label is inactive (option 1 of "
	        "'classifier_type' was not chosen)");
	refused(s, "{'nope': 1}", "values.nope",
	        "values.nope: no such label in the space");
	refused(s, "[1]", "values",
	        "values: must be an object {label: value}");
	pz_space_destroy(s);
}

static void test_ambiguous(void **state)
{
	struct pz_space *s = load("{'$hp': 'choice', 'label': 'c', "
	                          "'options': ['a', 1, 'a']}");

	(void)state;
	refused(s, "{'c': 'a'}", "values.c",
	        "values.c: \"a\" is the value of options 0 and 2; give the "
	        "option by its index, {\"$index\": 0}");
	accepted(s, "{'c': {'$index': 2}}", "c", 2);
	accepted(s, "{'c': 1}", "c", 1);
	accepted(s, "{'c': 1.0}", "c", 1);
	pz_space_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_option_values_cifar),
		cmocka_unit_test(test_option_values_nested),
		cmocka_unit_test(test_option_text_and_index),
		cmocka_unit_test(test_roundtrip_cifar),
		cmocka_unit_test(test_roundtrip_nested),
		cmocka_unit_test(test_to_values),
		cmocka_unit_test(test_from_values),
		cmocka_unit_test(test_ambiguous),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
