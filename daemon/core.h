/*
 * The daemon's state: studies, each with its trials in memory for the
 * suggester, and the batch (group-commit) bookkeeping around the store.
 * Nothing here knows about connections, JSON-RPC or libuv: handlers call
 * in, unit tests and the fuzzer drive it directly. The trial life cycle
 * itself (every change of a trial's state) is trial.h's.
 *
 * Every mutating operation writes to the store first (inside the open
 * batch transaction) and changes memory only when that succeeded. A
 * failed write marks the batch as failed; pz_core_commit() then rolls back
 * and drops every study from memory; they are read again on next use, so
 * memory never holds a change that did not commit.
 *
 * Studies are loaded on first use. A study whose rows cannot be read back
 * (a space or params that this parzend refuses) is "damaged": it stays in
 * listings with the reason and refuses work, and never takes other
 * studies down with it.
 *
 * The suggester may read a study's history on another thread (suggest.h
 * of the daemon, ask.c). While it does (s->busy), changes to the history
 * are kept in a backlog and applied when it is done; the views of a trial
 * (state, loss, params) read the study's own arrays, which are always
 * current.
 */
#ifndef PZ_CORE_H
#define PZ_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include <parzen/error.h>
#include <parzen/history.h>
#include <parzen/prune.h>
#include <parzen/reports.h>
#include <parzen/space.h>
#include <parzen/suggest.h>
#include <parzen/tpe.h>

#include "idmap.h"
#include "store.h"

enum pz_tstate {
	PZ_T_QUEUED,
	PZ_T_RUNNING,
	PZ_T_OK,
	PZ_T_FAIL,
	PZ_T_PRUNED,
	PZ_T_NSTATES
};

struct pz_trial {
	int64_t id;
	unsigned char state;   /* enum pz_tstate */
	int32_t attempt;
	int32_t reclaims;
	int32_t run_index;     /* position in study->running, or -1 */
	char *worker;
	double loss;           /* NAN unless ok (or pruned with a value) */
	double created, started, finished;
	double deadline;       /* running: reclaimed after this (liveness) */
};

enum pz_load {
	PZ_LOAD_NO,            /* only the study row is in memory */
	PZ_LOAD_YES,
	PZ_LOAD_DAMAGED,       /* s->damage says why */
};

/* A change to the history kept for later (core.c). */
struct pz_hist_op;

/* A request waiting for a study (its loading, or a suggestion). */
struct pz_wait {
	struct pz_wait *next;
	void (*resume)(struct pz_wait *w, int rc, const struct pz_error *err);
};

struct pz_study {
	struct pz_study *next;
	int64_t id;
	char *name;
	char *space_text;
	char *config_text;     /* effective config, JSON */
	char *pruner_text;     /* NULL: none */
	enum pz_algo algo;
	uint64_t seed;
	int64_t max_trials;    /* 0: unlimited */
	double heartbeat_timeout;
	int paused;
	double created;

	enum pz_load load;
	char *damage;          /* PZ_LOAD_DAMAGED: why */
	struct pz_space *space;
	struct pz_algo_config cfg;
	struct pz_history *hist;
	/* What TPE keeps between this study's suggestions (tpe.h): made by
	 * the first suggestion, used by one at a time, freed with hist. */
	struct pz_tpe_cache *tpe_cache;
	struct pz_trial *trials;   /* by number */
	size_t n_trials, cap_trials;
	size_t counts[PZ_T_NSTATES];
	uint32_t *queued;          /* numbers, ascending */
	size_t n_queued, cap_queued;
	uint32_t *running;         /* numbers, unordered */
	size_t n_running, cap_running;
	int64_t best;              /* number of the best ok trial, -1 */
	/* Intermediate values and prune decisions (pruning.h): NULL until
	 * a trial of the study reports. The pruner, parsed (never NULL once
	 * loaded; kind none when the study has none). */
	struct pz_reports *reports;
	struct pz_pruner *pruner;
	/* The stored params text of the newest trial, reused by its reply. */
	char *fresh_params;
	int64_t fresh_number;

	/* Suggestions (ask.c): one at a time, off the loop. */
	int busy;                  /* a suggestion reads hist now */
	struct pz_hist_op *backlog;
	size_t n_backlog, cap_backlog;
	struct pz_wait *askers, **askers_tail;   /* waiting for a trial */
	int loading;               /* load.c reads it now */
	struct pz_wait *loaders;   /* requests waiting for it to load */
	int refs;                  /* holders besides the registry */
	int dead;                  /* out of the registry; freed at refs 0 */
};

/* What changed, for watchers (study.watch); see pz_core_hooks. */
enum pz_event_kind {
	PZ_EV_TRIAL_CREATED,
	PZ_EV_TRIAL_STARTED,
	PZ_EV_TRIAL_REPORTED,
	PZ_EV_TRIAL_ENDED,
	PZ_EV_TRIAL_REQUEUED,
	PZ_EV_STUDY_CHANGED,
	PZ_EV_STUDY_DELETED,
};

struct pz_core_hooks {
	/* Called for every change, in the batch that makes it (never for a
	 * change that failed); NULL: nobody listens. `number` is -1 for
	 * study events. */
	void (*event)(void *ctx, const struct pz_study *s,
	              enum pz_event_kind kind, int64_t number);
	/* The clock of deadlines; NULL: pz_clock_mono. The server's
	 * excludes the time its loop could not listen. */
	double (*liveness)(void *ctx);
	void *ctx;
};

struct pz_core {
	struct pz_store *store;
	struct pz_study *studies;      /* by name */
	struct pz_idmap ids;           /* trial id -> loaded study, number */
	struct pz_core_hooks hooks;
	int txn_failed;
	char failure[PZ_ERROR_MSG_MAX]; /* the first failed write's message */
	uint64_t batch;                /* generation of the open batch */
	uint64_t committed;            /* the last batch that committed */
	uint64_t n_commits;
	/* The step and value of the PZ_EV_TRIAL_REPORTED event being
	 * emitted, for the hooks. */
	int64_t event_step;
	double event_value;
};

/* Reads the study list. The store stays owned by the caller. */
int pz_core_init(struct pz_core *core, struct pz_store *store,
                 struct pz_error *err);
void pz_core_finish(struct pz_core *core);

/* Deadlines: now on the liveness clock. */
double pz_core_now(const struct pz_core *core);

/*
 * Commit the open batch (if any). On failure everything since the last
 * commit is rolled back, studies are dropped from memory and PZ_EIO is
 * returned with the cause.
 */
int pz_core_commit(struct pz_core *core, struct pz_error *err);
/* Is a batch open (a change waits for its commit)? */
int pz_core_dirty(const struct pz_core *core);
/*
 * The batch a reply depends on: the open one, else the last one that
 * committed (a reply shows what the last commits made, and with the
 * server's --durability full they may not be durable yet: a retried
 * request answered from memory confirms a change of an earlier batch).
 */
uint64_t pz_core_reply_batch(const struct pz_core *core);

/*
 * Open the batch's transaction for a write; a write that fails calls
 * pz_core_write_failed(), which poisons the batch. Both return `rc`.
 */
int pz_core_begin(struct pz_core *core, struct pz_error *err);
int pz_core_write_failed(struct pz_core *core, int rc,
                         const struct pz_error *err);

/* The study named `name`, or PZ_ENOENT. It may not be loaded yet. */
int pz_core_find(struct pz_core *core, const char *name,
                 struct pz_study **out, struct pz_error *err);
/*
 * Trial id -> study (loaded) and number; PZ_ENOENT if absent;
 * PZ_CORE_UNLOADED with *study set when its study must be loaded first
 * (load.h).
 */
#define PZ_CORE_UNLOADED 2
int pz_core_trial(struct pz_core *core, int64_t id, struct pz_study **study,
                  uint32_t *number, struct pz_error *err);

/* Loading (load.c): the study's space and config, parsed. */
int pz_core_study_parse(const struct pz_study *s, struct pz_space **space,
                        struct pz_algo_config *cfg, struct pz_error *err);
/* Mark `s` damaged: it stays listed, with `why`, and refuses work. */
void pz_core_damage(struct pz_study *s, const char *why);
/*
 * Make `s` loaded with these (all taken over: trials by number, n of
 * them, workers' strings included; hist holds the same trials): counts,
 * queues, the best trial and the id map are built, running trials get a
 * fresh deadline.
 */
int pz_core_install(struct pz_core *core, struct pz_study *s,
                    struct pz_space *space, const struct pz_algo_config *cfg,
                    struct pz_history *hist, struct pz_trial *trials,
                    size_t n, struct pz_error *err);

struct pz_study_def {
	const char *name;
	const char *space_text;    /* validated JSON text of the space */
	enum pz_algo algo;
	int has_seed;
	uint64_t seed;
	int64_t max_trials;
	const char *config_text;   /* effective config, JSON */
	double heartbeat_timeout;  /* 0: default */
	const char *pruner_text;   /* effective pruner, JSON; NULL: none */
	int has_pruner;            /* given: exist_ok compares it */
};

#define PZ_DEFAULT_HEARTBEAT_TIMEOUT 60.0

/*
 * Create a study from a validated definition; PZ_EEXIST (err names the
 * first difference) when the name is taken. With `exist_ok` an identical
 * existing study is returned with *existed = 1.
 */
int pz_core_create(struct pz_core *core, const struct pz_study_def *def,
                   int exist_ok, struct pz_study **out, int *existed,
                   struct pz_error *err);
int pz_core_set_paused(struct pz_core *core, struct pz_study *s, int paused,
                       struct pz_error *err);

/*
 * One trial of study.import (codec.c decodes it; pointers are borrowed
 * for the call). `state` is an enum pz_tstate; a running trial is imported
 * queued, as if it had been reclaimed (attempt + 1, no worker). Times are
 * Unix seconds, NAN for none.
 */
struct pz_import_trial {
	int state;
	const cJSON *params;
	double loss;           /* ok, pruned: NAN for none */
	const char *result;    /* JSON text, or NULL */
	const char *worker;    /* or NULL */
	int64_t attempt;
	int64_t reclaims;
	double created, started, finished;
	/* [[step, value], ...] as checked by the codec, or NULL */
	const cJSON *intermediate;
};

/*
 * Create a study with a history: the study of `def` and trials numbered
 * first..first+n-1, in the open batch (the reply waits for its commit).
 * With first = 0 the study is created; a later part (first > 0) is
 * appended to the study of the same definition that has exactly `first`
 * trials, so a history too long for one line goes in parts. Every
 * trial's params are checked before anything is written; an error names
 * the trial ("params.trials[3].params.lr: ..."). A part that is there
 * already (the same params at the same numbers; with first = 0 also
 * exist_ok) is answered as it is, with *existed = 1: a resent import
 * acts once.
 */
int pz_core_import(struct pz_core *core, const struct pz_study_def *def,
                   int exist_ok, int64_t first, int part,
                   const struct pz_import_trial *trials, size_t n,
                   struct pz_study **out, int *existed, struct pz_error *err);
int pz_core_delete(struct pz_core *core, struct pz_study *s, size_t *n_trials,
                   struct pz_error *err);

/* Holders of a study outside the registry (a suggestion, a waiter). */
void pz_core_hold(struct pz_study *s);
void pz_core_release_study(struct pz_core *core, struct pz_study *s);

/*
 * The history, for the suggester and the trial life cycle: changes are
 * applied at once, or kept while s->busy and applied by pz_core_unbusy().
 * A PRUNED trial carries its last reported step (-1: none) and its loss
 * (history.h); `step` is ignored for the other states, and a trial added
 * PRUNED has step -1 until a pz_core_hist_set gives it one.
 */
int pz_core_hist_add(struct pz_study *s, uint32_t number,
                     const double *values, enum pz_trial_state state,
                     double loss);
int pz_core_hist_set(struct pz_study *s, uint32_t number,
                     enum pz_trial_state state, double loss, int64_t step);

/* The history's state for a trial state (PZ_T_*). */
enum pz_trial_state pz_core_hist_state(int tstate);
void pz_core_busy(struct pz_study *s);
int pz_core_unbusy(struct pz_core *core, struct pz_study *s);

/* The params vector of a trial (valid until the next change of s). */
const double *pz_core_values(const struct pz_study *s, uint32_t number);

/* Emit an event to the hooks (trial.c and handlers call this). */
void pz_core_event(struct pz_core *core, const struct pz_study *s,
                   enum pz_event_kind kind, int64_t number);

/* Array helpers shared with trial.c. */
int pz_core_running_add(struct pz_study *s, uint32_t number);
void pz_core_running_remove(struct pz_study *s, uint32_t number);
int pz_core_queued_add(struct pz_study *s, uint32_t number);
void pz_core_queued_remove(struct pz_study *s, uint32_t number);
void pz_core_update_best(struct pz_study *s, uint32_t number);
/* Append a trial slot (memory only; the row is written by the caller). */
int pz_core_trial_append(struct pz_core *core, struct pz_study *s,
                         const struct pz_trial *t, const double *values);

/* The stored result of a trial (JSON text, malloc'ed) or NULL. */
int pz_core_trial_result(struct pz_core *core, const struct pz_study *s,
                         uint32_t number, char **out, struct pz_error *err);
/* Stored rows of a study's trials by number, of one state (-1: all). */
int pz_core_trial_rows(struct pz_core *core, const struct pz_study *s,
                       int state, int64_t offset, int64_t limit,
                       pz_store_trial_cb cb, void *ctx, struct pz_error *err);

/* The settings of a study that suggestions do not depend on. */
struct pz_core_settings {
	int64_t max_trials;       /* 0: unlimited */
	double heartbeat_timeout; /* seconds > 0 */
	int set_pruner;           /* 0: keep the pruner */
	const char *pruner_text;  /* the effective pruner's JSON; NULL: none */
};

/*
 * Change the settings of `s` that suggestions do not depend on, in the
 * open batch. Running trials keep their deadline until their next
 * heartbeat; a new pruner judges the reports made from now on, and the
 * decisions already made stay (they are stored with their trials). The
 * caller checks the values (study.update); a pruner text that does not
 * parse is PZ_EINVAL, and nothing changes.
 */
int pz_core_update(struct pz_core *core, struct pz_study *s,
                   const struct pz_core_settings *set, struct pz_error *err);

const char *pz_tstate_name(int state);
/* -1 for an unknown name. */
int pz_tstate_parse(const char *name);

#endif
