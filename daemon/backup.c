/*
 * Online backups into a file; see backup.h. The file operations around
 * the copy (checks, the temporary name, fsync, the move into place) are
 * here; the copy itself is the store's.
 */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Pages per slice: a few milliseconds of copying between two batches. */
#define SLICE_PAGES 1024

struct pz_backup {
	struct pz_store_backup *copy;
	char *path;      /* the destination */
	char *tmp;       /* the copy until it is complete */
	int force;
	int done;
	long long bytes;
};

static const char *const sidecars[] = {"-journal", "-wal", "-shm"};

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 || errno != ENOENT;
}

/* `path` with `suffix`, in `buf`. */
static const char *with(char *buf, size_t len, const char *path,
                        const char *suffix)
{
	snprintf(buf, len, "%s%s", path, suffix);
	return buf;
}

/* Are `a` and `b` the same file (both exist)? */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int sync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* The directory of `path`, synced so that a rename in it is durable. */
static void sync_dir(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	sync_path(dirname(buf), O_RDONLY | O_DIRECTORY);
}

int pz_backup_start(struct pz_core *core, const char *db_path,
                    const char *path, int force, struct pz_backup **out,
                    struct pz_error *err)
{
	char dir[PATH_MAX], side[PATH_MAX + 16];
	struct pz_backup *b;
	struct stat st;
	int fd, rc;

	*out = NULL;
	if (path[0] != '/')
		return pz_error_set_at(err, PZ_EINVAL, "params.path",
		                       "must be an absolute path (parzend's "
		                       "working directory is not yours)");
	if (strlen(path) >= PATH_MAX - 32)
		return pz_error_set_at(err, PZ_EINVAL, "params.path",
		                       "path too long");
	snprintf(dir, sizeof(dir), "%s", path);
	if (stat(dirname(dir), &st) != 0 || !S_ISDIR(st.st_mode))
		return pz_error_set_at(err, PZ_EINVAL, "params.path",
		                       "%s: the directory %s does not exist", path,
		                       dir);
	if (db_path != NULL && same_file(path, db_path))
		return pz_error_set_at(err, PZ_EINVAL, "params.path",
		                       "%s is parzend's own database", path);
	/* So are the files beside it: a copy moved over the WAL would cut
	 * every change not yet checkpointed out of the database. */
	for (size_t i = 0; db_path != NULL && i < 4; i++) {
		static const char *const own[] = {"-wal", "-shm", "-journal",
		                                  "-reserve"};

		with(side, sizeof(side), db_path, own[i]);
		if (strcmp(path, side) == 0 || same_file(path, side))
			return pz_error_set_at(err, PZ_EINVAL, "params.path",
			                       "%s is a file of parzend's own "
			                       "database", path);
	}
	if (exists(path) && !force)
		return pz_error_set_at(err, PZ_EEXIST, "params.path",
		                       "%s exists; pass force to replace it",
		                       path);
	for (size_t i = 0; i < 2 && !force; i++)
		if (exists(with(side, sizeof(side), path, sidecars[i])))
			return pz_error_set_at(err, PZ_EEXIST, "params.path",
			                       "%s exists (an old journal would "
			                       "be applied to the copy); pass "
			                       "force to replace it", side);
	if (exists(path) && lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return pz_error_set_at(err, PZ_EINVAL, "params.path",
		                       "%s exists and is not a regular file",
		                       path);
	b = calloc(1, sizeof(*b));
	if (b == NULL || (b->path = strdup(path)) == NULL ||
	    asprintf(&b->tmp, "%s.parzen-backup-XXXXXX", path) < 0) {
		if (b != NULL)
			free(b->path);
		free(b);
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	}
	b->force = force;
	fd = mkstemp(b->tmp);
	if (fd < 0) {
		rc = pz_error_set_at(err, PZ_EINVAL, "params.path",
		                     "cannot create a file beside %s: %s", path,
		                     strerror(errno));
		free(b->tmp);
		b->tmp = NULL;
		pz_backup_destroy(b);
		return rc;
	}
	close(fd);
	rc = pz_store_backup_begin(core->store, b->tmp, &b->copy, err);
	if (rc != 0) {
		pz_backup_destroy(b);
		return rc;
	}
	*out = b;
	return 0;
}

/* Move the finished copy to its path; 0 or PZ_EEXIST / PZ_EIO. */
static int move_into_place(struct pz_backup *b, struct pz_error *err)
{
	char side[PATH_MAX + 16];
	struct stat st;

	if (sync_path(b->tmp, O_RDONLY) != 0)
		return pz_error_set(err, PZ_EIO, "backup: syncing %s: %s",
		                    b->tmp, strerror(errno));
	if (stat(b->tmp, &st) == 0)
		b->bytes = (long long)st.st_size;
	if (b->force) {
		for (size_t i = 0; i < 3; i++)
			unlink(with(side, sizeof(side), b->path, sidecars[i]));
		if (rename(b->tmp, b->path) != 0)
			return pz_error_set(err, PZ_EIO, "backup: moving the "
			                    "copy to %s: %s", b->path,
			                    strerror(errno));
	} else {
		/* link() never replaces: a file that appeared meanwhile
		 * stays. */
		if (link(b->tmp, b->path) != 0)
			return pz_error_set(err, errno == EEXIST ? PZ_EEXIST
			                                         : PZ_EIO,
			                    "backup: moving the copy to %s: %s",
			                    b->path, strerror(errno));
		unlink(b->tmp);
	}
	free(b->tmp);
	b->tmp = NULL;
	sync_dir(b->path);
	return 0;
}

int pz_backup_step(struct pz_backup *b, struct pz_error *err)
{
	int rc;

	if (b->done)
		return 0;
	rc = pz_store_backup_step(b->copy, SLICE_PAGES, err);
	if (rc != 0)
		return rc;
	rc = pz_store_backup_finish(b->copy, err);
	b->copy = NULL;
	if (rc == 0)
		rc = move_into_place(b, err);
	if (rc == 0)
		b->done = 1;
	return rc;
}

long long pz_backup_bytes(const struct pz_backup *b)
{
	return b->bytes;
}

void pz_backup_destroy(struct pz_backup *b)
{
	if (b == NULL)
		return;
	pz_store_backup_abort(b->copy);
	if (b->tmp != NULL)
		unlink(b->tmp);
	free(b->tmp);
	free(b->path);
	free(b);
}
