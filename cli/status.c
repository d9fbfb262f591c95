/*
 * The daemon itself: `parzen status` (what runs, where its data is, what
 * it serves) and `parzen stop` (an orderly shutdown over the protocol,
 * server.stop, which parzend allows only to the user it runs as).
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* "1.2 MB" */
static char *fmt_bytes(char *buf, size_t len, double n)
{
	static const char *const unit[] = {"bytes", "kB", "MB", "GB", "TB"};
	int u = 0;

	while (n >= 1000 && u < 4) {
		n /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f bytes", n);
	else
		snprintf(buf, len, "%.3g %s", n, unit[u]);
	return buf;
}

static int print_studies(const cJSON *studies)
{
	static const char *const head[] = { "STUDY", "STATE", "DONE",
	                                    "RUNNING", "QUEUED", "BEST" };
	struct cli_table *t = cli_table_create(6, 1u << 2 | 1u << 3 |
	                                              1u << 4 | 1u << 5);
	const cJSON *s;
	int rc = CLI_EXIT_FAIL;

	if (t == NULL || cli_table_add(t, head) != 0)
		goto out;
	cJSON_ArrayForEach(s, studies) {
		const cJSON *counts = cli_get(s, "counts");
		const cJSON *max = cli_get(s, "max_trials");
		const cJSON *best = cli_get(s, "best");
		char done[64], running[32], queued[32], loss[64];
		const char *row[] = { cli_get_str(s, "name", "?"),
		                      cli_get_str(s, "state", "?"), done,
		                      running, queued, loss };
		double d = cli_get_num(counts, "ok", 0) +
		           cli_get_num(counts, "fail", 0) +
		           cli_get_num(counts, "pruned", 0);

		if (cJSON_IsNumber(max))
			snprintf(done, sizeof(done), "%.0f/%.0f", d,
			         max->valuedouble);
		else
			snprintf(done, sizeof(done), "%.0f", d);
		snprintf(running, sizeof(running), "%.0f",
		         cli_get_num(counts, "running", 0));
		snprintf(queued, sizeof(queued), "%.0f",
		         cli_get_num(counts, "queued", 0));
		if (cJSON_IsObject(best))
			cli_fmt_num(loss, sizeof(loss),
			            cli_get_num(best, "loss", NAN));
		else
			snprintf(loss, sizeof(loss), "-");
		if (cli_table_add(t, row) != 0)
			goto out;
	}
	cli_table_print(t, stdout);
	rc = CLI_EXIT_OK;
out:
	cli_table_destroy(t);
	return rc;
}

static int status_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct pz_client *c;
	const cJSON *w;
	cJSON *info = NULL, *list = NULL, *out;
	char buf[64], up[32];
	bool json = false;
	int opt, rc, n = 0;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		if (opt == 'j') {
			json = true;
			continue;
		}
		rc = cli_common_opt(cli, opt, optarg);
		if (rc >= 0)
			return rc;
	}
	if (argc != optind)
		return cli_usage_err(cli, "unexpected argument '%s'",
		                     argv[optind]);
	rc = cli_connect(cli, &c);
	if (rc != 0)
		return rc;
	rc = cli_call(cli, c, "server.info", NULL, &info);
	if (rc == 0)
		rc = cli_call(cli, c, "study.list", NULL, &list);
	pz_client_destroy(c);
	if (rc != 0)
		goto out;
	if (json) {
		out = cJSON_CreateObject();
		if (out == NULL ||
		    !cJSON_AddItemToObject(out, "server", info) ||
		    !cJSON_AddItemToObject(
		            out, "studies",
		            cJSON_DetachItemFromObjectCaseSensitive(list,
		                                                    "studies"))) {
			cJSON_Delete(out);
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		info = NULL;
		rc = cli_print_json(out);
		cJSON_Delete(out);
		goto out;
	}
	printf("parzend %s, pid %.0f, up %s, protocol %.0f\n",
	       cli_get_str(info, "version", "?"), cli_get_num(info, "pid", 0),
	       cli_fmt_duration(up, sizeof(up),
	                        cli_get_num(info, "uptime", NAN)),
	       cli_get_num(info, "protocol", 0));
	printf("socket       %s\n", cli_get_str(info, "socket", "-"));
	if (cJSON_IsNumber(cli_get(info, "database_bytes")))
		printf("database     %s (%s)\n",
		       cli_get_str(info, "database", "-"),
		       fmt_bytes(buf, sizeof(buf),
		                 cli_get_num(info, "database_bytes", 0)));
	else
		printf("database     %s\n", cli_get_str(info, "database", "-"));
	printf("durability   %s\n", cli_get_str(info, "durability", "?"));
	printf("connections  %.0f\n", cli_get_num(info, "connections", 0));
	printf("trials       %.0f running, %.0f queued\n",
	       cli_get_num(info, "running", 0),
	       cli_get_num(info, "queued", 0));
	w = cli_get(info, "workers");
	printf("workers      %d with a running trial", cJSON_GetArraySize(w));
	cJSON_ArrayForEach(w, cli_get(info, "workers")) {
		if (n++ == 8) {
			printf(", ...");
			break;
		}
		printf("%s%s", n == 1 ? ": " : ", ", w->valuestring);
	}
	printf("\nstudies      %.0f\n", cli_get_num(info, "studies", 0));
	if (cJSON_GetArraySize(cli_get(list, "studies")) > 0) {
		putchar('\n');
		rc = print_studies(cli_get(list, "studies"));
	}
out:
	cJSON_Delete(info);
	cJSON_Delete(list);
	return rc;
}

const struct cli_command cli_cmd_status = {
	.name = "status",
	.args = "[--json]",
	.summary = "show the daemon: version, database, workers, studies",
	.help =
	"parzend's version, pid and uptime, its socket, database (path and\n"
	"size, with the WAL) and durability, its connections, the running\n"
	"and queued trials and the workers holding them, and a line per\n"
	"study. Exit status 3 when no parzend answers on the socket.\n"
	"\n"
	"  --json   {\"server\": server.info's reply, \"studies\": [...]}\n",
	.exec = status_exec,
};

/* Has process `pid` gone (or become a zombie)? */
static bool gone(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	if (kill(pid, 0) != 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p != NULL ? strrchr(buf, ')') : NULL;
	return p != NULL && p[1] == ' ' && p[2] == 'Z';
}

/*
 * Wait until `pid` has exited: a pidfd becomes readable then (Linux 5.3);
 * without one, look every 50 ms. Returns 0 (gone or timed out), or 128 +
 * a stop signal.
 */
static int wait_exit(pid_t pid, int sigfd, double timeout)
{
	double end = cli_monotonic() + timeout;
#ifdef SYS_pidfd_open
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
	int pfd = -1;
#endif
	int sig = 0;

	while (!gone(pid) && sig == 0) {
		struct pollfd fds[2] = {
			{ .fd = pfd, .events = POLLIN },
			{ .fd = sigfd, .events = POLLIN },
		};
		double left = end - cli_monotonic();

		if (left <= 0)
			break;
		if (pfd < 0 && left > 0.05)
			left = 0.05;
		if (poll(fds, 2, (int)ceil(left * 1000)) < 0 && errno != EINTR)
			break;
		while (sigfd >= 0 && (sig = cli_signals_read(sigfd)) != 0 &&
		       !cli_is_stop_signal(sig))
			;
	}
	if (pfd >= 0)
		close(pfd);
	return sig != 0 ? CLI_EXIT_SIGNAL + sig : 0;
}

static int stop_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct pz_client *c;
	cJSON *res = NULL, *info = NULL;
	double timeout = 30;
	pid_t pid;
	int opt, rc, sigfd;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		if (opt == 't') {
			if (cli_parse_seconds(optarg, &timeout) != 0)
				return cli_usage_err(cli, "--timeout must be a "
				                     "number of seconds > 0");
			continue;
		}
		rc = cli_common_opt(cli, opt, optarg);
		if (rc >= 0)
			return rc;
	}
	if (argc != optind)
		return cli_usage_err(cli, "unexpected argument '%s'",
		                     argv[optind]);
	rc = cli_connect(cli, &c);
	if (rc != 0)
		return rc;
	rc = cli_call(cli, c, "server.info", NULL, &info);
	if (rc == 0)
		rc = cli_call(cli, c, "server.stop", NULL, &res);
	pz_client_destroy(c);
	if (rc != 0)
		goto out;
	pid = (pid_t)cli_get_num(res, "pid", 0);
	/* The daemon answers, then finishes what it took and exits. Its pid
	 * is in our namespace when it runs on this machine; if it is not
	 * (a container), the reply is all there is to wait for. */
	if (pid <= 0 || kill(pid, 0) != 0) {
		printf("parzend is stopping\n");
		goto out;
	}
	sigfd = cli_signals_open();
	rc = wait_exit(pid, sigfd, timeout);
	if (sigfd >= 0)
		close(sigfd);
	if (rc == 0 && !gone(pid)) {
		cli_err(cli, "parzend (pid %d) is still running after %.0f s "
		        "(clients that do not read their replies delay it up "
		        "to its --shutdown-timeout)", (int)pid, timeout);
		rc = CLI_EXIT_FAIL;
	} else if (rc == 0) {
		printf("parzend %s (pid %d) stopped; its data is in %s\n",
		       cli_get_str(info, "version", "?"), (int)pid,
		       cli_get_str(info, "database", "?"));
	}
out:
	cJSON_Delete(res);
	cJSON_Delete(info);
	return rc;
}

const struct cli_command cli_cmd_stop = {
	.name = "stop",
	.args = "[--timeout SECONDS]",
	.summary = "stop the daemon cleanly",
	.help =
	"Ask parzend to shut down (server.stop): it takes no more requests,\n"
	"answers the ones it took, commits, and exits; workers reconnect\n"
	"when it is back. Only the user parzend runs as may stop it. Waits\n"
	"until the process has exited. Under systemd, `systemctl stop\n"
	"parzend` is the way: its socket unit would start parzend again at\n"
	"the next connection.\n"
	"\n"
	"  --timeout SECONDS   how long to wait for the exit (default 30);\n"
	"                      status 1 if it has not exited by then\n",
	.exec = stop_exec,
};
