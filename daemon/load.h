/*
 * Loading a study's trials from the store into memory, off the loop.
 *
 * A study is read on its first use. Its rows are read from SQLite on the
 * loop, a chunk at a time (the loop serves other clients between
 * chunks); the expensive part, parsing every trial's params and building
 * the suggester's history (one sort per label), runs on the executor.
 * The trials' reports (trial.report) follow the same way, a chunk read on
 * the loop and added to the study's reports store on the executor, then
 * the prune decisions and the pruner (pruning.h). The
 * result is installed on the loop in one step, and the requests that
 * waited for the study go on. A study whose rows this parzend cannot read
 * back becomes damaged (core.h).
 */
#ifndef PZ_LOAD_H
#define PZ_LOAD_H

#include "core.h"
#include "exec.h"

/* Rows read from the store per step. */
#define PZ_LOAD_CHUNK 4096

/*
 * Make sure `s` is loaded. Returns 0 when it is, a negative PZ_E* when it
 * cannot be (PZ_EDAMAGED for a damaged study, PZ_EIO, PZ_ENOMEM; err
 * says why), or PZ_LOAD_LATER when it is loading: `w` is then resumed
 * (with 0, or the error) once it is done. With an inline executor (NULL)
 * the load happens before this returns and `w` may be NULL.
 */
#define PZ_LOAD_LATER 1
int pz_load_need(struct pz_core *core, const struct pz_exec *exec,
                 struct pz_study *s, struct pz_wait *w, struct pz_error *err);

#endif
