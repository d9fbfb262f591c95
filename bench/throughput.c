/*
 * bench/throughput: how many trials per second parzend serves to parallel
 * workers with a zero-cost objective.
 *
 * The parent (optionally) creates the study, then forks N worker
 * processes. Each connects with the blocking C client, waits at a start
 * barrier, and loops trial.ask -> trial.tell (loss: a cheap function of
 * the params) until the window ends (--seconds) or until it has done its
 * share of --trials. Every ask and tell is timed with CLOCK_MONOTONIC.
 * The workers send their timings to the parent through one pipe each; the
 * parent prints one JSON line:
 *
 *   {"bench":"throughput","algo":...,"durability":...,"workers":N,
 *    "trials":...,"seconds":...,"trials_per_s":...,"ask_p50_ms":...,
 *    "ask_p99_ms":...,"tell_p50_ms":...,"tell_p99_ms":...,
 *    "ask_tell_p50_ms":...,"history_before":...,"errors":...}
 *
 * "seconds" runs from the barrier to the last tell of the slowest worker,
 * so a pair in flight when the window closes is counted and timed.
 * "history_before" is the study's finished trials at the start.
 *
 * --fill-prior makes every trial a warm start: the worker draws params
 * from the prior itself, enqueues them (trial.enqueue) and then asks and
 * tells. Queued trials are handed out before anything is suggested, so
 * the daemon never runs its suggester: this fills a TPE study with a long
 * history quickly, and the study keeps its own algorithm and config for
 * the asks that follow.
 *
 * usage: throughput --socket PATH --study NAME [--workers N]
 *                   (--seconds T | --trials M) [--fill-prior]
 *                   [--create --space FILE [--algo random|tpe]
 *                    [--config JSON] [--seed S] [--max-trials M]]
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <parzen/client.h>
#include <parzen/rng.h>
#include <parzen/params.h>
#include <parzen/sample.h>
#include <parzen/space.h>

#define MAX_WORKERS 256

struct options {
	const char *socket;
	const char *study;
	int workers;
	double seconds;
	long trials;
	int fill_prior;
	int create;
	const char *space_file;
	const char *algo;
	const char *config;
	long long seed;
	long long max_trials;
};

/* Written by the parent before the barrier opens; read by the workers. */
struct control {
	double t_start;
	double t_end;
};

/*
 * What a worker sends back, followed by n doubles (ms) for each of its
 * asks, its tells and its ask + tell pairs.
 */
struct report {
	int64_t trials;
	int64_t n;
	int64_t errors;
	double t_last;
};

struct samples {
	double *v;
	size_t n, cap;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int push(struct samples *s, double x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4096;
		double *v = realloc(s->v, cap * sizeof(double));

		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n), 0 < p <= 1; NAN when n = 0. */
static double percentile(const double *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return NAN;
	k = (size_t)ceil(p * (double)n);
	return v[k > 0 ? k - 1 : 0];
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static int write_full(int fd, const void *p, size_t len)
{
	const char *b = p;

	while (len > 0) {
		ssize_t w = write(fd, b, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		len -= (size_t)w;
	}
	return 0;
}

static int read_full(int fd, void *p, size_t len)
{
	char *b = p;

	while (len > 0) {
		ssize_t r = read(fd, b, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		len -= (size_t)r;
	}
	return 0;
}

/* The zero-cost objective: a smooth function of every numeric param. */
static double objective(const cJSON *params)
{
	const cJSON *p;
	double loss = 0;
	int i = 0;

	cJSON_ArrayForEach(p, params) {
		if (cJSON_IsNumber(p))
			loss += sin(0.37 * i + p->valuedouble);
		i++;
	}
	return loss;
}

/* trial.enqueue of one prior draw for trial slot k of worker w. */
static int enqueue_prior(struct pz_client *c, const char *study,
                         const struct pz_space *space, double *v, int w,
                         uint64_t k, struct pz_error *err)
{
	cJSON *params = cJSON_CreateObject(), *p;
	struct pz_rng rng;

	pz_rng_init(&rng, 0x7468726f75676870ull + (uint64_t)getpid(),
	            ((uint64_t)w << 40) | k);
	pz_sample_prior(space, &rng, v);
	p = pz_params_to_json(space, v);
	if (params == NULL || p == NULL ||
	    cJSON_AddStringToObject(params, "study", study) == NULL ||
	    !cJSON_AddItemToObject(params, "params", p)) {
		cJSON_Delete(params);
		cJSON_Delete(p);
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	}
	return pz_client_call(c, "trial.enqueue", params, NULL, err);
}

/*
 * One worker: connect, report ready on `ready_fd`, wait until `go_fd`
 * reaches end of file, loop, then write a report to `out_fd`. Returns the
 * process exit status.
 */
static int worker(const struct options *o, int w, long share,
                  const struct pz_space *space,
                  const volatile struct control *ctl, int ready_fd,
                  int go_fd, int out_fd)
{
	struct samples ask = {0}, tell = {0}, pair = {0};
	struct pz_trial_ticket t;
	struct report rep = {0};
	struct pz_client *c;
	struct pz_error err;
	char name[64], byte = '1', sink;
	double t_end, *v = NULL;
	int rc;

	snprintf(name, sizeof(name), "throughput-%d", w);
	if (pz_client_connect(o->socket, &c, &err) != 0) {
		fprintf(stderr, "throughput: worker %d: %s\n", w, err.msg);
		byte = '0';
	}
	if (space != NULL)
		v = malloc((size_t)space->n_params * sizeof(double) + 1);
	if (write_full(ready_fd, &byte, 1) != 0 || byte == '0')
		return 1;
	while (read(go_fd, &sink, 1) < 0 && errno == EINTR)
		;
	t_end = ctl->t_end;
	pz_client_ticket_init(&t);
	while (o->trials > 0 ? rep.trials < share : now_s() < t_end) {
		double t0, t1, t2;

		if (o->fill_prior &&
		    enqueue_prior(c, o->study, space, v, w,
		                  (uint64_t)rep.trials, &err) != 0)
			goto fail;
		t0 = now_s();
		rc = pz_client_ask(c, o->study, name, &t, &err);
		t1 = now_s();
		if (rc != 0)
			goto fail;
		if (t.none)
			break;
		rc = pz_client_tell(c, t.id, t.attempt, true,
		                    objective(t.params), NULL, &err);
		t2 = now_s();
		pz_client_ticket_finish(&t);
		if (rc != 0)
			goto fail;
		if (push(&ask, (t1 - t0) * 1e3) != 0 ||
		    push(&tell, (t2 - t1) * 1e3) != 0 ||
		    push(&pair, (t2 - t0) * 1e3) != 0) {
			fprintf(stderr, "throughput: out of memory\n");
			break;
		}
		rep.trials++;
		rep.t_last = t2;
		continue;
fail:
		fprintf(stderr, "throughput: worker %d: %s\n", w, err.msg);
		rep.errors++;
		break;
	}
	pz_client_ticket_finish(&t);
	pz_client_destroy(c);
	rep.n = (int64_t)pair.n;
	rc = write_full(out_fd, &rep, sizeof(rep)) != 0 ||
	     write_full(out_fd, ask.v, pair.n * sizeof(double)) != 0 ||
	     write_full(out_fd, tell.v, pair.n * sizeof(double)) != 0 ||
	     write_full(out_fd, pair.v, pair.n * sizeof(double)) != 0;
	free(ask.v);
	free(tell.v);
	free(pair.v);
	free(v);
	return rc;
}

static const char *str_or(const cJSON *item, const char *fallback)
{
	const char *s = cJSON_GetStringValue(item);

	return s != NULL ? s : fallback;
}

static double num(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItem(obj, key);

	return cJSON_IsNumber(item) ? item->valuedouble : 0;
}

/*
 * Create the study (with --create), then read back its algorithm, space
 * and history size, and the daemon's durability. *space is set only with
 * --fill-prior.
 */
static int prepare(const struct options *o, char *algo, size_t algo_len,
                   char *durability, size_t dur_len, long *history,
                   struct pz_space **space)
{
	struct pz_client *c;
	struct pz_error err;
	cJSON *study = NULL, *info = NULL, *params, *counts;
	const cJSON *j;
	char *text = NULL;
	int rc = 1;

	if (pz_client_connect(o->socket, &c, &err) != 0) {
		fprintf(stderr, "throughput: %s\n", err.msg);
		return 1;
	}
	if (o->create) {
		text = read_file(o->space_file);
		if (text == NULL) {
			fprintf(stderr, "throughput: cannot read %s\n",
			        o->space_file);
			goto out;
		}
		if (pz_client_create_study(c, o->study, text, o->algo, o->seed,
		                           o->max_trials, o->config, 0, false,
		                           NULL, &err) != 0) {
			fprintf(stderr, "throughput: study.create: %s\n",
			        err.msg);
			goto out;
		}
	}
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "study", o->study);
	if (pz_client_call(c, "study.get", params, &study, &err) != 0 ||
	    pz_client_call(c, "server.info", NULL, &info, &err) != 0) {
		fprintf(stderr, "throughput: %s\n", err.msg);
		goto out;
	}
	j = cJSON_GetObjectItem(study, "study");
	snprintf(algo, algo_len, "%s",
	         str_or(cJSON_GetObjectItem(j, "algo"), "?"));
	snprintf(durability, dur_len, "%s",
	         str_or(cJSON_GetObjectItem(info, "durability"), "?"));
	counts = cJSON_GetObjectItem(j, "counts");
	*history = (long)(num(counts, "ok") + num(counts, "fail"));
	if (o->fill_prior &&
	    pz_space_create(cJSON_GetObjectItem(j, "space"), "space", space,
	                    &err) != 0) {
		fprintf(stderr, "throughput: study space: %s\n", err.msg);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(study);
	cJSON_Delete(info);
	free(text);
	pz_client_destroy(c);
	return rc;
}

static double round_to(double x, double unit)
{
	return isfinite(x) ? round(x / unit) * unit : -1;
}

/* Append n doubles from `fd` to each of the three sample sets. */
static int take(int fd, struct samples all[3], size_t n)
{
	for (int k = 0; k < 3; k++) {
		double *v = realloc(all[k].v,
		                    (all[k].n + n + 1) * sizeof(double));

		if (v == NULL)
			return -1;
		all[k].v = v;
		if (read_full(fd, v + all[k].n, n * sizeof(double)) != 0)
			return -1;
		all[k].n += n;
	}
	return 0;
}

/* Add the p-percentile of sorted `s`, in ms rounded to 1 us. */
static void add_ms(cJSON *line, const char *key, const struct samples *s,
                   double p)
{
	cJSON_AddNumberToObject(line, key,
	                        round_to(percentile(s->v, s->n, p), 1e-3));
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: throughput --socket PATH --study NAME [--workers N]\n"
	        "                  (--seconds T | --trials M) [--fill-prior]\n"
	        "                  [--create --space FILE [--algo random|tpe]\n"
	        "                   [--config JSON] [--seed S] "
	        "[--max-trials M]]\n");
}

static int parse(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{"socket", required_argument, NULL, 's'},
		{"study", required_argument, NULL, 'S'},
		{"workers", required_argument, NULL, 'w'},
		{"seconds", required_argument, NULL, 't'},
		{"trials", required_argument, NULL, 'n'},
		{"fill-prior", no_argument, NULL, 'f'},
		{"create", no_argument, NULL, 'c'},
		{"space", required_argument, NULL, 'p'},
		{"algo", required_argument, NULL, 'a'},
		{"config", required_argument, NULL, 'C'},
		{"seed", required_argument, NULL, 'e'},
		{"max-trials", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	*o = (struct options){.workers = 1, .seed = -1};
	while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (ch) {
		case 's': o->socket = optarg; break;
		case 'S': o->study = optarg; break;
		case 'w': o->workers = atoi(optarg); break;
		case 't': o->seconds = atof(optarg); break;
		case 'n': o->trials = atol(optarg); break;
		case 'f': o->fill_prior = 1; break;
		case 'c': o->create = 1; break;
		case 'p': o->space_file = optarg; break;
		case 'a': o->algo = optarg; break;
		case 'C': o->config = optarg; break;
		case 'e': o->seed = atoll(optarg); break;
		case 'm': o->max_trials = atoll(optarg); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc || o->study == NULL || o->workers < 1 ||
	    o->workers > MAX_WORKERS || (o->seconds > 0) == (o->trials > 0) ||
	    (o->create && o->space_file == NULL)) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct control *ctl;
	struct pz_space *space = NULL;
	struct samples all[3] = {{0}};
	int ready[2], go[2], out[MAX_WORKERS][2], errors = 0, failed = 0;
	pid_t pids[MAX_WORKERS];
	char algo[32], durability[32];
	long history = 0, trials = 0;
	double t_last = 0, elapsed;
	cJSON *line;
	char *text;

	if (parse(argc, argv, &o) != 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (prepare(&o, algo, sizeof(algo), durability, sizeof(durability),
	            &history, &space) != 0)
		return 1;
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
	           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED || pipe(ready) != 0 || pipe(go) != 0) {
		perror("throughput");
		return 1;
	}
	for (int w = 0; w < o.workers; w++) {
		long share = o.trials / o.workers + (w < o.trials % o.workers);

		if (pipe(out[w]) != 0 || (pids[w] = fork()) < 0) {
			perror("throughput");
			return 1;
		}
		if (pids[w] == 0) {
			close(ready[0]);
			close(go[1]);
			close(out[w][0]);
			for (int i = 0; i < w; i++)
				close(out[i][0]);
			_exit(worker(&o, w, share, space, ctl, ready[1],
			             go[0], out[w][1]));
		}
		close(out[w][1]);
	}
	close(ready[1]);
	close(go[0]);

	/* Barrier: every worker connected (or gave up), then go. */
	for (int w = 0; w < o.workers; w++) {
		struct pollfd pfd = {.fd = ready[0], .events = POLLIN};
		char byte = '0';

		if (poll(&pfd, 1, 60000) != 1 ||
		    read(ready[0], &byte, 1) != 1 || byte != '1')
			failed = 1;
		if (failed)
			break;
	}
	ctl->t_start = now_s();
	ctl->t_end = ctl->t_start + o.seconds;
	close(go[1]);

	for (int w = 0; w < o.workers; w++) {
		struct report rep;
		int status;

		if (read_full(out[w][0], &rep, sizeof(rep)) != 0 ||
		    take(out[w][0], all, (size_t)rep.n) != 0) {
			failed = 1;
		} else {
			trials += (long)rep.trials;
			errors += (int)rep.errors;
			if (rep.t_last > t_last)
				t_last = rep.t_last;
		}
		close(out[w][0]);
		if (waitpid(pids[w], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed = 1;
	}
	pz_space_destroy(space);
	if (all[0].n == 0) {
		fprintf(stderr, "throughput: no trial completed\n");
		return 1;
	}
	for (int k = 0; k < 3; k++)
		qsort(all[k].v, all[k].n, sizeof(double), cmp_double);
	elapsed = t_last - ctl->t_start;

	line = cJSON_CreateObject();
	cJSON_AddStringToObject(line, "bench", "throughput");
	cJSON_AddStringToObject(line, "study", o.study);
	cJSON_AddStringToObject(line, "algo", algo);
	cJSON_AddStringToObject(line, "durability", durability);
	cJSON_AddStringToObject(line, "mode",
	                        o.fill_prior ? "fill-prior" : "ask-tell");
	cJSON_AddNumberToObject(line, "workers", o.workers);
	cJSON_AddNumberToObject(line, "history_before", (double)history);
	cJSON_AddNumberToObject(line, "trials", (double)trials);
	cJSON_AddNumberToObject(line, "seconds", round_to(elapsed, 1e-3));
	cJSON_AddNumberToObject(line, "trials_per_s",
	                        round_to(trials / elapsed, 0.1));
	add_ms(line, "ask_p50_ms", &all[0], 0.5);
	add_ms(line, "ask_p99_ms", &all[0], 0.99);
	add_ms(line, "tell_p50_ms", &all[1], 0.5);
	add_ms(line, "tell_p99_ms", &all[1], 0.99);
	add_ms(line, "ask_tell_p50_ms", &all[2], 0.5);
	cJSON_AddNumberToObject(line, "errors", errors);
	text = cJSON_PrintUnformatted(line);
	if (text != NULL)
		printf("%s\n", text);
	fflush(stdout);
	free(text);
	cJSON_Delete(line);
	for (int k = 0; k < 3; k++)
		free(all[k].v);
	munmap(ctl, sizeof(*ctl));
	return failed || errors ? 1 : 0;
}
