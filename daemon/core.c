/*
 * Studies and the trial life cycle; see core.h.
 */
#include "core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <parzen/eval.h>
#include <parzen/json.h>
#include <parzen/params.h>
#include <parzen/sample.h>

static const char *const tstate_names[] = {
	[PZ_T_QUEUED] = "queued",
	[PZ_T_RUNNING] = "running",
	[PZ_T_OK] = "ok",
	[PZ_T_FAIL] = "fail",
};

const char *pz_tstate_name(int state)
{
	return state >= 0 && state <= PZ_T_FAIL ? tstate_names[state] : "?";
}

static double clock_seconds(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double pz_now(void)
{
	return clock_seconds(CLOCK_REALTIME);
}

double pz_clock(void)
{
	return clock_seconds(CLOCK_MONOTONIC);
}

double pz_clock_to_wall(double t)
{
	return pz_now() + (t - pz_clock());
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* --- loading and unloading ------------------------------------------------ */

static void unload(struct pz_core *core, struct pz_study *s)
{
	if (!s->loaded)
		return;
	for (size_t i = 0; i < s->n_trials; i++) {
		pz_idmap_remove(&core->ids, s->trials[i].id);
		free(s->trials[i].worker);
	}
	free(s->trials);
	free(s->queued);
	free(s->running);
	free(s->fresh_params);
	s->fresh_params = NULL;
	pz_history_destroy(s->hist);
	pz_space_destroy(s->space);
	s->trials = NULL;
	s->queued = s->running = NULL;
	s->n_trials = s->cap_trials = s->n_queued = s->cap_queued = 0;
	s->n_running = s->cap_running = 0;
	s->hist = NULL;
	s->space = NULL;
	s->loaded = 0;
}

static void study_destroy(struct pz_core *core, struct pz_study *s)
{
	if (s == NULL)
		return;
	unload(core, s);
	free(s->name);
	free(s->space_text);
	free(s->config_text);
	free(s);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	p = realloc(*arr, c * elem);
	if (p == NULL)
		return PZ_ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

static int running_add(struct pz_study *s, uint32_t number)
{
	if (grow((void **)&s->running, &s->cap_running, s->n_running + 1,
	         sizeof(uint32_t)) != 0)
		return PZ_ENOMEM;
	s->trials[number].run_index = (int32_t)s->n_running;
	s->running[s->n_running++] = number;
	return 0;
}

static void running_remove(struct pz_study *s, uint32_t number)
{
	int32_t i = s->trials[number].run_index;
	uint32_t last;

	if (i < 0)
		return;
	last = s->running[--s->n_running];
	s->running[i] = last;
	s->trials[last].run_index = i;
	s->trials[number].run_index = -1;
}

/* Insert keeping the queue ascending by number. */
static int queued_add(struct pz_study *s, uint32_t number)
{
	size_t i;

	if (grow((void **)&s->queued, &s->cap_queued, s->n_queued + 1,
	         sizeof(uint32_t)) != 0)
		return PZ_ENOMEM;
	for (i = s->n_queued; i > 0 && s->queued[i - 1] > number; i--)
		s->queued[i] = s->queued[i - 1];
	s->queued[i] = number;
	s->n_queued++;
	return 0;
}

static void queued_remove(struct pz_study *s, uint32_t number)
{
	for (size_t i = 0; i < s->n_queued; i++) {
		if (s->queued[i] == number) {
			memmove(s->queued + i, s->queued + i + 1,
			        (s->n_queued - i - 1) * sizeof(uint32_t));
			s->n_queued--;
			return;
		}
	}
}

static void update_best(struct pz_study *s, uint32_t number)
{
	const double *loss = s->hist->loss;

	if (s->best < 0 || loss[number] < loss[s->best] ||
	    (loss[number] == loss[s->best] && number < s->best))
		s->best = number;
}

static enum pz_trial_state hist_state(int tstate)
{
	switch (tstate) {
	case PZ_T_OK:
		return PZ_TRIAL_OK;
	case PZ_T_FAIL:
		return PZ_TRIAL_FAIL;
	default:
		return PZ_TRIAL_PENDING;
	}
}

static int parse_tstate(const char *name)
{
	for (int i = 0; i <= PZ_T_FAIL; i++)
		if (strcmp(name, tstate_names[i]) == 0)
			return i;
	return -1;
}

/*
 * Append trial `number` to a loaded study's memory: the history row, the
 * slot and the queue it belongs in. Used by loading and by new trials.
 */
static int add_trial(struct pz_core *core, struct pz_study *s,
                     const struct pz_trial *t, const double *values,
                     double loss)
{
	uint32_t number = (uint32_t)s->n_trials;
	int rc;

	if ((rc = grow((void **)&s->trials, &s->cap_trials, s->n_trials + 1,
	               sizeof(*s->trials))) != 0)
		return rc;
	rc = pz_history_add(s->hist, number, values, hist_state(t->state),
	                    t->state == PZ_T_OK ? loss : NAN);
	if (rc != 0)
		return rc;
	s->trials[number] = *t;
	s->trials[number].run_index = -1;
	s->n_trials++;
	if ((t->state == PZ_T_RUNNING && running_add(s, number) != 0) ||
	    (t->state == PZ_T_QUEUED && queued_add(s, number) != 0) ||
	    pz_idmap_put(&core->ids, t->id, s, number) != 0) {
		s->n_trials--;
		running_remove(s, number);
		queued_remove(s, number);
		pz_history_remove(s->hist, number);
		return PZ_ENOMEM;
	}
	if (t->state == PZ_T_OK)
		update_best(s, number);
	return 0;
}

struct load_ctx {
	struct pz_core *core;
	struct pz_study *s;
	double *values;
	struct pz_error *err;
	double now;
};

static int load_trial(void *arg, const struct pz_trial_row *r)
{
	struct load_ctx *c = arg;
	struct pz_study *s = c->s;
	struct pz_trial t;
	cJSON *params;
	int rc;

	if (r->number != (int64_t)s->n_trials)
		return pz_error_set(c->err, PZ_EIO,
		                    "database: trial numbers of study '%s' are not "
		                    "contiguous at %lld", s->name,
		                    (long long)r->number);
	memset(&t, 0, sizeof(t));
	t.id = r->id;
	t.state = (unsigned char)parse_tstate(r->state);
	t.attempt = (int32_t)r->attempt;
	t.reclaims = (int32_t)r->reclaims;
	t.created = r->created;
	t.started = r->started;
	t.finished = r->finished;
	/* Workers get a full timeout after a restart to heartbeat again. */
	t.deadline = c->now + s->heartbeat_timeout;
	params = cJSON_Parse(r->params);
	rc = params == NULL ? PZ_EIO
	                    : pz_params_from_json(s->space, params, c->values,
	                                          c->err);
	cJSON_Delete(params);
	if (rc != 0)
		return pz_error_set(c->err, PZ_EIO,
		                    "database: trial %lld of study '%s' has params "
		                    "that do not fit its space", (long long)r->id,
		                    s->name);
	t.worker = dup_or_null(r->worker);
	if (r->worker != NULL && t.worker == NULL)
		return pz_error_set(c->err, PZ_ENOMEM, "out of memory");
	rc = add_trial(c->core, s, &t, c->values, r->loss);
	if (rc != 0) {
		free(t.worker);
		return pz_error_set(c->err, rc, "loading trials: %s",
		                    pz_strerror(rc));
	}
	return 0;
}

static int load(struct pz_core *core, struct pz_study *s,
                struct pz_error *err)
{
	struct load_ctx c = {core, s, NULL, err, pz_clock()};
	cJSON *cfg;
	int rc;

	if (s->loaded)
		return 0;
	rc = pz_space_create_from_text(s->space_text, strlen(s->space_text),
	                               "space", &s->space, err);
	if (rc != 0)
		return pz_error_set(err, PZ_EIO, "database: study '%s': %s",
		                    s->name, err->msg);
	cfg = cJSON_Parse(s->config_text);
	rc = pz_tpe_config_from_json(&s->cfg, cfg, err);
	cJSON_Delete(cfg);
	if (rc != 0) {
		pz_space_destroy(s->space);
		s->space = NULL;
		return pz_error_set(err, PZ_EIO, "database: study '%s': %s",
		                    s->name, err->msg);
	}
	if (pz_history_create(s->space, &s->hist) != 0) {
		pz_space_destroy(s->space);
		s->space = NULL;
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	}
	s->loaded = 1;
	s->best = -1;
	c.values = malloc((size_t)(s->space->n_params + 1) * sizeof(double));
	if (c.values == NULL)
		rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
	else
		rc = pz_store_trial_foreach(core->store, s->id, load_trial, &c,
		                            err);
	free(c.values);
	if (rc != 0)
		unload(core, s);
	return rc;
}

/* --- the study list --------------------------------------------------------- */

static int parse_algo(const char *name, enum pz_algo *algo)
{
	if (strcmp(name, "tpe") == 0)
		*algo = PZ_ALGO_TPE;
	else if (strcmp(name, "random") == 0)
		*algo = PZ_ALGO_RANDOM;
	else
		return -1;
	return 0;
}

static const char *algo_name(enum pz_algo a)
{
	return a == PZ_ALGO_TPE ? "tpe" : "random";
}

static struct pz_study *study_new(const struct pz_study_row *r)
{
	struct pz_study *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->id = r->id;
	s->name = strdup(r->name);
	s->space_text = strdup(r->space);
	s->config_text = strdup(r->config);
	if (s->name == NULL || s->space_text == NULL || s->config_text == NULL ||
	    parse_algo(r->algo, &s->algo) != 0) {
		free(s->name);
		free(s->space_text);
		free(s->config_text);
		free(s);
		return NULL;
	}
	s->seed = (uint64_t)r->seed;
	s->max_trials = r->max_trials;
	s->heartbeat_timeout = r->heartbeat_timeout;
	s->paused = r->paused;
	s->created = r->created;
	s->best = -1;
	return s;
}

/* Keep the list sorted by name, as study.list shows it. */
static void link_study(struct pz_core *core, struct pz_study *s)
{
	struct pz_study **p = &core->studies;

	while (*p != NULL && strcmp((*p)->name, s->name) < 0)
		p = &(*p)->next;
	s->next = *p;
	*p = s;
}

static int read_study(void *arg, const struct pz_study_row *r)
{
	struct pz_core *core = arg;
	struct pz_study *s = study_new(r);

	if (s == NULL)
		return PZ_ENOMEM;
	link_study(core, s);
	return 0;
}

static void drop_all(struct pz_core *core)
{
	struct pz_study *s, *next;

	for (s = core->studies; s != NULL; s = next) {
		next = s->next;
		study_destroy(core, s);
	}
	core->studies = NULL;
	pz_idmap_finish(&core->ids);
	pz_idmap_init(&core->ids);
}

int pz_core_init(struct pz_core *core, struct pz_store *store,
                 struct pz_error *err)
{
	int rc;

	memset(core, 0, sizeof(*core));
	core->store = store;
	pz_idmap_init(&core->ids);
	rc = pz_store_study_foreach(store, read_study, core, err);
	if (rc == PZ_ENOMEM)
		pz_error_set(err, rc, "out of memory reading the study list");
	if (rc != 0)
		drop_all(core);
	return rc;
}

void pz_core_finish(struct pz_core *core)
{
	drop_all(core);
	pz_idmap_finish(&core->ids);
}

int pz_core_dirty(const struct pz_core *core)
{
	return pz_store_in_txn(core->store);
}

/* After a failed transaction: forget memory, re-read the study list. */
static void reset(struct pz_core *core)
{
	struct pz_error err;

	drop_all(core);
	core->txn_failed = 0;
	core->failure[0] = '\0';
	if (pz_store_study_foreach(core->store, read_study, core, &err) != 0)
		drop_all(core);
}

int pz_core_commit(struct pz_core *core, struct pz_error *err)
{
	int rc;

	if (!pz_store_in_txn(core->store))
		return 0;
	if (core->txn_failed) {
		pz_error_set(err, PZ_EIO,
		             "%s; the changes of this batch were rolled back",
		             core->failure);
		pz_store_rollback(core->store);
		reset(core);
		return PZ_EIO;
	}
	rc = pz_store_commit(core->store, err);
	if (rc != 0) {
		reset(core);
		return rc;
	}
	core->n_commits++;
	return 0;
}

static int write_failed(struct pz_core *core, int rc,
                        const struct pz_error *err)
{
	if (!core->txn_failed && err != NULL)
		snprintf(core->failure, sizeof(core->failure), "%s", err->msg);
	core->txn_failed = 1;
	return rc;
}

/* Open the batch's transaction; remember failures of writes inside it. */
static int begin(struct pz_core *core, struct pz_error *err)
{
	int rc;

	/* After a failed write SQLite may already have rolled the batch back
	 * and be in autocommit mode: no further write may slip through. */
	if (core->txn_failed)
		return pz_error_set(err, PZ_EIO, "%s", core->failure);
	rc = pz_store_begin(core->store, err);
	if (rc != 0)
		write_failed(core, rc, err);
	return rc;
}


int pz_core_study(struct pz_core *core, const char *name,
                  struct pz_study **out, struct pz_error *err)
{
	struct pz_study *s;

	for (s = core->studies; s != NULL; s = s->next)
		if (strcmp(s->name, name) == 0)
			break;
	if (s == NULL)
		return pz_error_set(err, PZ_ENOENT, "no study named '%s'", name);
	*out = s;
	return load(core, s, err);
}

int pz_core_load_all(struct pz_core *core, struct pz_error *err)
{
	int rc;

	for (struct pz_study *s = core->studies; s != NULL; s = s->next)
		if ((rc = load(core, s, err)) != 0)
			return rc;
	return 0;
}

struct find_ctx {
	int64_t study_id;
};

static int find_study_of(void *arg, const struct pz_trial_row *r)
{
	((struct find_ctx *)arg)->study_id = r->study_id;
	return 0;
}

int pz_core_trial(struct pz_core *core, int64_t id, struct pz_study **study,
                  uint32_t *number, struct pz_error *err)
{
	const struct pz_idmap_slot *slot = pz_idmap_get(&core->ids, id);
	struct find_ctx f = {0};
	struct pz_study *s;
	int rc;

	if (slot == NULL) {
		/* Not in memory: its study may not be loaded yet. */
		rc = pz_store_trial_get(core->store, id, find_study_of, &f, err);
		if (rc != 0)
			return rc;
		for (s = core->studies; s != NULL && s->id != f.study_id;
		     s = s->next)
			;
		if (s == NULL || (rc = load(core, s, err)) != 0)
			return s == NULL ? pz_error_set(err, PZ_ENOENT,
			                                "no trial with id %lld",
			                                (long long)id)
			                 : rc;
		slot = pz_idmap_get(&core->ids, id);
		if (slot == NULL)
			return pz_error_set(err, PZ_ENOENT, "no trial with id %lld",
			                    (long long)id);
	}
	*study = slot->study;
	*number = slot->number;
	return 0;
}

/* --- studies ---------------------------------------------------------------- */

static int valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 200)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return 0;
	return 1;
}

static const char *definition_difference(const struct pz_study *s,
                                         const struct pz_study_def *d,
                                         const char *space_text,
                                         const char *config_text)
{
	if (strcmp(s->space_text, space_text) != 0)
		return "space";
	if (s->algo != d->algo)
		return "algo";
	if (d->has_seed && s->seed != d->seed)
		return "seed";
	if (s->max_trials != d->max_trials)
		return "max_trials";
	if (strcmp(s->config_text, config_text) != 0)
		return "config";
	if (s->heartbeat_timeout != d->heartbeat_timeout)
		return "heartbeat_timeout";
	return NULL;
}

int pz_core_create(struct pz_core *core, const struct pz_study_def *def,
                   struct pz_study **out, int *existed, struct pz_error *err)
{
	struct pz_study_def d = *def;
	struct pz_study_row row;
	struct pz_tpe_config cfg;
	struct pz_space *space = NULL;
	struct pz_study *s = NULL;
	char *space_text = NULL, *config_text = NULL;
	cJSON *cfg_json = NULL;
	int rc;

	*existed = 0;
	if (!valid_name(d.name))
		return pz_error_set_at(
			err, PZ_EINVAL, "params.name",
			"must be 1 to 200 bytes without control characters");
	if ((rc = pz_space_create(d.space, "space", &space, err)) != 0)
		return rc;
	pz_space_destroy(space);
	if ((rc = pz_tpe_config_from_json(&cfg, d.config, err)) != 0)
		return rc;
	if (d.heartbeat_timeout <= 0)
		d.heartbeat_timeout = PZ_DEFAULT_HEARTBEAT_TIMEOUT;
	space_text = pz_json_print(d.space, NULL);
	cfg_json = pz_tpe_config_to_json(&cfg);
	config_text = cfg_json ? pz_json_print(cfg_json, NULL) : NULL;
	cJSON_Delete(cfg_json);
	if (space_text == NULL || config_text == NULL) {
		rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
		goto out;
	}
	for (s = core->studies; s != NULL; s = s->next)
		if (strcmp(s->name, d.name) == 0)
			break;
	if (s != NULL) {
		const char *diff = definition_difference(s, &d, space_text,
		                                         config_text);

		if (!d.exist_ok)
			rc = pz_error_set(err, PZ_EEXIST,
			                  "a study named '%s' already exists (to reuse "
			                  "it, ask with exist_ok / --exist-ok and the "
			                  "same definition)", d.name);
		else if (diff != NULL)
			rc = pz_error_set(err, PZ_EEXIST,
			                  "study '%s' exists with a different %s",
			                  d.name, diff);
		else if ((rc = load(core, s, err)) == 0) {
			*existed = 1;
			*out = s;
		}
		goto out;
	}
	if (!d.has_seed)
		d.seed = ((uint64_t)(pz_now() * 1e6) ^ ((uint64_t)getpid() << 20)) &
		         ((UINT64_C(1) << 53) - 1);
	row.id = 0;
	row.name = d.name;
	row.space = space_text;
	row.algo = algo_name(d.algo);
	row.seed = (int64_t)d.seed;
	row.config = config_text;
	row.max_trials = d.max_trials;
	row.heartbeat_timeout = d.heartbeat_timeout;
	row.paused = 0;
	row.created = pz_now();
	if ((rc = begin(core, err)) != 0)
		goto out;
	if ((rc = pz_store_study_insert(core->store, &row, &row.id, err)) != 0) {
		write_failed(core, rc, err);
		goto out;
	}
	s = study_new(&row);
	if (s == NULL) {
		rc = write_failed(core, pz_error_set(err, PZ_ENOMEM,
		                                     "out of memory"), err);
		goto out;
	}
	link_study(core, s);
	rc = load(core, s, err);
	if (rc != 0)
		write_failed(core, rc, err);
	*out = s;
out:
	free(space_text);
	free(config_text);
	return rc;
}

int pz_core_set_paused(struct pz_core *core, struct pz_study *s, int paused,
                       struct pz_error *err)
{
	int rc;

	if ((rc = begin(core, err)) != 0)
		return rc;
	rc = pz_store_study_set_paused(core->store, s->id, paused, err);
	if (rc != 0)
		return write_failed(core, rc, err);
	s->paused = paused;
	return 0;
}

int pz_core_delete(struct pz_core *core, struct pz_study *s, size_t *n_trials,
                   struct pz_error *err)
{
	struct pz_study **p;
	int rc;

	if ((rc = begin(core, err)) != 0)
		return rc;
	rc = pz_store_study_delete(core->store, s->id, err);
	if (rc != 0)
		return write_failed(core, rc, err);
	*n_trials = s->n_trials;
	for (p = &core->studies; *p != s; p = &(*p)->next)
		;
	*p = s->next;
	study_destroy(core, s);
	return 0;
}

/* --- trials ----------------------------------------------------------------- */

static int write_trial(struct pz_core *core, const struct pz_study *s,
                       uint32_t number, const struct pz_trial *t,
                       double loss, const char *result, struct pz_error *err)
{
	struct pz_trial_row r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.id = t->id;
	r.study_id = s->id;
	r.number = number;
	r.state = pz_tstate_name(t->state);
	r.loss = t->state == PZ_T_OK ? loss : NAN;
	r.result = result;
	r.worker = t->worker;
	r.attempt = t->attempt;
	r.reclaims = t->reclaims;
	r.started = t->started;
	r.finished = t->finished;
	if ((rc = begin(core, err)) != 0)
		return rc;
	rc = pz_store_trial_update(core->store, &r, err);
	return rc != 0 ? write_failed(core, rc, err) : 0;
}

static int hand_out(struct pz_core *core, struct pz_study *s, uint32_t number,
                    const char *worker, struct pz_error *err)
{
	struct pz_trial t = s->trials[number];
	int rc;

	t.state = PZ_T_RUNNING;
	t.worker = (char *)worker;
	t.started = pz_now();
	t.finished = NAN;
	if ((rc = write_trial(core, s, number, &t, NAN, NULL, err)) != 0)
		return rc;
	t.worker = dup_or_null(worker);
	if (worker != NULL && t.worker == NULL)
		return write_failed(core, pz_error_set(err, PZ_ENOMEM,
		                                       "out of memory"), err);
	if (running_add(s, number) != 0) {
		free(t.worker);
		return write_failed(core, pz_error_set(err, PZ_ENOMEM,
		                                       "out of memory"), err);
	}
	queued_remove(s, number);
	free(s->trials[number].worker);
	t.run_index = s->trials[number].run_index;
	t.deadline = pz_clock() + s->heartbeat_timeout;
	s->trials[number] = t;
	return 0;
}

/*
 * Create trial n_trials with `values`, queued or running. A point that
 * cannot be evaluated (a function node with no finite result) is refused
 * with PZ_EINVAL, unless `failed` is given: then the trial is created
 * failed, with the reason stored in its result, and *failed is set, so
 * that a study whose suggestion for this number cannot be evaluated moves
 * on to the next.
 */
static int new_trial(struct pz_core *core, struct pz_study *s,
                     const double *values, int state, const char *worker,
                     int *failed, struct pz_error *err)
{
	struct pz_trial_row r;
	struct pz_trial t;
	char *text = pz_params_to_text(s->space, values), *reason = NULL;
	cJSON *point = NULL;
	int rc;

	if (text == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	rc = pz_eval(s->space, values, &point, err);
	cJSON_Delete(point);
	if (rc == PZ_EINVAL && failed != NULL) {
		cJSON *res = cJSON_CreateObject();

		cJSON_AddStringToObject(res, "error", err->msg);
		reason = res != NULL ? pz_json_print(res, NULL) : NULL;
		cJSON_Delete(res);
		rc = reason != NULL ? 0 : pz_error_set(err, PZ_ENOMEM,
		                                       "out of memory");
		state = PZ_T_FAIL;
		*failed = 1;
	}
	if (rc != 0) {
		free(text);
		return rc;
	}
	memset(&t, 0, sizeof(t));
	t.state = (unsigned char)state;
	t.created = pz_now();
	t.started = state != PZ_T_QUEUED ? t.created : NAN;
	t.finished = state == PZ_T_FAIL ? t.created : NAN;
	t.deadline = pz_clock() + s->heartbeat_timeout;
	memset(&r, 0, sizeof(r));
	r.study_id = s->id;
	r.number = (int64_t)s->n_trials;
	r.state = pz_tstate_name(state);
	r.params = text;
	r.loss = NAN;
	r.result = reason;
	r.worker = state == PZ_T_RUNNING ? worker : NULL;
	r.created = t.created;
	r.started = t.started;
	r.finished = t.finished;
	if ((rc = begin(core, err)) == 0 &&
	    (rc = pz_store_trial_insert(core->store, &r, &t.id, err)) != 0)
		write_failed(core, rc, err);
	free(reason);
	if (rc != 0) {
		free(text);
		return rc;
	}
	/* Keep the text for the ask reply: printing numbers exactly is a
	 * large part of a trial's cost. */
	free(s->fresh_params);
	s->fresh_params = text;
	s->fresh_number = (int64_t)s->n_trials;
	t.worker = dup_or_null(r.worker);
	rc = add_trial(core, s, &t, values, NAN);
	if (rc != 0) {
		free(t.worker);
		return write_failed(core, pz_error_set(err, rc, "out of memory"), err);
	}
	return 0;
}

int pz_core_ask(struct pz_core *core, struct pz_study *s, const char *worker,
                int64_t *number, const char **reason, struct pz_error *err)
{
	return pz_core_ask_capped(core, s, worker, 0, number, reason, err);
}

int pz_core_ask_capped(struct pz_core *core, struct pz_study *s,
                       const char *worker, int64_t cap, int64_t *number,
                       const char **reason, struct pz_error *err)
{
	double *values;
	uint32_t n;
	int rc = 0;

	*number = -1;
	*reason = NULL;
	if (worker != NULL) {
		for (size_t i = 0; i < s->n_running; i++) {
			const struct pz_trial *t = &s->trials[s->running[i]];

			if (t->worker != NULL && strcmp(t->worker, worker) == 0) {
				*number = s->running[i];
				return 0;
			}
		}
	}
	if (s->paused) {
		*reason = "paused";
		return 0;
	}
	if (s->max_trials > 0 && (cap <= 0 || s->max_trials < cap))
		cap = s->max_trials;
	if (s->n_queued > 0 && (cap <= 0 || (int64_t)s->queued[0] < cap)) {
		n = s->queued[0];
		if ((rc = hand_out(core, s, n, worker, err)) != 0)
			return rc;
		*number = n;
		return 0;
	}
	values = malloc((size_t)(s->space->n_params + 1) * sizeof(double));
	if (values == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	/* A suggestion whose point cannot be evaluated becomes a failed trial
	 * (see new_trial) and the next number is suggested; the failure also
	 * steers TPE away from that region. */
	for (;;) {
		int failed = 0;

		if (cap > 0 && (int64_t)s->n_trials >= cap) {
			*reason = "max_trials";
			break;
		}
		rc = pz_suggest(s->space, s->hist, s->algo, &s->cfg, s->seed,
		                s->n_trials, values, err);
		if (rc == 0)
			rc = new_trial(core, s, values, PZ_T_RUNNING, worker,
			               &failed, err);
		if (rc != 0 || !failed) {
			if (rc == 0)
				*number = (int64_t)s->n_trials - 1;
			break;
		}
	}
	free(values);
	return rc;
}

static int check_attempt(const struct pz_study *s, uint32_t number,
                         int64_t attempt, int allow_late,
                         struct pz_error *err)
{
	const struct pz_trial *t = &s->trials[number];

	if (t->state == PZ_T_OK || t->state == PZ_T_FAIL)
		return pz_error_set(err, PZ_ESTATE,
		                    "trial %lld already finished (%s); a trial is "
		                    "told once", (long long)t->id,
		                    pz_tstate_name(t->state));
	if (t->state == PZ_T_RUNNING) {
		if (attempt >= 0 && attempt != t->attempt)
			return pz_error_set(err, PZ_ESTATE,
			                    "trial %lld was reclaimed and handed out "
			                    "again (attempt %d, yours %lld); your "
			                    "result was not recorded", (long long)t->id,
			                    t->attempt, (long long)attempt);
		return 0;
	}
	/* Queued: reclaimed or released, waiting for its next run. */
	if (!allow_late)
		return pz_error_set(err, PZ_ESTATE,
		                    "trial %lld is not running (it was reclaimed or "
		                    "released and is queued again)",
		                    (long long)t->id);
	if (isnan(t->started))
		return pz_error_set(err, PZ_ESTATE,
		                    "trial %lld is queued and was never handed out",
		                    (long long)t->id);
	if (attempt >= 0 && attempt != t->attempt - 1)
		return pz_error_set(err, PZ_ESTATE,
		                    "trial %lld: attempt %lld does not match",
		                    (long long)t->id, (long long)attempt);
	return 0;
}

int pz_core_tell(struct pz_core *core, struct pz_study *s, uint32_t number,
                 int ok, double loss, const char *result_text,
                 int64_t attempt, struct pz_error *err)
{
	struct pz_trial t;
	int rc;

	if ((rc = check_attempt(s, number, attempt, 1, err)) != 0)
		return rc;
	t = s->trials[number];
	t.state = ok ? PZ_T_OK : PZ_T_FAIL;
	t.finished = pz_now();
	if ((rc = write_trial(core, s, number, &t, loss, result_text, err)) != 0)
		return rc;
	running_remove(s, number);
	queued_remove(s, number);
	t.run_index = -1;
	s->trials[number] = t;
	pz_history_set(s->hist, number, ok ? PZ_TRIAL_OK : PZ_TRIAL_FAIL,
	               ok ? loss : NAN);
	if (ok)
		update_best(s, number);
	return 0;
}

int pz_core_heartbeat(struct pz_core *core, struct pz_study *s,
                      uint32_t number, int64_t attempt, struct pz_error *err)
{
	int rc;

	(void)core;
	if ((rc = check_attempt(s, number, attempt, 0, err)) != 0)
		return rc;
	s->trials[number].deadline = pz_clock() + s->heartbeat_timeout;
	return 0;
}

/* Running -> queued, for release and reclaim. */
static int requeue(struct pz_core *core, struct pz_study *s, uint32_t number,
                   int reclaimed, struct pz_error *err)
{
	struct pz_trial t = s->trials[number];
	int rc;

	t.state = PZ_T_QUEUED;
	t.attempt++;
	t.reclaims += reclaimed;
	t.worker = NULL;
	if ((rc = write_trial(core, s, number, &t, NAN, NULL, err)) != 0)
		return rc;
	if (queued_add(s, number) != 0)
		return write_failed(core, pz_error_set(err, PZ_ENOMEM,
		                                       "out of memory"), err);
	running_remove(s, number);
	free(s->trials[number].worker);
	t.run_index = -1;
	s->trials[number] = t;
	return 0;
}

int pz_core_release(struct pz_core *core, struct pz_study *s, uint32_t number,
                    int64_t attempt, struct pz_error *err)
{
	int rc;

	if ((rc = check_attempt(s, number, attempt, 0, err)) != 0)
		return rc;
	return requeue(core, s, number, 0, err);
}

size_t pz_core_reclaim(struct pz_core *core, double now)
{
	struct pz_error err;
	size_t n = 0;

	for (struct pz_study *s = core->studies; s != NULL; s = s->next) {
		if (!s->loaded)
			continue;
		for (size_t i = 0; i < s->n_running;) {
			uint32_t number = s->running[i];

			if (s->trials[number].deadline >= now) {
				i++;
				continue;
			}
			/* requeue swaps another running trial into slot i. */
			if (requeue(core, s, number, 1, &err) != 0)
				return n;
			n++;
		}
	}
	return n;
}

int pz_core_enqueue(struct pz_core *core, struct pz_study *s,
                    const cJSON *params, uint32_t *number,
                    struct pz_error *err)
{
	double *values;
	int rc;

	if (s->max_trials > 0 && (int64_t)s->n_trials >= s->max_trials)
		return pz_error_set(err, PZ_ESTATE,
		                    "study '%s' already has max_trials (%lld) "
		                    "trials", s->name, (long long)s->max_trials);
	values = malloc((size_t)(s->space->n_params + 1) * sizeof(double));
	if (values == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	rc = pz_params_from_json(s->space, params, values, err);
	if (rc != 0)
		rc = PZ_EINVAL;
	else
		rc = new_trial(core, s, values, PZ_T_QUEUED, NULL, NULL, err);
	free(values);
	if (rc == 0)
		*number = (uint32_t)s->n_trials - 1;
	return rc;
}

/* --- JSON views ------------------------------------------------------------- */

static cJSON *number_or_null(double x)
{
	return isnan(x) ? cJSON_CreateNull() : cJSON_CreateNumber(x);
}

cJSON *pz_core_study_json(const struct pz_study *s)
{
	cJSON *o = cJSON_CreateObject(), *counts, *best;
	size_t n_ok = s->hist ? s->hist->n_ok : 0;
	size_t n_fail = s->hist ? s->hist->n_fail : 0;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "algo", algo_name(s->algo));
	cJSON_AddNumberToObject(o, "seed", (double)s->seed);
	cJSON_AddItemToObject(o, "space", cJSON_Parse(s->space_text));
	cJSON_AddItemToObject(o, "config", cJSON_Parse(s->config_text));
	if (s->max_trials > 0)
		cJSON_AddNumberToObject(o, "max_trials", (double)s->max_trials);
	else
		cJSON_AddNullToObject(o, "max_trials");
	cJSON_AddNumberToObject(o, "heartbeat_timeout", s->heartbeat_timeout);
	cJSON_AddStringToObject(o, "state", s->paused ? "paused" : "running");
	cJSON_AddNumberToObject(o, "created", s->created);
	counts = cJSON_AddObjectToObject(o, "counts");
	if (counts != NULL) {
		cJSON_AddNumberToObject(counts, "queued", (double)s->n_queued);
		cJSON_AddNumberToObject(counts, "running", (double)s->n_running);
		cJSON_AddNumberToObject(counts, "ok", (double)n_ok);
		cJSON_AddNumberToObject(counts, "fail", (double)n_fail);
		cJSON_AddNumberToObject(counts, "total", (double)s->n_trials);
	}
	if (s->loaded && s->best >= 0) {
		best = cJSON_AddObjectToObject(o, "best");
		if (best != NULL) {
			cJSON_AddNumberToObject(best, "id",
			                        (double)s->trials[s->best].id);
			cJSON_AddNumberToObject(best, "number", (double)s->best);
			cJSON_AddNumberToObject(best, "loss", s->hist->loss[s->best]);
		}
	} else {
		cJSON_AddNullToObject(o, "best");
	}
	return o;
}

cJSON *pz_core_trial_json(const struct pz_study *s, uint32_t number,
                          const char *result_text)
{
	const struct pz_trial *t = &s->trials[number];
	const double *values = pz_history_row(s->hist, number);
	cJSON *o = cJSON_CreateObject(), *point = NULL, *result = NULL;

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)t->id);
	cJSON_AddStringToObject(o, "study", s->name);
	cJSON_AddNumberToObject(o, "number", number);
	cJSON_AddStringToObject(o, "state", pz_tstate_name(t->state));
	if (s->fresh_params != NULL && s->fresh_number == (int64_t)number)
		cJSON_AddRawToObject(o, "params", s->fresh_params);
	else
		cJSON_AddItemToObject(o, "params",
		                      pz_params_to_json(s->space, values));
	if (pz_eval(s->space, values, &point, NULL) != 0)
		point = cJSON_CreateNull();
	cJSON_AddItemToObject(o, "point", point);
	cJSON_AddItemToObject(o, "loss",
	                      number_or_null(t->state == PZ_T_OK
	                                         ? s->hist->loss[number] : NAN));
	if (result_text != NULL)
		result = cJSON_Parse(result_text);
	cJSON_AddItemToObject(o, "result",
	                      result != NULL ? result : cJSON_CreateNull());
	if (t->worker != NULL)
		cJSON_AddStringToObject(o, "worker", t->worker);
	else
		cJSON_AddNullToObject(o, "worker");
	cJSON_AddNumberToObject(o, "attempt", t->attempt);
	cJSON_AddNumberToObject(o, "reclaims", t->reclaims);
	cJSON_AddItemToObject(o, "created", number_or_null(t->created));
	cJSON_AddItemToObject(o, "started", number_or_null(t->started));
	cJSON_AddItemToObject(o, "finished", number_or_null(t->finished));
	if (t->state == PZ_T_RUNNING)
		cJSON_AddNumberToObject(o, "deadline",
		                        pz_clock_to_wall(t->deadline));
	return o;
}
