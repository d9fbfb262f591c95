/*
 * `parzen dashboard`: a live page of parzend's studies, served over HTTP
 * by a process of its own (parzend itself never listens on a network).
 * This file is the command: its options, the listening socket, the token
 * and the URL printed once, and the wait for a stop signal; dashboard.h
 * describes the parts.
 */
#include "dashboard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct listen_addr {
	char host[256];
	char port[16];
};

/* Split "HOST:PORT" or "[V6]:PORT"; a bare "PORT" is on 127.0.0.1. */
static int parse_listen(const char *text, struct listen_addr *a)
{
	const char *colon = strrchr(text, ':');

	if (colon == NULL) {
		snprintf(a->host, sizeof(a->host), "127.0.0.1");
		snprintf(a->port, sizeof(a->port), "%s", text);
	} else if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || close + 1 != colon)
			return -1;
		snprintf(a->host, sizeof(a->host), "%.*s",
		         (int)(close - text - 1), text + 1);
		snprintf(a->port, sizeof(a->port), "%s", colon + 1);
	} else {
		snprintf(a->host, sizeof(a->host), "%.*s",
		         (int)(colon - text), text);
		snprintf(a->port, sizeof(a->port), "%s", colon + 1);
	}
	return a->host[0] != '\0' && a->port[0] != '\0' ? 0 : -1;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

/*
 * Bind and listen on `a`; on success the socket, its bound address in
 * `bound` (numeric host) and port. Returns -1 with a message in `err`.
 */
static int open_listener(const struct listen_addr *a, bool *loopback,
                         char *bound, size_t blen, unsigned *port,
                         struct pz_error *err)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char serv[16];
	int fd, rc, one = 1;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(a->host, a->port, &hints, &res);
	if (rc != 0) {
		pz_error_set(err, PZ_EINVAL, "--listen %s:%s: %s", a->host,
		             a->port, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, bound, (socklen_t)blen,
	                serv, sizeof(serv),
	                NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		pz_error_set(err, PZ_EIO, "cannot listen on %s:%s: %s",
		             a->host, a->port, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	*loopback = is_loopback((struct sockaddr *)&ss);
	*port = (unsigned)strtoul(serv, NULL, 10);
	freeaddrinfo(res);
	return fd;
}

/* The Host header values a browser sends for us on loopback. */
static void loopback_hosts(struct dash_http *s, const char *bound,
                           unsigned port)
{
	bool v6 = strchr(bound, ':') != NULL;

	s->n_hosts = 0;
	snprintf(s->hosts[s->n_hosts++], sizeof(s->hosts[0]),
	         v6 ? "[%s]:%u" : "%s:%u", bound, port);
	snprintf(s->hosts[s->n_hosts++], sizeof(s->hosts[0]), "localhost:%u",
	         port);
	if (port == 80) {
		snprintf(s->hosts[s->n_hosts++], sizeof(s->hosts[0]),
		         v6 ? "[%s]" : "%s", bound);
		snprintf(s->hosts[s->n_hosts++], sizeof(s->hosts[0]),
		         "localhost");
	}
}

static int dashboard_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "study", required_argument, NULL, 's' },
		{ "token", no_argument, NULL, 't' },
		{ "poll", required_argument, NULL, 'p' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct listen_addr addr;
	struct dash_hub *hub;
	struct dash_http *http;
	struct pz_error err = { 0 };
	const char *listen_text = "127.0.0.1:8080";
	char bound[64], url_host[300];
	bool force_token = false;
	unsigned port = 0;
	int opt, rc, fd, sigfd, sig;

	hub = calloc(1, sizeof(*hub));
	http = calloc(1, sizeof(*http));
	if (hub == NULL || http == NULL) {
		free(hub);
		free(http);
		return CLI_EXIT_FAIL;
	}
	hub->poll = 0.5;
	/*
	 * Every change of a large study makes a snapshot of tens of
	 * megabytes and drops the one before. Keep such blocks in the heap
	 * instead of mapping fresh pages each time (glibc would return them
	 * to the kernel): on the VMs we measured, the page faults of a new
	 * 100,000-trial snapshot cost more than copying it.
	 */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		switch (opt) {
		case 'l':
			listen_text = optarg;
			break;
		case 's':
			hub->only = optarg;
			break;
		case 't':
			force_token = true;
			break;
		case 'p':
			if (cli_parse_seconds(optarg, &hub->poll) == 0 &&
			    hub->poll <= 60)
				break;
			rc = cli_usage_err(cli, "--poll must be seconds in "
			                   "(0, 60]");
			goto out;
		default:
			rc = cli_common_opt(cli, opt, optarg);
			if (rc >= 0)
				goto out;
		}
	}
	if (argc != optind) {
		rc = cli_usage_err(cli, "unexpected argument '%s'",
		                   argv[optind]);
		goto out;
	}
	if (parse_listen(listen_text, &addr) != 0) {
		rc = cli_usage_err(cli, "--listen takes HOST:PORT, [V6]:PORT "
		                   "or PORT, not '%s'", listen_text);
		goto out;
	}
	hub->socket = cli->socket;
	/* Signals are read from a signalfd; threads started after this
	 * inherit the blocked mask. */
	sigfd = cli_signals_open();
	if (sigfd < 0) {
		cli_err(cli, "cannot set up signals");
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	fd = open_listener(&addr, &http->loopback, bound, sizeof(bound),
	                   &port, &err);
	if (fd < 0) {
		cli_err(cli, "%s", err.msg);
		rc = CLI_EXIT_FAIL;
		goto out_sig;
	}
	http->hub = hub;
	http->token_required = !http->loopback || force_token;
	loopback_hosts(http, bound, port);
	if (dash_http_random_hex(http->token, 24) != 0) {
		cli_err(cli, "cannot draw a token: %s", strerror(errno));
		close(fd);
		rc = CLI_EXIT_FAIL;
		goto out_sig;
	}
	if (dash_hub_start(hub, &err) != 0) {
		cli_err(cli, "%s", err.msg);
		close(fd);
		rc = CLI_EXIT_FAIL;
		goto out_sig;
	}
	if (dash_http_start(http, fd, &err) != 0) {
		cli_err(cli, "%s", err.msg);
		close(fd);
		rc = CLI_EXIT_FAIL;
		goto out_hub;
	}

	/* The URL, once (Jupyter-style when a token is needed), when the
	 * pages have the studies to show, or parzend cannot be reached. */
	dash_hub_wait_ready(hub, 120);
	if (strcmp(bound, "0.0.0.0") == 0 || strcmp(bound, "::") == 0) {
		char name[256];

		if (gethostname(name, sizeof(name)) != 0)
			snprintf(name, sizeof(name), "localhost");
		name[sizeof(name) - 1] = '\0';
		snprintf(url_host, sizeof(url_host), "%s:%u", name, port);
	} else {
		snprintf(url_host, sizeof(url_host),
		         strchr(bound, ':') ? "[%s]:%u" : "%s:%u", bound, port);
	}
	if (http->token_required)
		printf("parzen dashboard: http://%s/?token=%s\n"
		       "Open that URL in a browser; the token is needed for "
		       "every page and is not shown again.\n",
		       url_host, http->token);
	else
		printf("parzen dashboard: http://%s/\n", url_host);
	fflush(stdout);

	sig = cli_signals_wait(sigfd, -1);
	rc = sig ? CLI_EXIT_SIGNAL + sig : CLI_EXIT_OK;
	dash_http_stop(http);
out_hub:
	dash_hub_stop(hub);
out_sig:
	close(sigfd);
out:
	free(hub);
	free(http);
	return rc;
}

const struct cli_command cli_cmd_dashboard = {
	.name = "dashboard",
	.args = "[--listen HOST:PORT] [--study NAME] [--token]",
	.summary = "serve a live page of the studies in a browser",
	.help =
	"A process of its own, a client of parzend like any other: it\n"
	"follows the studies (study.watch, or a poll of older daemons) and\n"
	"serves their progress, every figure of the report and the trials\n"
	"table, live, with pause, resume, enqueue and budget actions\n"
	"(docs/dashboard.md). Stops at SIGINT or SIGTERM.\n"
	"\n"
	"  --listen HOST:PORT  where to serve (default 127.0.0.1:8080; PORT 0:\n"
	"                      any free port). Off loopback every request\n"
	"                      needs the token of the URL printed at start.\n"
	"  --study NAME        follow this study only\n"
	"  --token             need the token on loopback too (a machine\n"
	"                      shared with other users)\n"
	"  --poll SECONDS      how often an older parzend without\n"
	"                      study.watch is polled (default 0.5)\n",
	.exec = dashboard_exec,
};
