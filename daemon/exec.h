/*
 * Where heavy, pure computation runs (a TPE suggestion, parsing a study's
 * stored trials): on a worker thread in the server, or inline in unit
 * tests, the fuzzer and the benchmarks that drive the request path
 * without a loop.
 *
 * A job's `work` runs on any thread and touches only what the job owns or
 * what its study keeps still for it (core.h: s->busy); `done` runs on the
 * loop thread afterwards and may change anything.
 */
#ifndef PZ_EXEC_H
#define PZ_EXEC_H

struct pz_job {
	void (*work)(struct pz_job *job);
	void (*done)(struct pz_job *job);
	void *priv;          /* the executor's */
};

struct pz_exec {
	/* Run job->work, then job->done; 0, or a negative PZ_E* when the
	 * job cannot start (done is then not called). NULL: inline. */
	int (*submit)(void *ctx, struct pz_job *job);
	void *ctx;
};

/* Submit `job` to `exec` (inline when exec or exec->submit is NULL). */
static inline int pz_exec_submit(const struct pz_exec *exec,
                                 struct pz_job *job)
{
	if (exec == 0 || exec->submit == 0) {
		job->work(job);
		job->done(job);
		return 0;
	}
	return exec->submit(exec->ctx, job);
}

#endif
