/*
 * parzend's listening socket on a path (not the one systemd passes):
 * create and check its directory (<parzen/sockdir.h>), remove a stale
 * socket only when that is safe, bind with the requested mode and group,
 * and remove the socket again at exit only if it is still ours.
 *
 * What "safe" means: an existing path is removed only when it is a socket,
 * owned by the daemon's user, and nobody answers on it. A regular file, a
 * symbolic link, another user's socket or a live socket is an error that
 * says so. Everything after the directory check goes through the held
 * directory descriptor, without following symbolic links.
 */
#ifndef PZ_LISTEN_H
#define PZ_LISTEN_H

#include <stdbool.h>
#include <sys/types.h>

#include <parzen/error.h>
#include <parzen/sockdir.h>

struct pz_listen {
	struct pz_sockdir dir;
	bool bound; /* we created the socket file */
	dev_t dev;  /* ... and this is it */
	ino_t ino;
};

/* A closed listener (pz_listen_close() accepts it). */
void pz_listen_init(struct pz_listen *l);

/*
 * Bind and listen on `path` with file mode `mode`; with gid >= 0 (the
 * daemon's --group) the socket and any directory made for it get that
 * group, and directories are made 0750 instead of 0700. Returns the
 * listening descriptor (>= 0, close-on-exec, owned by the caller) or a
 * negative PZ_E* with a message: PZ_EEXIST when another daemon answers
 * there, PZ_EINVAL for an unsafe directory or a path parzend will not
 * remove, PZ_EIO for a failed system call.
 */
int pz_listen_open(struct pz_listen *l, const char *path, unsigned mode,
                   int gid, struct pz_error *err);

/* Remove the socket file if it is still the one we bound; release the
 * directory. Accepts an initialized, never opened listener. */
void pz_listen_close(struct pz_listen *l);

/*
 * Prepare the database path: make its directory (mode 0700) and refuse a
 * symbolic link whose target does not exist, which SQLite would follow
 * and create a file at. PZ_EINVAL or PZ_EIO with a message.
 */
int pz_listen_db_path(const char *db_path, struct pz_error *err);

#endif
