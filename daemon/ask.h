/*
 * trial.ask: which trial an ask gets, and new suggestions computed off the
 * loop.
 *
 * An ask is answered at once with the worker's own running trial, or
 * "paused", or the lowest queued trial, or "max_trials". Otherwise it
 * waits for a new suggestion. A study computes one suggestion at a time
 * (on the executor, from its history as it stands when the suggestion
 * starts; core.h keeps that history still meanwhile), and asks waiting on
 * the same study are served in the order they arrived: each finished
 * suggestion becomes trial n_trials, handed to the first waiting ask,
 * and the next suggestion starts while asks remain. The suggestion for
 * number k always draws from stream(seed, k); if the study gained a trial
 * meanwhile (an enqueue), the suggestion is computed again for the new
 * number, so numbers stay dense and every suggestion is a pure function
 * of a history and its number.
 *
 * A suggestion whose point cannot be evaluated (a function node with no
 * finite result) becomes a failed trial carrying the reason, and the next
 * number is tried; after PZ_ASK_MAX_UNEVALUABLE such trials in a row one
 * ask is answered with an error instead of filling the disk.
 */
#ifndef PZ_ASK_H
#define PZ_ASK_H

#include <stdint.h>

#include "core.h"
#include "exec.h"

#define PZ_ASK_MAX_UNEVALUABLE 32

struct pz_ask;

/*
 * The outcome: rc 0 with a trial number (>= 0), or number -1 and a
 * reason ("paused", "max_trials"); or rc < 0 with err. Called exactly
 * once, possibly before pz_ask_submit returns.
 */
typedef void (*pz_ask_done_fn)(struct pz_ask *a, int rc, int64_t number,
                               const char *reason,
                               const struct pz_error *err);

struct pz_ask {
	struct pz_wait wait;       /* in s->askers */
	struct pz_study *study;
	const char *worker;        /* borrowed until done; may be NULL */
	int64_t cap;               /* only numbers below this; 0: none */
	int unevaluable;           /* failed suggestions for this ask */
	pz_ask_done_fn done;
	/* Has the asker gone away? An anonymous asker that has is skipped
	 * (a named one still gets its trial, to find it when it asks again). */
	int (*gone)(struct pz_ask *a);
};

/* Answer `a` on study `s` (loaded), now or when a suggestion is ready. */
void pz_ask_submit(struct pz_core *core, const struct pz_exec *exec,
                   struct pz_study *s, struct pz_ask *a);

#endif
