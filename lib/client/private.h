/*
 * What the files of the client library share and do not export: hidden
 * from the shared library whatever its version script says.
 */
#ifndef PZ_CLIENT_PRIVATE_H
#define PZ_CLIENT_PRIVATE_H

#include <parzen/client.h>

#define PZ_HIDDEN __attribute__((visibility("hidden")))

/*
 * pz_client_connect() to one path. On failure *sys_errno is the errno of
 * the failed connect (ENOENT when nothing is there), or 0 when the failure
 * was not the connect itself (an unsafe directory: PZ_EINVAL).
 */
PZ_HIDDEN int pz_client_connect_path(const char *socket_path,
                                     struct pz_client **out, int *sys_errno,
                                     struct pz_error *err);

/* pz_client_connect(NULL, ...): the discovery order of client.h. */
PZ_HIDDEN int pz_client_discover(struct pz_client **out, struct pz_error *err);

#endif
