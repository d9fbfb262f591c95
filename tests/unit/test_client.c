/*
 * Tests of lib/client: framing, the JSON-RPC envelope, error mapping and
 * the worker wrappers, against a fake peer.
 *
 * The fake peer is a forked child that accepts one connection on a Unix
 * socket in a temporary directory and plays a script: for each step it
 * reads one request line and checks its method, id and params, then writes
 * scripted reply chunks, pausing between chunks so that a reply arrives
 * split across reads. It only exercises the client's side of the framing
 * and error mapping; it is not a stand-in for parzend anywhere else.
 *
 * The child reports a request that does not match its script through its
 * exit status, which peer_finish() checks. Under valgrind the child is
 * checked for leaks as well. Texts in scripts are written with single
 * quotes for readability; the peer turns them into double quotes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <parzen/client.h>

/* Pause between the chunks of one reply, so that they arrive apart. */
#define CHUNK_PAUSE_US 20000

struct step {
	const char *method;  /* read a request for this method; NULL: don't */
	int64_t id;          /* its expected id; 0: any */
	const char *params;  /* its expected params; NULL: any, "": absent */
	const char *out[4];  /* then write these; "$ID" is the request's id */
	size_t big;          /* then a reply whose result.s has this size */
	bool flood;          /* then an endless line, until the client quits */
	bool hang_up;        /* then close the connection */
};

/* A step that reads a request and writes the chunks given. */
#define STEP(method_, id_, params_, ...) \
	{ .method = (method_), .id = (id_), .params = (params_), \
	  .out = { __VA_ARGS__ } }

struct peer {
	pid_t pid;
	char dir[64];
	char path[100];
};

/*
 * A copy of `src` with ' turned into ", "$ID" into `id` and "$NUL" into a
 * NUL byte; its length goes to *len when len is not NULL.
 */
static char *expand(const char *src, int64_t id, size_t *len)
{
	size_t n = strlen(src);
	char *out = malloc(n * 2 + 32), *o = out;

	if (out == NULL)
		return NULL;
	while (*src != '\0') {
		if (strncmp(src, "$ID", 3) == 0) {
			o += sprintf(o, "%lld", (long long)id);
			src += 3;
		} else if (strncmp(src, "$NUL", 4) == 0) {
			*o++ = '\0';
			src += 4;
		} else {
			*o++ = *src == '\'' ? '"' : *src;
			src++;
		}
	}
	*o = '\0';
	if (len != NULL)
		*len = (size_t)(o - out);
	return out;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_text(int fd, const char *text, int64_t id)
{
	size_t n = 0;
	char *s = expand(text, id, &n);
	int rc = s == NULL ? -1 : write_all(fd, s, n);

	free(s);
	return rc;
}

/* Write `n` bytes of `ch` in large pieces. */
static int write_fill(int fd, char ch, size_t n)
{
	static char block[65536];

	memset(block, ch, sizeof(block));
	while (n > 0) {
		size_t k = n < sizeof(block) ? n : sizeof(block);

		if (write_all(fd, block, k) != 0)
			return -1;
		n -= k;
	}
	return 0;
}

/* Check one request against the step; its id goes to *id. */
static int expect_request(int fd, const struct step *s, int64_t *id)
{
	static char line[65536];
	const cJSON *v, *params;
	cJSON *req = NULL, *want = NULL;
	size_t n = 0;
	int rc = 1;

	for (;;) {
		ssize_t r = read(fd, line + n, 1);

		if (r <= 0 || n + 1 == sizeof(line)) {
			fprintf(stderr, "peer: no request for %s\n", s->method);
			return 1;
		}
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	req = cJSON_Parse(line);
	v = cJSON_GetObjectItemCaseSensitive(req, "jsonrpc");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "2.0") != 0)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(req, "method");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, s->method) != 0)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(req, "id");
	if (!cJSON_IsNumber(v) || (s->id != 0 && v->valuedouble != s->id))
		goto out;
	*id = (int64_t)v->valuedouble;
	params = cJSON_GetObjectItemCaseSensitive(req, "params");
	if (s->params != NULL && s->params[0] == '\0') {
		if (params != NULL)
			goto out;
	} else if (s->params != NULL) {
		char *text = expand(s->params, 0, NULL);

		want = cJSON_Parse(text);
		free(text);
		if (want == NULL || !cJSON_Compare(want, params, true))
			goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "peer: unexpected request %s\n", line);
	cJSON_Delete(want);
	cJSON_Delete(req);
	return rc;
}

static int play_step(int fd, const struct step *s)
{
	int64_t id = 0;

	if (s->method != NULL && expect_request(fd, s, &id) != 0)
		return 1;
	for (int j = 0; j < 4 && s->out[j] != NULL; j++) {
		if (j > 0)
			usleep(CHUNK_PAUSE_US);
		if (write_text(fd, s->out[j], id) != 0)
			return 1;
	}
	if (s->big > 0 &&
	    (write_text(fd, "{'jsonrpc':'2.0','id':$ID,'result':{'s':'",
	                id) != 0 ||
	     write_fill(fd, 'a', s->big) != 0 ||
	     write_text(fd, "'}}\n", id) != 0))
		return 1;
	return 0;
}

/* The child's life: serve one connection as the script says. */
static int peer_run(int lfd, const struct step *steps, size_t n)
{
	struct timeval tv = { .tv_sec = 60 };
	char ch;
	int fd;

	/* A broken script fails the test instead of hanging it. */
	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (size_t i = 0; i < n; i++) {
		if (play_step(fd, &steps[i]) != 0) {
			close(fd);
			return 1;
		}
		if (steps[i].flood) {
			/* Stops when the client hangs up, or at a cap. */
			write_text(fd, "{'jsonrpc':'2.0','id':1,'result':'", 0);
			write_fill(fd, 'x', PZ_CLIENT_MAX_LINE + (2u << 20));
			close(fd);
			return 0;
		}
		if (steps[i].hang_up) {
			close(fd);
			return 0;
		}
	}
	/* The script is over: the client must hang up, not send more. */
	if (read(fd, &ch, 1) != 0) {
		fprintf(stderr, "peer: request after the end of the script\n");
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}

static void peer_start(struct peer *p, const struct step *steps, size_t n)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int lfd;

	snprintf(p->dir, sizeof(p->dir), "/tmp/pz-test-client-XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	snprintf(p->path, sizeof(p->path), "%s/parzend.sock", p->dir);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", p->path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	fflush(NULL);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0)
		_exit(peer_run(lfd, steps, n));
	close(lfd);
}

static void peer_finish(struct peer *p)
{
	int status = 0;

	assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
	unlink(p->path);
	rmdir(p->dir);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Start a peer for `steps` and connect a client to it. */
#define PEER(p, c, steps) \
	do { \
		peer_start(&(p), (steps), N(steps)); \
		assert_int_equal(pz_client_connect((p).path, &(c), NULL), 0); \
	} while (0)

static cJSON *parse(const char *squoted)
{
	char *text = expand(squoted, 0, NULL);
	cJSON *v = cJSON_Parse(text);

	free(text);
	assert_non_null(v);
	return v;
}

static void assert_json(const cJSON *got, const char *squoted)
{
	cJSON *want = parse(squoted);
	bool same = cJSON_Compare(want, got, true);

	if (!same) {
		char *text = cJSON_PrintUnformatted(got);

		print_error("got %s, want %s\n", text, squoted);
		cJSON_free(text);
	}
	cJSON_Delete(want);
	assert_true(same);
}

static void assert_contains(const char *s, const char *part)
{
	if (strstr(s, part) == NULL) {
		print_error("'%s' does not contain '%s'\n", s, part);
		fail();
	}
}

#define OK(result) "{'jsonrpc':'2.0','id':$ID,'result':" result "}\n"
#define ERR(code) \
	"{'jsonrpc':'2.0','id':$ID,'error':{'code':" #code \
	",'message':'m" #code "'}}\n"

static void test_default_socket(void **state)
{
	char buf[256];
	struct stat st;

	(void)state;
	setenv("PARZEN_SOCKET", "/x/p.sock", 1);
	setenv("XDG_RUNTIME_DIR", "/run/me", 1);
	assert_int_equal(pz_client_default_socket(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/x/p.sock");
	setenv("PARZEN_SOCKET", "", 1);
	assert_int_equal(pz_client_default_socket(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/me/parzen/parzend.sock");
	assert_int_equal(pz_client_default_socket(buf, 27), PZ_ERANGE);
	assert_int_equal(pz_client_default_socket(buf, 28), 0);
	unsetenv("PARZEN_SOCKET");
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(pz_client_default_socket(buf, sizeof(buf)), 0);
	/* /run/user/UID when logind made it for us, else /tmp/parzen-UID. */
	snprintf(buf + 100, 100, "/run/user/%u", (unsigned)getuid());
	if (lstat(buf + 100, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == getuid())
		strcat(buf + 100, "/parzen/parzend.sock");
	else
		snprintf(buf + 100, 100, "/tmp/parzen-%u/parzend.sock",
		         (unsigned)getuid());
	assert_string_equal(buf, buf + 100);
}

/* With nothing listening, the message names every place looked at. */
static void test_discover_lists_places(void **state)
{
	char dir[] = "/tmp/pz-test-discover-XXXXXX", want[256];
	struct pz_client *c = (void *)1;
	struct pz_error err;
	struct stat st;

	(void)state;
	if (lstat("/run/parzen", &st) == 0)
		skip(); /* a system service may answer */
	assert_non_null(mkdtemp(dir));
	unsetenv("PARZEN_SOCKET");
	setenv("XDG_RUNTIME_DIR", dir, 1);
	assert_int_equal(pz_client_connect(NULL, &c, &err), PZ_EIO);
	assert_null(c);
	snprintf(want, sizeof(want),
	         "looked at $PARZEN_SOCKET (not set), %s/parzen/parzend.sock "
	         "(No such file or directory), /run/parzen/parzend.sock (No "
	         "such file or directory)", dir);
	assert_contains(err.msg, want);
	/* $PARZEN_SOCKET is a choice: nothing else is tried. */
	setenv("PARZEN_SOCKET", "/nonexistent/p.sock", 1);
	assert_int_equal(pz_client_connect(NULL, &c, &err), PZ_EIO);
	assert_contains(err.msg, "/nonexistent/p.sock");
	assert_null(strstr(err.msg, "/run/parzen"));
	unsetenv("PARZEN_SOCKET");
	unsetenv("XDG_RUNTIME_DIR");
	rmdir(dir);
}

/* A directory every user may write to is refused before connecting. */
static void test_connect_refuses_unsafe_dir(void **state)
{
	char dir[] = "/tmp/pz-test-unsafe-XXXXXX", path[128];
	struct pz_client *c = (void *)1;
	struct pz_error err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0777), 0);
	snprintf(path, sizeof(path), "%s/parzend.sock", dir);
	assert_int_equal(pz_client_connect(path, &c, &err), PZ_EINVAL);
	assert_null(c);
	assert_contains(err.msg, "unsafe socket directory");
	assert_contains(err.msg, "every user may write to it");
	rmdir(dir);
}

static void test_connect_fails(void **state)
{
	char path[200];
	struct pz_client *c = (void *)1;
	struct pz_error err;

	(void)state;
	assert_int_equal(pz_client_connect("/nonexistent/parzend.sock", &c,
	                                   &err), PZ_EIO);
	assert_null(c);
	assert_int_equal(err.code, PZ_EIO);
	assert_string_equal(err.msg, "cannot connect to parzend at "
	                    "/nonexistent/parzend.sock: No such file or "
	                    "directory (is parzend running?)");
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(pz_client_connect(path, &c, &err), PZ_EINVAL);
	assert_contains(err.msg, "socket path must be 1 to 107 bytes");
	assert_int_equal(pz_client_connect("", &c, &err), PZ_EINVAL);
	pz_client_destroy(NULL);
}

/* Requests carry increasing ids; NULL params are left out. */
static void test_roundtrip(void **state)
{
	static const struct step steps[] = {
		STEP("server.info", 1, "", OK("{'name':'parzend'}")),
		STEP("study.get", 2, "{'study':'a b\\n'}", OK("{'x':[1,2]}")),
		STEP("study.list", 3, "{}", OK("{}")),
	};
	struct peer p;
	struct pz_client *c;
	struct pz_error err;
	cJSON *res, *params;

	(void)state;
	peer_start(&p, steps, N(steps));
	setenv("PARZEN_SOCKET", p.path, 1);
	assert_int_equal(pz_client_connect(NULL, &c, &err), 0);
	unsetenv("PARZEN_SOCKET");

	assert_int_equal(pz_client_call(c, "server.info", NULL, &res, &err),
	                 0);
	assert_json(res, "{'name':'parzend'}");
	cJSON_Delete(res);
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "study", "a b\n");
	assert_int_equal(pz_client_call(c, "study.get", params, &res, &err),
	                 0);
	assert_json(res, "{'x':[1,2]}");
	cJSON_Delete(res);
	/* The result may be dropped. */
	assert_int_equal(pz_client_call(c, "study.list", cJSON_CreateObject(),
	                                NULL, &err), 0);
	assert_int_equal(pz_client_last_rpc_code(c), 0);
	assert_null(pz_client_last_error_path(c));
	pz_client_destroy(c);
	peer_finish(&p);
}

static void test_split_reply(void **state)
{
	static const struct step steps[] = {
		STEP("a", 0, NULL, "{'jsonrpc':'2.0','id':$ID,'res",
		     "ult':{'v':12", "34,'s':'x y'}}", "\n"),
		STEP("b", 0, NULL, "{'jsonrpc':'2.0',", "'id':$ID,'result':1}",
		     "\n{'jsonrpc':'2.0','method':'note'}", "\n"),
		STEP("c", 0, NULL, OK("3")),
	};
	struct peer p;
	struct pz_client *c;
	cJSON *res;

	(void)state;
	PEER(p, c, steps);
	assert_int_equal(pz_client_call(c, "a", NULL, &res, NULL), 0);
	assert_json(res, "{'v':1234,'s':'x y'}");
	cJSON_Delete(res);
	/* The notification after b's reply stays buffered, then is skipped. */
	assert_int_equal(pz_client_call(c, "b", NULL, &res, NULL), 0);
	assert_json(res, "1");
	cJSON_Delete(res);
	assert_int_equal(pz_client_call(c, "c", NULL, &res, NULL), 0);
	assert_json(res, "3");
	cJSON_Delete(res);
	pz_client_destroy(c);
	peer_finish(&p);
}

/* Several messages in one write: the rest waits in the buffer. */
static void test_two_in_one_write(void **state)
{
	static const struct step steps[] = {
		STEP("a", 1, NULL, OK("'one'")
		     "{'jsonrpc':'2.0','id':2,'result':'two'}\n"),
		STEP("b", 2, NULL, NULL),
		STEP("c", 3, NULL, "{'jsonrpc':'2.0','method':'progress',"
		     "'params':{'done':3}}\n" OK("'three'")),
	};
	struct peer p;
	struct pz_client *c;
	cJSON *res;

	(void)state;
	PEER(p, c, steps);
	assert_int_equal(pz_client_call(c, "a", NULL, &res, NULL), 0);
	assert_json(res, "'one'");
	cJSON_Delete(res);
	assert_int_equal(pz_client_call(c, "b", NULL, &res, NULL), 0);
	assert_json(res, "'two'");
	cJSON_Delete(res);
	assert_int_equal(pz_client_call(c, "c", NULL, &res, NULL), 0);
	assert_json(res, "'three'");
	cJSON_Delete(res);
	pz_client_destroy(c);
	peer_finish(&p);
}

static void test_error_reply(void **state)
{
	static const struct step steps[] = {
		STEP("trial.tell", 0, NULL,
		     "{'jsonrpc':'2.0','id':$ID,'error':{'code':-32602,"
		     "'message':'params.loss: must be a finite number',"
		     "'data':{'path':'params.loss'}}}\n"),
		STEP("server.info", 0, NULL, OK("{}")),
		STEP("x", 0, NULL, "{'jsonrpc':'2.0','id':$ID,'error':"
		     "{'code':-32001}}\n"),
		STEP("y", 0, NULL, "{'jsonrpc':'2.0','id':$ID,'error':"
		     "{'code':-32004,'message':'bad','data':{'path':7}}}\n"),
	};
	struct peer p;
	struct pz_client *c;
	struct pz_error err;
	cJSON *res = (void *)1;

	(void)state;
	PEER(p, c, steps);
	assert_int_equal(pz_client_call(c, "trial.tell", NULL, &res, &err),
	                 PZ_EINVAL);
	assert_null(res);
	assert_int_equal(err.code, PZ_EINVAL);
	assert_string_equal(err.msg, "params.loss: must be a finite number");
	assert_int_equal(pz_client_last_rpc_code(c), -32602);
	assert_string_equal(pz_client_last_error_path(c), "params.loss");
	/* An error reply leaves the connection usable, and is forgotten by
	 * the next call. */
	assert_int_equal(pz_client_call(c, "server.info", NULL, NULL, &err), 0);
	assert_int_equal(pz_client_last_rpc_code(c), 0);
	assert_null(pz_client_last_error_path(c));
	assert_int_equal(pz_client_call(c, "x", NULL, NULL, &err), PZ_ENOENT);
	assert_string_equal(err.msg, "parzend error -32001");
	assert_null(pz_client_last_error_path(c));
	assert_int_equal(pz_client_call(c, "y", NULL, NULL, &err), PZ_EINVAL);
	assert_null(pz_client_last_error_path(c));
	pz_client_destroy(c);
	peer_finish(&p);
}

static void test_error_mapping(void **state)
{
	static const struct step steps[] = {
		STEP("m", 0, NULL, ERR(-32001)),
		STEP("m", 0, NULL, ERR(-32002)),
		STEP("m", 0, NULL, ERR(-32003)),
		STEP("m", 0, NULL, ERR(-32004)),
		STEP("m", 0, NULL, ERR(-32602)),
		STEP("m", 0, NULL, ERR(-32600)),
		STEP("m", 0, NULL, ERR(-32005)),
		STEP("m", 0, NULL, ERR(-32006)),
		STEP("m", 0, NULL, ERR(-32601)),
		STEP("m", 0, NULL, ERR(-32603)),
		STEP("m", 0, NULL, ERR(-32700)),
		STEP("m", 0, NULL, ERR(-1)),
		/* Answers to a line parzend could not read carry id null. */
		STEP("m", 0, NULL, "{'jsonrpc':'2.0','id':null,'error':{'code':"
		     "-32600,'message':'line longer than 1048576 "
		     "bytes'}}\n"),
	};
	static const struct {
		int rpc, rc;
	} map[] = {
		{ -32001, PZ_ENOENT }, { -32002, PZ_EEXIST },
		{ -32003, PZ_ESTATE }, { -32004, PZ_EINVAL },
		{ -32602, PZ_EINVAL }, { -32600, PZ_EINVAL },
		{ -32005, PZ_EIO },    { -32006, PZ_EIO },
		{ -32601, PZ_EPROTO }, { -32603, PZ_EPROTO },
		{ -32700, PZ_EPROTO }, { -1, PZ_EPROTO },
	};
	struct peer p;
	struct pz_client *c;
	struct pz_error err;
	char msg[32];

	(void)state;
	PEER(p, c, steps);
	for (size_t i = 0; i < N(map); i++) {
		assert_int_equal(pz_client_call(c, "m", NULL, NULL, &err),
		                 map[i].rc);
		assert_int_equal(pz_client_last_rpc_code(c), map[i].rpc);
		snprintf(msg, sizeof(msg), "m%d", map[i].rpc);
		assert_string_equal(err.msg, msg);
	}
	assert_int_equal(pz_client_call(c, "m", NULL, NULL, &err), PZ_EINVAL);
	assert_string_equal(err.msg, "line longer than 1048576 bytes");
	pz_client_destroy(c);
	peer_finish(&p);
}

/* A reply to another request: the stream is out of step; disconnect. */
static void test_wrong_id(void **state)
{
	static const struct step steps[] = {
		STEP("a", 1, NULL, "{'jsonrpc':'2.0','id':7,'result':{}}\n"
		     OK("{}")),
	};
	struct peer p;
	struct pz_client *c;
	struct pz_error err;

	(void)state;
	PEER(p, c, steps);
	assert_int_equal(pz_client_call(c, "a", NULL, NULL, &err), PZ_EPROTO);
	assert_string_equal(err.msg, "parzend sent a reply that does not "
	                    "belong to request 1, the only one in flight");
	assert_int_equal(pz_client_last_rpc_code(c), 0);
	assert_int_equal(pz_client_call(c, "a", cJSON_CreateObject(), NULL,
	                                &err), PZ_EIO);
	assert_contains(err.msg, "connection to parzend was lost");
	pz_client_destroy(c);
	peer_finish(&p);
}

static void test_closed_mid_reply(void **state)
{
	static const struct step steps[] = {
		{ .method = "a", .hang_up = true,
		  .out = { "{'jsonrpc':'2.0','id':$ID,'result':{'a'" } },
	};
	struct peer p;
	struct pz_client *c;
	struct pz_error err;

	(void)state;
	PEER(p, c, steps);
	assert_int_equal(pz_client_call(c, "a", NULL, NULL, &err), PZ_EIO);
	assert_string_equal(err.msg, "parzend closed the connection in the "
	                    "middle of a reply");
	assert_int_equal(pz_client_call(c, "a", NULL, NULL, &err), PZ_EIO);
	pz_client_destroy(c);
	peer_finish(&p);
}

static void test_closed_before_reply(void **state)
{
	static const struct step steps[] = {
		STEP("a", 0, NULL, OK("1")),
		{ .method = "a", .hang_up = true },
	};
	struct peer p;
	struct pz_client *c;
	struct pz_error err;

	(void)state;
	PEER(p, c, steps);
	assert_int_equal(pz_client_call(c, "a", NULL, NULL, &err), 0);
	assert_int_equal(pz_client_call(c, "a", NULL, NULL, &err), PZ_EIO);
	assert_string_equal(err.msg, "parzend closed the connection");
	pz_client_destroy(c);
	peer_finish(&p);
}

/* Sending to a peer that is gone is an error, not a SIGPIPE. */
static void test_no_sigpipe(void **state)
{
	static const struct step steps[] = {
		{ .method = NULL, .hang_up = true },
	};
	struct peer p;
	struct pz_client *c;
	struct pz_error err;

	(void)state;
	PEER(p, c, steps);
	peer_finish(&p);
	assert_int_equal(pz_client_call(c, "a", NULL, NULL, &err), PZ_EIO);
	assert_contains(err.msg, "lost the connection to parzend");
	pz_client_destroy(c);
}

static void test_bad_replies(void **state)
{
	static const char *const bad[] = {
		"not json\n",
		"{'jsonrpc':'2.0','id':$ID,'result':1} x\n",
		"{'jsonrpc':'2.0','id':$ID,'result':1}$NUL\n",
		"[{'jsonrpc':'2.0','id':$ID,'result':1}]\n",
		"\n",
		"{'jsonrpc':'2.0','id':$ID}\n",
		"{'jsonrpc':'2.0','id':$ID,'result':1,'error':{'code':1}}\n",
		"{'jsonrpc':'2.0','id':$ID,'error':{'code':'x'}}\n",
		"{'jsonrpc':'2.0','id':null,'result':1}\n",
		"{'jsonrpc':'2.0','id':'$ID','result':1}\n",
	};
	struct peer p;
	struct pz_client *c;
	struct pz_error err;

	(void)state;
	for (size_t i = 0; i < N(bad); i++) {
		const struct step steps[] = { STEP("a", 0, NULL, bad[i]) };
		cJSON *res = NULL;

		PEER(p, c, steps);
		assert_int_equal(pz_client_call(c, "a", NULL, &res, &err),
		                 PZ_EPROTO);
		assert_null(res);
		assert_int_equal(pz_client_last_rpc_code(c), 0);
		assert_int_equal(pz_client_call(c, "a", NULL, &res, &err),
		                 PZ_EIO);
		pz_client_destroy(c);
		peer_finish(&p);
	}
	/* A trailing \r and blanks are tolerated. */
	{
		const struct step steps[] = {
			STEP("a", 0, NULL, "{'jsonrpc':'2.0','id':$ID,"
			     "'result':1} \r\n"),
		};

		PEER(p, c, steps);
		assert_int_equal(pz_client_call(c, "a", NULL, NULL, &err), 0);
		pz_client_destroy(c);
		peer_finish(&p);
	}
}

/* A reply larger than the buffer's first sizes, then a small one. */
static void test_big_reply(void **state)
{
	static const struct step steps[] = {
		{ .method = "a", .big = 3u << 20 },
		STEP("b", 0, NULL, OK("2")),
	};
	struct peer p;
	struct pz_client *c;
	cJSON *res;

	(void)state;
	PEER(p, c, steps);
	assert_int_equal(pz_client_call(c, "a", NULL, &res, NULL), 0);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(res, "s")));
	assert_int_equal(strlen(cJSON_GetObjectItem(res, "s")->valuestring),
	                 3u << 20);
	cJSON_Delete(res);
	assert_int_equal(pz_client_call(c, "b", NULL, &res, NULL), 0);
	assert_json(res, "2");
	cJSON_Delete(res);
	pz_client_destroy(c);
	peer_finish(&p);
}

static void test_line_too_long(void **state)
{
	static const struct step steps[] = {
		{ .method = "a", .flood = true },
	};
	struct peer p;
	struct pz_client *c;
	struct pz_error err;

	(void)state;
	PEER(p, c, steps);
	assert_int_equal(pz_client_call(c, "a", NULL, NULL, &err), PZ_EPROTO);
	assert_string_equal(err.msg, "parzend sent a reply line longer than "
	                    "67108864 bytes");
	pz_client_destroy(c);
	peer_finish(&p);
}

/* Refused params are freed and never sent. */
static void test_bad_params(void **state)
{
	static const struct step steps[] = {
		STEP("ok", 0, "{'a':1}", OK("{}")),
	};
	struct peer p;
	struct pz_client *c;
	struct pz_error err;
	cJSON *params, *arr;

	(void)state;
	PEER(p, c, steps);
	params = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(params, "a");
	cJSON_AddItemToArray(arr, cJSON_CreateNumber(1));
	cJSON_AddItemToArray(arr, cJSON_CreateObject());
	cJSON_AddNumberToObject(cJSON_GetArrayItem(arr, 1), "b", NAN);
	assert_int_equal(pz_client_call(c, "bad", params, NULL, &err),
	                 PZ_EINVAL);
	assert_string_equal(err.msg, "params.a[1].b: not a finite number");
	assert_int_equal(pz_client_call(c, "bad", cJSON_CreateArray(), NULL,
	                                &err), PZ_EINVAL);
	assert_string_equal(err.msg, "params must be an object");
	params = cJSON_CreateObject();
	cJSON_AddNumberToObject(params, "a", 1);
	assert_int_equal(pz_client_call(c, "ok", params, NULL, &err), 0);
	pz_client_destroy(c);
	peer_finish(&p);
}

static void test_ask(void **state)
{
	static const struct step steps[] = {
		STEP("trial.ask", 0, "{'study':'cifar','worker':'gpu0'}",
		     OK("{'trial':{'id':17,'study':'cifar','number':12,"
		        "'state':'running','params':{'lr':0.01,'opt':1},"
		        "'point':{'lr':0.01,'opt':'adam'},'attempt':2}}")),
		STEP("trial.ask", 0, "{'study':'cifar'}",
		     OK("{'trial':null,'reason':'paused'}")),
		STEP("trial.ask", 0, NULL,
		     OK("{'trial':{'id':1,'number':0,'params':{},"
		        "'point':{}}}")),
		STEP("trial.ask", 0, NULL,
		     OK("{'trial':{'id':1,'number':0,'attempt':0,"
		        "'params':[]}}")),
		STEP("trial.ask", 0, NULL, ERR(-32001)),
	};
	struct peer p;
	struct pz_client *c;
	struct pz_error err;
	struct pz_trial_ticket t;

	(void)state;
	PEER(p, c, steps);
	assert_int_equal(pz_client_ask(c, "cifar", "gpu0", &t, &err), 0);
	assert_false(t.none);
	assert_int_equal(t.id, 17);
	assert_int_equal(t.number, 12);
	assert_int_equal(t.attempt, 2);
	assert_json(t.params, "{'lr':0.01,'opt':1}");
	assert_json(t.point, "{'lr':0.01,'opt':'adam'}");
	pz_client_ticket_finish(&t);
	assert_null(t.params);

	assert_int_equal(pz_client_ask(c, "cifar", NULL, &t, &err), 0);
	assert_true(t.none);
	assert_string_equal(t.reason, "paused");
	assert_null(t.params);
	assert_null(t.point);
	pz_client_ticket_finish(&t);

	/* Without attempt, and with params that are not an object. */
	assert_int_equal(pz_client_ask(c, "s", NULL, &t, &err), PZ_EPROTO);
	assert_contains(err.msg, "trial.ask reply");
	assert_null(t.params);
	assert_int_equal(pz_client_ask(c, "s", NULL, &t, &err), PZ_EPROTO);
	assert_null(t.params);
	assert_null(t.point);
	pz_client_ticket_finish(&t);

	assert_int_equal(pz_client_ask(c, "s", NULL, &t, &err), PZ_ENOENT);
	assert_null(t.params);
	pz_client_ticket_finish(&t);
	pz_client_destroy(c);
	peer_finish(&p);
}

static void test_tell_heartbeat_release(void **state)
{
	static const struct step steps[] = {
		STEP("trial.tell", 0, "{'trial':17,'attempt':2,'status':'ok',"
		     "'loss':0.25,'result':{'acc':[0.5,0.9],'model':'m'}}",
		     OK("{'trial':{}}")),
		STEP("trial.tell", 0, "{'trial':17,'status':'fail'}",
		     OK("{'trial':{}}")),
		STEP("trial.tell", 0, NULL, ERR(-32003)),
		STEP("trial.heartbeat", 0, "{'trial':17,'attempt':0}",
		     OK("{'trial':{'id':17,'state':'running','attempt':0,"
		        "'deadline':1764190080.0}}")),
		STEP("trial.release", 0,
		     "{'trial':9007199254740991,'attempt':1}",
		     OK("{'trial':{}}")),
	};
	struct peer p;
	struct pz_client *c;
	struct pz_error err;

	(void)state;
	PEER(p, c, steps);
	assert_int_equal(pz_client_tell(c, 17, 2, true, 0.25,
	                                "{\"acc\": [0.5, 0.9], "
	                                "\"model\": \"m\"}", &err), 0);
	assert_int_equal(pz_client_tell(c, 17, -1, false, NAN, NULL, &err), 0);
	/* Refused here: nothing is sent. */
	assert_int_equal(pz_client_tell(c, 17, 0, true, INFINITY, NULL, &err),
	                 PZ_EINVAL);
	assert_string_equal(err.msg, "params.loss: not a finite number");
	assert_int_equal(pz_client_tell(c, 17, 0, true, 1, "{\"a\": 1} x",
	                                &err), PZ_EINVAL);
	assert_string_equal(err.msg, "result: not valid JSON (at byte 9)");
	assert_int_equal(pz_client_tell(c, 17, 0, true, 1, "", &err),
	                 PZ_EINVAL);

	assert_int_equal(pz_client_tell(c, 17, 0, true, 1, NULL, &err),
	                 PZ_ESTATE);
	assert_int_equal(pz_client_last_rpc_code(c), -32003);
	assert_int_equal(pz_client_heartbeat(c, 17, 0, &err), 0);
	assert_int_equal(pz_client_release(c, 9007199254740991, 1, &err), 0);
	pz_client_destroy(c);
	peer_finish(&p);
}

static void test_report_pruned(void **state)
{
	static const struct step steps[] = {
		STEP("trial.report", 0, "{'trial':17,'attempt':1,'step':3,"
		     "'value':0.25}",
		     OK("{'prune':false,'reason':'warm-up','step':3}")),
		STEP("trial.report", 0, "{'trial':17,'step':4,'value':2}",
		     OK("{'prune':true,'reason':'best 2 > median 1','step':4}")),
		STEP("trial.report", 0, NULL, OK("{'step':4}")),
		STEP("trial.report", 0, NULL,
		     "{'jsonrpc':'2.0','id':$ID,'error':{'code':-32002,"
		     "'message':'params.value: reported 2 already',"
		     "'data':{'path':'params.value'}}}\n"),
		STEP("trial.tell", 0, "{'trial':17,'attempt':1,"
		     "'status':'pruned'}", OK("{'trial':{}}")),
		STEP("trial.tell", 0, "{'trial':17,'attempt':1,"
		     "'status':'pruned','loss':0.5,'result':{'epochs':4}}",
		     OK("{'trial':{}}")),
		STEP("study.create", 0, "{'name':'s','space':{},'pruner':"
		     "{'kind':'median','n_warmup_steps':2},'exist_ok':true}",
		     OK("{'study':{'name':'s'}}")),
	};
	struct pz_client_study_def def = {
		.name = "s", .space_json = "{}", .seed = -1,
		.pruner_json = "{\"kind\": \"median\", \"n_warmup_steps\": 2}",
		.exist_ok = true,
	};
	struct pz_client_decision d;
	struct peer p;
	struct pz_client *c;
	struct pz_error err;

	(void)state;
	PEER(p, c, steps);
	assert_int_equal(pz_client_report(c, 17, 1, 3, 0.25, &d, &err), 0);
	assert_false(d.prune);
	assert_int_equal(d.step, 3);
	assert_string_equal(d.reason, "warm-up");
	assert_int_equal(pz_client_report(c, 17, -1, 4, 2, &d, &err), 0);
	assert_true(d.prune);
	assert_string_equal(d.reason, "best 2 > median 1");
	assert_int_equal(pz_client_report(c, 17, -1, 5, 2, &d, &err),
	                 PZ_EPROTO);
	assert_int_equal(pz_client_report(c, 17, -1, 4, 3, NULL, &err),
	                 PZ_EEXIST);
	assert_string_equal(pz_client_last_error_path(c), "params.value");
	/* Refused here: nothing is sent. */
	assert_int_equal(pz_client_report(c, 17, 1, 5, NAN, &d, &err),
	                 PZ_EINVAL);
	assert_string_equal(err.msg, "params.value: not a finite number");
	assert_int_equal(pz_client_report(c, 17, 1, -1, 0, &d, &err),
	                 PZ_EINVAL);
	assert_contains(err.msg, "step: must be an integer");
	assert_int_equal(pz_client_tell_status(c, 17, 1, "pruned", NAN, NULL,
	                                       &err), 0);
	assert_int_equal(pz_client_tell_status(c, 17, 1, "pruned", 0.5,
	                                       "{\"epochs\": 4}", &err), 0);
	assert_int_equal(pz_client_create_study_def(c, &def, NULL, &err), 0);
	def.pruner_json = "{";
	assert_int_equal(pz_client_create_study_def(c, &def, NULL, &err),
	                 PZ_EINVAL);
	assert_contains(err.msg, "pruner: not valid JSON");
	pz_client_destroy(c);
	peer_finish(&p);
}

static void test_create_study(void **state)
{
	static const struct step steps[] = {
		STEP("study.create", 0, "{'name':'cifar','space':{'x':{'$hp':"
		     "'uniform','label':'x','low':0,'high':1}},'algo':'random',"
		     "'seed':42,'max_trials':100,'config':{'gamma':0.1},"
		     "'heartbeat_timeout':30.5,'exist_ok':true}",
		     OK("{'study':{'name':'cifar','seed':42}}")),
		STEP("study.create", 0, "{'name':'s','space':[1,2]}",
		     OK("{'study':{'name':'s'}}")),
		STEP("study.create", 0, NULL, OK("{'name':'s'}")),
		STEP("study.create", 0, NULL,
		     "{'jsonrpc':'2.0','id':$ID,'error':{'code':-32004,"
		     "'message':'space.x: low must be < high',"
		     "'data':{'path':'space.x'}}}\n"),
	};
	struct peer p;
	struct pz_client *c;
	struct pz_error err;
	cJSON *study = (void *)1;

	(void)state;
	PEER(p, c, steps);
	assert_int_equal(pz_client_create_study(c, "cifar",
	        "{\"x\": {\"$hp\": \"uniform\", \"label\": \"x\", "
	        "\"low\": 0, \"high\": 1}}", "random", 42, 100,
	        "{\"gamma\": 0.1}", 30.5, true, &study, &err), 0);
	assert_json(study, "{'name':'cifar','seed':42}");
	cJSON_Delete(study);
	assert_int_equal(pz_client_create_study(c, "s", "[1, 2]", NULL, -1, 0,
	                                        NULL, 0, false, NULL, &err),
	                 0);
	assert_int_equal(pz_client_create_study(c, "s", "{}", NULL, -1, 0,
	                                        NULL, 0, false, &study, &err),
	                 PZ_EPROTO);
	assert_null(study);
	assert_int_equal(pz_client_create_study(c, "s", "{}", NULL, -1, 0,
	                                        NULL, 0, false, &study, &err),
	                 PZ_EINVAL);
	assert_string_equal(err.msg, "space.x: low must be < high");
	assert_string_equal(pz_client_last_error_path(c), "space.x");

	/* Refused here: nothing is sent. */
	assert_int_equal(pz_client_create_study(c, "s", "{", NULL, -1, 0,
	                                        NULL, 0, false, &study, &err),
	                 PZ_EINVAL);
	assert_contains(err.msg, "space: not valid JSON");
	assert_int_equal(pz_client_create_study(c, "s", "{}", NULL, -1, 0,
	                                        "{'a'}", 0, false, &study,
	                                        &err), PZ_EINVAL);
	assert_contains(err.msg, "config: not valid JSON");
	assert_int_equal(pz_client_create_study(c, "s", "{}", NULL,
	                                        INT64_MAX, 0, NULL, 0, false,
	                                        &study, &err), PZ_EINVAL);
	assert_contains(err.msg, "seed: must be at most 2^53");
	pz_client_destroy(c);
	peer_finish(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_socket),
		cmocka_unit_test(test_report_pruned),
		cmocka_unit_test(test_discover_lists_places),
		cmocka_unit_test(test_connect_refuses_unsafe_dir),
		cmocka_unit_test(test_connect_fails),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_split_reply),
		cmocka_unit_test(test_two_in_one_write),
		cmocka_unit_test(test_error_reply),
		cmocka_unit_test(test_error_mapping),
		cmocka_unit_test(test_wrong_id),
		cmocka_unit_test(test_closed_mid_reply),
		cmocka_unit_test(test_closed_before_reply),
		cmocka_unit_test(test_no_sigpipe),
		cmocka_unit_test(test_bad_replies),
		cmocka_unit_test(test_big_reply),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_ask),
		cmocka_unit_test(test_tell_heartbeat_release),
		cmocka_unit_test(test_create_study),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
