/*
 * The paths parzend creates: its listening socket (directory check, stale
 * socket removal, bind, mode and group, removal at exit) and the
 * directory of its database. The contract and the rules are in listen.h
 * and <parzen/sockdir.h>.
 *
 * The socket is made with socket()/bind()/listen() here and handed to
 * libuv with uv_pipe_open(), so that libuv never learns its path: libuv
 * would unlink the path it bound when the handle closes, whatever is
 * there by then. Binding happens under a umask that yields exactly the
 * requested mode, so no chmod() follows and there is no moment when the
 * socket is more open than asked.
 */
#include "listen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

void pz_listen_init(struct pz_listen *l)
{
	memset(l, 0, sizeof(*l));
	pz_sockdir_init(&l->dir);
}

static void sock_addr(const struct pz_listen *l, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, l->dir.addr, strlen(l->dir.addr) + 1);
}

/* Connect to the socket: 0 when something answers, else the errno. */
static int probe(const struct pz_listen *l)
{
	struct sockaddr_un sa;
	int fd, e = 0;

	sock_addr(l, &sa);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		e = errno;
	close(fd);
	return e;
}

static const char *kind_of(mode_t m)
{
	if (S_ISREG(m))
		return "a regular file";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISFIFO(m))
		return "a FIFO";
	return "not a socket";
}

/* Whatever is at the path now: remove it only if that is safe. */
static int clear_stale(struct pz_listen *l, struct pz_error *err)
{
	const char *path = l->dir.path;
	struct stat st;
	int e;

	if (fstatat(l->dir.fd, l->dir.name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return 0;
		return pz_error_set(err, PZ_EIO, "cannot stat %s: %s", path,
		                    strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return pz_error_set(err, PZ_EINVAL,
		                    "%s exists and is %s, not a socket; parzend "
		                    "removes nothing but a stale socket of its "
		                    "own: choose another --socket",
		                    path, kind_of(st.st_mode));
	if (st.st_uid != geteuid())
		return pz_error_set(err, PZ_EINVAL,
		                    "%s is a socket of uid %u, not ours (uid "
		                    "%u); parzend does not remove it",
		                    path, (unsigned)st.st_uid,
		                    (unsigned)geteuid());
	e = probe(l);
	if (e == 0)
		return pz_error_set(err, PZ_EEXIST,
		                    "another parzend is listening on %s", path);
	if (e != ECONNREFUSED)
		return pz_error_set(err, PZ_EIO,
		                    "%s: cannot tell whether a daemon listens "
		                    "there (%s); not removing it",
		                    path, strerror(e));
	/* A stale socket from a crash. */
	if (unlinkat(l->dir.fd, l->dir.name, 0) != 0 && errno != ENOENT)
		return pz_error_set(err, PZ_EIO,
		                    "cannot remove the stale "
		                    "socket %s: %s",
		                    path, strerror(errno));
	return 0;
}

int pz_listen_open(struct pz_listen *l, const char *path, unsigned mode,
                   int gid, struct pz_error *err)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd = -1, rc, e;

	pz_listen_init(l);
	rc = pz_sockdir_open(&l->dir, path,
	                     PZ_SOCKDIR_CREATE | PZ_SOCKDIR_DAEMON, gid, err);
	if (rc != 0)
		return rc == PZ_ENOENT ? PZ_EIO : rc;
	if ((rc = clear_stale(l, err)) != 0)
		goto fail;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = pz_error_set(err, PZ_EIO, "socket: %s", strerror(errno));
		goto fail;
	}
	sock_addr(l, &sa);
	old = umask(0777 & ~mode);
	e = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : errno;
	umask(old);
	if (e != 0) {
		rc = pz_error_set(err, PZ_EIO, "bind %s: %s", path,
		                  strerror(e));
		goto fail;
	}
	/* What is at the path must be the socket just made, as made. */
	if (fstatat(l->dir.fd, l->dir.name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
		rc = pz_error_set(err, PZ_EINVAL,
		                  "%s was replaced right after bind; not "
		                  "listening there",
		                  path);
		goto fail;
	}
	l->bound = true;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	if ((st.st_mode & 0777) != mode &&
	    fchmodat(l->dir.fd, l->dir.name, mode, AT_SYMLINK_NOFOLLOW) != 0) {
		rc = pz_error_set(err, PZ_EIO, "chmod %s: %s", path,
		                  strerror(errno));
		goto fail;
	}
	if (gid >= 0 && st.st_gid != (gid_t)gid &&
	    fchownat(l->dir.fd, l->dir.name, (uid_t)-1, (gid_t)gid,
	             AT_SYMLINK_NOFOLLOW) != 0) {
		rc = pz_error_set(err, PZ_EIO, "cannot give %s to gid %d: %s",
		                  path, gid, strerror(errno));
		goto fail;
	}
	if (listen(fd, SOMAXCONN) != 0) {
		rc = pz_error_set(err, PZ_EIO, "listen %s: %s", path,
		                  strerror(errno));
		goto fail;
	}
	return fd;

fail:
	if (fd >= 0)
		close(fd);
	pz_listen_close(l);
	return rc;
}

void pz_listen_close(struct pz_listen *l)
{
	struct stat st;

	if (l->bound && l->dir.fd >= 0 &&
	    fstatat(l->dir.fd, l->dir.name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == l->dev && st.st_ino == l->ino)
		unlinkat(l->dir.fd, l->dir.name, 0);
	l->bound = false;
	pz_sockdir_close(&l->dir);
}

int pz_listen_db_path(const char *db_path, struct pz_error *err)
{
	char dir[4096], target[4096];
	struct stat st;
	char *slash;
	ssize_t n;

	if (snprintf(dir, sizeof(dir), "%s", db_path) >= (int)sizeof(dir))
		return pz_error_set(err, PZ_EINVAL, "path too long: %s",
		                    db_path);
	if (lstat(db_path, &st) == 0 && S_ISLNK(st.st_mode) &&
	    stat(db_path, &st) != 0 && errno == ENOENT) {
		n = readlink(db_path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		return pz_error_set(err, PZ_EINVAL,
		                    "--db %s is a symbolic link to %s, which "
		                    "does not exist; parzend does not create a "
		                    "database through a link (create the target "
		                    "or pass its real path)",
		                    db_path, target);
	}
	/* mkdir -p of the database's directory, mode 0700. */
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return pz_error_set(err, PZ_EIO, "mkdir %s: %s", dir,
			                    strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}
