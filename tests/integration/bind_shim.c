/*
 * An LD_PRELOAD shim for test_socket_safety.py: right after parzend binds
 * its Unix socket, replace the socket file by a symbolic link to
 * $PZ_SHIM_VICTIM, as another user with write access to the directory
 * could. A daemon that then chmods the path would change the victim's
 * mode; parzend must notice the swap instead and touch nothing.
 *
 * Only binds whose path ends in $PZ_SHIM_NAME are touched.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int (*real)(int, const struct sockaddr *, socklen_t) =
		(int (*)(int, const struct sockaddr *,
	                 socklen_t))dlsym(RTLD_NEXT, "bind");
	const char *victim = getenv("PZ_SHIM_VICTIM");
	const char *name = getenv("PZ_SHIM_NAME");
	const struct sockaddr_un *sa = (const struct sockaddr_un *)addr;
	char moved[sizeof(sa->sun_path) + 8];
	size_t n, m;
	int rc = real(fd, addr, len);

	if (rc != 0 || victim == NULL || name == NULL ||
	    addr->sa_family != AF_UNIX || sa->sun_path[0] == '\0')
		return rc;
	n = strnlen(sa->sun_path, sizeof(sa->sun_path));
	m = strlen(name);
	if (n < m || memcmp(sa->sun_path + n - m, name, m) != 0)
		return rc;
	snprintf(moved, sizeof(moved), "%.*s.moved", (int)n, sa->sun_path);
	if (rename(sa->sun_path, moved) == 0)
		symlink(victim, sa->sun_path);
	return rc;
}
