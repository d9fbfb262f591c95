/*
 * Studies in memory, loading, the batch around the store, and the history
 * backlog; see core.h.
 */
#include "core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <parzen/params.h>

#include "clock.h"
#include "pruning.h"

static const char *const tstate_names[PZ_T_NSTATES] = {
	[PZ_T_QUEUED] = "queued",
	[PZ_T_RUNNING] = "running",
	[PZ_T_OK] = "ok",
	[PZ_T_FAIL] = "fail",
	[PZ_T_PRUNED] = "pruned",
};

const char *pz_tstate_name(int state)
{
	return state >= 0 && state < PZ_T_NSTATES ? tstate_names[state] : "?";
}

int pz_tstate_parse(const char *name)
{
	for (int i = 0; i < PZ_T_NSTATES; i++)
		if (strcmp(name, tstate_names[i]) == 0)
			return i;
	return -1;
}

double pz_core_now(const struct pz_core *core)
{
	if (core->hooks.liveness != NULL)
		return core->hooks.liveness(core->hooks.ctx);
	return pz_clock_mono();
}

void pz_core_event(struct pz_core *core, const struct pz_study *s,
                   enum pz_event_kind kind, int64_t number)
{
	if (core->hooks.event != NULL)
		core->hooks.event(core->hooks.ctx, s, kind, number);
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
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

/* --- the history backlog -------------------------------------------------- */

struct pz_hist_op {
	uint32_t number;
	int add;               /* else set */
	enum pz_trial_state state;
	double loss;
	int64_t step;          /* set, PRUNED: the last reported step */
	double *values;        /* add: owned copy */
};

static int backlog_push(struct pz_study *s, const struct pz_hist_op *op)
{
	if (grow((void **)&s->backlog, &s->cap_backlog, s->n_backlog + 1,
	         sizeof(*s->backlog)) != 0)
		return PZ_ENOMEM;
	s->backlog[s->n_backlog++] = *op;
	return 0;
}

int pz_core_hist_add(struct pz_study *s, uint32_t number,
                     const double *values, enum pz_trial_state state,
                     double loss)
{
	struct pz_hist_op op = {number, 1, state, loss, -1, NULL};
	size_t n = (size_t)s->space->n_params;

	if (!s->busy)
		return pz_history_add(s->hist, number, values, state, loss);
	op.values = malloc((n ? n : 1) * sizeof(double));
	if (op.values == NULL)
		return PZ_ENOMEM;
	memcpy(op.values, values, n * sizeof(double));
	if (backlog_push(s, &op) != 0) {
		free(op.values);
		return PZ_ENOMEM;
	}
	return 0;
}

static int hist_set(struct pz_history *h, const struct pz_hist_op *op)
{
	if (op->state == PZ_TRIAL_PRUNED)
		return pz_history_set_pruned(h, op->number, op->step, op->loss);
	return pz_history_set(h, op->number, op->state, op->loss);
}

int pz_core_hist_set(struct pz_study *s, uint32_t number,
                     enum pz_trial_state state, double loss, int64_t step)
{
	struct pz_hist_op op = {number, 0, state, loss, step, NULL};

	if (!s->busy)
		return hist_set(s->hist, &op);
	return backlog_push(s, &op);
}

void pz_core_busy(struct pz_study *s)
{
	s->busy = 1;
}

static void backlog_clear(struct pz_study *s)
{
	for (size_t i = 0; i < s->n_backlog; i++)
		free(s->backlog[i].values);
	free(s->backlog);
	s->backlog = NULL;
	s->n_backlog = s->cap_backlog = 0;
}

int pz_core_unbusy(struct pz_core *core, struct pz_study *s)
{
	int rc = 0;

	(void)core;
	s->busy = 0;
	for (size_t i = 0; i < s->n_backlog && rc == 0; i++) {
		const struct pz_hist_op *op = &s->backlog[i];

		if (op->add)
			rc = pz_history_add(s->hist, op->number, op->values,
			                    op->state, op->loss);
		else
			rc = hist_set(s->hist, op);
	}
	backlog_clear(s);
	return rc;
}

const double *pz_core_values(const struct pz_study *s, uint32_t number)
{
	if (number < s->hist->n_slots &&
	    s->hist->state[number] != PZ_TRIAL_NONE)
		return pz_history_row(s->hist, number);
	for (size_t i = s->n_backlog; i-- > 0;)
		if (s->backlog[i].add && s->backlog[i].number == number)
			return s->backlog[i].values;
	return NULL;
}

/* --- per-study arrays ------------------------------------------------------- */

int pz_core_running_add(struct pz_study *s, uint32_t number)
{
	if (grow((void **)&s->running, &s->cap_running, s->n_running + 1,
	         sizeof(uint32_t)) != 0)
		return PZ_ENOMEM;
	s->trials[number].run_index = (int32_t)s->n_running;
	s->running[s->n_running++] = number;
	return 0;
}

void pz_core_running_remove(struct pz_study *s, uint32_t number)
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
int pz_core_queued_add(struct pz_study *s, uint32_t number)
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

void pz_core_queued_remove(struct pz_study *s, uint32_t number)
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

void pz_core_update_best(struct pz_study *s, uint32_t number)
{
	double loss = s->trials[number].loss;

	if (s->trials[number].state != PZ_T_OK)
		return;
	if (s->best < 0 || loss < s->trials[s->best].loss ||
	    (loss == s->trials[s->best].loss && number < s->best))
		s->best = number;
}

enum pz_trial_state pz_core_hist_state(int tstate)
{
	switch (tstate) {
	case PZ_T_OK:
		return PZ_TRIAL_OK;
	case PZ_T_FAIL:
		return PZ_TRIAL_FAIL;
	case PZ_T_PRUNED:
		return PZ_TRIAL_PRUNED;
	default:
		return PZ_TRIAL_PENDING;
	}
}

int pz_core_trial_append(struct pz_core *core, struct pz_study *s,
                         const struct pz_trial *t, const double *values)
{
	uint32_t number = (uint32_t)s->n_trials;
	int rc;

	if ((rc = grow((void **)&s->trials, &s->cap_trials, s->n_trials + 1,
	               sizeof(*s->trials))) != 0)
		return rc;
	rc = pz_core_hist_add(s, number, values, pz_core_hist_state(t->state),
	                      t->state == PZ_T_OK || t->state == PZ_T_PRUNED
	                              ? t->loss
	                              : NAN);
	if (rc != 0)
		return rc;
	s->trials[number] = *t;
	s->trials[number].run_index = -1;
	s->n_trials++;
	if ((t->state == PZ_T_RUNNING && pz_core_running_add(s, number) != 0) ||
	    (t->state == PZ_T_QUEUED && pz_core_queued_add(s, number) != 0) ||
	    pz_idmap_put(&core->ids, t->id, s, number) != 0) {
		/* Undo: the history slot stays (it cannot be taken back from
		 * a busy study), but the batch is poisoned by the caller and
		 * the study dropped at commit. */
		s->n_trials--;
		pz_core_running_remove(s, number);
		pz_core_queued_remove(s, number);
		return PZ_ENOMEM;
	}
	s->counts[t->state]++;
	pz_core_update_best(s, number);
	return 0;
}

/* --- loading and unloading ------------------------------------------------ */

static void unload(struct pz_core *core, struct pz_study *s)
{
	for (size_t i = 0; i < s->n_trials; i++) {
		pz_idmap_remove(&core->ids, s->trials[i].id);
		free(s->trials[i].worker);
	}
	free(s->trials);
	free(s->queued);
	free(s->running);
	free(s->fresh_params);
	backlog_clear(s);
	pz_history_destroy(s->hist);
	pz_tpe_cache_destroy(s->tpe_cache);
	s->tpe_cache = NULL;
	pz_space_destroy(s->space);
	pz_reports_destroy(s->reports);
	pz_prune_destroy(s->pruner);
	s->reports = NULL;
	s->pruner = NULL;
	s->fresh_params = NULL;
	s->trials = NULL;
	s->queued = s->running = NULL;
	s->n_trials = s->cap_trials = s->n_queued = s->cap_queued = 0;
	s->n_running = s->cap_running = 0;
	memset(s->counts, 0, sizeof(s->counts));
	s->hist = NULL;
	s->space = NULL;
	s->best = -1;
	if (s->load == PZ_LOAD_YES)
		s->load = PZ_LOAD_NO;
}

static void study_free(struct pz_study *s)
{
	free(s->name);
	free(s->space_text);
	free(s->config_text);
	free(s->pruner_text);
	free(s->damage);
	free(s);
}

/* Take `s` out of memory; one held by a suggestion goes when it is done. */
static void study_drop(struct pz_core *core, struct pz_study *s)
{
	if (s->refs > 0) {
		/* The suggestion thread still reads its history: keep that,
		 * forget the trials' ids now (the registry no longer has s). */
		for (size_t i = 0; i < s->n_trials; i++)
			pz_idmap_remove(&core->ids, s->trials[i].id);
		s->dead = 1;
		return;
	}
	unload(core, s);
	study_free(s);
}

void pz_core_hold(struct pz_study *s)
{
	s->refs++;
}

void pz_core_release_study(struct pz_core *core, struct pz_study *s)
{
	if (--s->refs > 0 || !s->dead)
		return;
	/* Its trials' ids were removed from the map when it was dropped;
	 * the map may hold the same ids for a reloaded copy now. */
	for (size_t i = 0; i < s->n_trials; i++)
		free(s->trials[i].worker);
	s->n_trials = 0;
	unload(core, s);
	study_free(s);
}

static void damage(struct pz_study *s, const char *why)
{
	free(s->damage);
	s->damage = strdup(why);
	s->load = PZ_LOAD_DAMAGED;
}

int pz_core_study_parse(const struct pz_study *s, struct pz_space **space,
                        struct pz_algo_config *cfg, struct pz_error *err)
{
	cJSON *json;
	int rc;

	*space = NULL;
	rc = pz_space_create_from_text(s->space_text, strlen(s->space_text),
	                               "space", space, err);
	if (rc != 0)
		return rc;
	json = cJSON_Parse(s->config_text);
	rc = pz_algo_config_from_json(cfg, s->algo, json, err);
	cJSON_Delete(json);
	if (rc != 0) {
		pz_space_destroy(*space);
		*space = NULL;
	}
	return rc;
}

void pz_core_damage(struct pz_study *s, const char *why)
{
	damage(s, why);
}

int pz_core_install(struct pz_core *core, struct pz_study *s,
                    struct pz_space *space, const struct pz_algo_config *cfg,
                    struct pz_history *hist, struct pz_trial *trials,
                    size_t n, struct pz_error *err)
{
	double deadline = pz_core_now(core) + s->heartbeat_timeout;

	s->space = space;
	s->cfg = *cfg;
	pz_tpe_cache_destroy(s->tpe_cache); /* it described another history */
	s->tpe_cache = NULL;
	s->hist = hist;
	s->trials = trials;
	s->n_trials = s->cap_trials = n;
	s->best = -1;
	memset(s->counts, 0, sizeof(s->counts));
	if (pz_idmap_reserve(&core->ids, n) != 0)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		struct pz_trial *t = &trials[i];
		uint32_t number = (uint32_t)i;

		t->run_index = -1;
		/* Workers get a full timeout after a restart to heartbeat. */
		t->deadline = deadline;
		s->counts[t->state]++;
		if ((t->state == PZ_T_RUNNING &&
		     pz_core_running_add(s, number) != 0) ||
		    (t->state == PZ_T_QUEUED &&
		     pz_core_queued_add(s, number) != 0) ||
		    pz_idmap_put(&core->ids, t->id, s, number) != 0)
			goto nomem;
		pz_core_update_best(s, number);
	}
	s->load = PZ_LOAD_YES;
	return 0;
nomem:
	s->load = PZ_LOAD_YES; /* so that unload frees it all */
	unload(core, s);
	return pz_error_set(err, PZ_ENOMEM, "out of memory loading study '%s'",
	                    s->name);
}

/* A new study: loaded, with no trials. */
static int install_empty(struct pz_core *core, struct pz_study *s,
                         struct pz_error *err)
{
	struct pz_algo_config cfg;
	struct pz_space *space;
	struct pz_history *hist;
	int rc;

	struct pz_pruner *pruner;

	if ((rc = pz_core_study_parse(s, &space, &cfg, err)) != 0)
		return rc;
	if ((rc = pz_pruning_parse(s->pruner_text, &pruner, err)) != 0) {
		pz_space_destroy(space);
		return rc;
	}
	if (pz_history_create(space, &hist) != 0) {
		pz_space_destroy(space);
		pz_prune_destroy(pruner);
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	}
	rc = pz_core_install(core, s, space, &cfg, hist, NULL, 0, err);
	if (rc == 0)
		s->pruner = pruner;
	else
		pz_prune_destroy(pruner);
	return rc;
}

/* --- the study list --------------------------------------------------------- */

static struct pz_study *study_new(const struct pz_study_row *r)
{
	struct pz_study *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->id = r->id;
	s->name = strdup(r->name);
	s->space_text = strdup(r->space);
	s->config_text = strdup(r->config);
	s->pruner_text = dup_or_null(r->pruner);
	if (s->name == NULL || s->space_text == NULL || s->config_text == NULL ||
	    (r->pruner != NULL && s->pruner_text == NULL)) {
		study_free(s);
		return NULL;
	}
	if (pz_algo_parse(r->algo, &s->algo) != 0) {
		char why[300];

		snprintf(why, sizeof(why), "unknown algo '%.200s' (a newer "
		         "parzend wrote it?)", r->algo);
		damage(s, why);
	}
	s->seed = (uint64_t)r->seed;
	s->max_trials = r->max_trials;
	s->heartbeat_timeout = r->heartbeat_timeout;
	s->paused = r->paused;
	s->created = r->created;
	s->best = -1;
	s->askers_tail = &s->askers;
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

static void unlink_study(struct pz_core *core, struct pz_study *s)
{
	struct pz_study **p;

	for (p = &core->studies; *p != NULL && *p != s; p = &(*p)->next)
		;
	if (*p == s)
		*p = s->next;
	s->next = NULL;
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
		study_drop(core, s);
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
	core->batch = 1;
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
	return pz_store_in_txn(core->store) || core->txn_failed;
}

uint64_t pz_core_reply_batch(const struct pz_core *core)
{
	return pz_core_dirty(core) ? core->batch : core->committed;
}

/* After a failed batch: forget memory, read the study list again. */
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
	int rc = 0;

	if (!pz_core_dirty(core))
		return 0;
	if (core->txn_failed) {
		rc = pz_error_set(err, PZ_EIO,
		                  "%s; the changes of this batch were rolled "
		                  "back", core->failure);
		pz_store_rollback(core->store);
		reset(core);
	} else if ((rc = pz_store_commit(core->store, err)) != 0) {
		reset(core);
	} else {
		core->committed = core->batch;
		core->n_commits++;
	}
	core->batch++;
	return rc;
}

int pz_core_write_failed(struct pz_core *core, int rc,
                         const struct pz_error *err)
{
	if (!core->txn_failed)
		snprintf(core->failure, sizeof(core->failure), "%s",
		         err != NULL && err->msg[0] ? err->msg
		                                    : pz_strerror(rc));
	core->txn_failed = 1;
	return rc;
}

int pz_core_begin(struct pz_core *core, struct pz_error *err)
{
	int rc;

	/* After a failed write SQLite may already have rolled the batch back
	 * and be in autocommit mode: no further write may slip through. */
	if (core->txn_failed)
		return pz_error_set(err, PZ_EIO, "%s", core->failure);
	rc = pz_store_begin(core->store, err);
	if (rc != 0)
		pz_core_write_failed(core, rc, err);
	return rc;
}

int pz_core_find(struct pz_core *core, const char *name,
                 struct pz_study **out, struct pz_error *err)
{
	struct pz_study *s;

	for (s = core->studies; s != NULL; s = s->next)
		if (strcmp(s->name, name) == 0)
			break;
	if (s == NULL)
		return pz_error_set(err, PZ_ENOENT, "no study named '%s'", name);
	*out = s;
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
		if (s == NULL || s->load == PZ_LOAD_YES)
			return pz_error_set(err, PZ_ENOENT,
			                    "no trial with id %lld", (long long)id);
		/* Its study must be loaded first. */
		*study = s;
		return PZ_CORE_UNLOADED;
	}
	*study = slot->study;
	*number = slot->number;
	return 0;
}

/* --- studies ---------------------------------------------------------------- */

/* Equal texts, or both NULL. */
static int same_text(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static const char *definition_difference(const struct pz_study *s,
                                         const struct pz_study_def *d)
{
	if (strcmp(s->space_text, d->space_text) != 0)
		return "space";
	if (s->algo != d->algo)
		return "algo";
	if (d->has_seed && s->seed != d->seed)
		return "seed";
	if (s->max_trials != d->max_trials)
		return "max_trials";
	if (strcmp(s->config_text, d->config_text) != 0)
		return "config";
	if (s->heartbeat_timeout != d->heartbeat_timeout)
		return "heartbeat_timeout";
	if (d->has_pruner && !same_text(s->pruner_text, d->pruner_text))
		return "pruner";
	return NULL;
}

/*
 * A seed for a study created without one: from the clock and the name,
 * then stored, so the study resumes with it. (Not a secret: it only has
 * to differ between studies.)
 */
static uint64_t fresh_seed(const char *name)
{
	uint64_t h = 1469598103934665603ull;
	double t = pz_clock_wall();
	uint64_t bits;

	memcpy(&bits, &t, sizeof(bits));
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	h ^= bits + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h & ((1ull << 53) - 1);
}

int pz_core_create(struct pz_core *core, const struct pz_study_def *def,
                   int exist_ok, struct pz_study **out, int *existed,
                   struct pz_error *err)
{
	struct pz_study_def d = *def;
	struct pz_study_row row;
	struct pz_study *s = NULL;
	const char *diff;
	int rc;

	*existed = 0;
	if (d.heartbeat_timeout <= 0)
		d.heartbeat_timeout = PZ_DEFAULT_HEARTBEAT_TIMEOUT;
	if (pz_core_find(core, d.name, &s, NULL) == 0) {
		diff = definition_difference(s, &d);
		if (!exist_ok)
			return pz_error_set_at(err, PZ_EEXIST, "params.name",
			                       "a study named '%s' already exists "
			                       "(pass exist_ok to reuse it)",
			                       d.name);
		if (diff != NULL && (strcmp(diff, "max_trials") == 0 ||
		                     strcmp(diff, "heartbeat_timeout") == 0))
			return pz_error_set_key(err, PZ_EEXIST, "params", diff,
			                        "study '%s' exists with a "
			                        "different %s; study.update "
			                        "changes it (parzen set %s "
			                        "--%s ...)", d.name, diff, d.name,
			                        diff[0] == 'm' ? "max-trials"
			                                       : "heartbeat-timeout");
		if (diff != NULL)
			return pz_error_set_key(err, PZ_EEXIST, "params", diff,
			                        "study '%s' exists with a "
			                        "different %s", d.name, diff);
		*existed = 1;
		*out = s;
		return 0;
	}
	memset(&row, 0, sizeof(row));
	row.name = d.name;
	row.space = d.space_text;
	row.algo = pz_algo_name(d.algo);
	row.seed = (int64_t)(d.has_seed ? d.seed : fresh_seed(d.name));
	row.config = d.config_text;
	row.max_trials = d.max_trials;
	row.heartbeat_timeout = d.heartbeat_timeout;
	row.pruner = d.pruner_text;
	row.created = pz_clock_wall();
	if ((rc = pz_core_begin(core, err)) != 0)
		return rc;
	if ((rc = pz_store_study_insert(core->store, &row, &row.id, err)) != 0)
		return pz_core_write_failed(core, rc, err);
	s = study_new(&row);
	if (s == NULL)
		return pz_core_write_failed(
		        core, pz_error_set(err, PZ_ENOMEM, "out of memory"), err);
	link_study(core, s);
	if ((rc = install_empty(core, s, err)) != 0)
		return pz_core_write_failed(core, rc, err);
	pz_core_event(core, s, PZ_EV_STUDY_CHANGED, -1);
	*out = s;
	return 0;
}

int pz_core_set_paused(struct pz_core *core, struct pz_study *s, int paused,
                       struct pz_error *err)
{
	int rc;

	if (s->paused == paused)
		return 0;
	if ((rc = pz_core_begin(core, err)) != 0)
		return rc;
	rc = pz_store_study_set_paused(core->store, s->id, paused, err);
	if (rc != 0)
		return pz_core_write_failed(core, rc, err);
	s->paused = paused;
	pz_core_event(core, s, PZ_EV_STUDY_CHANGED, -1);
	return 0;
}

int pz_core_delete(struct pz_core *core, struct pz_study *s, size_t *n_trials,
                   struct pz_error *err)
{
	int rc;

	if ((rc = pz_core_begin(core, err)) != 0)
		return rc;
	rc = pz_store_study_delete(core->store, s->id, err);
	if (rc != 0)
		return pz_core_write_failed(core, rc, err);
	*n_trials = s->n_trials;
	pz_core_event(core, s, PZ_EV_STUDY_DELETED, -1);
	unlink_study(core, s);
	study_drop(core, s);
	return 0;
}

/* --- reading stored trials ---------------------------------------------------- */

static int keep_result(void *arg, const struct pz_trial_row *r)
{
	char **out = arg;

	*out = r->result != NULL ? strdup(r->result) : NULL;
	return r->result != NULL && *out == NULL ? PZ_ENOMEM : 0;
}

int pz_core_trial_result(struct pz_core *core, const struct pz_study *s,
                         uint32_t number, char **out, struct pz_error *err)
{
	int state = s->trials[number].state;

	*out = NULL;
	/* Only told trials (and suggestions that failed) have a result. */
	if (state != PZ_T_OK && state != PZ_T_FAIL && state != PZ_T_PRUNED)
		return 0;
	return pz_store_trial_get(core->store, s->trials[number].id,
	                          keep_result, out, err);
}

int pz_core_trial_rows(struct pz_core *core, const struct pz_study *s,
                       int state, int64_t offset, int64_t limit,
                       pz_store_trial_cb cb, void *ctx, struct pz_error *err)
{
	return pz_store_trial_list(core->store, s->id,
	                           state >= 0 ? pz_tstate_name(state) : NULL,
	                           offset, limit, cb, ctx, err);
}

/* --- import ------------------------------------------------------------------- */

/* Append one checked trial of an import to `s` (store, then memory). */
static int import_trial(struct pz_core *core, struct pz_study *s,
                        const struct pz_import_trial *it,
                        const double *values, struct pz_error *err)
{
	int running = it->state == PZ_T_RUNNING;
	char *text = pz_params_to_text(s->space, values);
	struct pz_trial_row r;
	struct pz_trial t;
	int rc;

	if (text == NULL)
		return pz_core_write_failed(
		        core, pz_error_set(err, PZ_ENOMEM, "out of memory"), err);
	memset(&t, 0, sizeof(t));
	t.state = (unsigned char)(running ? PZ_T_QUEUED : it->state);
	t.attempt = (int32_t)(it->attempt + running);
	t.reclaims = (int32_t)it->reclaims;
	t.loss = t.state == PZ_T_OK || t.state == PZ_T_PRUNED ? it->loss : NAN;
	t.created = it->created;
	t.started = it->started;
	t.finished = t.state == PZ_T_QUEUED ? NAN : it->finished;
	t.deadline = pz_core_now(core) + s->heartbeat_timeout;
	memset(&r, 0, sizeof(r));
	r.study_id = s->id;
	r.number = (int64_t)s->n_trials;
	r.state = pz_tstate_name(t.state);
	r.params = text;
	r.loss = t.loss;
	r.result = t.state == PZ_T_QUEUED ? NULL : it->result;
	r.worker = t.state == PZ_T_QUEUED ? NULL : it->worker;
	r.attempt = t.attempt;
	r.reclaims = t.reclaims;
	r.created = t.created;
	r.started = t.started;
	r.finished = t.finished;
	if ((rc = pz_core_begin(core, err)) == 0 &&
	    (rc = pz_store_trial_insert(core->store, &r, &t.id, err)) != 0)
		pz_core_write_failed(core, rc, err);
	free(text);
	if (rc != 0)
		return rc;
	t.worker = dup_or_null(r.worker);
	if ((r.worker != NULL && t.worker == NULL) ||
	    pz_core_trial_append(core, s, &t, values) != 0) {
		free(t.worker);
		return pz_core_write_failed(
		        core, pz_error_set(err, PZ_ENOMEM, "out of memory"), err);
	}
	pz_core_event(core, s, PZ_EV_TRIAL_CREATED, r.number);
	return 0;
}

/* Trials first..first+n-1 of `s` have these params, bit for bit (NAN
 * for an inactive label included)? */
static int same_history(const struct pz_study *s, int64_t first,
                        const double *values, size_t n, size_t stride)
{
	size_t np = (size_t)s->space->n_params;

	if (s->n_trials < (size_t)first + n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (memcmp(pz_core_values(s, (uint32_t)(first + (int64_t)i)),
		           values + i * stride, np * sizeof(double)) != 0)
			return 0;
	return 1;
}

int pz_core_import(struct pz_core *core, const struct pz_study_def *def,
                   int exist_ok, int64_t first, int part,
                   const struct pz_import_trial *trials, size_t n,
                   struct pz_study **out, int *existed, struct pz_error *err)
{
	struct pz_space *space = NULL;
	struct pz_study *s;
	double *values = NULL;
	size_t stride;
	int rc;

	*existed = 0;
	if (def->max_trials > 0 && first + (int64_t)n > def->max_trials)
		return pz_error_set_at(err, PZ_EINVAL, "params.trials",
		                       "%lld trials are more than max_trials "
		                       "(%lld)", (long long)first + (long long)n,
		                       (long long)def->max_trials);
	rc = pz_space_create_from_text(def->space_text, strlen(def->space_text),
	                               "space", &space, err);
	if (rc != 0)
		return rc;
	/* One spare slot per row: pz_params_from_json may write n_params. */
	stride = (size_t)space->n_params + 1;
	values = malloc((n > 0 ? n : 1) * stride * sizeof(double));
	if (values == NULL) {
		rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
		goto out;
	}
	/* Check everything before the first write. */
	for (size_t i = 0; i < n; i++) {
		struct pz_error perr = {0};
		char path[PZ_ERROR_PATH_MAX];
		const char *msg;

		rc = pz_params_from_json(space, trials[i].params,
		                         values + i * stride, &perr);
		if (rc == 0)
			continue;
		/* perr names "params.<label>"; in the request that is
		 * params.trials[i].params.<label>. */
		msg = perr.msg + (perr.path[0] ? strlen(perr.path) + 2 : 0);
		snprintf(path, sizeof(path), "params.trials[%zu].%.300s", i,
		         perr.path[0] ? perr.path : "params");
		pz_error_set_at(err, rc, path, "%s", msg);
		goto out;
	}
	/* A later part goes to the study the first part made. */
	if (first > 0 && pz_core_find(core, def->name, &s, NULL) != 0) {
		rc = pz_error_set_at(err, PZ_ENOENT, "params.offset",
		                     "no study '%s' to append trials %lld and on "
		                     "to (send the part at offset 0 first)",
		                     def->name, (long long)first);
		goto out;
	}
	rc = pz_core_create(core, def, exist_ok || first > 0, &s, existed, err);
	if (rc != 0)
		goto out;
	if (*existed) {
		/* The caller loaded it (pz_load_need). */
		if (s->load != PZ_LOAD_YES) {
			rc = pz_error_set(err, PZ_EDAMAGED, "study '%s' is "
			                  "damaged", s->name);
			goto out;
		}
		if (same_history(s, first, values, n, stride) &&
		    (part || s->n_trials == n)) {
			*out = s;   /* this part is there already */
			goto out;
		}
		if (first == 0 || s->n_trials != (size_t)first) {
			rc = pz_error_set_at(err, PZ_EEXIST, "params.trials",
			                     "study '%s' exists with a different "
			                     "history (%zu trials; this part has "
			                     "%zu from number %lld)", def->name,
			                     s->n_trials, n, (long long)first);
			goto out;
		}
		*existed = 0;   /* a new part */
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = import_trial(core, s, &trials[i], values + i * stride,
		                       err)) != 0)
			goto out;
	if ((rc = pz_pruning_import(core, s, first, trials, n, err)) != 0)
		goto out;
	/* Pruned trials rank by their last step, known now. */
	for (size_t i = 0; i < n; i++) {
		uint32_t number = (uint32_t)first + (uint32_t)i;

		if (s->trials[number].state == PZ_T_PRUNED &&
		    pz_core_hist_set(s, number, PZ_TRIAL_PRUNED,
		                     s->trials[number].loss,
		                     pz_pruning_last_step(s, number)) != 0) {
			rc = pz_core_write_failed(
			        core, pz_error_set(err, PZ_ENOMEM, "out of memory"),
			        err);
			goto out;
		}
	}
	*out = s;
out:
	free(values);
	pz_space_destroy(space);
	return rc;
}

/* --- settings ------------------------------------------------------------------ */

int pz_core_update(struct pz_core *core, struct pz_study *s,
                   const struct pz_core_settings *set, struct pz_error *err)
{
	const char *pruner_text = set->set_pruner ? set->pruner_text
	                                          : s->pruner_text;
	struct pz_pruner *pruner = NULL;
	char *text = NULL;
	int rc;

	if (s->max_trials == set->max_trials &&
	    s->heartbeat_timeout == set->heartbeat_timeout &&
	    same_text(s->pruner_text, pruner_text))
		return 0;
	if (set->set_pruner) {
		if ((rc = pz_pruning_parse(pruner_text, &pruner, err)) != 0)
			return rc;
		if (pruner_text != NULL && (text = strdup(pruner_text)) == NULL) {
			pz_prune_destroy(pruner);
			return pz_error_set(err, PZ_ENOMEM, "out of memory");
		}
	}
	if ((rc = pz_core_begin(core, err)) != 0)
		goto fail;
	rc = pz_store_study_update(core->store, s->id, set->max_trials,
	                           set->heartbeat_timeout, pruner_text, err);
	if (rc != 0) {
		rc = pz_core_write_failed(core, rc, err);
		goto fail;
	}
	s->max_trials = set->max_trials;
	s->heartbeat_timeout = set->heartbeat_timeout;
	if (set->set_pruner) {
		free(s->pruner_text);
		s->pruner_text = text;
		pz_prune_destroy(s->pruner);
		s->pruner = pruner;
	}
	pz_core_event(core, s, PZ_EV_STUDY_CHANGED, -1);
	return 0;
fail:
	free(text);
	pz_prune_destroy(pruner);
	return rc;
}
