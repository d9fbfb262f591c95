/*
 * spiral_worker: a real parzend worker in C.
 *
 * Each trial trains a one-hidden-layer neural network with mini-batch SGD
 * on the two-spirals problem (a classic that a linear model cannot solve)
 * with the hyperparameters the daemon handed out (learning rate, width,
 * L2, epochs, batch size, activation with a nested leak, init scale), and
 * reports the validation cross-entropy as the loss and the accuracy as a
 * result. Training is deterministic given the params.
 *
 * The worker survives daemon restarts: on a lost connection it reconnects
 * with exponential backoff and repeats the call it was making. It names
 * itself to the daemon, so a repeated ask returns the trial it already
 * holds, and a repeated tell that the daemon had already recorded before
 * it died is answered "already finished", which the worker accepts.
 *
 * usage: spiral_worker run STUDY SPACE.json MAX_TRIALS [SEED]
 *        spiral_worker status STUDY      (prints "done total max")
 *        spiral_worker best STUDY        (prints the best trial)
 * The socket is $PARZEN_SOCKET or parzend's default.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <parzen/client.h>
#include <parzen/rng.h>

#define N_TRAIN 600
#define N_VALID 600
#define MAX_HIDDEN 64

struct sample {
	double x[2];
	double y;
};

struct hparams {
	double lr, l2, init_scale, leak;
	int hidden, epochs, batch, relu;
};

/* Two interleaved spirals with a little noise, from a fixed stream. */
static void make_spirals(struct sample *s, int n, uint64_t stream)
{
	struct pz_rng r;

	pz_rng_init(&r, 2024, stream);
	for (int i = 0; i < n; i++) {
		double t = 0.25 + 3.0 * M_PI * pz_rng_uniform(&r);
		int cls = i % 2;
		double sign = cls ? -1.0 : 1.0;

		s[i].x[0] = sign * t * cos(t) / 10.0 + 0.06 * pz_rng_normal(&r);
		s[i].x[1] = sign * t * sin(t) / 10.0 + 0.06 * pz_rng_normal(&r);
		s[i].y = cls;
	}
}

struct net {
	int h;
	double w1[MAX_HIDDEN][2], b1[MAX_HIDDEN], w2[MAX_HIDDEN], b2;
};

static double act(const struct hparams *hp, double z)
{
	return hp->relu ? (z > 0 ? z : hp->leak * z) : tanh(z);
}

static double dact(const struct hparams *hp, double z, double a)
{
	return hp->relu ? (z > 0 ? 1.0 : hp->leak) : 1.0 - a * a;
}

static double forward(const struct net *n, const struct hparams *hp,
                      const double *x, double *z, double *a)
{
	double out = n->b2;

	for (int j = 0; j < n->h; j++) {
		z[j] = n->w1[j][0] * x[0] + n->w1[j][1] * x[1] + n->b1[j];
		a[j] = act(hp, z[j]);
		out += n->w2[j] * a[j];
	}
	return 1.0 / (1.0 + exp(-out));
}

/* Train; return validation cross-entropy and accuracy. */
static double train(const struct hparams *hp, const struct sample *tr,
                    const struct sample *va, double *accuracy)
{
	struct net n = {.h = hp->hidden};
	struct pz_rng r;
	double z[MAX_HIDDEN], a[MAX_HIDDEN], loss = 0;
	int order[N_TRAIN], correct = 0;

	pz_rng_init(&r, 7, 0);
	for (int j = 0; j < n.h; j++) {
		n.w1[j][0] = hp->init_scale * pz_rng_normal(&r);
		n.w1[j][1] = hp->init_scale * pz_rng_normal(&r);
		n.b1[j] = 0.1 * pz_rng_normal(&r);
		n.w2[j] = hp->init_scale * pz_rng_normal(&r) / sqrt(n.h);
	}
	for (int i = 0; i < N_TRAIN; i++)
		order[i] = i;
	for (int e = 0; e < hp->epochs; e++) {
		for (int i = N_TRAIN - 1; i > 0; i--) {
			int k = (int)pz_rng_below(&r, (uint64_t)i + 1), t = order[i];

			order[i] = order[k];
			order[k] = t;
		}
		for (int start = 0; start < N_TRAIN; start += hp->batch) {
			double gw1[MAX_HIDDEN][2] = {{0}}, gb1[MAX_HIDDEN] = {0};
			double gw2[MAX_HIDDEN] = {0}, gb2 = 0;
			int end = start + hp->batch < N_TRAIN ? start + hp->batch
			                                      : N_TRAIN;

			for (int b = start; b < end; b++) {
				const struct sample *s = &tr[order[b]];
				double p = forward(&n, hp, s->x, z, a), d = p - s->y;

				gb2 += d;
				for (int j = 0; j < n.h; j++) {
					double dh = d * n.w2[j] * dact(hp, z[j], a[j]);

					gw2[j] += d * a[j];
					gw1[j][0] += dh * s->x[0];
					gw1[j][1] += dh * s->x[1];
					gb1[j] += dh;
				}
			}
			double scale = hp->lr / (end - start);

			n.b2 -= scale * gb2;
			for (int j = 0; j < n.h; j++) {
				n.w2[j] -= scale * gw2[j] + hp->lr * hp->l2 * n.w2[j];
				n.w1[j][0] -= scale * gw1[j][0] + hp->lr * hp->l2 * n.w1[j][0];
				n.w1[j][1] -= scale * gw1[j][1] + hp->lr * hp->l2 * n.w1[j][1];
				n.b1[j] -= scale * gb1[j];
			}
		}
	}
	for (int i = 0; i < N_VALID; i++) {
		double p = forward(&n, hp, va[i].x, z, a);

		p = fmin(fmax(p, 1e-7), 1 - 1e-7);
		loss -= va[i].y ? log(p) : log(1 - p);
		correct += (p > 0.5) == (va[i].y > 0.5);
	}
	*accuracy = (double)correct / N_VALID;
	loss /= N_VALID;
	return isfinite(loss) ? loss : 10.0;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int read_point(const cJSON *pt, struct hparams *hp)
{
	const cJSON *actv = cJSON_GetObjectItemCaseSensitive(pt, "activation");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(actv, "name");

	hp->lr = num(pt, "lr");
	hp->l2 = num(pt, "l2");
	hp->init_scale = num(pt, "init_scale");
	hp->hidden = (int)num(pt, "hidden");
	hp->epochs = (int)num(pt, "epochs");
	hp->batch = (int)num(pt, "batch");
	hp->relu = cJSON_IsString(name) && strcmp(name->valuestring, "relu") == 0;
	hp->leak = hp->relu ? num(actv, "leak") : 0;
	if (!(hp->lr > 0) || hp->hidden < 1 || hp->hidden > MAX_HIDDEN ||
	    hp->epochs < 1 || hp->batch < 1)
		return -1;
	return 0;
}

/* Connect, retrying with backoff while the daemon is away. */
static struct pz_client *connect_retry(void)
{
	struct pz_client *c = NULL;
	struct pz_error err;
	useconds_t delay = 50000;

	for (int i = 0; i < 200; i++) {
		if (pz_client_connect(NULL, &c, &err) == 0)
			return c;
		usleep(delay);
		delay = delay < 1000000 ? delay * 2 : 1000000;
	}
	fprintf(stderr, "spiral_worker: %s\n", err.msg);
	return NULL;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

static int run(const char *study, const char *space_path, long max_trials,
               long seed)
{
	static struct sample tr[N_TRAIN], va[N_VALID];
	struct pz_trial_ticket t;
	struct pz_client *c;
	struct pz_error err;
	char worker[64], result[128], *space = read_file(space_path);
	int rc, done = 0;

	if (space == NULL) {
		fprintf(stderr, "spiral_worker: cannot read %s\n", space_path);
		return 1;
	}
	make_spirals(tr, N_TRAIN, 1);
	make_spirals(va, N_VALID, 2);
	snprintf(worker, sizeof(worker), "spiral-%d", (int)getpid());
	pz_client_ticket_init(&t);
	if ((c = connect_retry()) == NULL)
		return 1;
	/* Every worker creates the study; the same definition is reused. */
	while ((rc = pz_client_create_study(c, study, space, "tpe", seed,
	                                    max_trials, NULL, 0, true, NULL,
	                                    &err)) == PZ_EIO) {
		pz_client_destroy(c);
		if ((c = connect_retry()) == NULL)
			return 1;
	}
	free(space);
	if (rc != 0) {
		fprintf(stderr, "spiral_worker: %s\n", err.msg);
		pz_client_destroy(c);
		return 1;
	}
	for (;;) {
		struct hparams hp;
		double acc = 0, loss;

		pz_client_ticket_finish(&t);
		rc = pz_client_ask(c, study, worker, &t, &err);
		if (rc == PZ_EIO) {
			pz_client_destroy(c);
			if ((c = connect_retry()) == NULL)
				return 1;
			continue;
		}
		if (rc != 0) {
			fprintf(stderr, "spiral_worker: ask: %s\n", err.msg);
			break;
		}
		if (t.none)
			break;
		if (read_point(t.point, &hp) != 0) {
			rc = pz_client_tell(c, t.id, t.attempt, false, 0,
			                    "{\"error\":\"bad point\"}", &err);
			continue;
		}
		loss = train(&hp, tr, va, &acc);
		snprintf(result, sizeof(result), "{\"accuracy\":%.4f}", acc);
		/* Repeat the tell across daemon restarts until it is answered. */
		while ((rc = pz_client_tell(c, t.id, t.attempt, true, loss, result,
		                            &err)) == PZ_EIO) {
			pz_client_destroy(c);
			if ((c = connect_retry()) == NULL)
				return 1;
		}
		if (rc != 0 && rc != PZ_ESTATE)
			fprintf(stderr, "spiral_worker: tell: %s\n", err.msg);
		done++;
	}
	pz_client_ticket_finish(&t);
	pz_client_destroy(c);
	printf("%s: ran %d trials\n", worker, done);
	return 0;
}

static int query(const char *method, const char *study, cJSON **result)
{
	struct pz_client *c;
	struct pz_error err;
	cJSON *params = cJSON_CreateObject();

	cJSON_AddStringToObject(params, "study", study);
	if (pz_client_connect(NULL, &c, &err) != 0 ||
	    pz_client_call(c, method, params, result, &err) != 0) {
		fprintf(stderr, "spiral_worker: %s\n", err.msg);
		return 1;
	}
	pz_client_destroy(c);
	return 0;
}

int main(int argc, char **argv)
{
	cJSON *res = NULL;
	int rc;

	if (argc >= 5 && strcmp(argv[1], "run") == 0)
		return run(argv[2], argv[3], atol(argv[4]),
		           argc > 5 ? atol(argv[5]) : -1);
	if (argc == 3 && strcmp(argv[1], "status") == 0) {
		if ((rc = query("study.get", argv[2], &res)) == 0) {
			const cJSON *s = cJSON_GetObjectItem(res, "study");
			const cJSON *n = cJSON_GetObjectItem(s, "counts");

			printf("%.0f %.0f %.0f\n",
			       num(n, "ok") + num(n, "fail"), num(n, "total"),
			       num(s, "max_trials"));
		}
		cJSON_Delete(res);
		return rc;
	}
	if (argc == 3 && strcmp(argv[1], "best") == 0) {
		if ((rc = query("study.best", argv[2], &res)) == 0) {
			char *text = cJSON_Print(cJSON_GetObjectItem(res, "trial"));

			printf("%s\n", text != NULL ? text : "null");
			free(text);
		}
		cJSON_Delete(res);
		return rc;
	}
	fprintf(stderr, "usage: spiral_worker run STUDY SPACE.json MAX_TRIALS "
	                "[SEED]\n       spiral_worker status STUDY\n"
	                "       spiral_worker best STUDY\n");
	return 2;
}
