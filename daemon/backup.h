/*
 * server.backup's work: an online copy of the database into a file while
 * the daemon goes on serving.
 *
 * The copy is taken with SQLite's backup API (store.h) in slices, each
 * between two batches, so workers keep asking and telling meanwhile;
 * changes committed while it runs are carried into the copy, which ends
 * as the database of the last commit before it finished. It is written
 * beside its destination under a temporary name and moved into place only
 * once it is complete and synced: PATH is never a partial database.
 */
#ifndef PZ_BACKUP_H
#define PZ_BACKUP_H

#include <parzen/error.h>

#include "core.h"

struct pz_backup;

/*
 * Start a copy of `core`'s database (file `db_path`, to refuse copying
 * onto it) into `path`. Refused, before anything is written: a path that
 * is not absolute, whose directory does not exist, that is the database
 * itself, or (unless `force`) where a file exists, or its -journal or
 * -wal (an old journal would be applied to the new file when opened).
 * Errors about the path are PZ_EINVAL, PZ_EEXIST for an existing file.
 */
int pz_backup_start(struct pz_core *core, const char *db_path,
                    const char *path, int force, struct pz_backup **out,
                    struct pz_error *err);

/*
 * Copy the next slice. Returns 1 while there is more, 0 once the copy is
 * complete and at its path, or a negative PZ_E* on failure (the path is
 * then as it was).
 */
int pz_backup_step(struct pz_backup *b, struct pz_error *err);

/* Bytes of the finished copy. */
long long pz_backup_bytes(const struct pz_backup *b);

/* Free `b`; an unfinished copy's temporary file is removed. NULL is ok. */
void pz_backup_destroy(struct pz_backup *b);

#endif
