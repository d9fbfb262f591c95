/*
 * The dashboard's side of parzend (dashboard.h): one thread, one
 * connection, following every study (or the one of --study) and keeping
 * its trials in a report store that the pages draw from.
 *
 * The loop: connect (retrying every second while parzend is away), load
 * the studies and their trials, then repeatedly wait for changes and
 * fetch what changed. Waiting is changes_wait(): with study.watch (the
 * daemon pushes a notification per trial event) it reads notifications;
 * on a daemon without it, it polls study.get/study.list and compares the
 * counts. Either way it only marks trials (by number) and studies as
 * dirty; sync() then fetches the dirty trials with trial.list in runs of
 * neighbouring numbers (a search's changes are mostly its latest trials)
 * and puts them in the store, so one path applies every change.
 *
 * The store, the study objects and the caches are guarded by h->lock;
 * the parzend calls happen without it. Snapshots (immutable copies for
 * drawing) are made on demand when a page asks, at most once per change,
 * and shared by reference; figures are drawn outside the lock and kept
 * per snapshot, and a second request for a figure being drawn waits for
 * it instead of drawing it again.
 */
#include "dashboard.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* trial.list page size (the protocol's maximum). */
#define PAGE 10000
/* Dirty numbers this close together are fetched in one trial.list. */
#define RUN_GAP 32
/* Notifications kept unread before the oldest are dropped (then the
 * studies are loaded again). */
#define NOTES_MAX 200000
/* A snapshot with running trials is made again after this long, so that
 * their bars reach "now". */
#define SNAP_AGE 10.0

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void set_status(struct dash_hub *h, const char *fmt, const char *msg)
{
	char text[sizeof(h->status)];

	snprintf(text, sizeof(text), fmt, msg);
	pthread_mutex_lock(&h->lock);
	if (strcmp(text, h->status) != 0) {
		snprintf(h->status, sizeof(h->status), "%s", text);
		h->status_seq++;
		pthread_cond_broadcast(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
}

/* Wait up to `s` seconds, until stop or a poke; true when stopping. */
static bool nap(struct dash_hub *h, double s)
{
	struct timespec ts;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)s;
	ts.tv_nsec += (long)((s - floor(s)) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&h->lock);
	while (!h->stop && !h->poked &&
	       pthread_cond_timedwait(&h->cond, &h->lock, &ts) != ETIMEDOUT)
		;
	h->poked = false;
	stop = h->stop;
	pthread_mutex_unlock(&h->lock);
	return stop;
}

void dash_hub_poke(struct dash_hub *h, const char *name)
{
	struct dash_study *s;

	pthread_mutex_lock(&h->lock);
	s = dash_hub_find(h, name);
	if (s != NULL)
		s->study_dirty = true;
	h->poked = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

/* --- studies ------------------------------------------------------------ */

struct dash_study *dash_hub_find(struct dash_hub *h, const char *name)
{
	for (size_t i = 0; i < h->n_studies; i++)
		if (strcmp(h->studies[i]->name, name) == 0)
			return h->studies[i];
	return NULL;
}

static void snap_unref(struct dash_snap *s)
{
	if (s != NULL && --s->refs == 0) {
		pz_report_data_destroy(s->d);
		free(s);
	}
}

static void study_free(struct dash_study *s)
{
	if (s == NULL)
		return;
	free(s->name);
	pz_report_store_destroy(s->store);
	cJSON_Delete(s->study);
	snap_unref(s->snap);
	for (int i = 0; i < DASH_FIGURES; i++)
		free(s->figures[i].svg);
	free(s->dirty);
	free(s);
}

/* The study named `name`, added when new (lock held); NULL: no memory. */
static struct dash_study *study_get(struct dash_hub *h, const char *name)
{
	struct dash_study *s = dash_hub_find(h, name), **grown;

	if (s != NULL)
		return s;
	if (h->n_studies == h->cap_studies) {
		size_t cap = h->cap_studies ? 2 * h->cap_studies : 8;

		grown = realloc(h->studies, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		h->studies = grown;
		h->cap_studies = cap;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->name = strdup(name)) == NULL) {
		free(s);
		return NULL;
	}
	s->reload = true;
	h->studies[h->n_studies++] = s;
	return s;
}

/* Note a change of `s` (lock held). */
static void changed(struct dash_hub *h, struct dash_study *s)
{
	s->version++;
	s->changed_seq = ++h->seq;
	pthread_cond_broadcast(&h->cond);
}

static void remove_study(struct dash_hub *h, size_t i)
{
	struct dash_study *s = h->studies[i];

	memmove(&h->studies[i], &h->studies[i + 1],
	        (h->n_studies - i - 1) * sizeof(*h->studies));
	h->n_studies--;
	h->seq++;
	pthread_cond_broadcast(&h->cond);
	study_free(s);
}

static void mark(struct dash_study *s, int64_t number)
{
	if (s->n_dirty == s->cap_dirty) {
		size_t cap = s->cap_dirty ? 2 * s->cap_dirty : 64;
		int64_t *d = realloc(s->dirty, cap * sizeof(*d));

		if (d == NULL) {
			/* Out of memory: load the whole study again. */
			s->reload = true;
			return;
		}
		s->dirty = d;
		s->cap_dirty = cap;
	}
	s->dirty[s->n_dirty++] = number;
}

/* --- fetching ----------------------------------------------------------- */

/*
 * One trial.list call from `offset` (at most `limit` trials), asking for
 * the reported values when the daemon takes "intermediate". *next is
 * where the next call should start when parzend cut the reply short (at
 * its size limit), else -1.
 */
static int list_call(struct dash_hub *h, const char *study, int64_t offset,
                     int64_t limit, cJSON **trials, int64_t *next,
                     struct pz_error *err)
{
	for (;;) {
		cJSON *p = cli_study_params(study), *res = NULL;
		const cJSON *nx;
		const char *path;
		int rc;

		*trials = NULL;
		*next = -1;
		if (p == NULL ||
		    cJSON_AddNumberToObject(p, "offset", (double)offset) ==
		            NULL ||
		    cJSON_AddNumberToObject(p, "limit", (double)limit) == NULL ||
		    (h->has_intermediate != 0 &&
		     cJSON_AddTrueToObject(p, "intermediate") == NULL)) {
			cJSON_Delete(p);
			return pz_error_set(err, PZ_ENOMEM, "out of memory");
		}
		rc = pz_client_call(h->c, "trial.list", p, &res, err);
		path = rc == PZ_EINVAL ? pz_client_last_error_path(h->c) : NULL;
		if (rc != 0 && h->has_intermediate != 0 && path != NULL &&
		    strcmp(path, "params.intermediate") == 0) {
			/* A daemon from before trial.report. */
			h->has_intermediate = 0;
			continue;
		}
		if (rc != 0)
			return rc;
		if (h->has_intermediate < 0)
			h->has_intermediate = 1;
		nx = cJSON_GetObjectItemCaseSensitive(res, "next_offset");
		if (cJSON_IsNumber(nx) && nx->valuedouble > (double)offset)
			*next = (int64_t)nx->valuedouble;
		*trials = cJSON_DetachItemFromObjectCaseSensitive(res,
		                                                  "trials");
		cJSON_Delete(res);
		if (!cJSON_IsArray(*trials)) {
			cJSON_Delete(*trials);
			*trials = NULL;
			return pz_error_set(err, PZ_EPROTO,
			                    "trial.list: a reply without trials");
		}
		return 0;
	}
}

/*
 * The trials numbered from `offset`, at most `limit` of them, in as many
 * trial.list calls as parzend's reply size takes, into one array.
 */
static int list_page(struct dash_hub *h, const char *study, int64_t offset,
                     int64_t limit, cJSON **trials, struct pz_error *err)
{
	cJSON *all = cJSON_CreateArray(), *part = NULL, *t;
	int64_t got = 0, next;
	int rc = 0;

	*trials = NULL;
	if (all == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	while (got < limit) {
		rc = list_call(h, study, offset + got, limit - got, &part,
		               &next, err);
		if (rc != 0)
			break;
		while ((t = cJSON_DetachItemFromArray(part, 0)) != NULL) {
			cJSON_AddItemToArray(all, t);
			got++;
		}
		cJSON_Delete(part);
		if (next < 0)
			break;
	}
	if (rc != 0) {
		cJSON_Delete(all);
		return rc;
	}
	*trials = all;
	return 0;
}

/* Trials hold their point and result too: the store keeps what it draws,
 * and the trial page asks parzend for the rest. */
static int put_all(struct pz_report_store *store, const cJSON *trials,
                   struct pz_error *err)
{
	const cJSON *t;
	size_t i = 0;

	cJSON_ArrayForEach(t, trials) {
		int rc = pz_report_store_put(store, t, i++, err);

		if (rc != 0)
			return rc;
	}
	return 0;
}

static int get_study(struct dash_hub *h, const char *name, cJSON **study,
                     struct pz_error *err)
{
	cJSON *res = NULL;
	int rc;

	*study = NULL;
	rc = pz_client_call(h->c, "study.get", cli_study_params(name), &res,
	                    err);
	if (rc != 0)
		return rc;
	*study = cJSON_DetachItemFromObjectCaseSensitive(res, "study");
	cJSON_Delete(res);
	return cJSON_IsObject(*study)
	               ? 0
	               : pz_error_set(err, PZ_EPROTO,
	                              "study.get: a reply without a study");
}

/*
 * Load study `name` whole: its object and every trial into a new store,
 * swapped in at the end. A study that is gone is removed.
 */
static int load_study(struct dash_hub *h, const char *name,
                      struct pz_error *err)
{
	struct pz_report_store *store = NULL;
	cJSON *study = NULL, *trials = NULL;
	struct dash_study *s;
	int64_t offset = 0;
	int rc;

	rc = get_study(h, name, &study, err);
	if (rc == PZ_ENOENT) {
		if (h->only != NULL)
			set_status(h, "parzend has no study '%s' (yet)", name);
		pthread_mutex_lock(&h->lock);
		for (size_t i = 0; i < h->n_studies; i++)
			if (strcmp(h->studies[i]->name, name) == 0) {
				remove_study(h, i);
				break;
			}
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = pz_report_store_create(study, &store, err);
	for (;;) {
		int n;

		if (rc != 0)
			goto out;
		rc = list_page(h, name, offset, PAGE, &trials, err);
		if (rc != 0)
			goto out;
		n = cJSON_GetArraySize(trials);
		rc = put_all(store, trials, err);
		cJSON_Delete(trials);
		trials = NULL;
		if (n < PAGE)
			break;
		offset += n;
	}
	if (rc != 0)
		goto out;
	pthread_mutex_lock(&h->lock);
	s = study_get(h, name);
	if (s == NULL) {
		pthread_mutex_unlock(&h->lock);
		rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
		goto out;
	}
	pz_report_store_destroy(s->store);
	s->store = store;
	store = NULL;
	cJSON_Delete(s->study);
	s->study = study;
	study = NULL;
	s->reload = false;
	s->study_dirty = false;
	s->n_dirty = 0;
	changed(h, s);
	pthread_mutex_unlock(&h->lock);
out:
	pz_report_store_destroy(store);
	cJSON_Delete(study);
	return rc;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Fetch the dirty trials of `s` (runs of near numbers in one trial.list
 * each) and its object when it changed, and apply them in one go.
 */
static int sync_study(struct dash_hub *h, struct dash_study *s,
                      struct pz_error *err)
{
	cJSON *pages = cJSON_CreateArray(), *study = NULL, *trials;
	int64_t *dirty;
	size_t n, i = 0;
	bool want_study;
	char *name;
	int rc = 0;

	pthread_mutex_lock(&h->lock);
	dirty = s->dirty;
	n = s->n_dirty;
	s->dirty = NULL;
	s->n_dirty = s->cap_dirty = 0;
	want_study = s->study_dirty || n > 0;
	s->study_dirty = false;
	name = strdup(s->name);
	pthread_mutex_unlock(&h->lock);
	if (pages == NULL || name == NULL) {
		rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
		goto out;
	}
	if (n > 0)
		qsort(dirty, n, sizeof(*dirty), cmp_i64);
	while (i < n) {
		size_t j = i;

		while (j + 1 < n && dirty[j + 1] - dirty[j] <= RUN_GAP &&
		       dirty[j + 1] - dirty[i] < PAGE)
			j++;
		rc = list_page(h, name, dirty[i], dirty[j] - dirty[i] + 1,
		               &trials, err);
		if (rc != 0)
			goto out;
		cJSON_AddItemToArray(pages, trials);
		i = j + 1;
	}
	if (want_study) {
		rc = get_study(h, name, &study, err);
		if (rc == PZ_ENOENT) {
			pthread_mutex_lock(&h->lock);
			s->deleted = true;
			pthread_mutex_unlock(&h->lock);
			rc = 0;
			goto out;
		}
		if (rc != 0)
			goto out;
	}
	pthread_mutex_lock(&h->lock);
	if (study != NULL && s->store != NULL)
		rc = pz_report_store_set_study(s->store, study, err);
	if (rc == 0 && study != NULL) {
		cJSON_Delete(s->study);
		s->study = study;
		study = NULL;
	}
	cJSON_ArrayForEach(trials, pages) {
		if (rc == 0 && s->store != NULL)
			rc = put_all(s->store, trials, err);
	}
	if (rc == 0 && (n > 0 || want_study))
		changed(h, s);
	pthread_mutex_unlock(&h->lock);
out:
	free(dirty);
	free(name);
	cJSON_Delete(pages);
	cJSON_Delete(study);
	return rc;
}

/* The names of the studies to follow: --study, or study.list. */
static int list_studies(struct dash_hub *h, cJSON **names,
                        struct pz_error *err)
{
	cJSON *res = NULL, *out = cJSON_CreateArray();
	const cJSON *st;
	int rc;

	*names = NULL;
	if (out == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	if (h->only != NULL) {
		cJSON_AddItemToArray(out, cJSON_CreateString(h->only));
		*names = out;
		return 0;
	}
	rc = pz_client_call(h->c, "study.list", NULL, &res, err);
	if (rc != 0) {
		cJSON_Delete(out);
		return rc;
	}
	cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(res, "studies"))
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(st, "name");

		if (cJSON_IsString(name))
			cJSON_AddItemToArray(out,
			                     cJSON_CreateString(name->valuestring));
	}
	cJSON_Delete(res);
	*names = out;
	return 0;
}

/* Remove the studies that `names` (of list_studies) does not list. */
static void drop_unlisted(struct dash_hub *h, const cJSON *names)
{
	const cJSON *n;

	pthread_mutex_lock(&h->lock);
	for (size_t i = h->n_studies; i-- > 0;) {
		bool listed = false;

		cJSON_ArrayForEach(n, names) {
			listed |= strcmp(n->valuestring, h->studies[i]->name) ==
			          0;
		}
		if (!listed)
			remove_study(h, i);
	}
	pthread_mutex_unlock(&h->lock);
}

/* Load every study (after connecting): new ones added, gone ones removed. */
static int load_all(struct dash_hub *h, struct pz_error *err)
{
	cJSON *names = NULL;
	const cJSON *n;
	int rc = list_studies(h, &names, err);

	if (rc != 0)
		return rc;
	drop_unlisted(h, names);
	cJSON_ArrayForEach(n, names) {
		rc = load_study(h, n->valuestring, err);
		if (rc != 0)
			break;
	}
	cJSON_Delete(names);
	pthread_mutex_lock(&h->lock);
	if (rc == 0 && !h->ready) {
		h->ready = true;
		pthread_cond_broadcast(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
	return rc;
}

/* --- waiting for changes ------------------------------------------------ */

/* Does a Study object's progress differ from the one we hold? */
static bool study_moved(const cJSON *a, const cJSON *b)
{
	static const char *const keys[] = { "counts", "state", "max_trials",
		                            "best" };

	if (a == NULL || b == NULL)
		return true;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, keys[i]);
		const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, keys[i]);

		if ((x == NULL) != (y == NULL) ||
		    (x != NULL && !cJSON_Compare(x, y, 1)))
			return true;
	}
	return false;
}

/*
 * Polling, for a daemon without study.watch: every h->poll seconds, the
 * studies' objects; where the counts moved, mark the trials that can have
 * changed (the ones not finished when last seen, and the new numbers).
 * Running trials are marked at every poll when the daemon reports
 * intermediate values, which move no count.
 */
static int poll_changes(struct dash_hub *h, struct pz_error *err)
{
	cJSON *names = NULL;
	const cJSON *n;
	int rc;

	if (nap(h, h->poll))
		return 0;
	rc = list_studies(h, &names, err);
	if (rc != 0)
		return rc;
	cJSON_ArrayForEach(n, names) {
		cJSON *study = NULL;
		struct dash_study *s;
		bool moved;
		size_t size;
		double total;

		rc = get_study(h, n->valuestring, &study, err);
		if (rc == PZ_ENOENT) {
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		pthread_mutex_lock(&h->lock);
		s = study_get(h, n->valuestring);
		if (s == NULL) {
			pthread_mutex_unlock(&h->lock);
			cJSON_Delete(study);
			rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
			break;
		}
		moved = study_moved(s->study, study);
		size = s->store ? pz_report_store_size(s->store) : 0;
		total = cli_get_num(cli_get(study, "counts"), "total", 0);
		if (s->store != NULL &&
		    (moved || (h->has_intermediate == 1 &&
		               cli_get_num(cli_get(study, "counts"), "running",
		                           0) > 0))) {
			for (size_t k = 0; k < size; k++) {
				const char *st =
					pz_report_store_state(s->store,
				                              (long long)k);

				if (st != NULL && (strcmp(st, "running") == 0 ||
				                   strcmp(st, "queued") == 0))
					mark(s, (int64_t)k);
			}
			for (double k = (double)size; k < total; k++)
				mark(s, (int64_t)k);
			s->study_dirty |= moved;
		}
		pthread_mutex_unlock(&h->lock);
		cJSON_Delete(study);
	}
	if (rc == 0)
		drop_unlisted(h, names);
	cJSON_Delete(names);
	return rc;
}

/*
 * Subscribe to study.watch on h->c: 1 when the daemon has it, 0 when not
 * (then changes are polled), or a PZ_E* code.
 */
static int watch_start(struct dash_hub *h, struct pz_error *err)
{
	cJSON *p = h->only ? cli_study_params(h->only) : cJSON_CreateObject();
	cJSON *res = NULL;
	int rc;

	if (h->has_watch == 0) {
		cJSON_Delete(p);
		return 0;
	}
	rc = pz_client_keep_notifications(h->c, NOTES_MAX);
	if (rc == 0)
		rc = pz_client_call(h->c, "study.watch", p, &res, err);
	else
		cJSON_Delete(p);
	cJSON_Delete(res);
	res = NULL;
	if (rc == PZ_ENOENT && h->only != NULL) {
		/* --study names a study not created yet: hear about every
		 * study (apply_event keeps ours). */
		rc = pz_client_call(h->c, "study.watch", NULL, &res, err);
		cJSON_Delete(res);
	}
	if (rc != 0 && pz_client_last_rpc_code(h->c) == -32601) {
		h->has_watch = 0;
		return 0;
	}
	if (rc != 0)
		return rc;
	h->has_watch = 1;
	h->watching = true;
	return 1;
}

/* Mark what one study.event notification says changed (lock held). */
static void apply_event(struct dash_hub *h, const cJSON *params)
{
	const char *name = cli_get_str(params, "study", NULL);
	const char *event = cli_get_str(params, "event", "");
	const cJSON *trial = cli_get(params, "trial");
	struct dash_study *s;

	if (name == NULL || (h->only != NULL && strcmp(name, h->only) != 0))
		return;
	if (strcmp(event, "study.deleted") == 0) {
		for (size_t i = 0; i < h->n_studies; i++)
			if (strcmp(h->studies[i]->name, name) == 0) {
				remove_study(h, i);
				break;
			}
		return;
	}
	s = study_get(h, name);
	if (s == NULL)
		return;
	s->study_dirty = true;
	if (cJSON_IsNumber(cli_get(trial, "number")))
		mark(s, (int64_t)cli_get_num(trial, "number", 0));
}

/*
 * Watching: wait up to h->poll seconds for a notification, then take all
 * that arrived, and mark what they name. A notification lost (dropped for
 * lack of room, or a gap in seq) means the studies are loaded again.
 */
static int watch_changes(struct dash_hub *h, uint64_t *last_seq,
                         size_t *dropped, struct pz_error *err)
{
	int timeout = (int)(h->poll * 1000);

	for (int k = 0; k < 100000; k++) {
		cJSON *note = NULL;
		const cJSON *params;
		double seq;
		int rc;

		rc = pz_client_next_notification(h->c, k == 0 ? timeout : 0,
		                                 &note, err);
		if (rc != 0)
			return rc;
		if (note == NULL)
			break;
		params = cli_get(note, "params");
		seq = cli_get_num(params, "seq", -1);
		pthread_mutex_lock(&h->lock);
		if (strcmp(cli_get_str(note, "method", ""), "study.event") ==
		    0) {
			if (*last_seq > 0 && seq != (double)(*last_seq + 1))
				for (size_t i = 0; i < h->n_studies; i++)
					h->studies[i]->reload = true;
			if (seq >= 0)
				*last_seq = (uint64_t)seq;
			apply_event(h, params);
		}
		pthread_mutex_unlock(&h->lock);
		cJSON_Delete(note);
		pthread_mutex_lock(&h->lock);
		if (h->stop) {
			pthread_mutex_unlock(&h->lock);
			break;
		}
		pthread_mutex_unlock(&h->lock);
	}
	if (pz_client_notifications_dropped(h->c) != *dropped) {
		*dropped = pz_client_notifications_dropped(h->c);
		pthread_mutex_lock(&h->lock);
		for (size_t i = 0; i < h->n_studies; i++)
			h->studies[i]->reload = true;
		pthread_mutex_unlock(&h->lock);
	}
	return 0;
}

/*
 * The one place that waits for parzend's changes: notifications when the
 * daemon has study.watch, else a poll.
 */
static int changes_wait(struct dash_hub *h, uint64_t *last_seq,
                        size_t *dropped, struct pz_error *err)
{
	if (h->watching)
		return watch_changes(h, last_seq, dropped, err);
	return poll_changes(h, err);
}

/* Fetch what changes_wait() marked. */
static int sync_all(struct dash_hub *h, struct pz_error *err)
{
	for (size_t i = 0;; i++) {
		struct dash_study *s;
		char *name = NULL;
		bool reload, dirty;
		int rc;

		pthread_mutex_lock(&h->lock);
		if (i >= h->n_studies || h->stop) {
			pthread_mutex_unlock(&h->lock);
			return 0;
		}
		s = h->studies[i];
		reload = s->reload || s->store == NULL;
		dirty = s->n_dirty > 0 || s->study_dirty;
		if (s->deleted) {
			remove_study(h, i--);
			pthread_mutex_unlock(&h->lock);
			continue;
		}
		if (reload)
			name = strdup(s->name);
		pthread_mutex_unlock(&h->lock);
		if (reload) {
			rc = name ? load_study(h, name, err)
			          : pz_error_set(err, PZ_ENOMEM, "out of memory");
			free(name);
			/* The list may have changed under us: look again. */
			if (rc == 0)
				i = (size_t)-1;
		} else if (dirty) {
			rc = sync_study(h, s, err);
		} else {
			rc = 0;
		}
		if (rc != 0)
			return rc;
	}
}

static void *hub_main(void *arg)
{
	struct dash_hub *h = arg;
	uint64_t last_seq = 0;
	size_t dropped = 0;

	for (;;) {
		struct pz_error err = { 0 };
		int rc;

		pthread_mutex_lock(&h->lock);
		if (h->stop) {
			pthread_mutex_unlock(&h->lock);
			break;
		}
		pthread_mutex_unlock(&h->lock);
		if (h->c == NULL) {
			rc = pz_client_connect(h->socket, &h->c, &err);
			if (rc != 0) {
				set_status(h, "cannot reach parzend: %s",
				           err.msg);
				if (nap(h, 1))
					break;
				continue;
			}
			h->watching = false;
			last_seq = 0;
			dropped = 0;
			/* Watch first, then load: what changes during the
			 * load is fetched again after it. */
			rc = watch_start(h, &err);
			if (rc >= 0)
				rc = load_all(h, &err);
			if (rc == 0)
				set_status(h, "%s", "");
		} else {
			rc = changes_wait(h, &last_seq, &dropped, &err);
			if (rc == 0)
				rc = sync_all(h, &err);
		}
		if (rc == PZ_EIO || rc == PZ_EPROTO) {
			/* parzend went away: try again, then load every study
			 * afresh (states may have moved meanwhile). */
			pz_client_destroy(h->c);
			h->c = NULL;
			set_status(h, "lost parzend: %s; reconnecting",
			           err.msg);
			pthread_mutex_lock(&h->lock);
			for (size_t i = 0; i < h->n_studies; i++)
				h->studies[i]->reload = true;
			pthread_mutex_unlock(&h->lock);
			if (nap(h, 1))
				break;
		} else if (rc != 0) {
			set_status(h, "%s", err.msg);
			if (nap(h, 1))
				break;
		}
	}
	pz_client_destroy(h->c);
	h->c = NULL;
	return NULL;
}

bool dash_hub_wait_ready(struct dash_hub *h, double timeout)
{
	struct timespec ts;
	bool ready;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)timeout;
	pthread_mutex_lock(&h->lock);
	/* The first status is "connecting"; a later one says what is
	 * wrong (or "" once following parzend). */
	while (!h->ready && h->status_seq == 0 &&
	       pthread_cond_timedwait(&h->cond, &h->lock, &ts) != ETIMEDOUT)
		;
	ready = h->ready;
	pthread_mutex_unlock(&h->lock);
	return ready;
}

int dash_hub_start(struct dash_hub *h, struct pz_error *err)
{
	h->has_watch = -1;
	h->has_intermediate = -1;
	snprintf(h->status, sizeof(h->status), "connecting to parzend");
	if (pthread_mutex_init(&h->lock, NULL) != 0)
		return pz_error_set(err, PZ_ENOMEM, "cannot create a mutex");
	if (pthread_cond_init(&h->cond, NULL) != 0) {
		pthread_mutex_destroy(&h->lock);
		return pz_error_set(err, PZ_ENOMEM, "cannot create a condition");
	}
	if (pthread_create(&h->thread, NULL, hub_main, h) != 0) {
		pthread_cond_destroy(&h->cond);
		pthread_mutex_destroy(&h->lock);
		return pz_error_set(err, PZ_ENOMEM, "cannot start a thread");
	}
	return 0;
}

void dash_hub_stop(struct dash_hub *h)
{
	pthread_mutex_lock(&h->lock);
	h->stop = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	/* A blocking call to parzend returns when parzend answers; shutting
	 * the socket down makes a wait for notifications return at once. */
	pthread_join(h->thread, NULL);
	for (size_t i = 0; i < h->n_studies; i++)
		study_free(h->studies[i]);
	free(h->studies);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
}

/* --- snapshots and figures ---------------------------------------------- */

static bool has_running(const struct pz_report_data *d)
{
	size_t counts[5];

	pz_report_counts(d, counts);
	return counts[1] > 0;
}

struct dash_snap *dash_hub_snapshot(struct dash_hub *h, const char *name)
{
	struct pz_report_options opt;
	struct dash_study *s;
	struct dash_snap *snap = NULL;

	pthread_mutex_lock(&h->lock);
	s = dash_hub_find(h, name);
	if (s == NULL || s->store == NULL)
		goto out;
	if (s->snap != NULL && s->snap->version == s->version &&
	    !(has_running(s->snap->d) &&
	      (double)time(NULL) - s->snap->made > SNAP_AGE)) {
		snap = s->snap;
		snap->refs++;
		goto out;
	}
	snap = calloc(1, sizeof(*snap));
	if (snap == NULL)
		goto out;
	pz_report_options_init(&opt);
	opt.now = (double)time(NULL);
	if (pz_report_store_snapshot(s->store, &opt, &snap->d, NULL) != 0) {
		free(snap);
		snap = NULL;
		goto out;
	}
	snap->version = s->version;
	snap->serial = ++h->snap_serial;
	snap->made = opt.now;
	snap->refs = 2; /* the study's and the caller's */
	snap_unref(s->snap);
	s->snap = snap;
out:
	pthread_mutex_unlock(&h->lock);
	return snap;
}

void dash_hub_release(struct dash_hub *h, struct dash_snap *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	snap_unref(s);
	pthread_mutex_unlock(&h->lock);
}

static void figure_key(const struct pz_figure *f, char *key, size_t len)
{
	snprintf(key, len, "%s|%d|%s|%s|%lld", f->kind ? f->kind : "", f->log,
	         f->x ? f->x : "", f->y ? f->y : "", f->trial);
}

int dash_hub_figure(struct dash_hub *h, const char *name,
                    const struct pz_figure *f, char **svg, size_t *len,
                    uint64_t *version, struct pz_error *err)
{
	struct dash_snap *snap = dash_hub_snapshot(h, name);
	struct dash_figure *slot = NULL;
	struct dash_study *s;
	char key[256];
	int rc;

	*svg = NULL;
	*len = 0;
	if (snap == NULL)
		return pz_error_set(err, PZ_ENOENT,
		                    "no study '%.200s' (or not loaded yet)", name);
	*version = snap->version;
	figure_key(f, key, sizeof(key));
	pthread_mutex_lock(&h->lock);
	for (;;) {
		struct dash_figure *lru = NULL;

		s = dash_hub_find(h, name);
		slot = NULL;
		for (int i = 0; s != NULL && i < DASH_FIGURES; i++) {
			struct dash_figure *g = &s->figures[i];

			if (strcmp(g->key, key) == 0)
				slot = g;
			else if (g->drawing == 0 &&
			         (lru == NULL || g->used < lru->used))
				lru = g;
		}
		if (s == NULL)
			break;
		if (slot != NULL && slot->serial == snap->serial &&
		    slot->svg != NULL) {
			*svg = malloc(slot->len + 1);
			if (*svg != NULL) {
				memcpy(*svg, slot->svg, slot->len + 1);
				*len = slot->len;
			}
			slot->used = mono();
			pthread_mutex_unlock(&h->lock);
			dash_hub_release(h, snap);
			return *svg ? 0
			            : pz_error_set(err, PZ_ENOMEM,
			                           "out of memory");
		}
		if (slot != NULL && slot->drawing != 0) {
			/* Being drawn by another request: wait for it (it
			 * may be from an older snapshot; then draw ours). */
			pthread_cond_wait(&h->cond, &h->lock);
			continue;
		}
		slot = slot ? slot : lru;
		if (slot != NULL) {
			/* Claim it: this request draws the figure. */
			snprintf(slot->key, sizeof(slot->key), "%s", key);
			slot->drawing = snap->serial;
			slot->used = mono();
		}
		break;
	}
	pthread_mutex_unlock(&h->lock);
	rc = pz_report_figure(snap->d, f, svg, len, err);
	pthread_mutex_lock(&h->lock);
	/* The study may be gone (its slots freed) while we drew. */
	if (s != NULL && dash_hub_find(h, name) == s && slot != NULL &&
	    slot->drawing == snap->serial) {
		slot->drawing = 0;
		free(slot->svg);
		slot->svg = NULL;
		slot->serial = 0;
		if (rc == 0 && (slot->svg = malloc(*len + 1)) != NULL) {
			memcpy(slot->svg, *svg, *len + 1);
			slot->len = *len;
			slot->serial = snap->serial;
		} else {
			slot->key[0] = '\0';
		}
	}
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	dash_hub_release(h, snap);
	return rc;
}
