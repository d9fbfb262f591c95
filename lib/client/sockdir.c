/*
 * The safety check of a socket's directory, shared by parzend (before it
 * binds) and the clients (before they connect): the rules are in
 * <parzen/sockdir.h>. A directory is opened once with O_PATH and
 * O_NOFOLLOW, judged by fstat() of that descriptor, and then used through
 * /proc/self/fd/N, so what was judged is what is used.
 */
#include <parzen/sockdir.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void pz_sockdir_init(struct pz_sockdir *d)
{
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}

void pz_sockdir_close(struct pz_sockdir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

/* "user NAME (uid N)", or "uid N" when the user has no name. */
static void describe_user(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res != NULL)
		snprintf(buf, len, "user %s (uid %u)", pw.pw_name,
		         (unsigned)uid);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
}

static void describe_group(gid_t gid, char *buf, size_t len)
{
	struct group gr, *res = NULL;
	char tmp[4096];

	if (getgrgid_r(gid, &gr, tmp, sizeof(tmp), &res) == 0 && res != NULL)
		snprintf(buf, len, "group %s (gid %u)", gr.gr_name,
		         (unsigned)gid);
	else
		snprintf(buf, len, "gid %u", (unsigned)gid);
}

static bool in_my_groups(gid_t gid)
{
	gid_t groups[256];
	int n;

	if (gid == getegid())
		return true;
	n = getgroups((int)(sizeof(groups) / sizeof(groups[0])), groups);
	for (int i = 0; i < n; i++) {
		if (groups[i] == gid)
			return true;
	}
	return false;
}

/*
 * mkdir -p `dir`. Directories made here get `mode` exactly (whatever the
 * umask) and, with gid >= 0, that group. Existing ones are left as they
 * are: the check that follows judges the last one.
 */
static int make_dirs(const char *dir, int gid, struct pz_error *err)
{
	mode_t mode = gid >= 0 ? 0750 : 0700;
	char buf[PZ_SOCKDIR_PATH_MAX + 1];
	size_t n = strlen(dir);

	memcpy(buf, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) == 0) {
			if (chmod(buf, mode) != 0)
				return pz_error_set(err, PZ_EIO, "chmod %s: %s",
				                    buf, strerror(errno));
			if (gid >= 0 && lchown(buf, (uid_t)-1, (gid_t)gid) != 0)
				return pz_error_set(err, PZ_EIO,
				                    "cannot give %s to gid %d: "
				                    "%s",
				                    buf, gid, strerror(errno));
		} else if (errno != EEXIST) {
			return pz_error_set(err, PZ_EIO,
			                    "cannot create the directory %s: %s",
			                    buf, strerror(errno));
		}
		buf[i] = dir[i];
	}
	return 0;
}

/* Judge the opened directory `dir` (st: its fstat) by the rules. */
static int judge(struct pz_sockdir *d, const char *dir, const struct stat *st,
                 unsigned flags, int gid, struct pz_error *err)
{
	uid_t me = geteuid();
	char who[160];

	if (st->st_uid != me && st->st_uid != 0) {
		struct stat parent;
		bool placed = false;

		/* A client trusts a service directory root made for its
		 * daemon's user: only root could have put it there. */
		if (!(flags & PZ_SOCKDIR_DAEMON) &&
		    fstatat(d->fd, "..", &parent, 0) == 0 &&
		    parent.st_uid == 0 &&
		    !(parent.st_mode & (S_IWGRP | S_IWOTH)))
			placed = true;
		if (!placed) {
			describe_user(st->st_uid, who, sizeof(who));
			return pz_error_set(
				err, PZ_EINVAL,
				"unsafe socket directory %s: it belongs to %s, "
				"not to you or root, who could listen there in "
				"parzend's place; remove it, or choose another "
				"socket (--socket, PARZEN_SOCKET)",
				dir, who);
		}
	}
	if (st->st_mode & S_IWOTH) {
		if (!(st->st_mode & S_ISVTX) || st->st_uid != 0)
			return pz_error_set(
				err, PZ_EINVAL,
				"unsafe socket directory %s: every user may "
				"write to it (mode %04o), so anyone could put "
				"a socket of their own there; use a directory "
				"only you can write to (chmod o-w %s)",
				dir, (unsigned)(st->st_mode & 07777), dir);
		d->shared = true; /* like /tmp: sticky and root's */
	}
	if ((st->st_mode & S_IWGRP) && !d->shared) {
		bool ok = (flags & PZ_SOCKDIR_DAEMON)
		                  ? gid >= 0 && st->st_gid == (gid_t)gid
		                  : in_my_groups(st->st_gid);

		if (!ok) {
			describe_group(st->st_gid, who, sizeof(who));
			return pz_error_set(
				err, PZ_EINVAL,
				"unsafe socket directory %s: %s may write to "
				"it (mode %04o), and parzend %s; use a "
				"directory only you can write to "
				"(chmod g-w %s)",
				dir, who, (unsigned)(st->st_mode & 07777),
				(flags & PZ_SOCKDIR_DAEMON)
					? "was not given --group for it"
					: "would trust its members blindly, "
					  "and you are not one of them",
				dir);
		}
	}
	return 0;
}

int pz_sockdir_open(struct pz_sockdir *d, const char *socket_path,
                    unsigned flags, int gid, struct pz_error *err)
{
	char dir[PZ_SOCKDIR_PATH_MAX + 1], proc[64];
	const char *slash;
	struct stat st, via;
	size_t n;
	int rc;

	pz_sockdir_init(d);
	n = strlen(socket_path);
	if (n == 0 || n > PZ_SOCKDIR_PATH_MAX)
		return pz_error_set(err, PZ_EINVAL,
		                    "socket path must be 1 to %d bytes: '%s'",
		                    PZ_SOCKDIR_PATH_MAX, socket_path);
	memcpy(d->path, socket_path, n + 1);
	slash = strrchr(socket_path, '/');
	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
		memcpy(d->name, socket_path, n + 1);
	} else if (slash[1] == '\0') {
		return pz_error_set(err, PZ_EINVAL,
		                    "socket path ends in '/': '%s'",
		                    socket_path);
	} else {
		size_t len = slash == socket_path
		                     ? 1
		                     : (size_t)(slash - socket_path);

		memcpy(dir, socket_path, len);
		dir[len] = '\0';
		snprintf(d->name, sizeof(d->name), "%s", slash + 1);
	}
	if (strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0)
		return pz_error_set(err, PZ_EINVAL,
		                    "socket path names a directory: '%s'",
		                    socket_path);
	if ((flags & PZ_SOCKDIR_CREATE) && (rc = make_dirs(dir, gid, err)) != 0)
		return rc;

	d->fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->fd < 0) {
		int e = errno;

		if (e == ENOENT)
			return pz_error_set(err, PZ_ENOENT,
			                    "the socket directory %s does not "
			                    "exist",
			                    dir);
		if ((e == ENOTDIR || e == ELOOP) && lstat(dir, &st) == 0 &&
		    S_ISLNK(st.st_mode))
			return pz_error_set(
				err, PZ_EINVAL,
				"unsafe socket directory %s: it is a symbolic "
				"link, which could be pointed elsewhere; use "
				"the real directory",
				dir);
		return pz_error_set(err, PZ_EIO, "cannot open %s: %s", dir,
		                    strerror(e));
	}
	if (fstat(d->fd, &st) != 0) {
		rc = pz_error_set(err, PZ_EIO, "fstat %s: %s", dir,
		                  strerror(errno));
		goto fail;
	}
	if ((rc = judge(d, dir, &st, flags, gid, err)) != 0)
		goto fail;

	/* Reach the socket through the descriptor just judged, when /proc
	 * shows it as that very directory. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", d->fd);
	if (strlen(proc) + 1 + strlen(d->name) <= PZ_SOCKDIR_PATH_MAX &&
	    stat(proc, &via) == 0 && via.st_dev == st.st_dev &&
	    via.st_ino == st.st_ino)
		snprintf(d->addr, sizeof(d->addr), "%s/%s", proc, d->name);
	else
		memcpy(d->addr, d->path, n + 1);
	return 0;

fail:
	pz_sockdir_close(d);
	return rc;
}

int pz_sockdir_check_socket(const struct pz_sockdir *d, struct pz_error *err)
{
	struct stat st;
	char who[160];

	if (fstatat(d->fd, d->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT
		               ? pz_error_set(err, PZ_ENOENT,
		                              "%s does not exist", d->path)
		               : pz_error_set(err, PZ_EIO, "cannot stat %s: %s",
		                              d->path, strerror(errno));
	if (!d->shared)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return pz_error_set(err, PZ_EINVAL, "%s is not a socket",
		                    d->path);
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		describe_user(st.st_uid, who, sizeof(who));
		return pz_error_set(err, PZ_EINVAL,
		                    "refusing %s: it belongs to %s, in a "
		                    "directory every user may write to; use a "
		                    "socket in a directory of your own",
		                    d->path, who);
	}
	return 0;
}
