/*
 * sd_notify, the watchdog and socket activation, by the documented
 * protocols (sd_notify(3), sd_watchdog_enabled(3), sd_listen_fds(3)).
 */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int pz_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	size_t len;
	int fd, rc;

	if (path == NULL || path[0] == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
		return -EINVAL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = (int)sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	                 (struct sockaddr *)&sa,
	                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	rc = rc < 0 ? -errno : 0;
	close(fd);
	return rc;
}

int pz_listen_fd(char *msg, int msg_len)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	int type = 0, listening = 0;
	socklen_t olen = sizeof(int);

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid())
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (atoi(fds) != 1) {
		snprintf(msg, (size_t)msg_len,
		         "socket activation passed %s sockets; parzend takes one",
		         fds);
		return -2;
	}
	if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &olen) != 0 ||
	    type != SOCK_STREAM ||
	    getsockname(3, (struct sockaddr *)&sa, &len) != 0 ||
	    sa.sun_family != AF_UNIX) {
		snprintf(msg, (size_t)msg_len,
		         "the socket passed by systemd (fd 3) is not a Unix "
		         "stream socket; use ListenStream=/path in the .socket "
		         "unit");
		return -2;
	}
	olen = sizeof(int);
	if (getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen) != 0 ||
	    !listening) {
		snprintf(msg, (size_t)msg_len,
		         "the socket passed by systemd (fd 3) is not listening");
		return -2;
	}
	return 3;
}

static void on_watchdog(uv_timer_t *t)
{
	(void)t;
	pz_notify("WATCHDOG=1");
}

bool pz_watchdog_start(struct pz_watchdog *wd, uv_loop_t *loop)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long us;
	uint64_t every_ms;
	char *end;

	wd->on = false;
	if (usec == NULL || usec[0] == '\0')
		return false;
	if (pid != NULL && pid[0] != '\0' && atol(pid) != (long)getpid())
		return false;
	errno = 0;
	us = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || us == 0)
		return false;
	every_ms = us / 4000;
	if (every_ms == 0)
		every_ms = 1;
	uv_timer_init(loop, &wd->timer);
	uv_unref((uv_handle_t *)&wd->timer);
	uv_timer_start(&wd->timer, on_watchdog, every_ms, every_ms);
	wd->on = true;
	pz_notify("WATCHDOG=1");
	return true;
}

void pz_watchdog_stop(struct pz_watchdog *wd)
{
	if (!wd->on)
		return;
	wd->on = false;
	uv_close((uv_handle_t *)&wd->timer, NULL);
}
