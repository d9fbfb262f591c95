/*
 * bench/suggest_latency: how long one TPE suggestion takes as the history
 * grows.
 *
 * For each space and each history size n, fill a history with n finished
 * trials (prior samples with a synthetic loss), then time `reps` separate
 * suggestions for new trial numbers against that same history and print
 * one JSON line with the median and 99th percentile in milliseconds. The
 * history is in memory, as the daemon holds it; nothing else is timed.
 *
 * The suggestions go through one pz_tpe_cache per space, as the daemon's
 * study holds one. With --grow each suggestion is added to the history
 * as a finished trial before the next one is timed (the history grows as
 * in a study, and the cache follows it); with --cold no cache is used.
 *
 * usage: suggest_latency [--config JSON] [--sizes 100,1000,...]
 *                        [--reps N] [--grow] [--cold] SPACE.json...
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <parzen/history.h>
#include <parzen/rng.h>
#include <parzen/sample.h>
#include <parzen/space.h>
#include <parzen/suggest.h>
#include <parzen/tpe.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf != NULL) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

/* A synthetic loss: a smooth function of every active numeric value. */
static double synthetic_loss(const struct pz_space *s, const double *v)
{
	double l = 0;

	for (int i = 0; i < s->n_params; i++)
		if (!isnan(v[i]))
			l += sin(0.37 * i +
			         (pz_space_kind_is_log(s->params[i].kind)
			                  ? log(fmax(v[i], 1e-12))
			                  : v[i]));
	return l;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b != NULL ? b + 1 : path;
}

static int bench_space(const char *path, const struct pz_tpe_config *cfg,
                       const long *sizes, int n_sizes, int reps, int grow,
                       int cold)
{
	struct pz_tpe_cache *cache = NULL;
	struct pz_space *space;
	struct pz_history *h;
	struct pz_error err;
	struct pz_rng rng;
	size_t len;
	char *text = read_file(path, &len), name[256];
	double *v, *times;
	long have = 0;

	if (text == NULL) {
		fprintf(stderr, "suggest_latency: cannot read %s\n", path);
		return 1;
	}
	if (pz_space_create_from_text(text, len, "space", &space, &err) != 0) {
		fprintf(stderr, "suggest_latency: %s: %s\n", path, err.msg);
		free(text);
		return 1;
	}
	free(text);
	snprintf(name, sizeof(name), "%s", base_name(path));
	if (strrchr(name, '.') != NULL)
		*strrchr(name, '.') = '\0';
	v = malloc((size_t)space->n_params * sizeof(double));
	times = malloc((size_t)reps * sizeof(double));
	if (v == NULL || times == NULL || pz_history_create(space, &h) != 0 ||
	    (!cold && pz_tpe_cache_create(&cache) != 0)) {
		fprintf(stderr, "suggest_latency: out of memory\n");
		return 1;
	}
	for (int si = 0; si < n_sizes; si++) {
		/* Grow the same history to the next size. */
		for (; have < sizes[si]; have++) {
			pz_rng_init(&rng, 12345, (uint64_t)have);
			pz_sample_prior(space, &rng, v);
			pz_history_add(h, (uint64_t)have, v, PZ_TRIAL_OK,
			               synthetic_loss(space, v));
		}
		for (int r = 0; r < reps; r++) {
			uint64_t number = (uint64_t)(grow ? have : have + r);
			double t0 = now_ms();

			if (pz_tpe_suggest_cached(space, h, cfg, cache, 7, number,
			                          v, &err) != 0) {
				fprintf(stderr, "suggest_latency: %s\n", err.msg);
				return 1;
			}
			times[r] = now_ms() - t0;
			if (grow) {
				pz_history_add(h, number, v, PZ_TRIAL_OK,
				               synthetic_loss(space, v));
				have++;
			}
		}
		qsort(times, (size_t)reps, sizeof(double), cmp_double);
		printf("{\"bench\":\"suggest_latency\",\"space\":\"%s\",\"n\":%ld,"
		       "\"reps\":%d,\"median_ms\":%.4f,\"p99_ms\":%.4f}\n",
		       name, sizes[si], reps, times[reps / 2],
		       times[(int)(0.99 * (reps - 1) + 0.5)]);
		fflush(stdout);
	}
	pz_tpe_cache_destroy(cache);
	pz_history_destroy(h);
	pz_space_destroy(space);
	free(v);
	free(times);
	return 0;
}

int main(int argc, char **argv)
{
	struct pz_tpe_config cfg;
	struct pz_error err;
	long sizes[16] = {100, 1000, 10000, 100000};
	int n_sizes = 4, reps = 200, grow = 0, cold = 0, i, rc = 0;

	pz_tpe_config_default(&cfg);
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			cJSON *j = cJSON_Parse(argv[++i]);

			if (j == NULL || pz_tpe_config_from_json(&cfg, j, &err) != 0) {
				fprintf(stderr, "suggest_latency: bad --config: %s\n",
				        j == NULL ? "invalid JSON" : err.msg);
				return 2;
			}
			cJSON_Delete(j);
		} else if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc) {
			char *s = argv[++i], *end;

			for (n_sizes = 0; n_sizes < 16 && *s != '\0'; n_sizes++) {
				sizes[n_sizes] = strtol(s, &end, 10);
				s = *end == ',' ? end + 1 : end;
			}
		} else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
			reps = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--grow") == 0) {
			grow = 1;
		} else if (strcmp(argv[i], "--cold") == 0) {
			cold = 1;
		} else {
			fprintf(stderr, "usage: suggest_latency [--config JSON] "
			                "[--sizes N,N,...] [--reps N] [--grow] [--cold] SPACE.json...\n");
			return 2;
		}
	}
	if (i == argc || reps < 1) {
		fprintf(stderr, "usage: suggest_latency [--config JSON] "
		                "[--sizes N,N,...] [--reps N] [--grow] [--cold] SPACE.json...\n");
		return 2;
	}
	for (; i < argc && rc == 0; i++)
		rc = bench_space(argv[i], &cfg, sizes, n_sizes, reps, grow, cold);
	return rc;
}
