/*
 * Trusting the directory of parzend's Unix socket, for the daemon and for
 * every client (docs/protocol.md, "Where the socket is").
 *
 * Whoever can write to the directory of a socket can replace the socket
 * with one of their own and receive every request sent to that path. So
 * before parzend binds and before a client connects, the socket's
 * directory must be one that no other user controls:
 *
 *   - a real directory, not a symbolic link;
 *   - owned by the caller or by root; a client also accepts a service
 *     directory owned by another user when root placed it (its parent
 *     belongs to root and nobody else may write there), as systemd makes
 *     /run/parzen for the parzen user;
 *   - not writable by others, except a root-owned sticky directory such as
 *     /tmp (nobody can then remove or rename what is ours; a client
 *     connects there only to a socket owned by itself or by root);
 *   - not writable by its group, except for the daemon with --group G
 *     when the directory's group is G, and for a client when the
 *     directory's group is one of its own.
 *
 * The check is made on an O_PATH descriptor of the directory, which is
 * then held and used: `addr` names the socket through /proc/self/fd/N,
 * so the directory that was checked is the one bound or connected to,
 * even if the path is renamed in between. (Without /proc, `addr` is the
 * path itself.)
 *
 * No global state. Every failure is a PZ_E* code with a message a person
 * can act on (errno is not part of the contract).
 */
#ifndef PZ_SOCKDIR_H
#define PZ_SOCKDIR_H

#include <stdbool.h>

#include <parzen/error.h>

/* Longest socket path, as in sockaddr_un.sun_path, without the NUL. */
#define PZ_SOCKDIR_PATH_MAX 107

enum pz_sockdir_flags {
	/* Create missing directories: mode 0700, or 0750 with the group
	 * `gid` when one is given. */
	PZ_SOCKDIR_CREATE = 1u << 0,
	/* The daemon's rules: the directory must belong to the caller or
	 * root, and group write is allowed only for `gid`. */
	PZ_SOCKDIR_DAEMON = 1u << 1,
};

struct pz_sockdir {
	int fd;                             /* O_PATH of the directory */
	bool shared;                        /* a root-owned sticky dir */
	char path[PZ_SOCKDIR_PATH_MAX + 1]; /* the socket path as given */
	char name[PZ_SOCKDIR_PATH_MAX + 1]; /* its last component */
	char addr[PZ_SOCKDIR_PATH_MAX + 1]; /* what to bind or connect to */
};

/*
 * Open and check the directory of `socket_path` (flags from enum
 * pz_sockdir_flags; `gid` is the daemon's --group or -1). On success `d`
 * holds the directory until pz_sockdir_close(). Returns
 *
 *   PZ_ENOENT  the directory does not exist (and CREATE was not given);
 *   PZ_EINVAL  the path is empty, ends in '/', is too long, or the
 *              directory fails a rule above (the message says which and
 *              what to do);
 *   PZ_EIO     a system call failed.
 *
 * `d` is left closed (fd -1) on failure.
 */
int pz_sockdir_open(struct pz_sockdir *d, const char *socket_path,
                    unsigned flags, int gid, struct pz_error *err);

/*
 * For a client: is the socket itself acceptable? Outside a shared (sticky)
 * directory always; inside one, only a socket owned by the caller or root.
 * PZ_ENOENT when there is no socket there, PZ_EINVAL when it belongs to
 * someone else or is not a socket.
 */
int pz_sockdir_check_socket(const struct pz_sockdir *d, struct pz_error *err);

/* Release the directory. Accepts a closed or zeroed-by-init `d`. */
void pz_sockdir_close(struct pz_sockdir *d);

/* A closed pz_sockdir, for cleanup paths that run before open. */
void pz_sockdir_init(struct pz_sockdir *d);

#endif
