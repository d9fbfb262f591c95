/*
 * What the reports store and the pruners cost at scale: a study of N
 * trials (default 10,000) that each reported S steps (default 100), the
 * time to add its reports one by one, the memory they take, and the time
 * of one decision for a new trial at every one of its S steps, for each
 * pruner. The curves are synthetic (each trial falls towards its own
 * floor, with noise) since only the sizes matter here.
 *
 * Output: one JSON line. A benchmark, not a test: it prints numbers and
 * fails only on errors.
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include <parzen/prune.h>
#include <parzen/reports.h>
#include <parzen/rng.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double curve(struct pz_rng *rng, double floor_, int step)
{
	return floor_ + 2.0 / (1 + step) + 0.01 * pz_rng_uniform(rng);
}

/* Bytes the store holds (allocated capacities). */
static size_t footprint(const struct pz_reports *r)
{
	size_t b = sizeof(*r) + r->cap_slots * sizeof(*r->trials) +
	           r->cap_columns * sizeof(*r->columns) +
	           r->hash_cap * sizeof(*r->hash);

	for (size_t i = 0; i < r->n_slots; i++)
		b += r->trials[i].cap * (sizeof(int64_t) + sizeof(double));
	for (size_t i = 0; i < r->n_columns; i++)
		b += r->columns[i].cap * (sizeof(uint32_t) + sizeof(double));
	return b;
}

int main(int argc, char **argv)
{
	static const char *const configs[] = {
		"{\"kind\": \"median\"}",
		"{\"kind\": \"percentile\", \"percentile\": 25}",
		"{\"kind\": \"asha\", \"min_resource\": 1, "
		"\"reduction_factor\": 3}",
		"{\"kind\": \"hyperband\", \"min_resource\": 1, "
		"\"max_resource\": 100, \"reduction_factor\": 3}",
		"{\"kind\": \"threshold\", \"upper\": 10}",
		"{\"kind\": \"patient\", \"patience\": 5, \"wrapped\": "
		"{\"kind\": \"median\"}}",
	};
	long n_trials = 10000, n_steps = 100;
	struct pz_reports *r;
	struct pz_rng rng;
	cJSON *out, *dec;
	double t0, add_s;
	char *text;
	int ch;

	while ((ch = getopt(argc, argv, "n:s:")) != -1) {
		if (ch == 'n')
			n_trials = atol(optarg);
		else if (ch == 's')
			n_steps = atol(optarg);
		else {
			fprintf(stderr, "usage: prune_latency [-n TRIALS] "
			                "[-s STEPS]\n");
			return 2;
		}
	}
	if (n_trials < 1 || n_steps < 1 || pz_reports_create(&r) != 0)
		return 2;
	pz_rng_init(&rng, 1, 0);
	/* Trials report in turns, a step at a time, as parallel workers
	 * would; 95 % finish OK, the rest stay running. */
	t0 = now();
	for (long s = 1; s <= n_steps; s++) {
		for (long k = 0; k < n_trials; k++) {
			double v = curve(&rng, (double)(k % 97) / 97, (int)s);

			if (pz_reports_add(r, (uint64_t)k, s, v, NULL, NULL)) {
				fprintf(stderr, "prune_latency: add failed\n");
				return 1;
			}
		}
	}
	add_s = now() - t0;
	for (long k = 0; k < n_trials; k++)
		if (k % 20 != 0)
			pz_reports_set_state(r, (uint64_t)k, PZ_REPORT_OK);

	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "trials", (double)n_trials);
	cJSON_AddNumberToObject(out, "steps", (double)n_steps);
	cJSON_AddNumberToObject(out, "reports", (double)r->n_reports);
	cJSON_AddNumberToObject(out, "add_ns_per_report",
	                        add_s * 1e9 / (double)r->n_reports);
	cJSON_AddNumberToObject(out, "bytes", (double)footprint(r));
	cJSON_AddNumberToObject(out, "bytes_per_report",
	                        (double)footprint(r) / (double)r->n_reports);
	dec = cJSON_AddObjectToObject(out, "decide_us_per_report");
	/* A new trial per pruner reports every step, judged each time. */
	for (size_t c = 0; c < sizeof(configs) / sizeof(configs[0]); c++) {
		struct pz_pruner *p;
		cJSON *j = cJSON_Parse(configs[c]);
		uint64_t k = (uint64_t)(n_trials + (long)c);
		double spent = 0, max = 0;

		if (pz_prune_create(j, "pruner", &p, NULL) != 0)
			return 1;
		cJSON_Delete(j);
		for (long s = 1; s <= n_steps; s++) {
			struct pz_prune_decision d;
			double t, v = curve(&rng, 0.5, (int)s);

			pz_reports_add(r, k, s, v, NULL, NULL);
			t = now();
			if (pz_prune_decide(p, r, 1, k, &d) != 0)
				return 1;
			t = now() - t;
			spent += t;
			max = t > max ? t : max;
		}
		cJSON *o = cJSON_AddObjectToObject(
			dec, pz_prune_kind_name(p->kind));
		cJSON_AddNumberToObject(o, "mean", spent * 1e6 / n_steps);
		cJSON_AddNumberToObject(o, "max", max * 1e6);
		pz_prune_destroy(p);
	}
	text = cJSON_PrintUnformatted(out);
	printf("%s\n", text);
	free(text);
	cJSON_Delete(out);
	pz_reports_destroy(r);
	return 0;
}
