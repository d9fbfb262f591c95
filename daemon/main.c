/*
 * parzend: command line, default paths, and the one event loop.
 *
 * The default socket is the one clients look for first (client.h); the
 * default database is $XDG_STATE_HOME/parzen/parzen.db, or the state
 * directory systemd gives the service.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <limits.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include <parzen/client.h>
#include <parzen/sockdir.h>

#include "listen.h"
#include "log.h"
#include "server.h"

#define DEFAULT_MAX_LINE (1u << 20)

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: parzend [OPTIONS]\n"
	        "\n"
	        "The parzen daemon: hyperparameter studies in SQLite, served to\n"
	        "workers as JSON-RPC over a Unix socket (docs/protocol.md).\n"
	        "\n"
	        "  --socket PATH        listen here (default\n"
	        "                       $XDG_RUNTIME_DIR/parzen/parzend.sock;\n"
	        "                       without XDG_RUNTIME_DIR\n"
	        "                       /run/user/UID/parzen/parzend.sock if\n"
	        "                       /run/user/UID is yours, else\n"
	        "                       /tmp/parzen-UID/parzend.sock); ignored\n"
	        "                       under systemd socket activation. Its\n"
	        "                       directory must be yours or root's and\n"
	        "                       writable by no one else\n"
	        "  --db PATH            database (default\n"
	        "                       $XDG_STATE_HOME/parzen/parzen.db)\n"
	        "  --durability MODE    full: fsync every commit, a power cut\n"
	        "                       loses nothing acknowledged (default);\n"
	        "                       normal: faster, a power cut may lose the\n"
	        "                       last commits (a crash of parzend does not)\n"
	        "  --max-line BYTES     longest request line (default 1048576)\n"
	        "  --max-db-size BYTES  cap the database file; writes past it\n"
	        "                       are refused as on a full disk (default:\n"
	        "                       no cap)\n"
	        "  --socket-mode OCTAL  socket file mode (default 0600, or 0660\n"
	        "                       with --group)\n"
	        "  --group NAME         also accept peers of this group: the\n"
	        "                       socket and the directories made for\n"
	        "                       it get this group\n"
	        "  --max-connections N  clients at once (default 1024)\n"
	        "  --max-memory BYTES   replies waiting to be read and unparsed\n"
	        "                       input of all clients together (default\n"
	        "                       268435456)\n"
	        "  --shutdown-timeout S seconds a shutdown waits for clients to\n"
	        "                       read their last replies (default 10)\n"
	        "  --log-file PATH      log there instead of stderr (SIGHUP\n"
	        "                       reopens it)\n"
	        "  --parent-fd FD       stop as on SIGTERM once FD (3 or more,\n"
	        "                       the read end of a pipe whose write end\n"
	        "                       the starting process keeps) reads end\n"
	        "                       of file: that process has ended\n"
	        "  --log-level LEVEL    error, warn, info (default) or debug\n"
	        "  -h, --help           this text\n"
	        "  -V, --version        the version\n"
	        "\n"
	        "Signals: TERM and INT stop, HUP reopens the log file, USR1 logs\n"
	        "a summary.\n"
	        "\n"
	        "Exit status: 0 after SIGTERM/SIGINT, 1 on a start-up or storage\n"
	        "error, 2 on a usage error.\n");
}

/* $VAR/sub, else $HOME/fallback/sub; NULL if neither is set. */
static char *default_path(const char *var, const char *home_rel,
                          const char *sub)
{
	const char *base = getenv(var), *home = getenv("HOME");
	char *out = NULL;

	if (base != NULL && base[0] == '/') {
		if (asprintf(&out, "%s/%s", base, sub) < 0)
			out = NULL;
	} else if (home != NULL && home_rel != NULL) {
		if (asprintf(&out, "%s/%s/%s", home, home_rel, sub) < 0)
			out = NULL;
	}
	return out;
}

/*
 * $RUNTIME_DIRECTORY/parzend.sock under systemd, else the user's socket
 * that clients look for first (pz_client_user_socket(): the same rule in
 * both, so they meet).
 */
static char *default_socket(void)
{
	const char *rt = getenv("RUNTIME_DIRECTORY"); /* systemd */
	char buf[PZ_SOCKDIR_PATH_MAX + 1];
	char *p = NULL;

	if (rt != NULL && rt[0] == '/') {
		if (asprintf(&p, "%s/parzend.sock", rt) < 0)
			p = NULL;
		return p;
	}
	if (pz_client_user_socket(buf, sizeof(buf)) != 0)
		return NULL;
	return strdup(buf);
}

static char *default_db(void)
{
	const char *st = getenv("STATE_DIRECTORY"); /* systemd */
	char *p = NULL;

	if (st != NULL && st[0] == '/') {
		if (asprintf(&p, "%s/parzen.db", st) < 0)
			p = NULL;
		return p;
	}
	return default_path("XDG_STATE_HOME", ".local/state", "parzen/parzen.db");
}

/* Many workers: raise the soft open-files limit to the hard one. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Leave main() early with `code`, freeing the paths read so far. */
static int done(int code, char *socket_path, char *db_path)
{
	free(socket_path);
	free(db_path);
	return code;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"db", required_argument, NULL, 'd'},
		{"durability", required_argument, NULL, 'D'},
		{"max-line", required_argument, NULL, 'm'},
		{"max-db-size", required_argument, NULL, 'S'},
		{"socket-mode", required_argument, NULL, 'M'},
		{"group", required_argument, NULL, 'g'},
		{"log-level", required_argument, NULL, 'l'},
		{"log-file", required_argument, NULL, 'L'},
		{"max-connections", required_argument, NULL, 'C'},
		{"max-memory", required_argument, NULL, 'X'},
		{"shutdown-timeout", required_argument, NULL, 'T'},
		{"parent-fd", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct pz_server_options opt = {
		.durable = 1,
		.max_line = DEFAULT_MAX_LINE,
		.socket_mode = 0600,
		.allow_gid = -1,
	};
	struct pz_server srv;
	struct pz_error err = {0};
	char *socket_path = NULL, *db_path = NULL, *end;
	int mode_given = 0;
	uv_loop_t loop;
	int c, level, rc;

	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			free(socket_path);
			socket_path = strdup(optarg);
			break;
		case 'd':
			free(db_path);
			db_path = strdup(optarg);
			break;
		case 'D':
			if (strcmp(optarg, "full") == 0)
				opt.durable = 1;
			else if (strcmp(optarg, "normal") == 0)
				opt.durable = 0;
			else {
				fprintf(stderr, "parzend: --durability must be full "
				                "or normal\n");
				return done(2, socket_path, db_path);
			}
			break;
		case 'm':
			errno = 0;
			opt.max_line = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || opt.max_line < 1024 ||
			    opt.max_line > (1u << 30)) {
				fprintf(stderr, "parzend: --max-line must be a number "
				                "of bytes from 1024 to 1073741824\n");
				return done(2, socket_path, db_path);
			}
			break;
		case 'S':
			errno = 0;
			opt.max_db_bytes = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || opt.max_db_bytes < 65536) {
				fprintf(stderr, "parzend: --max-db-size must be a number "
				                "of bytes, at least 65536\n");
				return done(2, socket_path, db_path);
			}
			break;
		case 'M':
			opt.socket_mode = (unsigned)strtoul(optarg, &end, 8);
			if (*end != '\0' || opt.socket_mode > 0777) {
				fprintf(stderr, "parzend: --socket-mode must be an "
				                "octal mode such as 0660\n");
				return done(2, socket_path, db_path);
			}
			mode_given = 1;
			break;
		case 'g': {
			struct group *g = getgrnam(optarg);

			if (g == NULL) {
				fprintf(stderr, "parzend: no group named '%s'\n",
				        optarg);
				return done(2, socket_path, db_path);
			}
			opt.allow_gid = (int)g->gr_gid;
			break;
		}
		case 'L':
			opt.log_path = optarg;
			break;
		case 'C':
			errno = 0;
			opt.max_connections = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || opt.max_connections < 1 ||
			    opt.max_connections > 1000000) {
				fprintf(stderr, "parzend: --max-connections must be "
				                "from 1 to 1000000\n");
				return done(2, socket_path, db_path);
			}
			break;
		case 'X':
			errno = 0;
			opt.max_memory = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' ||
			    opt.max_memory < (1u << 20)) {
				fprintf(stderr, "parzend: --max-memory must be a "
				                "number of bytes, at least 1048576\n");
				return done(2, socket_path, db_path);
			}
			break;
		case 'T':
			errno = 0;
			opt.shutdown_timeout = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' ||
			    !(opt.shutdown_timeout > 0) ||
			    opt.shutdown_timeout > 3600) {
				fprintf(stderr, "parzend: --shutdown-timeout must be "
				                "seconds, more than 0 and at most "
				                "3600\n");
				return done(2, socket_path, db_path);
			}
			break;
		case 'P': {
			long fd;

			errno = 0;
			fd = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg || fd < 3 ||
			    fd > INT_MAX || fcntl((int)fd, F_GETFD) < 0) {
				fprintf(stderr, "parzend: --parent-fd must be an open "
				                "file descriptor, 3 or more\n");
				return done(2, socket_path, db_path);
			}
			opt.parent_fd = (int)fd;
			break;
		}
		case 'l':
			level = pz_log_parse_level(optarg);
			if (level < 0) {
				fprintf(stderr, "parzend: --log-level must be error, "
				                "warn, info or debug\n");
				return done(2, socket_path, db_path);
			}
			pz_log_set_level(level);
			break;
		case 'h':
			usage(stdout);
			return done(0, socket_path, db_path);
		case 'V':
			printf("parzend %s\n", PZ_VERSION);
			return done(0, socket_path, db_path);
		default:
			usage(stderr);
			return done(2, socket_path, db_path);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "parzend: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return done(2, socket_path, db_path);
	}
	if (opt.allow_gid >= 0 && !mode_given)
		opt.socket_mode = 0660;
	if (socket_path == NULL)
		socket_path = default_socket();
	if (db_path == NULL)
		db_path = default_db();
	if (socket_path == NULL || db_path == NULL) {
		fprintf(stderr, "parzend: cannot choose default paths (set HOME "
		                "or pass --socket and --db)\n");
		free(socket_path);
		free(db_path);
		return 1;
	}
	opt.socket_path = socket_path;
	opt.db_path = db_path;
	if (opt.log_path != NULL && pz_log_reopen(opt.log_path) != 0) {
		fprintf(stderr, "parzend: cannot open the log file %s: %s\n",
		        opt.log_path, strerror(errno));
		free(socket_path);
		free(db_path);
		return 1;
	}
	raise_nofile();
	/* A worker that hangs up while its replies are being written is a
	 * write error on its connection, not a reason for the daemon to die
	 * (systemd ignores SIGPIPE for services; a shell does not). */
	signal(SIGPIPE, SIG_IGN);

	if (pz_listen_db_path(db_path, &err) != 0) {
		pz_log(PZ_LOG_ERROR, "%s", err.msg);
		free(socket_path);
		free(db_path);
		return 1;
	}
	uv_loop_init(&loop);
	rc = pz_server_start(&srv, &loop, &opt, &err);
	if (rc != 0)
		pz_log(PZ_LOG_ERROR, "%s", err.msg);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0) {
		pz_log(PZ_LOG_ERROR, "handles left open at exit (a bug)");
		rc = rc != 0 ? rc : -1;
	}
	if (srv.store != NULL)
		pz_server_finish(&srv);
	free(socket_path);
	free(db_path);
	if (rc == 0 && srv.exit_code == 0)
		pz_log(PZ_LOG_INFO, "stopped");
	pz_log_close();
	return rc == 0 && srv.exit_code == 0 ? 0 : 1;
}
