/*
 * The administrative methods: changing a study's settings (study.update),
 * the server's state (server.info's extra members), stopping it
 * (server.stop) and backing it up (server.backup). Their rows are in the
 * method table of handlers.c; what they need from the server is admin.h.
 */
#ifndef PZ_HANDLERS_ADMIN_H
#define PZ_HANDLERS_ADMIN_H

#include "handlers.h"

int pz_handle_study_update(struct pz_hctx *h, cJSON **result);
int pz_handle_server_stop(struct pz_hctx *h, cJSON **result);
int pz_handle_server_backup(struct pz_hctx *h, cJSON **result);

/*
 * Add to server.info's object `o`: database_bytes (the database and its
 * WAL), running and queued (trials over the loaded studies) and workers
 * (the names of the workers that hold running trials, sorted).
 */
void pz_admin_info(struct pz_hctx *h, cJSON *o);

#endif
