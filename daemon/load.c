/*
 * Loading studies, a chunk of rows at a time on the loop and the parsing
 * off it; see load.h. Two chunks of trials are in hand: while the
 * executor parses one, the loop reads the next, so the load takes about
 * the longer of the two rather than their sum.
 */
#include "load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/params.h>

#include "pruning.h"

/* One stored trial, as read on the loop, parsed on the executor. */
struct row {
	struct pz_trial t;
	size_t params;             /* offset of its params in chunk.text */
	size_t params_len;
};

/* Rows read together; their params texts share one buffer. */
struct chunk {
	struct row *rows;
	size_t n;
	char *text;
	size_t text_len, text_cap;
};

/* One stored report (trial.report), or a prune decision (value 0). */
struct report_row {
	int64_t number, step;
	double value;
};

/*
 * The steps of a load: chunks of trials (read on the loop, parsed on the
 * executor), then chunks of reports (read on the loop, added to the
 * reports store on the executor), then the history and the rest.
 */
enum phase { PHASE_TRIALS, PHASE_REPORTS, PHASE_BUILD };

struct load_job {
	struct pz_job job;
	struct pz_core *core;
	const struct pz_exec *exec;
	struct pz_study *s;
	enum phase phase;
	struct chunk now;          /* the chunk being parsed */
	/* The next chunk, read on the loop while `now` is parsed: only the
	 * loop touches these. */
	struct chunk next;
	size_t n_read;             /* rows read so far, in both chunks */
	int ahead;                 /* `next` was read while `now` parsed */
	int read_rc;
	int read_damaged;
	struct pz_error read_err;
	/* Built off the loop, installed on it. */
	struct pz_space *space;
	struct pz_algo_config cfg;
	struct pz_history *hist;
	struct pz_trial *trials;
	double *values;            /* n x (n_params + 1) */
	unsigned char *hstates;
	double *losses;
	size_t n, cap;
	/* Reports: the chunk just read, and where the next one starts. */
	struct report_row *reps;
	size_t n_reps, cap_reps;
	int64_t rep_number, rep_step;
	struct pz_reports *reports;
	int64_t *dec_numbers, *dec_steps; /* prune decisions */
	size_t n_decs, cap_decs;
	struct pz_pruner *pruner;
	int rc;
	int damaged;               /* rc is about the data, not the machine */
	struct pz_error err;
};

static int submit(struct load_job *j);

static void chunk_clear(struct chunk *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->rows[i].t.worker);
	c->n = 0;
	c->text_len = 0;
}

static void chunk_free(struct chunk *c)
{
	chunk_clear(c);
	free(c->rows);
	free(c->text);
}

static void job_free(struct load_job *j)
{
	chunk_free(&j->now);
	chunk_free(&j->next);
	for (size_t i = 0; i < j->n; i++)
		free(j->trials[i].worker);
	free(j->trials);
	free(j->values);
	free(j->hstates);
	free(j->losses);
	pz_history_destroy(j->hist);
	pz_space_destroy(j->space);
	free(j->reps);
	free(j->dec_numbers);
	free(j->dec_steps);
	pz_reports_destroy(j->reports);
	pz_prune_destroy(j->pruner);
	free(j);
}

static int bad(struct load_job *j, const char *fmt, long long a,
               const char *b)
{
	j->damaged = 1;
	return pz_error_set(&j->err, PZ_EINVAL, fmt, a, b);
}

/* On the loop, while the executor may be using j->err. */
static int read_bad(struct load_job *j, const char *fmt, long long a,
                    const char *b)
{
	j->read_damaged = 1;
	return pz_error_set(&j->read_err, PZ_EINVAL, fmt, a, b);
}

static int read_row(void *arg, const struct pz_trial_row *r)
{
	struct load_job *j = arg;
	struct chunk *c = &j->next;
	struct row *w = &c->rows[c->n];
	int state = pz_tstate_parse(r->state);
	size_t len = strlen(r->params);

	if (r->number != (int64_t)j->n_read)
		return read_bad(j, "trial numbers are not contiguous at %lld%s",
		                (long long)r->number, "");
	if (state < 0)
		return read_bad(j, "trial %lld has the unknown state '%s'",
		                (long long)r->id, r->state);
	if (c->text_len + len + 1 > c->text_cap) {
		size_t cap = c->text_cap ? c->text_cap : 1 << 16;
		char *p;

		while (c->text_len + len + 1 > cap)
			cap *= 2;
		if ((p = realloc(c->text, cap)) == NULL)
			return pz_error_set(&j->read_err, PZ_ENOMEM,
			                    "out of memory");
		c->text = p;
		c->text_cap = cap;
	}
	memset(w, 0, sizeof(*w));
	w->t.id = r->id;
	w->t.state = (unsigned char)state;
	w->t.attempt = (int32_t)r->attempt;
	w->t.reclaims = (int32_t)r->reclaims;
	w->t.loss = state == PZ_T_OK || state == PZ_T_PRUNED ? r->loss : NAN;
	w->t.created = r->created;
	w->t.started = r->started;
	w->t.finished = r->finished;
	memcpy(c->text + c->text_len, r->params, len + 1);
	w->params = c->text_len;
	w->params_len = len;
	c->text_len += len + 1;
	w->t.worker = r->worker != NULL ? strdup(r->worker) : NULL;
	c->n++;
	j->n_read++;
	if (r->worker != NULL && w->t.worker == NULL)
		return pz_error_set(&j->read_err, PZ_ENOMEM, "out of memory");
	return 0;
}

/* Read the next chunk of rows into j->next (on the loop). */
static void read_chunk(struct load_job *j)
{
	int rows = 0;

	chunk_clear(&j->next);
	if (j->next.rows == NULL) {
		j->next.rows = malloc(PZ_LOAD_CHUNK * sizeof(*j->next.rows));
		if (j->next.rows == NULL) {
			j->read_rc = pz_error_set(&j->read_err, PZ_ENOMEM,
			                          "out of memory");
			return;
		}
	}
	j->read_rc = pz_store_trial_range(j->core->store, j->s->id,
	                                  (int64_t)j->n_read, PZ_LOAD_CHUNK,
	                                  read_row, j, &rows, &j->read_err);
}

static int grow(struct load_job *j, size_t need)
{
	size_t np = (size_t)j->space->n_params + 1, cap = j->cap ? j->cap : 64;
	void *p;

	if (need <= j->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(j->trials, cap * sizeof(*j->trials))) == NULL)
		return PZ_ENOMEM;
	j->trials = p;
	if ((p = realloc(j->values, cap * np * sizeof(double))) == NULL)
		return PZ_ENOMEM;
	j->values = p;
	if ((p = realloc(j->hstates, cap)) == NULL)
		return PZ_ENOMEM;
	j->hstates = p;
	if ((p = realloc(j->losses, cap * sizeof(double))) == NULL)
		return PZ_ENOMEM;
	j->losses = p;
	j->cap = cap;
	return 0;
}

/* Parse the chunk's params (off the loop). */
static void parse_chunk(struct load_job *j)
{
	size_t np = (size_t)j->space->n_params + 1;
	struct pz_error perr = {0};

	if (grow(j, j->n + j->now.n) != 0) {
		j->rc = pz_error_set(&j->err, PZ_ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < j->now.n; i++) {
		struct row *w = &j->now.rows[i];
		double *v = j->values + (j->n + i) * np;
		int rc = pz_params_from_text(j->space, j->now.text + w->params,
		                             w->params_len, v, &perr);

		int lossless = w->t.state == PZ_T_OK && !isfinite(w->t.loss);

		if (rc != 0 || lossless) {
			/* Rows before this one gave their workers to trials
			 * that are not counted yet. */
			for (size_t k = 0; k < i; k++)
				free(j->trials[j->n + k].worker);
			j->rc = rc != 0 ? bad(j, "trial %lld has params that "
			                      "do not fit the space (%s)",
			                      (long long)w->t.id, perr.msg)
			                : bad(j, "trial %lld is ok without a "
			                      "finite loss%s", (long long)w->t.id,
			                      "");
			return;
		}
		j->trials[j->n + i] = w->t;
		w->t.worker = NULL; /* moved */
		j->hstates[j->n + i] = (unsigned char)pz_core_hist_state(
		        w->t.state);
		j->losses[j->n + i] =
		        w->t.state == PZ_T_OK || w->t.state == PZ_T_PRUNED
		                ? w->t.loss
		                : NAN;
	}
	j->n += j->now.n;
	chunk_clear(&j->now);
}

static int read_report(void *arg, int64_t number, int64_t step, double value)
{
	struct load_job *j = arg;

	j->reps[j->n_reps].number = number;
	j->reps[j->n_reps].step = step;
	j->reps[j->n_reps].value = value;
	j->n_reps++;
	j->rep_number = number;
	j->rep_step = step;
	return 0;
}

static int read_decision(void *arg, int64_t number, int64_t step,
                         double value)
{
	struct load_job *j = arg;
	size_t cap = j->cap_decs ? 2 * j->cap_decs : 64;
	void *p;

	(void)value;
	if (j->n_decs == j->cap_decs) {
		if ((p = realloc(j->dec_numbers, cap * sizeof(int64_t))) == NULL)
			return pz_error_set(&j->err, PZ_ENOMEM, "out of memory");
		j->dec_numbers = p;
		if ((p = realloc(j->dec_steps, cap * sizeof(int64_t))) == NULL)
			return pz_error_set(&j->err, PZ_ENOMEM, "out of memory");
		j->dec_steps = p;
		j->cap_decs = cap;
	}
	j->dec_numbers[j->n_decs] = number;
	j->dec_steps[j->n_decs] = step;
	j->n_decs++;
	return 0;
}

/*
 * Read the next chunk of reports (on the loop); after the last one, the
 * prune decisions, and the load goes on to the build.
 */
static int read_reports(struct load_job *j)
{
	int rows = 0, rc;

	j->n_reps = 0;
	if (j->reps == NULL) {
		j->reps = malloc(PZ_LOAD_CHUNK * sizeof(*j->reps));
		if (j->reps == NULL)
			return pz_error_set(&j->err, PZ_ENOMEM, "out of memory");
	}
	rc = pz_store_report_range(j->core->store, j->s->id, j->rep_number,
	                           j->rep_step, PZ_LOAD_CHUNK, read_report, j,
	                           &rows, &j->err);
	if (rc != 0 || rows > 0)
		return rc;
	j->phase = PHASE_BUILD;
	return pz_store_pruned_foreach(j->core->store, j->s->id, read_decision,
	                               j, &j->err);
}

/* Add the chunk of reports to the study's store (off the loop). */
static void add_reports(struct load_job *j)
{
	for (size_t i = 0; i < j->n_reps && j->rc == 0; i++) {
		const struct report_row *r = &j->reps[i];

		if (r->number < 0 || (size_t)r->number >= j->n) {
			j->rc = bad(j, "a report for trial number %lld, which "
			            "does not exist%s", (long long)r->number, "");
			return;
		}
		j->rc = pz_pruning_load_add(&j->reports, r->number, r->step,
		                            r->value, &j->err);
		if (j->rc != 0 && j->rc != PZ_ENOMEM)
			j->damaged = 1;
	}
}

/* The history, one sort per label (off the loop). */
static void build(struct load_job *j)
{
	size_t np = (size_t)j->space->n_params, stride = np + 1;
	double *packed;
	int rc;

	if (pz_history_create(j->space, &j->hist) != 0) {
		j->rc = pz_error_set(&j->err, PZ_ENOMEM, "out of memory");
		return;
	}
	/* Rows were parsed with a spare slot each; the history wants them
	 * packed. */
	packed = malloc((j->n ? j->n : 1) * (np ? np : 1) * sizeof(double));
	if (packed == NULL) {
		j->rc = pz_error_set(&j->err, PZ_ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < j->n; i++)
		memcpy(packed + i * np, j->values + i * stride,
		       np * sizeof(double));
	rc = pz_history_fill(j->hist, j->n, packed, j->hstates, j->losses);
	free(packed);
	if (rc != 0) {
		j->rc = pz_error_set(&j->err, rc, "building the history: %s",
		                     pz_strerror(rc));
		return;
	}
	/* Pruned trials rank by their last reported step (history.h), as
	 * they did before the restart (trial.c, pz_core_hist_set). */
	for (size_t i = 0; i < j->n; i++) {
		const struct pz_report_trial *t =
		        j->reports != NULL ? pz_reports_trial(j->reports, i)
		                           : NULL;

		if (j->trials[i].state != PZ_T_PRUNED)
			continue;
		rc = pz_history_set_pruned(
		        j->hist, i, t != NULL ? pz_reports_last_step(t) : -1,
		        j->trials[i].loss);
		if (rc != 0) {
			j->rc = pz_error_set(&j->err, rc, "building the "
			                     "history: %s", pz_strerror(rc));
			return;
		}
	}
	/* The reports' states and decisions, and the pruner. */
	rc = pz_pruning_load_finish(&j->reports, j->trials, j->n,
	                            j->dec_numbers, j->dec_steps, j->n_decs,
	                            &j->err);
	if (rc == 0)
		rc = pz_pruning_parse(j->s->pruner_text, &j->pruner, &j->err);
	if (rc != 0) {
		j->rc = rc;
		j->damaged = rc != PZ_ENOMEM;
	}
}

static void work(struct pz_job *job)
{
	struct load_job *j = (struct load_job *)job;

	if (j->space == NULL &&
	    (j->rc = pz_core_study_parse(j->s, &j->space, &j->cfg, &j->err)) !=
	            0) {
		j->damaged = j->rc != PZ_ENOMEM;
		return;
	}
	if (j->phase == PHASE_BUILD)
		build(j);
	else if (j->phase == PHASE_REPORTS)
		add_reports(j);
	else
		parse_chunk(j);
}

/* The load ended: tell the requests that waited. */
static void finish(struct load_job *j)
{
	struct pz_study *s = j->s;
	struct pz_wait *waiting;
	struct pz_error err = {0};
	int rc = j->rc;

	if (rc == 0 && !s->dead) {
		rc = pz_core_install(j->core, s, j->space, &j->cfg, j->hist,
		                     j->trials, j->n, &err);
		j->space = NULL;
		j->hist = NULL;
		j->trials = NULL;
		j->n = 0;
		if (rc == 0) {
			s->reports = j->reports;
			s->pruner = j->pruner;
			j->reports = NULL;
			j->pruner = NULL;
		}
	} else if (s->dead) {
		rc = pz_error_set(&err, PZ_EIO, "study '%s' was deleted or its "
		                  "batch failed while it loaded; retry",
		                  s->name);
	} else {
		if (j->damaged) {
			pz_core_damage(s, j->err.msg);
			pz_error_set(&err, PZ_EDAMAGED, "study '%s' is damaged and "
			             "cannot be used: %s", s->name, j->err.msg);
			rc = PZ_EDAMAGED;
		} else {
			pz_error_set(&err, rc == PZ_ENOMEM ? PZ_ENOMEM : PZ_EIO,
			             "loading study '%s': %s", s->name,
			             j->err.msg);
			rc = err.code;
		}
	}
	/*
	 * The requests that waited for this load. A reply lets its
	 * connection take its next line at once: a request that then waits
	 * for a new load of the study (after a failure) waits on
	 * s->loaders anew, for that load, not for this one's outcome.
	 */
	s->loading = 0;
	waiting = s->loaders;
	s->loaders = NULL;
	while (waiting != NULL) {
		struct pz_wait *w = waiting;

		waiting = w->next;
		w->resume(w, rc, &err);
	}
	pz_core_release_study(j->core, s);
	job_free(j);
}

/*
 * The next step of the trials phase, on the loop, `now` parsed: parse the
 * chunk read (reading it first unless it was read ahead), and read the
 * one after it meanwhile; or go on to the reports after the last.
 */
static void next_trials(struct load_job *j)
{
	struct chunk c;
	int more;

	/* A full chunk may have more rows after it. */
	if (!j->ahead && j->n_read % PZ_LOAD_CHUNK == 0)
		read_chunk(j);
	j->ahead = 0;
	if (j->read_rc != 0) {
		j->rc = j->read_rc;
		j->damaged = j->read_damaged;
		j->err = j->read_err;
		finish(j);
		return;
	}
	if (j->next.n == 0) {
		j->phase = PHASE_REPORTS;
		j->rep_number = 0;
		j->rep_step = -1;
		if ((j->rc = read_reports(j)) != 0)
			finish(j);
		else
			submit(j);
		return;
	}
	c = j->now;
	j->now = j->next;
	j->next = c;
	more = j->now.n == PZ_LOAD_CHUNK;
	if (j->exec == NULL || j->exec->submit == NULL) {
		submit(j); /* inline: its done reads the next chunk */
		return;
	}
	if (submit(j) == 0 && more) {
		/* The executor parses `now` (it touches none of these). */
		read_chunk(j);
		j->ahead = 1;
	}
}

static void done(struct pz_job *job)
{
	struct load_job *j = (struct load_job *)job;

	if (j->rc != 0 || j->phase == PHASE_BUILD || j->s->dead) {
		finish(j);
		return;
	}
	if (j->phase == PHASE_TRIALS) {
		next_trials(j);
		return;
	}
	if ((j->rc = read_reports(j)) != 0) {
		finish(j);
		return;
	}
	submit(j);
}

/* 0, or the load finished with an error (j is gone). */
static int submit(struct load_job *j)
{
	if (pz_exec_submit(j->exec, &j->job) != 0) {
		j->rc = pz_error_set(&j->err, PZ_ENOMEM, "cannot start loading");
		finish(j);
		return -1;
	}
	return 0;
}

static void wait_on(struct pz_study *s, struct pz_wait *w)
{
	w->next = s->loaders;
	s->loaders = w;
}

/* Resumes a synchronous pz_load_need (inline executor). */
struct sync_wait {
	struct pz_wait w;
	int rc;
	struct pz_error *err;
};

static void sync_resume(struct pz_wait *w, int rc, const struct pz_error *err)
{
	struct sync_wait *sw = (struct sync_wait *)w;

	sw->rc = rc;
	if (rc != 0 && err != NULL && sw->err != NULL)
		*sw->err = *err;
}

int pz_load_need(struct pz_core *core, const struct pz_exec *exec,
                 struct pz_study *s, struct pz_wait *w, struct pz_error *err)
{
	struct sync_wait sw = {{NULL, sync_resume}, 0, err};
	struct load_job *j;

	if (s->load == PZ_LOAD_YES)
		return 0;
	if (s->load == PZ_LOAD_DAMAGED)
		return pz_error_set(err, PZ_EDAMAGED,
		                    "study '%s' is damaged and cannot be used: %s",
		                    s->name, s->damage);
	if (exec == NULL || exec->submit == NULL)
		w = &sw.w;
	wait_on(s, w);
	if (s->loading)
		return PZ_LOAD_LATER;
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		s->loaders = w->next;
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	}
	j->job.work = work;
	j->job.done = done;
	j->core = core;
	j->exec = exec;
	j->s = s;
	s->loading = 1;
	pz_core_hold(s);
	next_trials(j);
	if (w == &sw.w)
		return sw.rc;
	return PZ_LOAD_LATER;
}
