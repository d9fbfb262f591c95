/*
 * Where a client looks for parzend when it is given no socket: the one
 * discovery order that the C client, the CLI and Python's parzen share
 * (client.h, docs/cli.md "Where parzen looks for parzend").
 *
 * $PARZEN_SOCKET is a choice, so when it is set nothing else is tried: a
 * worker told where its daemon is must not drift to another one. Without
 * it, the user's own daemon comes before the system service, and a
 * message that lists every place and what was there replaces the bare
 * "connection refused" of the last one.
 */
#include "private.h"

#include <parzen/sockdir.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pz_client_user_socket(char *buf, size_t len)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char run_user[64];
	struct stat st;
	int n;

	snprintf(run_user, sizeof(run_user), "/run/user/%u",
	         (unsigned)getuid());
	if (rt != NULL && rt[0] == '/')
		n = snprintf(buf, len, "%s/parzen/parzend.sock", rt);
	else if (lstat(run_user, &st) == 0 && S_ISDIR(st.st_mode) &&
	         st.st_uid == getuid())
		n = snprintf(buf, len, "%s/parzen/parzend.sock", run_user);
	else
		n = snprintf(buf, len, "/tmp/parzen-%u/parzend.sock",
		             (unsigned)getuid());
	return n >= 0 && (size_t)n < len ? 0 : PZ_ERANGE;
}

int pz_client_default_socket(char *buf, size_t len)
{
	const char *env = getenv("PARZEN_SOCKET");
	int n;

	if (env == NULL || env[0] == '\0')
		return pz_client_user_socket(buf, len);
	n = snprintf(buf, len, "%s", env);
	return n >= 0 && (size_t)n < len ? 0 : PZ_ERANGE;
}

/* Append "PATH (WHY)" to the list of places tried. */
static void tried(char *list, size_t len, const char *path, const char *why)
{
	size_t used = strlen(list);
	int n = snprintf(list + used, len - used, "%s%s (%.200s)",
	                 used > 0 ? ", " : "", path, why);

	if (n < 0 || (size_t)n >= len - used)
		list[len - 1] = '\0'; /* cut short: still a sentence */
}

int pz_client_discover(struct pz_client **out, struct pz_error *err)
{
	const char *env = getenv("PARZEN_SOCKET");
	char user[PZ_SOCKDIR_PATH_MAX + 64], list[PZ_ERROR_MSG_MAX];
	struct pz_error e = { 0 };
	int rc, sys_errno;

	*out = NULL;
	if (env != NULL && env[0] != '\0')
		return pz_client_connect_path(env, out, &sys_errno, err);

	list[0] = '\0';
	if (pz_client_user_socket(user, sizeof(user)) != 0) {
		tried(list, sizeof(list), user, "path too long");
	} else {
		rc = pz_client_connect_path(user, out, &sys_errno, &e);
		if (rc == 0)
			return 0;
		if (rc == PZ_EINVAL) {
			if (err != NULL)
				*err = e;
			return rc;
		}
		tried(list, sizeof(list), user,
		      sys_errno != 0 ? strerror(sys_errno) : e.msg);
	}

	rc = pz_client_connect_path(PZ_CLIENT_SYSTEM_SOCKET, out, &sys_errno,
	                            &e);
	if (rc == 0)
		return 0;
	if (rc == PZ_EINVAL) {
		if (err != NULL)
			*err = e;
		return rc;
	}
	tried(list, sizeof(list), PZ_CLIENT_SYSTEM_SOCKET,
	      sys_errno == EACCES
	              ? "permission denied: the system service admits "
	                "members of its group; ask for `usermod -aG parzen "
	                "$USER` and log in again"
	      : sys_errno != 0 ? strerror(sys_errno)
	                       : e.msg);
	return pz_error_set(err, PZ_EIO,
	                    "no parzend answers; looked at $PARZEN_SOCKET "
	                    "(not set), %s. Start one (parzend &, or "
	                    "systemctl --user start parzend.socket) or set "
	                    "PARZEN_SOCKET",
	                    list);
}
