/*
 * The daemon's state and its operations, independent of sockets: studies
 * with their trials held in memory for the suggester, the store, and the
 * rules of the trial life cycle (docs/protocol.md). rpc.c calls these;
 * nothing here knows about connections or libuv, so unit tests, the fuzzer
 * and the benchmark can drive the core directly.
 *
 * Every mutating operation writes to the store first (inside the open
 * transaction) and changes memory only when that succeeded. A failed
 * write marks the transaction as failed; pz_core_commit() then rolls back
 * and drops every loaded study, which is reloaded from the database on
 * next use, so memory never holds a change that did not commit.
 */
#ifndef PZ_CORE_H
#define PZ_CORE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include <parzen/error.h>
#include <parzen/history.h>
#include "idmap.h"
#include <parzen/space.h>
#include "store.h"
#include <parzen/suggest.h>
#include <parzen/tpe.h>

enum pz_tstate { PZ_T_QUEUED, PZ_T_RUNNING, PZ_T_OK, PZ_T_FAIL };

struct pz_trial {
	int64_t id;
	unsigned char state;   /* enum pz_tstate */
	int32_t attempt;
	int32_t reclaims;
	int32_t run_index;     /* position in study->running, or -1 */
	char *worker;
	double created, started, finished;
	double deadline;       /* running: reclaimed after this pz_clock() */
};

struct pz_study {
	struct pz_study *next;
	int64_t id;
	char *name;
	char *space_text;
	char *config_text;     /* effective config, JSON */
	enum pz_algo algo;
	uint64_t seed;
	int64_t max_trials;    /* 0: unlimited */
	double heartbeat_timeout;
	int paused;
	double created;

	/* Loaded on first use. */
	int loaded;
	struct pz_space *space;
	struct pz_tpe_config cfg;
	struct pz_history *hist;
	struct pz_trial *trials;   /* by number */
	size_t n_trials, cap_trials;
	uint32_t *queued;          /* numbers, ascending */
	size_t n_queued, cap_queued;
	uint32_t *running;         /* numbers, unordered */
	size_t n_running, cap_running;
	int64_t best;              /* number of the best ok trial, -1 */
	/* The stored params text of the newest trial, reused by its reply. */
	char *fresh_params;
	int64_t fresh_number;
};

struct pz_core {
	struct pz_store *store;
	struct pz_study *studies;
	struct pz_idmap ids;
	int txn_failed;
	char failure[PZ_ERROR_MSG_MAX]; /* the first failed write's message */
	uint64_t n_commits;
};

/* Reads the study list. The store stays owned by the caller. */
int pz_core_init(struct pz_core *core, struct pz_store *store,
                 struct pz_error *err);
void pz_core_finish(struct pz_core *core);

/* Wall-clock time in seconds, for the timestamps people read. */
double pz_now(void);
/*
 * Monotonic seconds, for deadlines: a step of the wall clock must not
 * reclaim (or immortalize) every running trial.
 */
double pz_clock(void);
/* A pz_clock() time as wall-clock time, for display. */
double pz_clock_to_wall(double t);

/*
 * Commit the open transaction (if any). On failure everything since the
 * last commit is rolled back, loaded studies are dropped, and PZ_EIO is
 * returned.
 */
int pz_core_commit(struct pz_core *core, struct pz_error *err);
int pz_core_dirty(const struct pz_core *core);

struct pz_study_def {
	const char *name;
	const cJSON *space;
	enum pz_algo algo;
	int has_seed;
	uint64_t seed;
	int64_t max_trials;
	const cJSON *config;       /* NULL: defaults */
	double heartbeat_timeout;  /* 0: default */
	int exist_ok;
};

#define PZ_DEFAULT_HEARTBEAT_TIMEOUT 60.0

/* Lookups load the study if needed. PZ_ENOENT with a message if absent. */
int pz_core_study(struct pz_core *core, const char *name,
                  struct pz_study **out, struct pz_error *err);
/* Trial id -> loaded study and number. */
int pz_core_trial(struct pz_core *core, int64_t id, struct pz_study **study,
                  uint32_t *number, struct pz_error *err);
/* Load every study (for listings). */
int pz_core_load_all(struct pz_core *core, struct pz_error *err);

int pz_core_create(struct pz_core *core, const struct pz_study_def *def,
                   struct pz_study **out, int *existed, struct pz_error *err);
int pz_core_set_paused(struct pz_core *core, struct pz_study *s, int paused,
                       struct pz_error *err);
int pz_core_delete(struct pz_core *core, struct pz_study *s, size_t *n_trials,
                   struct pz_error *err);

/*
 * Hand out a trial: the worker's own running trial, else the lowest queued
 * one, else a new suggestion. *number = -1 with *reason set ("paused",
 * "max_trials") when there is none.
 */
int pz_core_ask(struct pz_core *core, struct pz_study *s, const char *worker,
                int64_t *number, const char **reason, struct pz_error *err);
/*
 * The same, handing out (and creating) only trials numbered below `cap`
 * (> 0) as well as below the study's max_trials: processes that share a
 * study and each count to the same total stop exactly there.
 */
int pz_core_ask_capped(struct pz_core *core, struct pz_study *s,
                       const char *worker, int64_t cap, int64_t *number,
                       const char **reason, struct pz_error *err);

/* attempt < 0: not given. result_text may be NULL. */
int pz_core_tell(struct pz_core *core, struct pz_study *s, uint32_t number,
                 int ok, double loss, const char *result_text,
                 int64_t attempt, struct pz_error *err);
int pz_core_heartbeat(struct pz_core *core, struct pz_study *s,
                      uint32_t number, int64_t attempt, struct pz_error *err);
int pz_core_release(struct pz_core *core, struct pz_study *s, uint32_t number,
                    int64_t attempt, struct pz_error *err);
int pz_core_enqueue(struct pz_core *core, struct pz_study *s,
                    const cJSON *params, uint32_t *number,
                    struct pz_error *err);

/* Requeue running trials whose deadline (pz_clock()) passed. */
size_t pz_core_reclaim(struct pz_core *core, double now);

/* JSON views (NULL on allocation failure). */
cJSON *pz_core_study_json(const struct pz_study *s);
/* A trial from memory; `result_text` (may be NULL) is the stored result. */
cJSON *pz_core_trial_json(const struct pz_study *s, uint32_t number,
                          const char *result_text);

const char *pz_tstate_name(int state);

#endif
