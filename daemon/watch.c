/*
 * Watchers and the changes waiting for their batch; see watch.h.
 */
#include "watch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <parzen/json.h>

#include "codec.h"

struct sub {
	void *watcher;
	char *study;          /* NULL: every study */
	uint64_t seq;         /* told to its watcher; the same in all its subs */
};

/* A change, as it was when it happened. */
struct change {
	uint64_t batch;
	char *study;
	enum pz_event_kind kind;
	int has_trial;
	int64_t id, number, step;   /* step: trial.reported's, else -1 */
	int32_t attempt;
	unsigned char state;
	double loss, value;         /* value: trial.reported's */
	char *worker;
};

struct pz_watch {
	pz_watch_send_fn send;
	struct sub *subs;
	size_t n_subs, cap_subs;
	struct change *changes;   /* by batch, oldest first */
	size_t n_changes, cap_changes;
};

static const char *const kind_names[] = {
	[PZ_EV_TRIAL_CREATED] = "trial.created",
	[PZ_EV_TRIAL_STARTED] = "trial.started",
	[PZ_EV_TRIAL_REPORTED] = "trial.reported",
	[PZ_EV_TRIAL_ENDED] = "trial.ended",
	[PZ_EV_TRIAL_REQUEUED] = "trial.requeued",
	[PZ_EV_STUDY_CHANGED] = "study.changed",
	[PZ_EV_STUDY_DELETED] = "study.deleted",
};

int pz_watch_create(pz_watch_send_fn send, struct pz_watch **out)
{
	struct pz_watch *w = calloc(1, sizeof(*w));

	*out = w;
	if (w == NULL)
		return PZ_ENOMEM;
	w->send = send;
	return 0;
}

static void change_free(struct change *c)
{
	free(c->study);
	free(c->worker);
}

void pz_watch_destroy(struct pz_watch *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n_subs; i++)
		free(w->subs[i].study);
	for (size_t i = 0; i < w->n_changes; i++)
		change_free(&w->changes[i]);
	free(w->subs);
	free(w->changes);
	free(w);
}

static int same_study(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* The notifications told to `watcher` so far (0: none, or not one). */
static uint64_t seq_of(const struct pz_watch *w, const void *watcher)
{
	for (size_t i = 0; i < w->n_subs; i++)
		if (w->subs[i].watcher == watcher)
			return w->subs[i].seq;
	return 0;
}

static void set_seq(struct pz_watch *w, const void *watcher, uint64_t seq)
{
	for (size_t i = 0; i < w->n_subs; i++)
		if (w->subs[i].watcher == watcher)
			w->subs[i].seq = seq;
}

int pz_watch_add(struct pz_watch *w, void *watcher, const char *study)
{
	uint64_t seq = seq_of(w, watcher);
	size_t mine = 0;
	struct sub *s;

	for (size_t i = 0; i < w->n_subs; i++) {
		if (w->subs[i].watcher != watcher)
			continue;
		if (same_study(w->subs[i].study, study))
			return 0;
		mine++;
	}
	if (mine >= PZ_WATCH_MAX)
		return PZ_EBUSY;
	if (w->n_subs == w->cap_subs) {
		size_t cap = w->cap_subs ? 2 * w->cap_subs : 8;

		s = realloc(w->subs, cap * sizeof(*s));
		if (s == NULL)
			return PZ_ENOMEM;
		w->subs = s;
		w->cap_subs = cap;
	}
	s = &w->subs[w->n_subs];
	s->watcher = watcher;
	s->seq = seq;
	s->study = study != NULL ? strdup(study) : NULL;
	if (study != NULL && s->study == NULL)
		return PZ_ENOMEM;
	w->n_subs++;
	return 0;
}

int pz_watch_remove(struct pz_watch *w, void *watcher, const char *study)
{
	int found = 0;

	for (size_t i = 0; i < w->n_subs;) {
		struct sub *s = &w->subs[i];

		if (s->watcher == watcher &&
		    (study == NULL || same_study(s->study, study))) {
			free(s->study);
			*s = w->subs[--w->n_subs];
			found = 1;
		} else {
			i++;
		}
	}
	return found || study == NULL ? 0 : PZ_ENOENT;
}

uint64_t pz_watch_seq(const struct pz_watch *w, const void *watcher)
{
	return seq_of(w, watcher);
}

static int wanted(const struct pz_watch *w, const char *study)
{
	for (size_t i = 0; i < w->n_subs; i++)
		if (w->subs[i].study == NULL ||
		    strcmp(w->subs[i].study, study) == 0)
			return 1;
	return 0;
}

void pz_watch_event(struct pz_watch *w, uint64_t batch,
                    const struct pz_core *core, const struct pz_study *s,
                    enum pz_event_kind kind, int64_t number)
{
	struct change c;

	if (!wanted(w, s->name))
		return;
	if (w->n_changes == w->cap_changes) {
		size_t cap = w->cap_changes ? 2 * w->cap_changes : 64;
		struct change *p = realloc(w->changes, cap * sizeof(*p));

		if (p == NULL)
			return; /* a watcher notices the gap in seq */
		w->changes = p;
		w->cap_changes = cap;
	}
	memset(&c, 0, sizeof(c));
	c.batch = batch;
	c.kind = kind;
	c.study = strdup(s->name);
	c.step = -1;
	if (kind == PZ_EV_TRIAL_REPORTED) {
		c.step = core->event_step;
		c.value = core->event_value;
	}
	if (number >= 0 && (size_t)number < s->n_trials) {
		const struct pz_trial *t = &s->trials[number];

		c.has_trial = 1;
		c.id = t->id;
		c.number = number;
		c.state = t->state;
		c.loss = t->loss;
		c.attempt = t->attempt;
		c.worker = t->worker != NULL ? strdup(t->worker) : NULL;
	}
	if (c.study == NULL) {
		change_free(&c);
		return;
	}
	w->changes[w->n_changes++] = c;
}

/* What comes before a notification's seq, which is the first of its
 * params (each watcher's own, spliced in by tell()). */
static const char seq_at[] = "\"params\":{\"seq\":";

/* The notification of `c` with seq 0; *at is where the 0 is. */
static char *notification(const struct change *c, size_t *len, size_t *at)
{
	cJSON *n = cJSON_CreateObject(), *p, *t;
	const char *z;
	char *line;

	if (n == NULL)
		return NULL;
	cJSON_AddStringToObject(n, "jsonrpc", "2.0");
	cJSON_AddStringToObject(n, "method", "study.event");
	p = cJSON_AddObjectToObject(n, "params");
	if (p != NULL) {
		cJSON_AddNumberToObject(p, "seq", 0);
		cJSON_AddStringToObject(p, "study", c->study);
		cJSON_AddStringToObject(p, "event", kind_names[c->kind]);
		if (c->has_trial && (t = cJSON_AddObjectToObject(p, "trial"))) {
			cJSON_AddNumberToObject(t, "id", (double)c->id);
			cJSON_AddNumberToObject(t, "number", (double)c->number);
			cJSON_AddStringToObject(t, "state",
			                        pz_tstate_name(c->state));
			cJSON_AddItemToObject(t, "loss", pz_codec_number(c->loss));
			if (c->worker != NULL)
				cJSON_AddStringToObject(t, "worker", c->worker);
			else
				cJSON_AddNullToObject(t, "worker");
			cJSON_AddNumberToObject(t, "attempt", c->attempt);
			if (c->step >= 0) {
				cJSON_AddNumberToObject(t, "step", (double)c->step);
				cJSON_AddNumberToObject(t, "value", c->value);
			} else {
				cJSON_AddNullToObject(t, "step");
			}
		}
	}
	line = pz_json_print_line(n, len);
	cJSON_Delete(n);
	z = line != NULL ? strstr(line, seq_at) : NULL;
	if (z == NULL || z[sizeof(seq_at) - 1] != '0') {
		free(line);
		return NULL;
	}
	*at = (size_t)(z - line) + sizeof(seq_at) - 1;
	return line;
}

static void tell(struct pz_watch *w, const struct change *c)
{
	char *line = NULL;
	size_t len = 0, at = 0;

	for (size_t i = 0; i < w->n_subs; i++) {
		const struct sub *s = &w->subs[i];
		void *watcher = s->watcher;
		char num[24], *copy;
		uint64_t seq;
		int dup = 0, k;

		if (s->study != NULL && strcmp(s->study, c->study) != 0)
			continue;
		/* One line per watcher, even when it watches twice. */
		for (size_t k = 0; k < i && !dup; k++)
			dup = w->subs[k].watcher == s->watcher &&
			      (w->subs[k].study == NULL ||
			       strcmp(w->subs[k].study, c->study) == 0);
		if (dup)
			continue;
		/* Counted per watcher, so that a gap means a notification it
		 * lost (memory), never one told to another connection; counted
		 * before sending, which may take the watcher's next request. */
		seq = seq_of(w, watcher) + 1;
		set_seq(w, watcher, seq);
		if (line == NULL && (line = notification(c, &len, &at)) == NULL)
			continue;
		k = snprintf(num, sizeof(num), "%llu", (unsigned long long)seq);
		copy = malloc(len + (size_t)k);
		if (copy == NULL)
			continue;
		memcpy(copy, line, at);
		memcpy(copy + at, num, (size_t)k);
		memcpy(copy + at + k, line + at + 1, len - at); /* with '\0' */
		w->send(watcher, copy, len - 1 + (size_t)k);
	}
	free(line);
}

/* Drop the first `n` changes. */
static void shift(struct pz_watch *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		change_free(&w->changes[i]);
	memmove(w->changes, w->changes + n,
	        (w->n_changes - n) * sizeof(*w->changes));
	w->n_changes -= n;
}

void pz_watch_durable(struct pz_watch *w, uint64_t batch)
{
	size_t n = 0;

	while (n < w->n_changes && w->changes[n].batch <= batch) {
		/*
		 * A copy: sending lets a watcher's connection take its next
		 * line at once, and a change that request makes may move
		 * the array (its strings stay until shift()).
		 */
		struct change c = w->changes[n];

		tell(w, &c);
		n++;
	}
	if (n > 0)
		shift(w, n);
}

void pz_watch_failed(struct pz_watch *w, uint64_t batch)
{
	size_t keep = 0;

	for (size_t i = 0; i < w->n_changes; i++) {
		if (w->changes[i].batch == batch)
			change_free(&w->changes[i]);
		else
			w->changes[keep++] = w->changes[i];
	}
	w->n_changes = keep;
}
