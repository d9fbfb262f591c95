/*
 * The data behind a report's figures: a study and its trials in arrays the
 * figures draw from, with the space parsed, choices' option names, each
 * label's axis, importance scores and summary numbers worked out once.
 *
 * A struct pz_report_data is immutable once made, and owns everything it
 * points to (the trials' worker names and learning curves included), so
 * threads may draw figures from one data object at the same time, and it
 * outlives the JSON it was read from. It is made by a report store
 * (report_store.h), which is also how pz_report_data_create() reads an
 * array of trials.
 *
 * Internal to the report (report*.c, plot*.c); report.h has the public
 * entry points and declares the type opaque.
 */
#ifndef PZ_REPORT_DATA_H
#define PZ_REPORT_DATA_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include <parzen/error.h>
#include <parzen/space.h>
#include "report.h"

enum pz_rstate {
	PZ_RS_QUEUED,
	PZ_RS_RUNNING,
	PZ_RS_OK,
	PZ_RS_FAIL,
	PZ_RS_PRUNED,
	PZ_RS_COUNT,
};

struct pz_rtrial {
	int64_t number, id;
	enum pz_rstate state;
	/* ok: the loss; pruned: its loss when it has one (the last reported
	 * value, by default); NAN otherwise */
	double loss;
	double created, started, finished; /* NAN when absent */
	const char *worker;                /* NULL: none */
	int attempt, reclaims;
	/* The learning curve: n_curve (step, value) points from
	 * d->curves[curve], by increasing step. */
	size_t curve;
	int n_curve;
};

/* One reported value of a trial ("intermediate" in the protocol). */
struct pz_rpoint {
	double step, value;
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
	cJSON *study;           /* a copy of the Study object (owned) */
	const char *name;       /* the study's name (in `study`) */
	struct pz_space *space; /* owned */
	int n_params;
	size_t n;                 /* trials */
	struct pz_rtrial *trials; /* ordered by number */
	double *values;           /* n x n_params, NAN: inactive */
	struct pz_rpoint *curves; /* every trial's learning curve */
	size_t n_points;          /* ... their total length */
	char *strings;            /* the worker names (one block) */
	struct pz_rlabel *labels; /* one per space parameter */
	int *order;               /* label indices, most important first */
	size_t counts[PZ_RS_COUNT];
	size_t n_curves;         /* trials with a learning curve */
	long best;               /* index of the best ok trial, -1: none */
	double loss_lo, loss_hi; /* range of the ok losses */
	/* Top of a linear loss axis: loss_hi, or lower when a few losses
	 * lie far above the rest (report_data.c). */
	double loss_top;
	int log_offered; /* ok losses positive, spanning a decade or more */
	int loss_log;    /* the loss axes are log (AUTO: when offered) */
	double t0, now;  /* first start; the end of running bars */
	double latest;   /* the latest time found in the trials */
};

/*
 * Finish data whose study, space, trials, values and curves are set (the
 * store's snapshot does that): option names, label axes, counts, the best
 * trial, loss ranges, importance. Returns 0 or PZ_ENOMEM.
 */
int pz_report_data_finish(struct pz_report_data *d,
                          const struct pz_report_options *opt);

/* The value of label `l` of trial `i` (NAN: inactive). */
static inline double pz_report_data_value(const struct pz_report_data *d,
                                          size_t i, int l)
{
	return d->values[i * (size_t)d->n_params + (size_t)l];
}

/* A trial (index i into d->trials) with a key to order by. */
struct pz_rrank {
	double key;
	size_t i;
};

/* qsort order of struct pz_rrank: by key, ties by index (trial number). */
int pz_report_rank_cmp(const void *a, const void *b);

/*
 * The ok trials with every label of need[0..k) active (k 0: all of
 * them), best first: keyed by loss, ordered by pz_report_rank_cmp. *out
 * is malloc'ed (free it, also when none); returns how many, or -1 when
 * out of memory.
 */
long pz_report_rank_ok(const struct pz_report_data *d, const int *need, int k,
                       struct pz_rrank **out);

/* qsort order of doubles, ascending. */
int pz_report_cmp_double(const void *a, const void *b);

/*
 * The top of a linear value axis over v[0..n), whose values span [lo,
 * hi]: hi, or, when a few values lie far above the rest, the lowest plus
 * four times the spread of the lowest 90% (from 20 values on). Sorts v.
 */
double pz_report_axis_top(double *v, size_t n, double lo, double hi);

/* "queued", "running", "ok", "fail", "pruned". */
const char *pz_report_data_state_name(enum pz_rstate s);

/* The state named `name`, or PZ_RS_COUNT when there is none. */
enum pz_rstate pz_report_data_state(const char *name);

/*
 * The name a person reads for value `v` of label `l`: a choice's option
 * name (see report_data.c), else NULL (the value is a number).
 */
const char *pz_report_data_option(const struct pz_report_data *d, int l,
                                  double v);

#endif
