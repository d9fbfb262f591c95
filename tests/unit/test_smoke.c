#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval.h"
#include "history.h"
#include "sample.h"
#include "space.h"
#include "tpe.h"

static void smoke(void **state)
{
	(void)state;
	const char *txt = "{\"x\": {\"$hp\":\"uniform\",\"label\":\"x\",\"low\":-2,\"high\":2}}";
	struct pz_space *s; struct pz_error err; struct pz_history *h;
	struct pz_tpe_config cfg;
	assert_int_equal(pz_space_create_from_text(txt, strlen(txt), "space", &s, &err), 0);
	assert_int_equal(pz_history_create(s, &h), 0);
	pz_tpe_config_default(&cfg);
	double best = 1e9, bx = 0;
	for (int k = 0; k < 200; k++) {
		double v[1];
		assert_int_equal(pz_suggest(s, h, PZ_ALGO_TPE, &cfg, 1, k, v, &err), 0);
		double l = v[0]*v[0] - v[0] + 1;
		if (l < best) { best = l; bx = v[0]; }
		assert_int_equal(pz_history_add(h, k, v, PZ_TRIAL_OK, l), 0);
	}
	printf("best %g at x=%g\n", best, bx);
	pz_history_destroy(h);
	pz_space_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(smoke) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
