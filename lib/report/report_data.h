/*
 * The data behind a report: a study and its trials read from protocol
 * objects (docs/protocol.md) into arrays the figures draw from, with the
 * space parsed, choices' option names, each label's axis, importance
 * scores and summary numbers worked out once.
 *
 * Internal to the report (report.c, plot*.c); the public entry
 * points are in report.h.
 */
#ifndef PZ_REPORT_DATA_H
#define PZ_REPORT_DATA_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include <parzen/error.h>
#include "report.h"
#include <parzen/space.h>

enum pz_rstate {
	PZ_RS_QUEUED,
	PZ_RS_RUNNING,
	PZ_RS_OK,
	PZ_RS_FAIL,
	PZ_RS_COUNT,
};

struct pz_rtrial {
	int64_t number, id;
	enum pz_rstate state;
	double loss;                       /* NAN unless ok */
	double created, started, finished; /* NAN when absent */
	const char *worker; /* borrowed from the trial; NULL: none */
	int attempt, reclaims;
	const cJSON *json; /* the trial object (borrowed) */
};

struct pz_rlabel {
	char **names; /* choice, pchoice: a name per option (owned) */
	int log;      /* shown on a log axis (the log kinds) */
	/* Axis domain: the prior's range (normal priors: mu +- 3 sigma)
	 * widened to every value seen. */
	double lo, hi;
	double importance; /* importance.h; NAN: too few trials */
	size_t n_active;   /* trials of any state with a value */
	size_t n_scored;   /* ... of them ok: what importance saw */
};

struct pz_report_data {
	const cJSON *study;     /* borrowed */
	const char *name;       /* the study's name (borrowed) */
	struct pz_space *space; /* owned */
	int n_params;
	size_t n;                 /* trials */
	struct pz_rtrial *trials; /* ordered by number */
	double *values;           /* n x n_params, NAN: inactive */
	struct pz_rlabel *labels; /* one per space parameter */
	int *order;               /* label indices, most important first */
	size_t counts[PZ_RS_COUNT];
	long best;               /* index of the best ok trial, -1: none */
	double loss_lo, loss_hi; /* range of the ok losses */
	/* Top of a linear loss axis: loss_hi, or lower when a few losses
	 * lie far above the rest (report_data.c). */
	double loss_top;
	int log_offered; /* ok losses positive, spanning a decade or more */
	int loss_log;    /* the loss axes are log (AUTO: when offered) */
	double t0, now;  /* first start; the end of running bars */
};

/*
 * Read `study` and `trials` (borrowed; they must outlive *out). On success
 * *out is owned by the caller. Errors: PZ_EINVAL naming the bad value,
 * PZ_ENOMEM.
 */
int pz_report_data_create(const cJSON *study, const cJSON *trials,
                          const struct pz_report_options *opt,
                          struct pz_report_data **out, struct pz_error *err);

void pz_report_data_destroy(struct pz_report_data *d);

/* The value of label `l` of trial `i` (NAN: inactive). */
static inline double pz_report_data_value(const struct pz_report_data *d,
                                          size_t i, int l)
{
	return d->values[i * (size_t)d->n_params + (size_t)l];
}

/* "queued", "running", "ok", "fail". */
const char *pz_report_data_state_name(enum pz_rstate s);

#endif
