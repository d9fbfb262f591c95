/*
 * A trial's command as a child process: posix_spawn with three pipes, then
 * one poll() loop over the pipes and the caller's signalfd (SIGCHLD wakes
 * it when the child exits). No threads, no signal handlers.
 *
 * The child gets a process group of its own so that stopping it also stops
 * whatever it started (a shell script's python), and so that a Ctrl-C on
 * the terminal reaches only the worker, which then stops the command in
 * order and gives its trial back. Exit is noticed with waitpid(WNOHANG),
 * not with end-of-file on the pipes, because a background process of the
 * command may hold them open for ever; after the exit the pipes are read
 * until they are empty, and closed.
 *
 * Report lines are cut into a ring of fixed-size lines as they arrive; a
 * read never takes more bytes than the ring has free lines, so no byte is
 * dropped when the command writes faster than the caller sends: the pipe
 * fills and the command waits.
 */
#include "child.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Bytes per read(), and reads per pipe when draining after the exit. */
#define CHUNK 65536
#define DRAIN_READS 64

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void tail_add(struct child_tail *t, const char *p, size_t n)
{
	t->total += n;
	if (n >= CHILD_TAIL) {
		memcpy(t->buf, p + n - CHILD_TAIL, CHILD_TAIL);
		t->len = CHILD_TAIL;
		return;
	}
	if (t->len + n > CHILD_TAIL) {
		size_t drop = t->len + n - CHILD_TAIL;

		memmove(t->buf, t->buf + drop, t->len - drop);
		t->len -= drop;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

/* Copy to one of our own streams; a failure there is not the trial's. */
static void forward(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Read what is there from one pipe; close it at end-of-file or error. */
static void pump_out(struct child *ch, int *fd, struct child_tail *t,
                     int to)
{
	char buf[CHUNK];
	ssize_t n;

	do {
		n = read(*fd, buf, sizeof(buf));
	} while (n < 0 && errno == EINTR);
	if (n > 0) {
		tail_add(t, buf, (size_t)n);
		if (ch->forward)
			forward(to, buf, (size_t)n);
	} else if (n == 0 || errno != EAGAIN) {
		close_fd(fd);
	}
}

/* Write more of stdin; close it when done or when the child closed it. */
static void pump_in(struct child *ch)
{
	ssize_t n;

	if (ch->in_len > 0) {
		do {
			n = write(ch->in_fd, ch->in, ch->in_len);
		} while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EAGAIN) {
			ch->in_len = 0;  /* EPIPE: it does not want it */
		} else if (n > 0) {
			ch->in += n;
			ch->in_len -= (size_t)n;
		}
	}
	if (ch->in_len == 0)
		close_fd(&ch->in_fd);
}

/* After the exit: read both pipes until empty, then close them. */
static void drain(struct child *ch)
{
	for (int i = 0; i < DRAIN_READS && ch->out_fd >= 0; i++) {
		uint64_t before = ch->out.total;

		pump_out(ch, &ch->out_fd, &ch->out, STDOUT_FILENO);
		if (ch->out.total == before)
			break;
	}
	for (int i = 0; i < DRAIN_READS && ch->err_fd >= 0; i++) {
		uint64_t before = ch->err.total;

		pump_out(ch, &ch->err_fd, &ch->err, STDERR_FILENO);
		if (ch->err.total == before)
			break;
	}
	close_fd(&ch->out_fd);
	close_fd(&ch->err_fd);
	close_fd(&ch->in_fd);
}

/* Read report lines, at most as many bytes as the ring has free lines. */
static void pump_report(struct child *ch)
{
	char buf[CHILD_REPORT_QUEUE];
	size_t room = CHILD_REPORT_QUEUE - ch->rep_n;
	ssize_t n;

	if (room == 0)
		return;
	do {
		n = read(ch->rep_fd, buf, room);
	} while (n < 0 && errno == EINTR);
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		close_fd(&ch->rep_fd);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		struct child_line *cur = ch->rep_cur;

		if (buf[i] != '\n') {
			if (cur->len + 1 < CHILD_REPORT_LINE)
				cur->text[cur->len++] = buf[i];
			else
				cur->cut = true;
			continue;
		}
		cur->text[cur->len] = '\0';
		ch->rep_q[(ch->rep_head + ch->rep_n++) % CHILD_REPORT_QUEUE] =
		        *cur;
		memset(cur, 0, sizeof(*cur));
	}
}

bool child_report_line(struct child *ch, char *line, bool *cut)
{
	struct child_line *l;

	if (ch->rep_q == NULL)
		return false;
	if (ch->rep_n == 0 && ch->rep_fd >= 0 && ch->pid == 0) {
		/* After the exit: what is left, a last line without '\n'
		 * included; a background process may keep the pipe open, so
		 * stop at the first read that would wait. */
		pump_report(ch);
		if (ch->rep_n == 0) {
			close_fd(&ch->rep_fd);
			if (ch->rep_cur->len > 0 || ch->rep_cur->cut) {
				ch->rep_cur->text[ch->rep_cur->len] = '\0';
				ch->rep_q[ch->rep_head] = *ch->rep_cur;
				ch->rep_n = 1;
				memset(ch->rep_cur, 0, sizeof(*ch->rep_cur));
			}
		}
	}
	if (ch->rep_n == 0)
		return false;
	l = &ch->rep_q[ch->rep_head];
	memcpy(line, l->text, l->len + 1);
	*cut = l->cut;
	ch->rep_head = (ch->rep_head + 1) % CHILD_REPORT_QUEUE;
	ch->rep_n--;
	return true;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int child_spawn(struct child *ch, char *const argv[], char *const envp[],
                const char *in, size_t in_len, bool fwd,
                struct pz_error *err)
{
	return child_spawn_reporting(ch, argv, envp, in, in_len, fwd, -1, err);
}

/*
 * A pipe whose ends are numbered above `above`, close-on-exec, so that
 * dup2() onto a low number in the child never lands on one of them.
 */
static int pipe_above(int p[2], int above)
{
	int tmp[2];

	if (pipe2(tmp, O_CLOEXEC) != 0)
		return -1;
	p[0] = fcntl(tmp[0], F_DUPFD_CLOEXEC, above + 1);
	p[1] = fcntl(tmp[1], F_DUPFD_CLOEXEC, above + 1);
	close(tmp[0]);
	close(tmp[1]);
	if (p[0] < 0 || p[1] < 0) {
		if (p[0] >= 0)
			close(p[0]);
		if (p[1] >= 0)
			close(p[1]);
		p[0] = p[1] = -1;
		return -1;
	}
	return 0;
}

int child_spawn_reporting(struct child *ch, char *const argv[],
                          char *const envp[], const char *in, size_t in_len,
                          bool fwd, int report_fd, struct pz_error *err)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int prep[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	int rc = PZ_EIO, e;

	memset(ch, 0, sizeof(*ch));
	ch->in_fd = ch->out_fd = ch->err_fd = ch->rep_fd = -1;
	ch->out.buf = malloc(CHILD_TAIL);
	ch->err.buf = malloc(CHILD_TAIL);
	if (report_fd >= 0) {
		ch->rep_q = calloc(CHILD_REPORT_QUEUE, sizeof(*ch->rep_q));
		ch->rep_cur = calloc(1, sizeof(*ch->rep_cur));
	}
	if (ch->out.buf == NULL || ch->err.buf == NULL ||
	    (report_fd >= 0 && (ch->rep_q == NULL || ch->rep_cur == NULL))) {
		rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
		goto err_bufs;
	}
	if (pipe2(pin, O_CLOEXEC) != 0 || pipe2(pout, O_CLOEXEC) != 0 ||
	    pipe2(perr, O_CLOEXEC) != 0 ||
	    (report_fd >= 0 && pipe_above(prep, report_fd) != 0)) {
		pz_error_set(err, PZ_EIO, "cannot create pipes: %s",
		             strerror(errno));
		goto err_pipes;
	}

	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGCHLD);
	if ((e = posix_spawn_file_actions_init(&fa)) != 0)
		goto err_e;
	if ((e = posix_spawnattr_init(&attr)) != 0)
		goto err_fa;
	if ((e = posix_spawn_file_actions_adddup2(&fa, pin[0], 0)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(&fa, pout[1], 1)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(&fa, perr[1], 2)) != 0 ||
	    (report_fd >= 0 &&
	     (e = posix_spawn_file_actions_adddup2(&fa, prep[1],
	                                           report_fd)) != 0) ||
	    (e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	                                  POSIX_SPAWN_SETSIGMASK |
	                                  POSIX_SPAWN_SETSIGDEF)) != 0 ||
	    (e = posix_spawnattr_setpgroup(&attr, 0)) != 0 ||
	    (e = posix_spawnattr_setsigmask(&attr, &none)) != 0 ||
	    (e = posix_spawnattr_setsigdefault(&attr, &dfl)) != 0)
		goto err_attr;
	/* glibc reports a failed exec here, as the spawn's error. */
	e = posix_spawnp(&ch->pid, argv[0], &fa, &attr, argv, envp);
	if (e != 0) {
		ch->pid = 0;
		goto err_attr;
	}
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);

	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	if (prep[1] >= 0)
		close(prep[1]);
	ch->in_fd = pin[1];
	ch->out_fd = pout[0];
	ch->err_fd = perr[0];
	ch->rep_fd = prep[0];
	if (ch->rep_fd >= 0)
		set_nonblock(ch->rep_fd);
	ch->in = in;
	ch->in_len = in_len;
	ch->forward = fwd;
	/* Non-blocking: a child that reads nothing must not stop us. */
	set_nonblock(ch->in_fd);
	set_nonblock(ch->out_fd);
	set_nonblock(ch->err_fd);
	return 0;

err_attr:
	posix_spawnattr_destroy(&attr);
err_fa:
	posix_spawn_file_actions_destroy(&fa);
err_e:
	pz_error_set(err, PZ_EIO, "cannot run %s: %s", argv[0], strerror(e));
err_pipes:
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
		if (perr[i] >= 0)
			close(perr[i]);
		if (prep[i] >= 0)
			close(prep[i]);
	}
err_bufs:
	free(ch->out.buf);
	free(ch->err.buf);
	free(ch->rep_q);
	free(ch->rep_cur);
	memset(ch, 0, sizeof(*ch));
	ch->in_fd = ch->out_fd = ch->err_fd = ch->rep_fd = -1;
	return rc;
}

/*
 * One poll() over the signalfd and the open pipes, for at most `ms`
 * milliseconds, and the I/O it allows. *sig receives the first stop
 * signal read, if it is still 0.
 */
static void step(struct child *ch, int sigfd, int ms, int *sig)
{
	struct pollfd p[5] = {
		{ .fd = sigfd, .events = POLLIN },
		{ .fd = ch->out_fd, .events = POLLIN },
		{ .fd = ch->err_fd, .events = POLLIN },
		{ .fd = ch->in_fd, .events = POLLOUT },
		/* Report lines, while the ring has room for more. */
		{ .fd = ch->rep_n < CHILD_REPORT_QUEUE ? ch->rep_fd : -1,
		  .events = POLLIN },
	};
	int s;

	if (poll(p, 5, ms) <= 0)
		return;
	while ((s = cli_signals_read(sigfd)) != 0) {
		if (cli_is_stop_signal(s) && *sig == 0)
			*sig = s;
	}
	if (ch->out_fd >= 0 && p[1].revents != 0)
		pump_out(ch, &ch->out_fd, &ch->out, STDOUT_FILENO);
	if (ch->err_fd >= 0 && p[2].revents != 0)
		pump_out(ch, &ch->err_fd, &ch->err, STDERR_FILENO);
	if (ch->in_fd >= 0 && p[3].revents != 0)
		pump_in(ch);
	if (p[4].fd >= 0 && ch->rep_fd >= 0 && p[4].revents != 0)
		pump_report(ch);
}

static int ms_until(double end)
{
	double left = end - cli_monotonic();

	return left <= 0 ? 0 : left > 3600 ? 3600000 : (int)ceil(left * 1e3);
}

/* Reap the child if it has exited; true when it has. */
static bool reap(struct child *ch)
{
	pid_t r;

	if (ch->pid <= 0)
		return true;
	do {
		r = waitpid(ch->pid, &ch->status, WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		return false;
	ch->pid = 0;
	drain(ch);
	return true;
}

int child_wait(struct child *ch, int sigfd, double timeout)
{
	double end = cli_monotonic() + timeout;
	int sig = 0;

	if (ch->in_fd >= 0 && ch->in_len == 0)
		close_fd(&ch->in_fd);
	for (;;) {
		if (reap(ch))
			return 0;
		if (sig != 0)
			return sig;
		/* (After an exit, what is left is read by the caller.) */
		if (ch->rep_n > 0)
			return CHILD_REPORTS;
		if (cli_monotonic() >= end)
			return -1;
		step(ch, sigfd, ms_until(end), &sig);
	}
}

/*
 * Whether the child has exited, without reaping it: until it is reaped
 * its pid stays its process group's id, so the group can still be
 * signalled without hitting a process that reused the number.
 */
static bool exited(const struct child *ch)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, (id_t)ch->pid, &si,
	              WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0;
}

int child_stop(struct child *ch, int sigfd, double grace)
{
	double end = cli_monotonic() + grace;
	int sig = 0;

	if (ch->pid <= 0)
		return 0;
	kill(-ch->pid, SIGTERM);
	while (!exited(ch) && sig == 0 && cli_monotonic() < end) {
		/* Short steps, in case its SIGCHLD was read earlier. */
		int ms = ms_until(end);

		step(ch, sigfd, ms < 100 ? ms : 100, &sig);
	}
	/* What is left of the group, and the child if it lingers. */
	kill(-ch->pid, SIGKILL);
	while (waitpid(ch->pid, &ch->status, 0) < 0 && errno == EINTR)
		;
	ch->pid = 0;
	drain(ch);
	return sig;
}

void child_finish(struct child *ch)
{
	if (ch->pid > 0) {
		kill(-ch->pid, SIGKILL);
		while (waitpid(ch->pid, &ch->status, 0) < 0 && errno == EINTR)
			;
		ch->pid = 0;
	}
	close_fd(&ch->in_fd);
	close_fd(&ch->out_fd);
	close_fd(&ch->err_fd);
	close_fd(&ch->rep_fd);
	free(ch->out.buf);
	free(ch->err.buf);
	free(ch->rep_q);
	free(ch->rep_cur);
	ch->out.buf = ch->err.buf = NULL;
	ch->rep_q = ch->rep_cur = NULL;
	ch->rep_n = 0;
}
