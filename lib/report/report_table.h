/*
 * A study's numbers and its trials table for a live page: the counts,
 * best trial, rate and ETA of a study, and its trials filtered, sorted
 * and paged as an HTML table, from the same data the figures are drawn
 * from (report.h), so the dashboard's table and the report's agree, down
 * to how a choice's value is named.
 */
#ifndef PZ_REPORT_TABLE_H
#define PZ_REPORT_TABLE_H

#include <stddef.h>

#include <parzen/error.h>
#include "report.h"

struct pz_report_summary {
	/* queued, running, ok, fail, pruned */
	size_t counts[5];
	size_t n;    /* trials */
	size_t done; /* ok + fail + pruned */
	long long best_number, best_id; /* -1: no ok trial yet */
	double best_loss;
	/* Finished trials per minute over the latest 50 finished, measured
	 * up to `now` (so it falls while nothing finishes); NAN with fewer
	 * than two finished. */
	double rate;
	/* Seconds until max_trials are done at that rate, NAN when
	 * unlimited, paused, done or no rate. */
	double eta;
	double max_trials; /* NAN: unlimited */
	int paused;
	double latest; /* the latest time in the trials (Unix seconds) */
};

/* The summary of `d` at Unix time `now`. */
void pz_report_summarize(const struct pz_report_data *d, double now,
                         struct pz_report_summary *out);

struct pz_table_query {
	/* States shown: bit 1 << i for "queued", "running", "ok", "fail",
	 * "pruned" (i = 0..4); 0: all. */
	unsigned states;
	/*
	 * Conditions, all of which a row must meet, separated by spaces:
	 * KEY OP VALUE with OP one of < <= > >= = != and KEY "loss",
	 * "number", "step", "attempt", "duration", "worker", "state" or a
	 * label (a choice compares its option's name, e.g. activation=tanh),
	 * or a plain word that a worker name or a choice's option name
	 * contains. NULL or "": none.
	 */
	const char *filter;
	/* "number" (default), "state", "loss", "worker", "start",
	 * "duration", "attempt", "step", or a label; missing values last. */
	const char *sort;
	int desc;
	size_t offset, limit; /* limit 0: every matching row */
	/* Each number links to LINK followed by the trial's id; NULL: no
	 * links. Must be safe in an attribute (no quote, '<' or '&'). */
	const char *link;
};

/* Everything, by number, no links. */
void pz_table_query_init(struct pz_table_query *q);

/*
 * The trials of `d` that match `q`, sorted and paged, as <table
 * class="trials" data-total data-matched data-rows data-sort data-dir>
 * whose header cells carry data-key (the sort key of the column) and
 * whose rows are <tr class="STATE[ best]" data-trial data-id>. *matched
 * receives the number of matching rows (may be NULL). Errors: PZ_EINVAL
 * for a filter or sort key it cannot read (the message says which term),
 * PZ_ENOMEM.
 */
int pz_report_table(const struct pz_report_data *d,
                    const struct pz_table_query *q, char **html_out,
                    size_t *len, size_t *matched, struct pz_error *err);

/*
 * The name a person reads for value `v` of `label`: a choice's option
 * name (pz_params_option_text, as the CLI names it), or NULL when the
 * label is not a choice, or unknown, or `v` names no option.
 */
const char *pz_report_option_name(const struct pz_report_data *d,
                                  const char *label, double v);

/* The id of trial `number`, or -1 when `d` has no such trial. */
long long pz_report_trial_id(const struct pz_report_data *d,
                             long long number);

/* The study's name and its Study object (valid while `d` lives). */
const char *pz_report_study_name(const struct pz_report_data *d);
const cJSON *pz_report_study(const struct pz_report_data *d);

/* Trials in `d`. */
size_t pz_report_size(const struct pz_report_data *d);

/* The space's labels: how many, and the i-th (in the space's order). */
int pz_report_n_labels(const struct pz_report_data *d);
const char *pz_report_label(const struct pz_report_data *d, int i);

/* The labels the contour draws by default (NULL: fewer than two). */
void pz_report_contour_labels(const struct pz_report_data *d, const char **x,
                              const char **y);

/* Trials with a learning curve (reported values). */
size_t pz_report_n_curves(const struct pz_report_data *d);

/* Trials by state: queued, running, ok, fail, pruned. */
void pz_report_counts(const struct pz_report_data *d, size_t counts[5]);

#endif
