/*
 * JSON <-> structs for the protocol (docs/protocol.md): the one module
 * that knows the shape of requests' params and of the objects replies
 * carry.
 *
 * Requests: every params key the protocol knows is a field with a type
 * and a range (the field table in codec.c); a method accepts a set of
 * them and requires a subset (handlers.c). pz_codec_decode() checks a
 * params object against such a schema, strictly: an unknown key, a
 * missing required one, a wrong type or a value out of range is refused
 * with its path ("params.loss"), so a typo never falls back to a default.
 * Strings that name things (studies, workers) may not hold control
 * characters.
 *
 * Replies: the Study and Trial objects and their summaries are built
 * here from core's structs.
 */
#ifndef PZ_CODEC_H
#define PZ_CODEC_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include <parzen/error.h>

#include "core.h"

enum pz_field {
	PZ_F_NAME,
	PZ_F_SPACE,
	PZ_F_ALGO,
	PZ_F_SEED,
	PZ_F_MAX_TRIALS,
	PZ_F_CONFIG,
	PZ_F_HEARTBEAT_TIMEOUT,
	PZ_F_EXIST_OK,
	PZ_F_PRUNER,
	PZ_F_STUDY,
	PZ_F_TRIAL,
	PZ_F_WORKER,
	PZ_F_STATUS,
	PZ_F_LOSS,
	PZ_F_RESULT,
	PZ_F_ATTEMPT,
	PZ_F_PARAMS,
	PZ_F_STATE,
	PZ_F_OFFSET,
	PZ_F_LIMIT,
	PZ_F_STEP,
	PZ_F_VALUE,
	PZ_F_TRIALS,
	PZ_F_INTERMEDIATE,
	PZ_F_PATH,
	PZ_F_VALUES,
	PZ_F_FORCE,
	PZ_F_COUNT
};

#define PZ_FIELD(f) (1ull << (f))

/* A request's params; a field is set when its bit is in `given`. */
struct pz_req {
	uint64_t given;
	const char *name, *algo, *study, *worker, *status, *state, *path;
	int64_t seed, max_trials, trial, attempt, offset, limit, step;
	double value, heartbeat_timeout;
	int exist_ok, intermediate, force;
	const cJSON *space, *config, *pruner, *result, *params, *trials;
	const cJSON *values;  /* trial.enqueue's params in value form */
	const cJSON *loss;    /* checked by trial.tell: ignored for "fail" */
};

static inline int pz_req_has(const struct pz_req *r, enum pz_field f)
{
	return (r->given & PZ_FIELD(f)) != 0;
}

/*
 * Fill `req` from `params` (an object, or NULL for none) for a method
 * that accepts the fields in `allowed` and requires those in `required`.
 * A null value counts as absent. `method` names the method in messages.
 */
int pz_codec_decode(const cJSON *params, uint64_t allowed, uint64_t required,
                    const char *method, struct pz_req *req,
                    struct pz_error *err);

/*
 * Trial `i` of study.import's "trials", to be trial `number`: {number,
 * state, params,
 * loss?, result?, worker?, attempt?, reclaims?, created?, started?,
 * finished?, intermediate?}; the read-only fields of a Trial object (id,
 * study, point, deadline) are accepted and ignored, so trial.list's
 * output imports as it is. *result_text gets the result as JSON text
 * (free it). Errors name the path, "params.trials[3].loss".
 */
int pz_codec_import_trial(const cJSON *t, size_t i, int64_t number,
                          struct pz_import_trial *it, char **result_text,
                          struct pz_error *err);

/* The Study object (loaded or not: counts and best need it loaded). */
cJSON *pz_codec_study(const struct pz_study *s);

/*
 * The Trial object of trial `number` (of a loaded study); `result_text`
 * (may be NULL) is its stored result.
 */
cJSON *pz_codec_trial(const struct pz_core *core, const struct pz_study *s,
                      uint32_t number, const char *result_text);
/*
 * A trial's reports, [[step, value], ...] by step ([] for none), and the
 * same added to a Trial object as "intermediate" (PZ_ENOMEM on failure).
 */
cJSON *pz_codec_intermediate(const struct pz_study *s, uint32_t number);
int pz_codec_add_intermediate(cJSON *trial, const struct pz_study *s,
                              uint32_t number);
/* What trial.tell answers: {id, study, number, state, loss, attempt,
 * finished}. */
cJSON *pz_codec_trial_told(const struct pz_study *s, uint32_t number);
/* What trial.heartbeat answers: {id, state, attempt, deadline}. */
cJSON *pz_codec_trial_beat(const struct pz_core *core,
                           const struct pz_study *s, uint32_t number);

/* A number, or null when it is NAN. */
cJSON *pz_codec_number(double x);

#endif
