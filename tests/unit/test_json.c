/*
 * lib/json.c's number printer: exact (every number reads back as the same
 * double), shortest of what 15, 16 or 17 significant digits give, and
 * printed as "%.{k}g" prints it. Checked against a reference that tries
 * printf's "%.15g", "%.16g" and "%.17g" in turn, on random bit patterns,
 * uniform draws, scaled values, millisecond timestamps, powers of two,
 * and the corner cases (ties, carries that add a digit, subnormals).
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

#include <parzen/json.h>

static void reference(char *buf, size_t len, double v)
{
	if (!isfinite(v)) {
		snprintf(buf, len, "null");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, len, "%.0f", v == 0 ? 0.0 : v);
		return;
	}
	for (int prec = 15; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, len, "%.17g", v);
}

static void check(double v)
{
	char want[64], got[64];

	reference(want, sizeof(want), v);
	pz_json_number(got, sizeof(got), v);
	if (strcmp(want, got) != 0)
		fail_msg("%a: printed %s, expected %s", v, got, want);
	if (isfinite(v) && strtod(got, NULL) != v)
		fail_msg("%a: %s does not read back", v, got);
}

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void random_values(void **state)
{
	uint64_t s = 88172645463325252ull;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		uint64_t r = next(&s);
		double u = (double)(r >> 11) / 9007199254740992.0, v;

		switch (i % 5) {
		case 0:
			memcpy(&v, &r, sizeof(v));
			break;
		case 1:
			v = u;
			break;
		case 2:
			v = (u - 0.5) * pow(10, (int)(next(&s) % 40) - 20);
			break;
		case 3:
			v = round(u * 1e6) / 1e3 + 1.7e9;
			break;
		default:
			v = ldexp(1.0, (int)(r % 2000) - 1000) *
			    (double)((r >> 40) % 7 + 1) / 3;
		}
		check(v);
	}
}

static void corner_cases(void **state)
{
	static const double values[] = {
		0.1, 0.2, 0.30000000000000004, 1.0 / 3, 2.0 / 3, 1e-5, 1e-4,
		0.001, 123.456, 9.999999999999999e22, 1e15 + 0.5, 1e21, 1e22,
		1e23, 5e-324, 2.2250738585072014e-308, DBL_MAX, -DBL_MAX,
		9.9999999999999995e-5, 0.99999999999999989, 999999999999999.9,
		1.7976931348623157e308, -0.5, 4.35, 2.675, 1.005,
		0.15000000000000002, 123456789012345.67, NAN, INFINITY,
		-INFINITY, -0.0, 0.0, 1e15, -1e15,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		check(values[i]);
	/* Every neighbour of a few decimal powers: carries and ties. */
	for (int p = -20; p <= 22; p++) {
		double v = pow(10, p);

		for (int k = 0; k < 50; k++) {
			check(v);
			check(-v);
			v = nextafter(v, 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_values),
		cmocka_unit_test(corner_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
