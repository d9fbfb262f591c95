/*
 * An LD_PRELOAD shim for test_pipelined.py: control over the fdatasync
 * that makes a batch durable (parzend runs it on a worker thread with
 * --durability full), to look at what parzend does meanwhile.
 *
 * Only calls from threads other than the main one (the loop) are
 * touched, so SQLite's own syncs on the loop run as usual:
 *   - while the file $PZ_SHIM_SYNC_HOLD exists, the call waits, after
 *     creating $PZ_SHIM_SYNC_HELD (the test's signal that a commit is
 *     waiting for its sync);
 *   - if the file $PZ_SHIM_SYNC_FAIL exists when the call returns, the
 *     file is removed and the call fails with EIO (once).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int exists(const char *path)
{
	return path != NULL && path[0] != '\0' && access(path, F_OK) == 0;
}

int fdatasync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	const char *hold = getenv("PZ_SHIM_SYNC_HOLD");
	const char *held = getenv("PZ_SHIM_SYNC_HELD");
	const char *fail = getenv("PZ_SHIM_SYNC_FAIL");
	int rc;

	if (syscall(SYS_gettid) == getpid())
		return real(fd);
	if (exists(hold)) {
		if (held != NULL && held[0] != '\0')
			close(open(held, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
		while (exists(hold))
			usleep(5000);
	}
	rc = real(fd);
	if (exists(fail) && unlink(fail) == 0) {
		errno = EIO;
		return -1;
	}
	return rc;
}
