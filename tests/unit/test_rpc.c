/*
 * Tests of the daemon's request path without a socket: pz_rpc_handle() on
 * a core over a store in a temporary directory, the way the server drives
 * it, but one request at a time and with the commits made by the test.
 *
 * Covered: the JSON-RPC envelope (parse errors, non-objects, batches, bad
 * "jsonrpc", "method", "id" and "params", notifications, unknown methods
 * and params); every method's happy path and error codes with data.path;
 * group commit (a change leaves the core dirty until pz_core_commit(), a
 * read does not); trial.report (stored, judged, decisions final and
 * kept across restarts, bad reports refused with paths, reports as
 * heartbeats, new runs clearing them) and pruners of studies; exact
 * resume (a TPE study stopped, crashed and reopened suggests the same
 * params, to the bit, as one that ran straight through, and judges the
 * same reports the same way);
 * and a batch that fails on a full database, which must leave memory equal
 * to what the database holds.
 *
 * Request lines are written with single quotes for readability; post()
 * turns every single quote of the formatted line into a double one, so
 * no text in a test may contain a single quote of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "load.h"
#include <parzen/json.h>
#include "ask.h"
#include "clock.h"
#include "rpc.h"
#include "trial.h"
#include <parzen/params.h>
#include <parzen/sample.h>
#include "admin.h"
#include "store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>

#define SPACE_X \
	"{'x': {'$hp': 'uniform', 'label': 'x', 'low': 0, 'high': 1}}"

/*
 * The tutorial's classifier space plus two unconditional labels (lr,
 * units): nested choices, a function node, and log, quantized, normal,
 * integer and categorical kinds.
 */
#define SPACE_NESTED \
	"{'lr': {'$hp': 'loguniform', 'label': 'lr', 'low': -9, 'high': -2}," \
	" 'units': {'$hp': 'quniform', 'label': 'units', 'low': 16, " \
	"'high': 256, 'q': 16}," \
	" 'type': {'$hp': 'choice', 'label': 'classifier_type', 'options': [" \
	"  {'name': 'naive_bayes'}," \
	"  {'name': 'svm'," \
	"   'C': {'$hp': 'uniform', 'label': 'svm_C', 'low': 0, 'high': 10}," \
	"   'kernel': {'$hp': 'choice', 'label': 'svm_kernel', 'options': [" \
	"    {'ktype': 'linear'}," \
	"    {'ktype': 'rbf', 'width': {'$hp': 'lognormal', " \
	"'label': 'svm_rbf_width', 'mu': 0, 'sigma': 1}}]}}," \
	"  {'name': 'dtree'," \
	"   'criterion': {'$hp': 'choice', 'label': 'dtree_criterion', " \
	"'options': ['gini', 'entropy']}," \
	"   'max_depth': {'$hp': 'choice', 'label': 'dtree_max_depth', " \
	"'options': [null, {'$hp': 'randint', " \
	"'label': 'dtree_max_depth_int', 'low': 1, 'high': 20}]}," \
	"   'min_samples_split': {'$fn': 'add', 'args': [2, {'$fn': 'int', " \
	"'args': [{'$hp': 'qlognormal', 'label': 'dtree_min_samples_split', " \
	"'mu': 2, 'sigma': 1, 'q': 1}]}]}}]}}"

struct fx {
	char dir[64];
	char db[96];
	struct pz_store *store;
	struct pz_core core;
	struct pz_rpc rpc;
	cJSON *reply;        /* the last reply; the next post() frees it */
};

/* --- fixture -------------------------------------------------------------- */

static void db_open(struct fx *f, long long max_bytes)
{
	struct pz_error err = {0};

	if (pz_store_open(f->db, PZ_STORE_SYNC_FULL, max_bytes, &f->store,
	                  &err) != 0)
		fail_msg("pz_store_open: %s", err.msg);
	if (pz_core_init(&f->core, f->store, &err) != 0)
		fail_msg("pz_core_init: %s", err.msg);
	memset(&f->rpc, 0, sizeof(f->rpc));
	f->rpc.core = &f->core;
	f->rpc.server.db_path = f->db;
	f->rpc.server.durable = 1;
	f->rpc.server.max_line = 1 << 20;
	f->rpc.server.started = pz_clock_wall();
}

/* What a stop of the daemon does, minus the commit of an open batch. */
static void db_close(struct fx *f)
{
	pz_core_finish(&f->core);
	pz_store_close(f->store);
	f->store = NULL;
}

static void remove_db_files(const struct fx *f)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char path[128];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", f->db, suffix[i]);
		unlink(path);
	}
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%.40s/test_rpc.XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->db, sizeof(f->db), "%s/parzen.db", f->dir);
	db_open(f, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	cJSON_Delete(f->reply);
	if (f->store != NULL)
		db_close(f);
	remove_db_files(f);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* --- requests ------------------------------------------------------------- */

static void commit_ok(struct fx *f)
{
	struct pz_error err = {0};

	if (pz_core_commit(&f->core, &err) != 0)
		fail_msg("pz_core_commit: %s", err.msg);
	assert_false(pz_core_dirty(&f->core));
}

static char *vformat(const char *fmt, va_list ap)
{
	char *line = NULL;

	assert_true(vasprintf(&line, fmt, ap) >= 0);
	for (char *p = line; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return line;
}

/*
 * Dispatch `len` bytes, no commit, and keep the reply as a client reads
 * it: printed as the server prints it (raw nodes included) and parsed
 * back. Returns the reply (NULL: none).
 */
static cJSON *dispatch(struct fx *f, const char *line, size_t len)
{
	cJSON *reply = pz_rpc_handle(&f->rpc, line, len);
	char *text;

	cJSON_Delete(f->reply);
	f->reply = NULL;
	if (reply == NULL)
		return NULL;
	text = pz_json_print(reply, NULL);
	assert_non_null(text);
	cJSON_Delete(reply);
	f->reply = cJSON_Parse(text);
	if (f->reply == NULL)
		fail_msg("a reply does not parse: %s", text);
	free(text);
	return f->reply;
}

/* Dispatch one formatted line, no commit. */
static cJSON *vpost(struct fx *f, const char *fmt, va_list ap)
{
	char *line = vformat(fmt, ap);

	dispatch(f, line, strlen(line));
	free(line);
	return f->reply;
}

static cJSON *post(struct fx *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static cJSON *post(struct fx *f, const char *fmt, ...)
{
	va_list ap;
	cJSON *r;

	va_start(ap, fmt);
	r = vpost(f, fmt, ap);
	va_end(ap);
	return r;
}

/* Dispatch a single-quoted line that is not a format, no commit. */
static cJSON *raw(struct fx *f, const char *squoted)
{
	char *line = strdup(squoted);

	assert_non_null(line);
	for (char *p = line; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	dispatch(f, line, strlen(line));
	free(line);
	return f->reply;
}

static void fail_reply(const cJSON *reply, const char *what)
{
	char *text = reply != NULL ? cJSON_PrintUnformatted(reply) : NULL;

	fail_msg("%s; reply: %s", what, text != NULL ? text : "(none)");
}

/* `method` with params `pfmt`, committed; the result must be a success. */
static cJSON *ok(struct fx *f, const char *method, const char *pfmt, ...)
    __attribute__((format(printf, 3, 4)));

static cJSON *ok(struct fx *f, const char *method, const char *pfmt, ...)
{
	char *params;
	va_list ap;
	cJSON *result;

	va_start(ap, pfmt);
	params = vformat(pfmt, ap);
	va_end(ap);
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': '%s', 'params': %s}",
	     method, params);
	free(params);
	commit_ok(f);
	result = cJSON_GetObjectItemCaseSensitive(f->reply, "result");
	if (result == NULL)
		fail_reply(f->reply, method);
	return result;
}

/*
 * The reply must be an error with `code`, the id given as JSON text
 * (`id`), and data.path equal to `path` (NULL: no data).
 */
static const cJSON *check_error(const cJSON *reply, int code, const char *id,
                                const char *path)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "data");
	const cJSON *rid = cJSON_GetObjectItemCaseSensitive(reply, "id");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(reply, "jsonrpc");
	char *id_text;

	if (e == NULL || !cJSON_IsNumber(c) || c->valueint != code)
		fail_reply(reply, "expected an error");
	assert_true(cJSON_IsString(m) && m->valuestring[0] != '\0');
	assert_true(cJSON_IsString(v) && strcmp(v->valuestring, "2.0") == 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(reply, "result"));
	assert_non_null(rid);
	id_text = cJSON_PrintUnformatted(rid);
	assert_non_null(id_text);
	if (strcmp(id_text, id) != 0)
		fail_reply(reply, "unexpected id");
	free(id_text);
	if (path == NULL) {
		if (d != NULL)
			fail_reply(reply, "unexpected data");
	} else {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(d, "path");

		if (!cJSON_IsString(p) || strcmp(p->valuestring, path) != 0)
			fail_reply(reply, path);
	}
	return e;
}

/* `method` with params `pfmt`, committed; must fail with `code`, `path`. */
static const cJSON *bad(struct fx *f, int code, const char *path,
                        const char *method, const char *pfmt, ...)
    __attribute__((format(printf, 5, 6)));

static const cJSON *bad(struct fx *f, int code, const char *path,
                        const char *method, const char *pfmt, ...)
{
	char *params;
	va_list ap;

	va_start(ap, pfmt);
	params = vformat(pfmt, ap);
	va_end(ap);
	post(f, "{'jsonrpc': '2.0', 'id': 2, 'method': '%s', 'params': %s}",
	     method, params);
	free(params);
	commit_ok(f);
	return check_error(f->reply, code, "2", path);
}

/* A member of `o` by a dotted path ("study.counts.ok"); must exist. */
static const cJSON *at(const cJSON *o, const char *path)
{
	char key[64];
	const char *p = path;

	while (*p != '\0') {
		size_t n = strcspn(p, ".");

		assert_true(n < sizeof(key));
		memcpy(key, p, n);
		key[n] = '\0';
		o = cJSON_GetObjectItemCaseSensitive(o, key);
		if (o == NULL)
			fail_msg("no member %s", path);
		p += n + (p[n] == '.');
	}
	return o;
}

static double num(const cJSON *o, const char *path)
{
	const cJSON *v = at(o, path);

	if (!cJSON_IsNumber(v))
		fail_msg("%s is not a number", path);
	return v->valuedouble;
}

static const char *str(const cJSON *o, const char *path)
{
	const cJSON *v = at(o, path);

	if (!cJSON_IsString(v))
		fail_msg("%s is not a string", path);
	return v->valuestring;
}

static int is_null(const cJSON *o, const char *path)
{
	return cJSON_IsNull(at(o, path));
}

static void create_x(struct fx *f, const char *name)
{
	ok(f, "study.create", "{'name': '%s', 'space': %s, 'seed': 7}", name,
	   SPACE_X);
}

static int64_t ask(struct fx *f, const char *study, const char *worker)
{
	const cJSON *r;

	if (worker != NULL)
		r = ok(f, "trial.ask", "{'study': '%s', 'worker': '%s'}", study,
		       worker);
	else
		r = ok(f, "trial.ask", "{'study': '%s'}", study);
	assert_string_equal(str(r, "trial.state"), "running");
	return (int64_t)num(r, "trial.id");
}

static void tell(struct fx *f, int64_t id, double loss)
{
	const cJSON *r = ok(f, "trial.tell",
	                    "{'trial': %lld, 'status': 'ok', 'loss': %.17g}",
	                    (long long)id, loss);

	assert_string_equal(str(r, "trial.state"), "ok");
}

/* --- the envelope --------------------------------------------------------- */

static void envelope_parse_errors(void **state)
{
	struct fx *f = *state;
	static const char *const lines[] = {
		"{",
		"not json",
		"",
		"{'jsonrpc': '2.0', 'id': 1, 'method': 'server.info'} x",
		"{'jsonrpc': '2.0', 'id': 1, 'method': 'server.info'}{}",
		"{'jsonrpc': '2.0', 'id': 1, 'params': {'study': '\xff'}}",
		"{'jsonrpc': '2.0', 'id': 1, 'method': '\xc0\xaf'}",
		"{'jsonrpc': '2.0', 'id': 1, 'method': '\xed\xa0\x80'}",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		check_error(raw(f, lines[i]), PZ_RPC_PARSE_ERROR, "null", NULL);
	/* Trailing white space, also a CR, is not an error. */
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'server.info'} \t\r");
	assert_non_null(cJSON_GetObjectItemCaseSensitive(f->reply, "result"));
	/* A NUL inside the line is not JSON. */
	check_error(dispatch(f, "{\"a\":\0}", 7), PZ_RPC_PARSE_ERROR, "null",
	            NULL);
	assert_false(pz_core_dirty(&f->core));
}

static void envelope_invalid_requests(void **state)
{
	struct fx *f = *state;
	const char *msg;

	post(f, "42");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "null", NULL);
	post(f, "'study.list'");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "null", NULL);
	post(f, "null");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "null", NULL);

	post(f, "[{'jsonrpc': '2.0', 'id': 1, 'method': 'server.info'}]");
	msg = str(check_error(f->reply, PZ_RPC_INVALID_REQUEST, "null", NULL),
	          "message");
	assert_non_null(strstr(msg, "batch"));

	/* The id is echoed once it is known to be valid. */
	post(f, "{'jsonrpc': '1.0', 'id': 3, 'method': 'server.info'}");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "3", "jsonrpc");
	post(f, "{'id': 'a', 'method': 'server.info'}");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "\"a\"", "jsonrpc");
	post(f, "{'jsonrpc': 2, 'id': 3, 'method': 'server.info'}");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "3", "jsonrpc");
	post(f, "{'jsonrpc': '2.0', 'id': 4, 'method': 5}");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "4", "method");
	post(f, "{'jsonrpc': '2.0', 'id': 4}");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "4", "method");
	post(f, "{'jsonrpc': '2.0', 'id': 4, 'method': null}");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "4", "method");

	/* Ids that are neither numbers nor strings: answered with null. */
	post(f, "{'jsonrpc': '2.0', 'id': true, 'method': 'server.info'}");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "null", "id");
	post(f, "{'jsonrpc': '2.0', 'id': {}, 'method': 'server.info'}");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "null", "id");
	post(f, "{'jsonrpc': '2.0', 'id': [1], 'method': 'server.info'}");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "null", "id");

	/* params must be an object (or null, or absent). */
	post(f, "{'jsonrpc': '2.0', 'id': 5, 'method': 'study.list', "
	        "'params': [1]}");
	check_error(f->reply, PZ_RPC_BAD_PARAMS, "5", "params");
	post(f, "{'jsonrpc': '2.0', 'id': 5, 'method': 'study.list', "
	        "'params': 'x'}");
	check_error(f->reply, PZ_RPC_BAD_PARAMS, "5", "params");
	post(f, "{'jsonrpc': '2.0', 'id': 5, 'method': 'study.list', "
	        "'params': null}");
	assert_non_null(at(f->reply, "result.studies"));
	assert_false(pz_core_dirty(&f->core));
}

static void envelope_ids(void **state)
{
	struct fx *f = *state;
	char *text;

	post(f, "{'jsonrpc': '2.0', 'id': 'req-7', 'method': 'server.info'}");
	assert_string_equal(str(f->reply, "id"), "req-7");
	assert_string_equal(str(f->reply, "jsonrpc"), "2.0");
	assert_string_equal(str(f->reply, "result.name"), "parzend");
	assert_int_equal(num(f->reply, "result.protocol"), 1);
	assert_string_equal(str(f->reply, "result.durability"), "full");
	assert_string_equal(str(f->reply, "result.database"), f->db);

	/* Ids are echoed exactly, or refused: integers below 2^53 in
	 * magnitude are exact in every JSON reader, others are not. */
	post(f, "{'jsonrpc': '2.0', 'id': -9007199254740991, "
	        "'method': 'server.info'}");
	assert_true(num(f->reply, "id") == -9007199254740991.0);
	assert_non_null(at(f->reply, "result"));
	post(f, "{'jsonrpc': '2.0', 'id': 9007199254740993, "
	        "'method': 'server.info'}");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "null", "id");
	post(f, "{'jsonrpc': '2.0', 'id': 18446744073709551615, "
	        "'method': 'server.info'}");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "null", "id");
	post(f, "{'jsonrpc': '2.0', 'id': 1e999, 'method': 'server.info'}");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "null", "id");
	post(f, "{'jsonrpc': '2.0', 'id': -1.5, 'method': 'server.info'}");
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "null", "id");

	/* An explicit null id is answered (it is not a notification). */
	post(f, "{'jsonrpc': '2.0', 'id': null, 'method': 'server.info'}");
	assert_true(is_null(f->reply, "id"));
	assert_non_null(at(f->reply, "result"));

	/* Replies print as one line. */
	text = pz_json_print(f->reply, NULL);
	assert_non_null(text);
	assert_null(strchr(text, '\n'));
	free(text);
}

static void envelope_notifications(void **state)
{
	struct fx *f = *state;

	/* Executed, not answered. */
	assert_null(post(f, "{'jsonrpc': '2.0', 'method': 'study.create', "
	                    "'params': {'name': 'n', 'space': %s}}",
	                 SPACE_X));
	assert_true(pz_core_dirty(&f->core));
	commit_ok(f);
	assert_string_equal(str(ok(f, "study.get", "{'study': 'n'}"),
	                        "study.name"),
	                    "n");
	assert_null(post(f, "{'jsonrpc': '2.0', 'method': 'trial.ask', "
	                    "'params': {'study': 'n'}}"));
	commit_ok(f);
	assert_int_equal(num(ok(f, "study.get", "{'study': 'n'}"),
	                     "study.counts.running"),
	                 1);

	/* Failing notifications are not answered either. */
	assert_null(post(f, "{'jsonrpc': '2.0', 'method': 'no.such'}"));
	assert_null(post(f, "{'jsonrpc': '2.0', 'method': 'study.get', "
	                    "'params': {'study': 'absent'}}"));
	assert_null(post(f, "{'jsonrpc': '2.0', 'method': 'study.get', "
	                    "'params': [1]}"));
	/* An invalid request is answered, as the id cannot be trusted. */
	assert_non_null(post(f, "{'jsonrpc': '1.0', 'method': 'study.list'}"));
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "null", "jsonrpc");
	assert_non_null(post(f, "{'method': 7}"));
	check_error(f->reply, PZ_RPC_INVALID_REQUEST, "null", "jsonrpc");
	assert_false(pz_core_dirty(&f->core));
}

static void envelope_unknown(void **state)
{
	struct fx *f = *state;
	const cJSON *e;

	post(f, "{'jsonrpc': '2.0', 'id': 6, 'method': 'study.nope'}");
	e = check_error(f->reply, PZ_RPC_NO_METHOD, "6", NULL);
	assert_non_null(strstr(str(e, "message"), "study.nope"));
	assert_non_null(strstr(str(e, "message"), "trial.tell"));
	/*
	 * The message quotes at most 100 bytes of the name, which cuts the
	 * 34th euro sign; the reply must stay UTF-8, so its bytes become '?'.
	 */
	{
		static const char euro[] = "\xe2\x82\xac";
		char name[3 * 60 + 1] = "", expect[200] = "no method '";

		for (int i = 0; i < 60; i++)
			strcat(name, euro);
		for (int i = 0; i < 33; i++)
			strcat(expect, euro);
		strcat(expect, "?' (methods: ");
		post(f, "{'jsonrpc': '2.0', 'id': 6, 'method': '%s'}", name);
		e = check_error(f->reply, PZ_RPC_NO_METHOD, "6", NULL);
		assert_memory_equal(str(e, "message"), expect, strlen(expect));
	}
	/* Method names are case sensitive. */
	post(f, "{'jsonrpc': '2.0', 'id': 6, 'method': 'Study.List'}");
	check_error(f->reply, PZ_RPC_NO_METHOD, "6", NULL);

	/* Unknown params are refused by name, never ignored. */
	e = bad(f, PZ_RPC_BAD_PARAMS, "params.studdy", "study.get",
	        "{'studdy': 'x'}");
	assert_non_null(strstr(str(e, "message"), "study.get"));
	bad(f, PZ_RPC_BAD_PARAMS, "params.x", "server.info", "{'x': 1}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.seeds", "study.create",
	    "{'name': 'a', 'space': 1, 'seeds': 1}");
	assert_null(cJSON_GetObjectItemCaseSensitive(
	    ok(f, "study.list", "{}"), "studies")->child);

	/* While shutting down, what would start new work is refused;
	 * reads, and what finishes work already handed out, are served. */
	f->rpc.server.shutting_down = 1;
	bad(f, PZ_RPC_SHUTTING_DOWN, NULL, "study.create",
	    "{'name': 'a', 'space': %s}", SPACE_X);
	bad(f, PZ_RPC_SHUTTING_DOWN, NULL, "trial.ask", "{'study': 'a'}");
	assert_null(at(ok(f, "study.list", "{}"), "studies")->child);
	f->rpc.server.shutting_down = 0;
	assert_null(at(ok(f, "study.list", "{}"), "studies")->child);
}

/* --- studies -------------------------------------------------------------- */

static void study_create_get(void **state)
{
	struct fx *f = *state;
	const cJSON *s;

	s = at(ok(f, "study.create",
	          "{'name': 'cifar', 'space': %s, 'seed': 42, 'max_trials': 3, "
	          "'config': {'preset': 'hyperopt', 'n_startup': 5}, "
	          "'heartbeat_timeout': 2.5}",
	          SPACE_NESTED),
	       "study");
	assert_string_equal(str(s, "name"), "cifar");
	assert_string_equal(str(s, "algo"), "tpe");
	assert_true(num(s, "seed") == 42);
	assert_true(num(s, "max_trials") == 3);
	assert_true(num(s, "heartbeat_timeout") == 2.5);
	assert_string_equal(str(s, "state"), "running");
	assert_true(num(s, "config.n_startup") == 5);
	assert_true(num(s, "config.gamma") == 0.25);
	assert_true(num(s, "counts.total") == 0);
	assert_true(num(s, "created") > 0);
	assert_true(is_null(s, "best"));
	assert_string_equal(str(s, "space.lr.$hp"), "loguniform");

	/* Defaults: tpe, a drawn seed below 2^53, no limit, 60 s. */
	s = at(ok(f, "study.create",
	          "{'name': 'r', 'space': %s, 'algo': 'random', "
	          "'config': null, 'seed': null, 'exist_ok': null}", SPACE_X),
	       "study");
	assert_string_equal(str(s, "algo"), "random");
	assert_true(num(s, "seed") >= 0 && num(s, "seed") < 9007199254740992.0);
	assert_true(is_null(s, "max_trials"));
	assert_true(num(s, "heartbeat_timeout") == 60);

	s = at(ok(f, "study.get", "{'study': 'cifar'}"), "study");
	assert_true(num(s, "seed") == 42);
	assert_true(num(s, "counts.queued") == 0);

	/* exist_ok: the same definition is the same study ... */
	s = at(ok(f, "study.create",
	          "{'name': 'cifar', 'space': %s, 'seed': 42, 'max_trials': 3, "
	          "'config': {'preset': 'hyperopt', 'n_startup': 5}, "
	          "'heartbeat_timeout': 2.5, 'exist_ok': true}",
	          SPACE_NESTED),
	       "study");
	assert_true(num(s, "seed") == 42);
	/* ... without a seed too, as the seed was drawn ... */
	ok(f, "study.create",
	   "{'name': 'r', 'space': %s, 'algo': 'random', 'exist_ok': true}",
	   SPACE_X);
	/* ... and a different one is a conflict that names the difference. */
	assert_non_null(strstr(
	    str(bad(f, PZ_RPC_CONFLICT, "params.algo", "study.create",
	            "{'name': 'r', 'space': %s, 'exist_ok': true}", SPACE_X),
	        "message"),
	    "algo"));
	bad(f, PZ_RPC_CONFLICT, "params.seed", "study.create",
	    "{'name': 'r', 'space': %s, 'algo': 'random', 'seed': 1, "
	    "'exist_ok': true}", SPACE_X);
	bad(f, PZ_RPC_CONFLICT, "params.max_trials", "study.create",
	    "{'name': 'r', 'space': %s, 'algo': 'random', 'max_trials': 9, "
	    "'exist_ok': true}", SPACE_X);
	bad(f, PZ_RPC_CONFLICT, "params.space", "study.create",
	    "{'name': 'r', 'space': {'y': 1}, 'algo': 'random', "
	    "'exist_ok': true}");
	bad(f, PZ_RPC_CONFLICT, "params.heartbeat_timeout", "study.create",
	    "{'name': 'r', 'space': %s, 'algo': 'random', "
	    "'heartbeat_timeout': 5, 'exist_ok': true}", SPACE_X);
	bad(f, PZ_RPC_CONFLICT, "params.config", "study.create",
	    "{'name': 'r', 'space': %s, 'algo': 'random', "
	    "'config': {'gamma': 0.5}, 'exist_ok': true}", SPACE_X);
	/* Without exist_ok an existing name is a conflict. */
	bad(f, PZ_RPC_CONFLICT, "params.name", "study.create",
	    "{'name': 'r', 'space': %s, 'algo': 'random'}", SPACE_X);
	bad(f, PZ_RPC_CONFLICT, "params.name", "study.create",
	    "{'name': 'r', 'space': %s, 'algo': 'random', 'exist_ok': false}",
	    SPACE_X);

	bad(f, PZ_RPC_NOT_FOUND, NULL, "study.get", "{'study': 'nope'}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.study", "study.get", "{}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.study", "study.get", "{'study': 1}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.study", "study.get",
	    "{'study': null}");
}

static void study_create_refusals(void **state)
{
	struct fx *f = *state;
	char long_name[202];

	bad(f, PZ_RPC_BAD_PARAMS, "params.name", "study.create",
	    "{'space': %s}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.name", "study.create",
	    "{'name': 3, 'space': %s}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.name", "study.create",
	    "{'name': '', 'space': %s}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.name", "study.create",
	    "{'name': 'a\\tb', 'space': %s}", SPACE_X);
	memset(long_name, 'n', 201);
	long_name[201] = '\0';
	bad(f, PZ_RPC_BAD_PARAMS, "params.name", "study.create",
	    "{'name': '%s', 'space': %s}", long_name, SPACE_X);
	long_name[200] = '\0';
	ok(f, "study.create", "{'name': '%s', 'space': %s}", long_name,
	   SPACE_X);

	bad(f, PZ_RPC_BAD_PARAMS, "params.space", "study.create",
	    "{'name': 'a'}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.algo", "study.create",
	    "{'name': 'a', 'space': %s, 'algo': 'atpe'}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.algo", "study.create",
	    "{'name': 'a', 'space': %s, 'algo': 1}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.seed", "study.create",
	    "{'name': 'a', 'space': %s, 'seed': -1}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.seed", "study.create",
	    "{'name': 'a', 'space': %s, 'seed': 1.5}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.seed", "study.create",
	    "{'name': 'a', 'space': %s, 'seed': 1e300}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.seed", "study.create",
	    "{'name': 'a', 'space': %s, 'seed': '1'}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.max_trials", "study.create",
	    "{'name': 'a', 'space': %s, 'max_trials': 0}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.heartbeat_timeout", "study.create",
	    "{'name': 'a', 'space': %s, 'heartbeat_timeout': 0}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.heartbeat_timeout", "study.create",
	    "{'name': 'a', 'space': %s, 'heartbeat_timeout': 1e8}", SPACE_X);
	/* null is the same as absent: the default. */
	assert_true(num(at(ok(f, "study.create",
	                      "{'name': 'hb', 'space': %s, "
	                      "'heartbeat_timeout': null}", SPACE_X),
	                   "study"),
	                "heartbeat_timeout") == 60);
	bad(f, PZ_RPC_BAD_PARAMS, "params.exist_ok", "study.create",
	    "{'name': 'a', 'space': %s, 'exist_ok': 1}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.config", "study.create",
	    "{'name': 'a', 'space': %s, 'config': [1]}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.config.gamma", "study.create",
	    "{'name': 'a', 'space': %s, 'config': {'gamma': 2}}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.config.colour", "study.create",
	    "{'name': 'a', 'space': %s, 'config': {'colour': 1}}", SPACE_X);

	/* Invalid spaces name the bad node. */
	bad(f, PZ_RPC_INVALID_SPACE, "space.x", "study.create",
	    "{'name': 'a', 'space': {'x': {'$hp': 'uniform', 'label': 'x', "
	    "'low': 1, 'high': 0}}}");
	bad(f, PZ_RPC_INVALID_SPACE, "space.x.$hp", "study.create",
	    "{'name': 'a', 'space': {'x': {'$hp': 'log_uniform', "
	    "'label': 'x'}}}");
	bad(f, PZ_RPC_INVALID_SPACE, "space.c.options[1].q", "study.create",
	    "{'name': 'a', 'space': {'c': {'$hp': 'choice', 'label': 'c', "
	    "'options': [1, {'$hp': 'quniform', 'label': 'q', 'low': 0, "
	    "'high': 1, 'q': 0}]}}}");
	bad(f, PZ_RPC_INVALID_SPACE, "space.b", "study.create",
	    "{'name': 'a', 'space': {'a': {'$hp': 'randint', 'label': 'x', "
	    "'high': 3}, 'b': {'$hp': 'randint', 'label': 'x', 'high': 3}}}");

	/* Nothing was created but the 200-byte name and "hb". */
	assert_int_equal(cJSON_GetArraySize(at(ok(f, "study.list", "{}"),
	                                       "studies")),
	                 2);
}

static void study_list_pause_delete(void **state)
{
	struct fx *f = *state;
	const cJSON *r, *arr;
	int64_t id;

	create_x(f, "b");
	create_x(f, "a");
	create_x(f, "c");
	arr = at(ok(f, "study.list", "{}"), "studies");
	assert_int_equal(cJSON_GetArraySize(arr), 3);
	assert_string_equal(str(cJSON_GetArrayItem(arr, 0), "name"), "a");
	assert_string_equal(str(cJSON_GetArrayItem(arr, 1), "name"), "b");
	assert_string_equal(str(cJSON_GetArrayItem(arr, 2), "name"), "c");

	/* A paused study hands out nothing, but its trials can be told. */
	id = ask(f, "b", "w1");
	r = ok(f, "study.pause", "{'study': 'b'}");
	assert_string_equal(str(r, "study.state"), "paused");
	r = ok(f, "trial.ask", "{'study': 'b', 'worker': 'w2'}");
	assert_true(is_null(r, "trial"));
	assert_string_equal(str(r, "reason"), "paused");
	/* A worker that already holds a trial gets it back, though. */
	r = ok(f, "trial.ask", "{'study': 'b', 'worker': 'w1'}");
	assert_true(num(r, "trial.id") == (double)id);
	tell(f, id, 0.5);
	r = ok(f, "study.pause", "{'study': 'b'}");
	assert_string_equal(str(r, "study.state"), "paused");
	r = ok(f, "study.resume", "{'study': 'b'}");
	assert_string_equal(str(r, "study.state"), "running");
	assert_true(num(ok(f, "trial.ask", "{'study': 'b'}"), "trial.number") ==
	            1);
	bad(f, PZ_RPC_NOT_FOUND, NULL, "study.pause", "{'study': 'x'}");
	bad(f, PZ_RPC_NOT_FOUND, NULL, "study.resume", "{'study': 'x'}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.study", "study.resume", "{}");

	r = ok(f, "study.delete", "{'study': 'b'}");
	assert_string_equal(str(r, "deleted"), "b");
	assert_true(num(r, "trials") == 2);
	bad(f, PZ_RPC_NOT_FOUND, NULL, "study.get", "{'study': 'b'}");
	bad(f, PZ_RPC_NOT_FOUND, NULL, "study.delete", "{'study': 'b'}");
	bad(f, PZ_RPC_NOT_FOUND, NULL, "trial.get", "{'trial': %lld}",
	    (long long)id);
	bad(f, PZ_RPC_NOT_FOUND, NULL, "trial.tell",
	    "{'trial': %lld, 'status': 'fail'}", (long long)id);
	arr = at(ok(f, "study.list", "{}"), "studies");
	assert_int_equal(cJSON_GetArraySize(arr), 2);

	/* A new study of the same name starts from trial 0 with new ids. */
	create_x(f, "b");
	r = ok(f, "trial.ask", "{'study': 'b'}");
	assert_true(num(r, "trial.number") == 0);
	assert_true(num(r, "trial.id") > (double)id + 1);

	/* All of it is in the database. */
	db_close(f);
	db_open(f, 0);
	arr = at(ok(f, "study.list", "{}"), "studies");
	assert_int_equal(cJSON_GetArraySize(arr), 3);
	assert_string_equal(str(cJSON_GetArrayItem(arr, 1), "name"), "b");
	assert_true(num(cJSON_GetArrayItem(arr, 1), "counts.running") == 1);
}

static void study_best(void **state)
{
	struct fx *f = *state;
	const cJSON *r;
	int64_t id[4];

	create_x(f, "s");
	assert_true(is_null(ok(f, "study.best", "{'study': 's'}"), "trial"));
	for (int i = 0; i < 4; i++)
		id[i] = ask(f, "s", NULL);
	ok(f, "trial.tell", "{'trial': %lld, 'status': 'fail'}",
	   (long long)id[0]);
	assert_true(is_null(ok(f, "study.best", "{'study': 's'}"), "trial"));
	tell(f, id[2], 0.25);
	ok(f, "trial.tell",
	   "{'trial': %lld, 'status': 'ok', 'loss': 0.25, "
	   "'result': {'acc': 0.75}}", (long long)id[3]);
	tell(f, id[1], 0.5);

	/* The lowest loss, ties to the lower number, with its result. */
	r = ok(f, "study.best", "{'study': 's'}");
	assert_true(num(r, "trial.id") == (double)id[2]);
	assert_true(num(r, "trial.loss") == 0.25);
	assert_true(is_null(r, "trial.result"));
	r = ok(f, "study.get", "{'study': 's'}");
	assert_true(num(r, "study.best.id") == (double)id[2]);
	assert_true(num(r, "study.best.number") == 2);
	assert_true(num(r, "study.best.loss") == 0.25);
	assert_true(num(r, "study.counts.ok") == 3);
	assert_true(num(r, "study.counts.fail") == 1);

	tell(f, ask(f, "s", NULL), -1);
	r = ok(f, "study.best", "{'study': 's'}");
	assert_true(num(r, "trial.number") == 4);
	bad(f, PZ_RPC_NOT_FOUND, NULL, "study.best", "{'study': 'x'}");

	/* The same after a reload from the database. */
	db_close(f);
	db_open(f, 0);
	r = ok(f, "study.best", "{'study': 's'}");
	assert_true(num(r, "trial.number") == 4);
	assert_true(num(r, "trial.loss") == -1);
}

/* --- trials --------------------------------------------------------------- */

static void trial_ask_tell(void **state)
{
	struct fx *f = *state;
	const cJSON *r, *t;
	int64_t id, id2;

	ok(f, "study.create",
	   "{'name': 's', 'space': %s, 'seed': 3, 'max_trials': 3}",
	   SPACE_NESTED);
	t = at(ok(f, "trial.ask", "{'study': 's', 'worker': 'gpu0'}"),
	       "trial");
	id = (int64_t)num(t, "id");
	assert_true(num(t, "number") == 0);
	assert_string_equal(str(t, "study"), "s");
	assert_string_equal(str(t, "state"), "running");
	assert_string_equal(str(t, "worker"), "gpu0");
	assert_true(num(t, "attempt") == 0);
	assert_true(num(t, "reclaims") == 0);
	assert_true(num(t, "deadline") > num(t, "started"));
	assert_true(is_null(t, "loss"));
	assert_true(is_null(t, "result"));
	assert_true(is_null(t, "finished"));
	assert_true(num(t, "params.lr") > 0);
	assert_true(num(t, "point.lr") == num(t, "params.lr"));
	assert_true(cJSON_IsObject(at(t, "point.type")));

	/* The same worker asking again gets the same trial back. */
	r = ok(f, "trial.ask", "{'study': 's', 'worker': 'gpu0'}");
	assert_true(num(r, "trial.id") == (double)id);
	id2 = ask(f, "s", "gpu1");
	assert_true(id2 != id);
	ask(f, "s", NULL);
	r = ok(f, "trial.ask", "{'study': 's', 'worker': 'gpu2'}");
	assert_true(is_null(r, "trial"));
	assert_string_equal(str(r, "reason"), "max_trials");

	bad(f, PZ_RPC_BAD_PARAMS, "params.worker", "trial.ask",
	    "{'study': 's', 'worker': ''}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.worker", "trial.ask",
	    "{'study': 's', 'worker': 5}");
	bad(f, PZ_RPC_NOT_FOUND, NULL, "trial.ask", "{'study': 'x'}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.study", "trial.ask", "{}");

	/* tell: ok with a result, and only once; the reply is a summary. */
	t = at(ok(f, "trial.tell",
	          "{'trial': %lld, 'status': 'ok', 'loss': 0.1, "
	          "'result': {'acc': 0.3, 'tags': ['a']}, 'attempt': 0}",
	          (long long)id),
	       "trial");
	assert_true(num(t, "id") == (double)id);
	assert_string_equal(str(t, "study"), "s");
	assert_true(num(t, "number") == 0);
	assert_string_equal(str(t, "state"), "ok");
	assert_true(num(t, "loss") == 0.1);
	assert_true(num(t, "attempt") == 0);
	assert_true(num(t, "finished") > 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(t, "params"));
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.tell",
	    "{'trial': %lld, 'status': 'ok', 'loss': 0.2}", (long long)id);
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.tell",
	    "{'trial': %lld, 'status': 'fail'}", (long long)id);

	/* Refused tells change nothing. */
	bad(f, PZ_RPC_BAD_PARAMS, "params.loss", "trial.tell",
	    "{'trial': %lld, 'status': 'ok'}", (long long)id2);
	bad(f, PZ_RPC_BAD_PARAMS, "params.loss", "trial.tell",
	    "{'trial': %lld, 'status': 'ok', 'loss': null}", (long long)id2);
	bad(f, PZ_RPC_BAD_PARAMS, "params.loss", "trial.tell",
	    "{'trial': %lld, 'status': 'ok', 'loss': '1'}", (long long)id2);
	bad(f, PZ_RPC_BAD_PARAMS, "params.loss", "trial.tell",
	    "{'trial': %lld, 'status': 'ok', 'loss': 1e999}", (long long)id2);
	bad(f, PZ_RPC_BAD_PARAMS, "params.status", "trial.tell",
	    "{'trial': %lld, 'status': 'done', 'loss': 1}", (long long)id2);
	bad(f, PZ_RPC_BAD_PARAMS, "params.status", "trial.tell",
	    "{'trial': %lld, 'loss': 1}", (long long)id2);
	bad(f, PZ_RPC_BAD_PARAMS, "params.result", "trial.tell",
	    "{'trial': %lld, 'status': 'ok', 'loss': 1, 'result': [1]}",
	    (long long)id2);
	bad(f, PZ_RPC_BAD_PARAMS, "params.attempt", "trial.tell",
	    "{'trial': %lld, 'status': 'ok', 'loss': 1, 'attempt': -1}",
	    (long long)id2);
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.tell",
	    "{'trial': %lld, 'status': 'ok', 'loss': 1, 'attempt': 1}",
	    (long long)id2);
	bad(f, PZ_RPC_BAD_PARAMS, "params.trial", "trial.tell",
	    "{'status': 'fail'}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.trial", "trial.tell",
	    "{'trial': 0, 'status': 'fail'}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.trial", "trial.tell",
	    "{'trial': 1.5, 'status': 'fail'}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.trial", "trial.tell",
	    "{'trial': '1', 'status': 'fail'}");
	bad(f, PZ_RPC_NOT_FOUND, NULL, "trial.tell",
	    "{'trial': 999999, 'status': 'fail'}");
	r = ok(f, "study.get", "{'study': 's'}");
	assert_true(num(r, "study.counts.running") == 2);
	assert_true(num(r, "study.counts.ok") == 1);

	/* fail: the loss is ignored, the result kept. */
	t = at(ok(f, "trial.tell",
	          "{'trial': %lld, 'status': 'fail', 'loss': 'n/a', "
	          "'result': {'error': 'oom'}}", (long long)id2),
	       "trial");
	assert_string_equal(str(t, "state"), "fail");
	assert_true(is_null(t, "loss"));
	t = at(ok(f, "trial.get", "{'trial': %lld}", (long long)id2), "trial");
	assert_string_equal(str(t, "result.error"), "oom");
	assert_true(is_null(t, "loss"));

	/* trial.get shows the whole trial with the stored result. */
	t = at(ok(f, "trial.get", "{'trial': %lld}", (long long)id), "trial");
	assert_string_equal(str(t, "state"), "ok");
	assert_true(num(t, "loss") == 0.1);
	assert_true(num(t, "result.acc") == 0.3);
	assert_true(num(t, "finished") >= num(t, "started"));
	assert_true(num(t, "params.lr") > 0);
	assert_string_equal(str(t, "worker"), "gpu0");
	bad(f, PZ_RPC_NOT_FOUND, NULL, "trial.get", "{'trial': 424242}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.trial", "trial.get", "{}");
}

static void trial_heartbeat_release(void **state)
{
	struct fx *f = *state;
	const cJSON *r, *t;
	int64_t id, other;
	char *params;

	create_x(f, "s");
	id = ask(f, "s", "w1");
	r = ok(f, "trial.heartbeat", "{'trial': %lld}", (long long)id);
	assert_true(num(r, "trial.id") == (double)id);
	assert_string_equal(str(r, "trial.state"), "running");
	assert_true(num(r, "trial.attempt") == 0);
	assert_true(num(r, "trial.deadline") > pz_clock_wall() + 50);
	ok(f, "trial.heartbeat", "{'trial': %lld, 'attempt': 0}",
	   (long long)id);
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.heartbeat",
	    "{'trial': %lld, 'attempt': 1}", (long long)id);
	bad(f, PZ_RPC_BAD_PARAMS, "params.attempt", "trial.heartbeat",
	    "{'trial': %lld, 'attempt': 'x'}", (long long)id);
	bad(f, PZ_RPC_NOT_FOUND, NULL, "trial.heartbeat", "{'trial': 77777}");

	/* Release: queued again with the same params, attempt + 1. */
	params = cJSON_PrintUnformatted(
	    at(ok(f, "trial.get", "{'trial': %lld}", (long long)id),
	       "trial.params"));
	t = at(ok(f, "trial.release", "{'trial': %lld, 'attempt': 0}",
	          (long long)id),
	       "trial");
	assert_string_equal(str(t, "state"), "queued");
	assert_true(num(t, "attempt") == 1);
	assert_true(is_null(t, "worker"));
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.heartbeat", "{'trial': %lld}",
	    (long long)id);
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.release", "{'trial': %lld}",
	    (long long)id);

	/* The next ask gets it back. */
	t = at(ok(f, "trial.ask", "{'study': 's', 'worker': 'w2'}"), "trial");
	assert_true(num(t, "id") == (double)id);
	assert_true(num(t, "attempt") == 1);
	assert_string_equal(str(t, "worker"), "w2");
	{
		char *p2 = cJSON_PrintUnformatted(at(t, "params"));

		assert_string_equal(p2, params);
		free(p2);
	}
	free(params);
	/* The first worker's late tell is refused now ... */
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.tell",
	    "{'trial': %lld, 'status': 'ok', 'loss': 1, 'attempt': 0}",
	    (long long)id);
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.release",
	    "{'trial': %lld, 'attempt': 0}", (long long)id);

	/* ... but accepted once if nobody got the trial in between. */
	other = ask(f, "s", "w3");
	ok(f, "trial.release", "{'trial': %lld}", (long long)other);
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.tell",
	    "{'trial': %lld, 'status': 'ok', 'loss': 1, 'attempt': 1}",
	    (long long)other);
	t = at(ok(f, "trial.tell",
	          "{'trial': %lld, 'status': 'ok', 'loss': 2, 'attempt': 0}",
	          (long long)other),
	       "trial");
	assert_string_equal(str(t, "state"), "ok");
	r = ok(f, "study.get", "{'study': 's'}");
	assert_true(num(r, "study.counts.queued") == 0);
	assert_true(num(r, "study.counts.running") == 1);
	assert_true(num(r, "study.counts.ok") == 1);
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.release", "{'trial': %lld}",
	    (long long)other);
}

static void trial_enqueue(void **state)
{
	struct fx *f = *state;
	const cJSON *t;
	int64_t id;

	ok(f, "study.create", "{'name': 's', 'space': %s, 'seed': 1}",
	   SPACE_NESTED);
	t = at(ok(f, "trial.enqueue",
	          "{'study': 's', 'params': {'lr': 0.001, 'units': 64, "
	          "'classifier_type': 1, 'svm_C': 2.5, 'svm_kernel': 1, "
	          "'svm_rbf_width': 0.5}}"),
	       "trial");
	id = (int64_t)num(t, "id");
	assert_string_equal(str(t, "state"), "queued");
	assert_true(is_null(t, "started"));
	assert_string_equal(str(t, "point.type.kernel.ktype"), "rbf");
	assert_true(num(t, "point.type.kernel.width") == 0.5);
	/* Queued trials are not running: no heartbeat, release or tell. */
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.heartbeat", "{'trial': %lld}",
	    (long long)id);
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.release", "{'trial': %lld}",
	    (long long)id);
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.tell",
	    "{'trial': %lld, 'status': 'fail'}", (long long)id);

	t = at(ok(f, "trial.ask", "{'study': 's'}"), "trial");
	assert_true(num(t, "id") == (double)id);
	assert_true(num(t, "params.svm_C") == 2.5);

	/* Refused params name the label where it sits in the request. */
	bad(f, PZ_RPC_INVALID_SPACE, "params.params.bogus", "trial.enqueue",
	    "{'study': 's', 'params': {'lr': 0.001, 'units': 64, "
	    "'classifier_type': 0, 'bogus': 1}}");
	bad(f, PZ_RPC_INVALID_SPACE, "params.params.units", "trial.enqueue",
	    "{'study': 's', 'params': {'lr': 0.001, 'units': 65, "
	    "'classifier_type': 0}}");
	bad(f, PZ_RPC_INVALID_SPACE, "params.params.svm_C", "trial.enqueue",
	    "{'study': 's', 'params': {'lr': 0.001, 'units': 64, "
	    "'classifier_type': 0, 'svm_C': 1}}");
	bad(f, PZ_RPC_INVALID_SPACE, "params.params.classifier_type",
	    "trial.enqueue",
	    "{'study': 's', 'params': {'lr': 0.001, 'units': 64, "
	    "'classifier_type': 3}}");
	bad(f, PZ_RPC_INVALID_SPACE, "params.params.lr", "trial.enqueue",
	    "{'study': 's', 'params': {'lr': 1, 'units': 64, "
	    "'classifier_type': 0}}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.params", "trial.enqueue",
	    "{'study': 's'}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.params", "trial.enqueue",
	    "{'study': 's', 'params': [1]}");
	bad(f, PZ_RPC_NOT_FOUND, NULL, "trial.enqueue",
	    "{'study': 'x', 'params': {}}");

	/* Enqueueing counts against max_trials. */
	ok(f, "study.create",
	   "{'name': 'm', 'space': %s, 'max_trials': 1}", SPACE_X);
	ok(f, "trial.enqueue", "{'study': 'm', 'params': {'x': 0.5}}");
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.enqueue",
	    "{'study': 'm', 'params': {'x': 0.25}}");
	t = ok(f, "trial.ask", "{'study': 'm'}");
	assert_true(num(t, "trial.params.x") == 0.5);
}

static void trial_list(void **state)
{
	struct fx *f = *state;
	const cJSON *r, *arr;
	int64_t id[6];

	create_x(f, "s");
	for (int i = 0; i < 6; i++)
		id[i] = ask(f, "s", NULL);
	tell(f, id[1], 1);
	tell(f, id[3], 3);
	ok(f, "trial.tell", "{'trial': %lld, 'status': 'fail'}",
	   (long long)id[4]);
	ok(f, "trial.release", "{'trial': %lld}", (long long)id[5]);

	r = ok(f, "trial.list", "{'study': 's'}");
	arr = at(r, "trials");
	assert_true(num(r, "total") == 6);
	assert_int_equal(cJSON_GetArraySize(arr), 6);
	for (int i = 0; i < 6; i++)
		assert_true(num(cJSON_GetArrayItem(arr, i), "number") == i);

	r = ok(f, "trial.list", "{'study': 's', 'state': 'ok'}");
	arr = at(r, "trials");
	assert_true(num(r, "total") == 2);
	assert_int_equal(cJSON_GetArraySize(arr), 2);
	assert_true(num(cJSON_GetArrayItem(arr, 1), "loss") == 3);
	r = ok(f, "trial.list", "{'study': 's', 'state': 'running'}");
	assert_true(num(r, "total") == 2);
	r = ok(f, "trial.list", "{'study': 's', 'state': 'queued'}");
	assert_true(num(r, "total") == 1);
	assert_true(num(cJSON_GetArrayItem(at(r, "trials"), 0), "id") ==
	            (double)id[5]);
	r = ok(f, "trial.list", "{'study': 's', 'state': 'fail'}");
	assert_true(num(r, "total") == 1);

	r = ok(f, "trial.list",
	       "{'study': 's', 'offset': 2, 'limit': 3, 'state': null}");
	arr = at(r, "trials");
	assert_true(num(r, "total") == 6);
	assert_int_equal(cJSON_GetArraySize(arr), 3);
	assert_true(num(cJSON_GetArrayItem(arr, 0), "number") == 2);
	r = ok(f, "trial.list", "{'study': 's', 'offset': 100}");
	assert_int_equal(cJSON_GetArraySize(at(r, "trials")), 0);
	assert_true(num(r, "total") == 6);

	bad(f, PZ_RPC_BAD_PARAMS, "params.state", "trial.list",
	    "{'study': 's', 'state': 'done'}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.limit", "trial.list",
	    "{'study': 's', 'limit': 0}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.limit", "trial.list",
	    "{'study': 's', 'limit': 10001}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.offset", "trial.list",
	    "{'study': 's', 'offset': -1}");
	bad(f, PZ_RPC_NOT_FOUND, NULL, "trial.list", "{'study': 'x'}");
	ok(f, "trial.list", "{'study': 's', 'limit': 10000}");
}

/* --- group commit --------------------------------------------------------- */

static void group_commit(void **state)
{
	static const char *const changes[] = {
		"{'jsonrpc': '2.0', 'id': 1, 'method': 'study.resume', "
		"'params': {'study': 's'}}",
		"{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.release', "
		"'params': {'trial': %lld}}",
		"{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.tell', "
		"'params': {'trial': %lld, 'status': 'ok', 'loss': 1, "
		"'attempt': 1}}",
		"{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.enqueue', "
		"'params': {'study': 's', 'params': {'x': 0.5}}}",
		"{'jsonrpc': '2.0', 'id': 1, 'method': 'study.delete', "
		"'params': {'study': 's'}}",
	};
	struct fx *f = *state;
	int64_t id;
	uint64_t commits;

	assert_false(pz_core_dirty(&f->core));
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'study.create', "
	        "'params': {'name': 's', 'space': %s}}", SPACE_X);
	assert_true(pz_core_dirty(&f->core));
	commits = f->core.n_commits;
	commit_ok(f);
	assert_int_equal(f->core.n_commits, commits + 1);
	/* Committing nothing is not a commit. */
	commit_ok(f);
	assert_int_equal(f->core.n_commits, commits + 1);

	/* Reads and refusals leave the core clean. */
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'study.get', "
	        "'params': {'study': 's'}}");
	assert_false(pz_core_dirty(&f->core));
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'study.list'}");
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'server.info'}");
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'study.create', "
	        "'params': {'name': 's', 'space': %s, 'exist_ok': true}}",
		SPACE_X);
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'study.create', "
	        "'params': {'name': 't', 'space': {'x': {'$hp': 'q'}}}}");
	assert_false(pz_core_dirty(&f->core));

	/* Several changes share one commit. */
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.ask', "
	        "'params': {'study': 's'}}");
	assert_true(pz_core_dirty(&f->core));
	id = (int64_t)num(f->reply, "result.trial.id");
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.ask', "
	        "'params': {'study': 's'}}");
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'study.pause', "
	        "'params': {'study': 's'}}");
	commit_ok(f);
	assert_int_equal(f->core.n_commits, commits + 2);

	/* Heartbeats are memory only; reads of trials are reads. */
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.heartbeat', "
	        "'params': {'trial': %lld}}", (long long)id);
	assert_non_null(at(f->reply, "result"));
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.get', "
	        "'params': {'trial': %lld}}", (long long)id);
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.list', "
	        "'params': {'study': 's'}}");
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'study.best', "
	        "'params': {'study': 's'}}");
	/* A paused study's ask changes nothing. */
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.ask', "
	        "'params': {'study': 's'}}");
	assert_string_equal(str(f->reply, "result.reason"), "paused");
	assert_false(pz_core_dirty(&f->core));

	/* Every other change opens the batch. */
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		/* The release queues the trial; ask it again to tell it. */
		if (i == 2) {
			post(f, "{'jsonrpc': '2.0', 'id': 1, "
			        "'method': 'trial.ask', "
			        "'params': {'study': 's'}}");
			commit_ok(f);
		}
		post(f, changes[i], (long long)id);
		if (cJSON_GetObjectItemCaseSensitive(f->reply, "result") ==
		    NULL)
			fail_reply(f->reply, changes[i]);
		assert_true(pz_core_dirty(&f->core));
		commit_ok(f);
	}
}

/* --- exact resume --------------------------------------------------------- */

#define RESUME_TRIALS 40
#define RESUME_STOP 15

/* A deterministic loss of a params vector; inactive labels count 0. */
static double synthetic_loss(const struct pz_space *space, const double *v)
{
	double loss = 0;

	for (int i = 0; i < space->n_params; i++) {
		double x = v[i];

		if (isnan(x))
			continue;
		if (pz_space_kind_is_log(space->params[i].kind))
			x = log(x > 0 ? x : 1e-300);
		loss += sin(1.3 * x + i) + 0.01 * x * x;
	}
	return loss;
}

static struct pz_study *study_of(struct pz_core *core, const char *name)
{
	struct pz_error err = {0};
	struct pz_study *s = NULL;

	if (pz_core_find(core, name, &s, &err) != 0 ||
	    pz_load_need(core, NULL, s, NULL, &err) != 0)
		fail_msg("study %s: %s", name, err.msg);
	return s;
}

static void core_commit(struct pz_core *core)
{
	struct pz_error err = {0};

	if (pz_core_commit(core, &err) != 0)
		fail_msg("pz_core_commit: %s", err.msg);
}

struct asked {
	struct pz_ask ask;
	int rc;
	int64_t number;
	struct pz_error err;
};

static void asked(struct pz_ask *a, int rc, int64_t number,
                  const char *reason, const struct pz_error *err)
{
	struct asked *r = (struct asked *)a;

	(void)reason;
	r->rc = rc;
	r->number = number;
	if (err != NULL)
		r->err = *err;
}

/* Ask trial `n` of study "r" (uncommitted); returns its params text. */
static char *core_ask(struct pz_core *core, int64_t n)
{
	struct pz_study *s = study_of(core, "r");
	struct asked r;
	char *text;

	memset(&r, 0, sizeof(r));
	r.number = -2;
	r.ask.worker = "w";
	r.ask.done = asked;
	pz_ask_submit(core, NULL, s, &r.ask);
	if (r.rc != 0)
		fail_msg("ask %lld: %s", (long long)n, r.err.msg);
	assert_int_equal(r.number, n);
	text = pz_params_to_text(s->space, pz_core_values(s, (uint32_t)n));
	assert_non_null(text);
	return text;
}

/*
 * Trials [from, to) of study "r": ask, commit, tell the synthetic loss,
 * commit, as a worker and the server would. texts[n] gets the params.
 */
static void core_run(struct pz_core *core, int from, int to, char **texts)
{
	for (int n = from; n < to; n++) {
		struct pz_error err = {0};
		struct pz_study *s;
		double loss;

		texts[n] = core_ask(core, n);
		core_commit(core);
		s = study_of(core, "r");
		loss = synthetic_loss(s->space, pz_core_values(s, (uint32_t)n));
		if (pz_trial_tell(core, s, (uint32_t)n, PZ_TE_TELL_OK, loss,
		                  NULL, -1, &err) != 0)
			fail_msg("pz_core_tell %d: %s", n, err.msg);
		core_commit(core);
	}
}

static void core_create(struct fx *f)
{
	char text[4096];
	struct pz_study_def def;
	struct pz_tpe_config cfg;
	struct pz_error err = {0};
	struct pz_study *s;
	cJSON *space, *cfg_json;
	int existed;

	assert_true(strlen(SPACE_NESTED) < sizeof(text));
	for (size_t i = 0; i <= strlen(SPACE_NESTED); i++)
		text[i] = SPACE_NESTED[i] == '\'' ? '"' : SPACE_NESTED[i];
	space = cJSON_Parse(text);
	assert_non_null(space);
	pz_tpe_config_default(&cfg);
	cfg_json = pz_tpe_config_to_json(&cfg);
	memset(&def, 0, sizeof(def));
	def.name = "r";
	def.space_text = pz_json_print(space, NULL);
	def.config_text = pz_json_print(cfg_json, NULL);
	def.algo = PZ_ALGO_TPE;
	def.has_seed = 1;
	def.seed = 20240601;
	if (pz_core_create(&f->core, &def, 0, &s, &existed, &err) != 0)
		fail_msg("pz_core_create: %s", err.msg);
	assert_false(existed);
	free((char *)def.space_text);
	free((char *)def.config_text);
	cJSON_Delete(cfg_json);
	cJSON_Delete(space);
	core_commit(&f->core);
}

struct texts {
	char *t[RESUME_TRIALS + 1];
	int n;
};

static int collect(void *arg, const struct pz_trial_row *r)
{
	struct texts *c = arg;

	assert_int_equal(r->number, c->n);
	assert_true(c->n < RESUME_TRIALS + 1);
	assert_string_equal(r->state, "ok");
	c->t[c->n++] = strdup(r->params);
	return 0;
}

/* The params texts stored for study "r", by number. */
static void stored_texts(struct fx *f, struct texts *out)
{
	struct pz_error err = {0};

	memset(out, 0, sizeof(*out));
	if (pz_store_trial_foreach(f->store, study_of(&f->core, "r")->id,
	                           collect, out, &err) != 0)
		fail_msg("reading trials: %s", err.msg);
}

static void free_texts(char **t, int n)
{
	for (int i = 0; i < n; i++)
		free(t[i]);
}

static void exact_resume(void **state)
{
	struct fx *a = *state;
	struct fx b;
	char *straight[RESUME_TRIALS], *resumed[RESUME_TRIALS];
	char *lost;
	struct texts sa, sb;
	struct pz_study *s;

	/* A: 40 trials in one go. */
	core_create(a);
	core_run(&a->core, 0, RESUME_TRIALS, straight);

	/* B, in a second database: 15 trials, then a crash mid-batch. */
	memset(&b, 0, sizeof(b));
	memcpy(b.dir, a->dir, sizeof(b.dir));
	snprintf(b.db, sizeof(b.db), "%s/resumed.db", b.dir);
	db_open(&b, 0);
	core_create(&b);
	core_run(&b.core, 0, RESUME_STOP, resumed);
	lost = core_ask(&b.core, RESUME_STOP);
	assert_true(pz_core_dirty(&b.core));
	db_close(&b);

	/* The ask that was never committed is gone ... */
	db_open(&b, 0);
	s = study_of(&b.core, "r");
	assert_int_equal(s->n_trials, RESUME_STOP);
	assert_int_equal(s->n_running, 0);
	assert_int_equal(s->counts[PZ_T_OK], RESUME_STOP);
	for (int n = 0; n < RESUME_STOP; n++) {
		char *t = pz_params_to_text(s->space,
		                            pz_core_values(s, (uint32_t)n));

		assert_string_equal(t, straight[n]);
		free(t);
	}
	/* ... and asked again, it gives the same params. */
	resumed[RESUME_STOP] = core_ask(&b.core, RESUME_STOP);
	assert_string_equal(resumed[RESUME_STOP], lost);
	free(lost);
	free(resumed[RESUME_STOP]);
	core_commit(&b.core);
	db_close(&b);

	/* A clean stop and restart; the rest of the study. */
	db_open(&b, 0);
	assert_int_equal(study_of(&b.core, "r")->n_trials, RESUME_STOP + 1);
	assert_int_equal(study_of(&b.core, "r")->n_running, 1);
	{
		struct pz_study *sb = study_of(&b.core, "r");
		struct pz_error err = {0};
		double loss = synthetic_loss(
		    sb->space, pz_core_values(sb, RESUME_STOP));

		resumed[RESUME_STOP] = pz_params_to_text(
		    sb->space, pz_core_values(sb, RESUME_STOP));
		if (pz_trial_tell(&b.core, sb, RESUME_STOP, PZ_TE_TELL_OK,
		                  loss, NULL, 0, &err) != 0)
			fail_msg("pz_trial_tell: %s", err.msg);
		core_commit(&b.core);
	}
	core_run(&b.core, RESUME_STOP + 1, RESUME_TRIALS, resumed);

	for (int n = 0; n < RESUME_TRIALS; n++)
		if (strcmp(straight[n], resumed[n]) != 0)
			fail_msg("trial %d differs:\n  straight: %s\n"
			         "  resumed:  %s", n, straight[n], resumed[n]);
	/* TPE was in charge after the start-up trials: not all alike. */
	assert_string_not_equal(straight[RESUME_TRIALS - 1],
	                        straight[RESUME_TRIALS - 2]);

	/* The databases hold the same text, too. */
	stored_texts(a, &sa);
	stored_texts(&b, &sb);
	assert_int_equal(sa.n, RESUME_TRIALS);
	assert_int_equal(sb.n, RESUME_TRIALS);
	for (int n = 0; n < RESUME_TRIALS; n++) {
		assert_string_equal(sa.t[n], straight[n]);
		assert_string_equal(sb.t[n], straight[n]);
	}
	free_texts(sa.t, sa.n);
	free_texts(sb.t, sb.n);
	free_texts(straight, RESUME_TRIALS);
	free_texts(resumed, RESUME_TRIALS);
	db_close(&b);
	remove_db_files(&b);
}

/* --- a failed batch ------------------------------------------------------ */

/* Counts and state of study "s" as study.get shows them, as text. */
static char *study_summary(struct fx *f)
{
	const cJSON *s = at(ok(f, "study.get", "{'study': 's'}"), "study");
	char *text;

	text = malloc(256);
	assert_non_null(text);
	snprintf(text, 256,
	         "queued %g running %g ok %g fail %g total %g state %s "
	         "best %g",
	         num(s, "counts.queued"), num(s, "counts.running"),
	         num(s, "counts.ok"), num(s, "counts.fail"),
	         num(s, "counts.total"), str(s, "state"),
	         cJSON_IsNull(at(s, "best")) ? -1 : num(s, "best.number"));
	return text;
}

static void failed_batch(void **state)
{
	struct fx *f = *state;
	struct pz_error err = {0};
	char *blob, *before = NULL, *after;
	int failed = 0, rounds;
	const cJSON *e;

	db_close(f);
	remove_db_files(f);
	db_open(f, 196608);
	blob = malloc(20001);
	assert_non_null(blob);
	memset(blob, 'x', 20000);
	blob[20000] = '\0';
	ok(f, "study.create",
	   "{'name': 's', 'space': %s, 'algo': 'random', 'seed': 1}",
	   SPACE_X);

	/*
	 * Each round is one batch: an ask, a release and a re-ask, an
	 * enqueue, a pause, a resume and a tell with a large result. Until
	 * the file is full they commit; then the batch fails, and everything
	 * must be as the last committed batch left it.
	 */
	for (rounds = 0; rounds < 500 && !failed; rounds++) {
		int64_t id;

		free(before);
		before = study_summary(f);
		post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.ask', "
		        "'params': {'study': 's', 'worker': 'w'}}");
		id = (int64_t)num(f->reply, "result.trial.id");
		post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': "
		        "'trial.release', 'params': {'trial': %lld}}",
		     (long long)id);
		post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.ask', "
		        "'params': {'study': 's', 'worker': 'w'}}");
		post(f, "{'jsonrpc': '2.0', 'id': 1, "
		        "'method': 'trial.enqueue', "
		        "'params': {'study': 's', 'params': {'x': 0.5}}}");
		post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'study.pause', "
		        "'params': {'study': 's'}}");
		post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'study.resume', "
		        "'params': {'study': 's'}}");
		post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.tell', "
		        "'params': {'trial': %lld, 'status': 'ok', "
		        "'loss': %d, 'attempt': 1, 'result': {'blob': '%s'}}}",
		     (long long)id, rounds, blob);
		e = cJSON_GetObjectItemCaseSensitive(f->reply, "error");
		if (e != NULL) {
			/* A write that failed at once: later writes of the
			 * batch are refused without touching SQLite. */
			assert_true(num(e, "code") == PZ_RPC_STORAGE);
			assert_non_null(strstr(str(e, "message"), "full"));
			post(f, "{'jsonrpc': '2.0', 'id': 1, "
			        "'method': 'study.pause', "
			        "'params': {'study': 's'}}");
			check_error(f->reply, PZ_RPC_STORAGE, "1", NULL);
		}
		assert_true(pz_core_dirty(&f->core));
		if (pz_core_commit(&f->core, &err) != 0) {
			assert_int_equal(err.code, PZ_EIO);
			assert_non_null(strstr(err.msg, "rolled back"));
			failed = 1;
		} else {
			assert_null(e);
		}
		assert_false(pz_core_dirty(&f->core));
	}
	assert_true(failed);
	assert_true(rounds >= 3);

	/* Memory after the failure is what was committed before it ... */
	after = study_summary(f);
	assert_string_equal(after, before);
	free(after);
	/* ... and so is the database, reopened without the cap. */
	db_close(f);
	db_open(f, 0);
	after = study_summary(f);
	assert_string_equal(after, before);
	free(after);

	/* With room again the study goes on where it stopped. */
	tell(f, ask(f, "s", "w"), 0);
	free(before);
	free(blob);
}

/* --- values, study.update and the administrative methods ------------------ */

static void trial_enqueue_values(void **state)
{
	struct fx *f = *state;
	const cJSON *t;

	ok(f, "study.create", "{'name': 's', 'space': %s, 'seed': 1}",
	   SPACE_NESTED);
	/* A choice by its option's value: a literal, or a sub-space's name
	 * or first label (lib/params.h). */
	t = at(ok(f, "trial.enqueue",
	          "{'study': 's', 'values': {'lr': 0.001, 'units': 64, "
	          "'classifier_type': 'svm', 'svm_C': 2.5, 'svm_kernel': "
	          "'svm_rbf_width', 'svm_rbf_width': 0.5}}"),
	       "trial");
	assert_true(num(t, "params.classifier_type") == 1);
	assert_true(num(t, "params.svm_kernel") == 1);
	assert_string_equal(str(t, "point.type.kernel.ktype"), "rbf");
	t = at(ok(f, "trial.enqueue",
	          "{'study': 's', 'values': {'lr': 0.001, 'units': 64, "
	          "'classifier_type': {'$index': 2}, 'dtree_criterion': "
	          "'entropy', 'dtree_max_depth': null, "
	          "'dtree_min_samples_split': 3}}"),
	       "trial");
	assert_true(num(t, "params.classifier_type") == 2);
	assert_true(num(t, "params.dtree_criterion") == 1);
	assert_true(num(t, "params.dtree_max_depth") == 0);
	t = at(ok(f, "trial.enqueue",
	          "{'study': 's', 'values': {'lr': 0.001, 'units': 64, "
	          "'classifier_type': {'name': 'naive_bayes'}}}"),
	       "trial");
	assert_true(num(t, "params.classifier_type") == 0);

	bad(f, PZ_RPC_INVALID_SPACE, "params.values.classifier_type",
	    "trial.enqueue",
	    "{'study': 's', 'values': {'lr': 0.001, 'units': 64, "
	    "'classifier_type': 'knn'}}");
	/* In the value form a number is a value, never an index. */
	bad(f, PZ_RPC_INVALID_SPACE, "params.values.classifier_type",
	    "trial.enqueue",
	    "{'study': 's', 'values': {'lr': 0.001, 'units': 64, "
	    "'classifier_type': 0}}");
	bad(f, PZ_RPC_INVALID_SPACE, "params.values.svm_C", "trial.enqueue",
	    "{'study': 's', 'values': {'lr': 0.001, 'units': 64, "
	    "'classifier_type': 'svm'}}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.values", "trial.enqueue",
	    "{'study': 's', 'values': {'lr': 0.001}, 'params': {'lr': 0.001}}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.values", "trial.enqueue",
	    "{'study': 's', 'values': [1]}");
}

static void study_update(void **state)
{
	struct fx *f = *state;
	const cJSON *s;

	ok(f, "study.create",
	   "{'name': 's', 'space': %s, 'seed': 7, 'max_trials': 2}", SPACE_X);
	tell(f, ask(f, "s", NULL), 0.5);
	tell(f, ask(f, "s", NULL), 0.25);
	assert_string_equal(str(ok(f, "study.get", "{'study': 's'}"),
	                        "study.state"), "done");
	assert_string_equal(str(ok(f, "trial.ask", "{'study': 's'}"),
	                        "reason"), "max_trials");

	/* A raised budget lets asks go on. */
	s = at(ok(f, "study.update", "{'study': 's', 'max_trials': 4}"),
	       "study");
	assert_true(num(s, "max_trials") == 4);
	assert_string_equal(str(s, "state"), "running");
	tell(f, ask(f, "s", NULL), 0.125);
	s = at(ok(f, "study.update",
	          "{'study': 's', 'heartbeat_timeout': 7.5}"),
	       "study");
	assert_true(num(s, "heartbeat_timeout") == 7.5);
	assert_true(num(s, "max_trials") == 4);
	/* Lowered, but not below the trials there are. */
	ok(f, "study.update", "{'study': 's', 'max_trials': 3}");
	assert_string_equal(str(ok(f, "trial.ask", "{'study': 's'}"),
	                        "reason"), "max_trials");
	bad(f, PZ_RPC_BAD_PARAMS, "params.max_trials", "study.update",
	    "{'study': 's', 'max_trials': 2}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.max_trials", "study.update",
	    "{'study': 's', 'max_trials': 0}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.heartbeat_timeout", "study.update",
	    "{'study': 's', 'heartbeat_timeout': 0}");
	bad(f, PZ_RPC_BAD_PARAMS, "params", "study.update", "{'study': 's'}");
	/* What suggestions depend on cannot change, and the message says
	 * why. */
	assert_non_null(strstr(
	        cJSON_GetObjectItemCaseSensitive(
	                bad(f, PZ_RPC_BAD_PARAMS, "params.seed", "study.update",
	                    "{'study': 's', 'seed': 8}"),
	                "message")->valuestring,
	        "exact"));
	bad(f, PZ_RPC_BAD_PARAMS, "params.space", "study.update",
	    "{'study': 's', 'space': %s}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.algo", "study.update",
	    "{'study': 's', 'algo': 'random'}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.config", "study.update",
	    "{'study': 's', 'config': {}}");
	bad(f, PZ_RPC_NOT_FOUND, NULL, "study.update",
	    "{'study': 'nope', 'max_trials': 5}");

	/* The change is stored: it survives a restart. */
	db_close(f);
	db_open(f, 0);
	s = at(ok(f, "study.get", "{'study': 's'}"), "study");
	assert_true(num(s, "max_trials") == 3);
	assert_true(num(s, "heartbeat_timeout") == 7.5);
}

/* A server's side of admin.h for tests: tasks run to the end at once. */
struct test_admin {
	struct pz_admin admin;
	unsigned uid;
	int stops;
};

static int test_peer_uid(void *ctx, const struct pz_call *call,
                         unsigned *uid)
{
	(void)call;
	*uid = ((struct test_admin *)ctx)->uid;
	return 0;
}

static void test_stop(void *ctx)
{
	((struct test_admin *)ctx)->stops++;
}

static void test_add_task(void *ctx, struct pz_task *t)
{
	(void)ctx;
	while (t->run(t, 0) != 0)
		;
}

static void install_admin(struct fx *f, struct test_admin *a, unsigned uid)
{
	memset(a, 0, sizeof(*a));
	a->admin.ctx = a;
	a->admin.peer_uid = test_peer_uid;
	a->admin.stop = test_stop;
	a->admin.add_task = test_add_task;
	a->uid = uid;
	f->rpc.admin = &a->admin;
}

static void server_stop(void **state)
{
	struct fx *f = *state;
	struct test_admin a;

	/* Without a server nothing can stop. */
	bad(f, PZ_RPC_WRONG_STATE, NULL, "server.stop", "{}");
	install_admin(f, &a, (unsigned)geteuid() + 1);
	bad(f, PZ_RPC_FORBIDDEN, NULL, "server.stop", "{}");
	assert_int_equal(a.stops, 0);
	a.uid = (unsigned)geteuid();
	assert_true(cJSON_IsTrue(at(ok(f, "server.stop", "{}"), "stopping")));
	assert_int_equal(a.stops, 1);
	bad(f, PZ_RPC_BAD_PARAMS, "params.force", "server.stop",
	    "{'force': true}");
	f->rpc.admin = NULL;
}

static long long count_rows(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	                                 NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	                 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void server_backup(void **state)
{
	struct fx *f = *state;
	struct test_admin a;
	char path[160], rel[] = "relative.db", side[180];
	const cJSON *r;
	struct stat st;

	create_x(f, "s");
	tell(f, ask(f, "s", NULL), 0.5);
	tell(f, ask(f, "s", NULL), 0.25);
	ask(f, "s", "w");
	snprintf(path, sizeof(path), "%s/copy.db", f->dir);
	bad(f, PZ_RPC_WRONG_STATE, NULL, "server.backup", "{'path': '%s'}",
	    path);
	install_admin(f, &a, (unsigned)geteuid() + 1);
	bad(f, PZ_RPC_FORBIDDEN, NULL, "server.backup", "{'path': '%s'}",
	    path);
	a.uid = (unsigned)geteuid();

	r = ok(f, "server.backup", "{'path': '%s'}", path);
	assert_string_equal(str(r, "path"), path);
	assert_true(stat(path, &st) == 0 && st.st_size > 0);
	assert_true(num(r, "bytes") == (double)st.st_size);
	/* A whole database on its own: no WAL, every trial in it. */
	snprintf(side, sizeof(side), "%s-wal", path);
	assert_true(stat(side, &st) != 0);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM trial"), 3);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM trial "
	                                  "WHERE state = 'ok'"), 2);

	/* An existing file only with force. */
	tell(f, ask(f, "s", NULL), 0.125);
	bad(f, PZ_RPC_CONFLICT, "params.path", "server.backup",
	    "{'path': '%s'}", path);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM trial"), 3);
	ok(f, "server.backup", "{'path': '%s', 'force': true}", path);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM trial"), 4);
	/* A stale journal beside the path would be applied to the copy. */
	unlink(path);
	snprintf(side, sizeof(side), "%s-journal", path);
	close(open(side, O_WRONLY | O_CREAT, 0600));
	bad(f, PZ_RPC_CONFLICT, "params.path", "server.backup",
	    "{'path': '%s'}", path);
	ok(f, "server.backup", "{'path': '%s', 'force': true}", path);
	assert_true(stat(side, &st) != 0);

	bad(f, PZ_RPC_BAD_PARAMS, "params.path", "server.backup",
	    "{'path': '%s'}", rel);
	bad(f, PZ_RPC_BAD_PARAMS, "params.path", "server.backup",
	    "{'path': '%s/no/such/dir.db'}", f->dir);
	bad(f, PZ_RPC_BAD_PARAMS, "params.path", "server.backup",
	    "{'path': '%s', 'force': true}", f->db);
	bad(f, PZ_RPC_BAD_PARAMS, "params.path", "server.backup", "{}");
	unlink(path);
	f->rpc.admin = NULL;
}

static void server_info(void **state)
{
	struct fx *f = *state;
	const cJSON *r, *w;

	create_x(f, "a");
	create_x(f, "b");
	ask(f, "a", "w2");
	ask(f, "b", "w1");
	ask(f, "b", "w2");
	ok(f, "trial.enqueue", "{'study': 'a', 'params': {'x': 0.5}}");
	r = ok(f, "server.info", "{}");
	assert_true(num(r, "studies") == 2);
	assert_true(num(r, "running") == 3);
	assert_true(num(r, "queued") == 1);
	assert_true(num(r, "database_bytes") > 0);
	w = at(r, "workers");
	assert_int_equal(cJSON_GetArraySize(w), 2);
	assert_string_equal(cJSON_GetArrayItem(w, 0)->valuestring, "w1");
	assert_string_equal(cJSON_GetArrayItem(w, 1)->valuestring, "w2");
}

/* --- trial.report --------------------------------------------------------- */

#define MEDIAN_1 "{'kind': 'median', 'n_startup_trials': 1}"

static cJSON *report(struct fx *f, int64_t id, int attempt, int64_t step,
                     double value)
{
	return ok(f, "trial.report",
	          "{'trial': %lld, 'attempt': %d, 'step': %lld, "
	          "'value': %.17g}",
	          (long long)id, attempt, (long long)step, value);
}

static int prune_of(const cJSON *r)
{
	const cJSON *p = at(r, "prune");

	assert_true(cJSON_IsBool(p));
	assert_true(str(r, "reason")[0] != '\0');
	return cJSON_IsTrue(p);
}

/* "[[s, v], ...]" of a trial's intermediate, as trial.get shows it. */
static char *curve(struct fx *f, int64_t id)
{
	char *text = cJSON_PrintUnformatted(at(
	        ok(f, "trial.get", "{'trial': %lld}", (long long)id),
	        "trial.intermediate"));

	assert_non_null(text);
	return text;
}

static void assert_curve(struct fx *f, int64_t id, const char *want)
{
	char *got = curve(f, id);

	assert_string_equal(got, want);
	free(got);
}

static void study_pruner(void **state)
{
	struct fx *f = *state;
	const cJSON *r;
	char *text;

	/* Validated with paths; the effective config is stored and shown. */
	bad(f, PZ_RPC_BAD_PARAMS, "params.pruner.percentile", "study.create",
	    "{'name': 'p', 'space': %s, 'pruner': {'kind': 'percentile', "
	    "'percentile': 101}}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.pruner.kind", "study.create",
	    "{'name': 'p', 'space': %s, 'pruner': {'kind': 'mean'}}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.pruner.wrapped.n_startup",
	    "study.create", "{'name': 'p', 'space': %s, 'pruner': {'kind': "
	    "'patient', 'patience': 2, 'wrapped': {'kind': 'median', "
	    "'n_startup': 3}}}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.pruner", "study.create",
	    "{'name': 'p', 'space': %s, 'pruner': 'median'}", SPACE_X);
	r = ok(f, "study.create", "{'name': 'p', 'space': %s, 'pruner': "
	       "{'kind': 'median', 'n_warmup_steps': 2}}", SPACE_X);
	assert_string_equal(str(r, "study.pruner.kind"), "median");
	assert_true(num(r, "study.pruner.n_warmup_steps") == 2);
	assert_true(num(r, "study.pruner.n_startup_trials") == 5);
	assert_true(num(r, "study.counts.pruned") == 0);
	/* The same definition again with exist_ok, or one that does not
	 * give a pruner (as a seed); another pruner is a conflict that
	 * names it. */
	ok(f, "study.create", "{'name': 'p', 'space': %s, 'exist_ok': true, "
	   "'pruner': {'kind': 'median', 'n_warmup_steps': 2, "
	   "'n_startup_trials': 5}}", SPACE_X);
	r = ok(f, "study.create", "{'name': 'p', 'space': %s, 'exist_ok': "
	       "true}", SPACE_X);
	assert_string_equal(str(r, "study.pruner.kind"), "median");
	bad(f, PZ_RPC_CONFLICT, "params.pruner", "study.create",
	    "{'name': 'p', 'space': %s, 'exist_ok': true, 'pruner': "
	    "{'kind': 'median'}}", SPACE_X);
	bad(f, PZ_RPC_CONFLICT, "params.pruner", "study.create",
	    "{'name': 'p', 'space': %s, 'exist_ok': true, 'pruner': "
	    "{'kind': 'none'}}", SPACE_X);
	/* No pruner, null and kind none are the same: none. */
	r = ok(f, "study.create", "{'name': 'n', 'space': %s, 'pruner': "
	       "null}", SPACE_X);
	assert_string_equal(str(r, "study.pruner.kind"), "none");
	ok(f, "study.create", "{'name': 'n', 'space': %s, 'exist_ok': true, "
	   "'pruner': {'kind': 'none'}}", SPACE_X);
	bad(f, PZ_RPC_CONFLICT, "params.pruner", "study.create",
	    "{'name': 'n', 'space': %s, 'exist_ok': true, 'pruner': "
	    "{'kind': 'asha'}}", SPACE_X);

	/* Kept across a restart. */
	db_close(f);
	db_open(f, 0);
	r = ok(f, "study.get", "{'study': 'p'}");
	text = cJSON_PrintUnformatted(at(r, "study.pruner"));
	assert_string_equal(text, "{\"kind\":\"median\",\"n_startup_trials\":5,"
	                    "\"n_warmup_steps\":2,\"interval_steps\":1,"
	                    "\"n_min_trials\":1}");
	free(text);
}

/*
 * study.update's pruner: checked as study.create checks it, stored, shown;
 * the new pruner judges the reports made after the change, and what the
 * old one decided stays final (also after a restart).
 */
static void study_update_pruner(void **state)
{
	struct fx *f = *state;
	int64_t a, b, c;
	const cJSON *r;
	char *text;

	ok(f, "study.create", "{'name': 'u', 'space': %s, 'seed': 3, "
	   "'pruner': %s}", SPACE_X, MEDIAN_1);
	a = ask(f, "u", "wa");
	b = ask(f, "u", "wb");
	c = ask(f, "u", "wc");
	assert_false(prune_of(report(f, a, 0, 0, 1)));
	tell(f, a, 1);
	/* The median prunes b at step 0. */
	assert_true(prune_of(report(f, b, 0, 0, 3)));

	/* No pruner now: c, as bad as b, goes on. */
	r = ok(f, "study.update", "{'study': 'u', 'pruner': {'kind': 'none'}}");
	assert_string_equal(str(r, "study.pruner.kind"), "none");
	assert_false(prune_of(report(f, c, 0, 0, 5)));
	/* b's decision was made: it stays, for the same report sent again
	 * too. */
	assert_true(prune_of(report(f, b, 0, 0, 3)));
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.report",
	    "{'trial': %lld, 'step': 1, 'value': 0}", (long long)b);

	/* A threshold: it judges c's next report, not the one before. */
	r = ok(f, "study.update", "{'study': 'u', 'pruner': {'kind': "
	       "'threshold', 'upper': 4}, 'max_trials': 10}");
	assert_string_equal(str(r, "study.pruner.kind"), "threshold");
	assert_true(num(r, "study.max_trials") == 10);
	assert_string_equal(str(ok(f, "trial.get", "{'trial': %lld}",
	                           (long long)c),
	                        "trial.state"),
	                    "running");
	assert_true(prune_of(report(f, c, 0, 1, 4.5)));

	/* The same pruner again writes nothing. */
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'study.update', "
	     "'params': {'study': 'u', 'pruner': {'kind': 'threshold', "
	     "'upper': 4}}}");
	assert_non_null(at(f->reply, "result"));
	assert_false(pz_core_dirty(&f->core));

	/* Bad pruners, with their paths; nothing changes. null is as if
	 * not given: there is nothing to update. */
	bad(f, PZ_RPC_BAD_PARAMS, "params.pruner.percentile", "study.update",
	    "{'study': 'u', 'pruner': {'kind': 'percentile', "
	    "'percentile': 101}}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.pruner.wrapped.kind",
	    "study.update", "{'study': 'u', 'pruner': {'kind': 'patient', "
	    "'patience': 1, 'wrapped': {'kind': 'mean'}}}");
	bad(f, PZ_RPC_BAD_PARAMS, "params.pruner", "study.update",
	    "{'study': 'u', 'pruner': 'median'}");
	bad(f, PZ_RPC_BAD_PARAMS, "params", "study.update",
	    "{'study': 'u', 'pruner': null}");
	r = ok(f, "study.get", "{'study': 'u'}");
	assert_string_equal(str(r, "study.pruner.kind"), "threshold");
	assert_true(num(r, "study.max_trials") == 10);

	/* Stored: after a restart, the pruner and both decisions. */
	db_close(f);
	db_open(f, 0);
	r = ok(f, "study.get", "{'study': 'u'}");
	text = cJSON_PrintUnformatted(at(r, "study.pruner"));
	assert_string_equal(text, "{\"kind\":\"threshold\",\"lower\":null,"
	                    "\"upper\":4,\"n_warmup_steps\":0,"
	                    "\"interval_steps\":1}");
	free(text);
	assert_true(prune_of(report(f, b, 0, 0, 3)));
	assert_true(prune_of(report(f, c, 0, 1, 4.5)));
}

static void trial_report(void **state)
{
	struct fx *f = *state;
	int64_t a, b, c;
	const cJSON *r;

	ok(f, "study.create", "{'name': 's', 'space': %s, 'seed': 3, "
	   "'pruner': %s}", SPACE_X, MEDIAN_1);
	a = ask(f, "s", "wa");
	b = ask(f, "s", "wb");
	c = ask(f, "s", "wc");

	/* Out of order: shown sorted by step. Before a trial finished the
	 * median waits (n_startup_trials 1). */
	r = report(f, a, 0, 2, 0.25);
	assert_false(prune_of(r));
	assert_true(num(r, "step") == 2);
	assert_false(prune_of(report(f, a, 0, 0, 1)));
	assert_false(prune_of(report(f, a, 0, 1, 0.5)));
	assert_curve(f, a, "[[0,1],[1,0.5],[2,0.25]]");
	tell(f, a, 0.25);

	/* b is worse than a at step 0: pruned there, for good. */
	r = report(f, b, 0, 0, 3);
	assert_true(prune_of(r));
	assert_true(num(r, "step") == 0);
	/* The same report again (a lost reply): accepted, nothing to
	 * write, the same answer. */
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.report', "
	     "'params': {'trial': %lld, 'step': 0, 'value': 3}}",
	     (long long)b);
	assert_false(pz_core_dirty(&f->core));
	assert_true(prune_of(at(f->reply, "result")));
	/* No later step; another value for step 0 is a conflict. */
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.report",
	    "{'trial': %lld, 'step': 1, 'value': 0}", (long long)b);
	bad(f, PZ_RPC_CONFLICT, "params.value", "trial.report",
	    "{'trial': %lld, 'step': 0, 'value': 2.5}", (long long)b);

	/* c is better than a: goes on. */
	assert_false(prune_of(report(f, c, 0, 0, 0.5)));
	assert_false(prune_of(report(f, c, 0, 1, 0.4)));

	/* Bad reports, each with its path; nothing is written. */
	bad(f, PZ_RPC_BAD_PARAMS, "params.step", "trial.report",
	    "{'trial': %lld, 'step': -1, 'value': 0}", (long long)c);
	bad(f, PZ_RPC_BAD_PARAMS, "params.step", "trial.report",
	    "{'trial': %lld, 'step': 1.5, 'value': 0}", (long long)c);
	bad(f, PZ_RPC_BAD_PARAMS, "params.step", "trial.report",
	    "{'trial': %lld, 'value': 0}", (long long)c);
	bad(f, PZ_RPC_BAD_PARAMS, "params.value", "trial.report",
	    "{'trial': %lld, 'step': 2, 'value': 1e999}", (long long)c);
	bad(f, PZ_RPC_BAD_PARAMS, "params.value", "trial.report",
	    "{'trial': %lld, 'step': 2, 'value': '0.1'}", (long long)c);
	bad(f, PZ_RPC_BAD_PARAMS, "params.value", "trial.report",
	    "{'trial': %lld, 'step': 2}", (long long)c);
	bad(f, PZ_RPC_BAD_PARAMS, "params.epoch", "trial.report",
	    "{'trial': %lld, 'epoch': 2, 'value': 1}", (long long)c);
	bad(f, PZ_RPC_NOT_FOUND, NULL, "trial.report",
	    "{'trial': 99999, 'step': 2, 'value': 1}");
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.report",
	    "{'trial': %lld, 'attempt': 1, 'step': 2, 'value': 1}",
	    (long long)c);
	/* A finished trial takes no reports, not even a known one. */
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.report",
	    "{'trial': %lld, 'step': 3, 'value': 0.1}", (long long)a);
	bad(f, PZ_RPC_WRONG_STATE, NULL, "trial.report",
	    "{'trial': %lld, 'step': 2, 'value': 0.25}", (long long)a);
	assert_curve(f, c, "[[0,0.5],[1,0.4]]");

	/* A report is acknowledged after its commit: it dirties the batch. */
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.report', "
	     "'params': {'trial': %lld, 'step': 2, 'value': 0.3}}",
	     (long long)c);
	assert_true(pz_core_dirty(&f->core));
	commit_ok(f);

	/* Pruned: the loss defaults to the last step's value. */
	r = ok(f, "trial.tell", "{'trial': %lld, 'status': 'pruned'}",
	       (long long)b);
	assert_string_equal(str(r, "trial.state"), "pruned");
	assert_true(num(r, "trial.loss") == 3);
	r = ok(f, "trial.tell", "{'trial': %lld, 'status': 'pruned', "
	       "'loss': 7}", (long long)c);
	assert_true(num(r, "trial.loss") == 7);
	r = ok(f, "study.get", "{'study': 's'}");
	assert_true(num(r, "study.counts.pruned") == 2);
	assert_true(num(r, "study.counts.ok") == 1);
	assert_true(num(r, "study.best.number") == 0);

	/* trial.list: the reports on request, and the pruned filter. */
	r = ok(f, "trial.list", "{'study': 's', 'state': 'pruned'}");
	assert_true(num(r, "total") == 2);
	assert_null(cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetArrayItem(at(r, "trials"), 0), "intermediate"));
	r = ok(f, "trial.list", "{'study': 's', 'intermediate': true}");
	{
		char *text = cJSON_PrintUnformatted(at(
		        cJSON_GetArrayItem(at(r, "trials"), 2), "intermediate"));

		assert_string_equal(text, "[[0,0.5],[1,0.4],[2,0.3]]");
		free(text);
	}
	bad(f, PZ_RPC_BAD_PARAMS, "params.intermediate", "trial.list",
	    "{'study': 's', 'intermediate': 1}");

	/* After a restart: the reports, the decision (final) and the
	 * states. */
	db_close(f);
	db_open(f, 0);
	assert_curve(f, a, "[[0,1],[1,0.5],[2,0.25]]");
	assert_curve(f, b, "[[0,3]]");
	assert_curve(f, c, "[[0,0.5],[1,0.4],[2,0.3]]");
	r = ok(f, "study.get", "{'study': 's'}");
	assert_true(num(r, "study.counts.pruned") == 2);
}

/* A report is a heartbeat; a stopped trial is not run again. */
struct fake_clock {
	double now;
};

static double fake_now(void *ctx)
{
	return ((struct fake_clock *)ctx)->now;
}

static void trial_report_liveness(void **state)
{
	struct fx *f = *state;
	struct fake_clock clock = {0};
	int64_t a, b, c, d;
	const cJSON *r;

	f->core.hooks.liveness = fake_now;
	f->core.hooks.ctx = &clock;
	ok(f, "study.create", "{'name': 's', 'space': %s, 'seed': 3, "
	   "'heartbeat_timeout': 10, 'pruner': {'kind': 'threshold', "
	   "'upper': 1}}", SPACE_X);
	a = ask(f, "s", "wa");
	b = ask(f, "s", "wb");
	c = ask(f, "s", "wc");
	d = ask(f, "s", "wd");
	clock.now = 1;
	assert_true(prune_of(report(f, b, 0, 0, 2)));
	clock.now = 8;
	assert_false(prune_of(report(f, a, 0, 0, 0.5)));
	assert_false(prune_of(report(f, d, 0, 0, 0.5)));
	/* At 12, c (silent) and b (pruned at 1, its worker gone since) are
	 * past their deadline; a and d reported at 8. b ends pruned, c is
	 * queued. */
	assert_int_equal(pz_trial_reclaim(&f->core, 12), 2);
	commit_ok(f);
	r = ok(f, "trial.get", "{'trial': %lld}", (long long)a);
	assert_string_equal(str(r, "trial.state"), "running");
	r = ok(f, "trial.get", "{'trial': %lld}", (long long)b);
	assert_string_equal(str(r, "trial.state"), "pruned");
	assert_true(num(r, "trial.loss") == 2);
	assert_true(num(r, "trial.attempt") == 0);
	r = ok(f, "trial.get", "{'trial': %lld}", (long long)c);
	assert_string_equal(str(r, "trial.state"), "queued");

	/* Released with its reports: they stay until the trial is handed
	 * out again, whose new run starts from nothing. */
	ok(f, "trial.release", "{'trial': %lld, 'attempt': 0}", (long long)d);
	assert_curve(f, d, "[[0,0.5]]");
	assert_true(ask(f, "s", "wc2") == c);
	r = ok(f, "trial.ask", "{'study': 's', 'worker': 'wd2'}");
	assert_true(num(r, "trial.id") == (double)d);
	assert_true(num(r, "trial.attempt") == 1);
	assert_curve(f, d, "[]");
	assert_false(prune_of(report(f, d, 1, 0, 0.75)));
	db_close(f);
	db_open(f, 0);
	assert_curve(f, d, "[[0,0.75]]");
}

/* Uncommitted reports and decisions are gone after a crash; committed
 * ones decide the same way after a restart. */
static void trial_report_resume(void **state)
{
	struct fx *f = *state;
	int64_t id[6];
	const cJSON *r;
	char want[6][300];

	ok(f, "study.create", "{'name': 's', 'space': %s, 'seed': 11, "
	   "'pruner': {'kind': 'hyperband', 'min_resource': 1, "
	   "'max_resource': 9, 'reduction_factor': 3}}", SPACE_X);
	for (int i = 0; i < 6; i++)
		id[i] = ask(f, "s", NULL);
	/* Trials 0 and 1 finish 9 steps (1 better than 0 all along). */
	for (int i = 0; i < 2; i++) {
		for (int st = 1; st <= 9; st++)
			report(f, id[i], 0, st, 1.0 / st - 0.5 * i);
		tell(f, id[i], 1.0 / 9 - 0.5 * i);
	}
	/* The others report step by step; each decision is recorded. */
	for (int i = 2; i < 6; i++) {
		want[i][0] = '\0';
		for (int st = 1; st <= 9; st++) {
			char one[16];

			post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': "
			     "'trial.report', 'params': {'trial': %lld, "
			     "'step': %d, 'value': %g}}", (long long)id[i],
			     st, 2.0 / st + 0.3 * i);
			commit_ok(f);
			r = cJSON_GetObjectItemCaseSensitive(f->reply, "result");
			if (r == NULL)
				break; /* pruned at an earlier step */
			snprintf(one, sizeof(one), "%d%c ", st,
			         prune_of(r) ? 'P' : '-');
			strcat(want[i], one);
		}
	}
	/* The history has both: trials stopped and trials going on. */
	{
		int stopped = 0;

		for (int i = 2; i < 6; i++)
			stopped += strchr(want[i], 'P') != NULL;
		assert_true(stopped > 0 && stopped < 4);
	}
	/* An uncommitted report, then a crash. */
	post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': 'trial.report', "
	     "'params': {'trial': %lld, 'step': 10, 'value': 0}}",
	     (long long)id[5]);
	db_close(f);
	db_open(f, 0);
	/* Every report is judged again the same way: a pruned trial says
	 * prune at its decision's step and later; the others go on. */
	for (int i = 2; i < 6; i++) {
		char got[300] = "";

		for (int st = 1; st <= 9; st++) {
			char one[16];

			post(f, "{'jsonrpc': '2.0', 'id': 1, 'method': "
			     "'trial.report', 'params': {'trial': %lld, "
			     "'step': %d, 'value': %g}}", (long long)id[i],
			     st, 2.0 / st + 0.3 * i);
			assert_false(pz_core_dirty(&f->core));
			r = cJSON_GetObjectItemCaseSensitive(f->reply, "result");
			if (r == NULL)
				break;
			snprintf(one, sizeof(one), "%d%c ", st,
			         prune_of(r) ? 'P' : '-');
			strcat(got, one);
		}
		assert_string_equal(got, want[i]);
	}
	r = ok(f, "trial.get", "{'trial': %lld}", (long long)id[5]);
	assert_true(cJSON_GetArraySize(at(r, "trial.intermediate")) <= 9);
}

/* study.import carries "intermediate"; bad ones are refused with a path. */
static void import_intermediate(void **state)
{
	struct fx *f = *state;
	const cJSON *r;

	bad(f, PZ_RPC_BAD_PARAMS, "params.trials[0].intermediate[1]",
	    "study.import", "{'name': 'i', 'space': %s, 'trials': [{'number': "
	    "0, 'state': 'ok', 'loss': 1, 'params': {'x': 0.5}, "
	    "'intermediate': [[0, 1], [0, 2]]}]}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.trials[0].intermediate[0]",
	    "study.import", "{'name': 'i', 'space': %s, 'trials': [{'number': "
	    "0, 'state': 'ok', 'loss': 1, 'params': {'x': 0.5}, "
	    "'intermediate': [[-1, 1]]}]}", SPACE_X);
	bad(f, PZ_RPC_BAD_PARAMS, "params.trials[0].intermediate",
	    "study.import", "{'name': 'i', 'space': %s, 'trials': [{'number': "
	    "0, 'state': 'ok', 'loss': 1, 'params': {'x': 0.5}, "
	    "'intermediate': {}}]}", SPACE_X);
	r = ok(f, "study.import", "{'name': 'i', 'space': %s, 'pruner': %s, "
	       "'trials': [{'number': 0, 'state': 'ok', 'loss': 1, "
	       "'params': {'x': 0.5}, 'intermediate': [[0, 3], [4, 1]]}, "
	       "{'number': 1, 'state': 'pruned', 'loss': null, "
	       "'params': {'x': 0.25}, 'intermediate': [[0, 5]]}, "
	       "{'number': 2, 'state': 'running', 'params': {'x': 0.75}, "
	       "'intermediate': [[0, 2]]}]}", SPACE_X, MEDIAN_1);
	assert_string_equal(str(r, "study.pruner.kind"), "median");
	assert_true(num(r, "study.counts.pruned") == 1);
	r = ok(f, "trial.list", "{'study': 'i', 'intermediate': true}");
	{
		char *text = cJSON_PrintUnformatted(at(r, "trials"));

		assert_non_null(strstr(text, "\"intermediate\":[[0,3],[4,1]]"));
		assert_non_null(strstr(text, "\"intermediate\":[[0,5]]"));
		assert_non_null(strstr(text, "\"intermediate\":[[0,2]]"));
		free(text);
	}
	/* The history judges: the queued trial's run starts anew. */
	r = ok(f, "trial.ask", "{'study': 'i', 'worker': 'w'}");
	assert_true(num(r, "trial.number") == 2);
	assert_true(prune_of(report(f, (int64_t)num(r, "trial.id"), 1, 0,
	                            4.5)));

	/* In parts: the second part's reports and states join the first's,
	 * in the store and in memory. */
	ok(f, "study.import", "{'name': 'j', 'space': %s, 'pruner': %s, "
	   "'trials': [{'number': 0, 'state': 'ok', 'loss': 1, "
	   "'params': {'x': 0.5}}]}", SPACE_X, MEDIAN_1);
	ok(f, "study.import", "{'name': 'j', 'space': %s, 'pruner': %s, "
	   "'offset': 1, 'trials': [{'number': 1, 'state': 'ok', 'loss': 1, "
	   "'params': {'x': 0.5}, 'intermediate': [[0, 1]]}, {'number': 2, "
	   "'state': 'ok', 'loss': 3, 'params': {'x': 0.25}, 'intermediate': "
	   "[[0, 3]]}]}", SPACE_X, MEDIAN_1);
	ok(f, "study.import", "{'name': 'j', 'space': %s, 'pruner': %s, "
	   "'offset': 3, 'trials': [{'number': 3, 'state': 'fail', "
	   "'params': {'x': 0.5}, 'intermediate': [[0, 9]]}]}", SPACE_X,
	   MEDIAN_1);
	r = ok(f, "study.get", "{'study': 'j'}");
	assert_true(num(r, "study.counts.ok") == 3);
	{
		int64_t id = ask(f, "j", "w");

		/* Others at step 0: 1, 3, 9 (median 3); 3 ok trials. */
		assert_false(prune_of(report(f, id, 0, 0, 3)));
		assert_false(prune_of(report(f, id, 0, 1, 3.5)));
	}
	db_close(f);
	db_open(f, 0);
	r = ok(f, "trial.list", "{'study': 'j', 'intermediate': true}");
	{
		char *text = cJSON_PrintUnformatted(at(r, "trials"));

		assert_non_null(strstr(text, "\"intermediate\":[[0,9]]"));
		assert_non_null(strstr(text, "\"intermediate\":[[0,3],[1,3.5]]"));
		free(text);
	}
}

/* More reports than one chunk of a load: read back in pieces, intact. */
static void load_many_reports(void **state)
{
	struct fx *f = *state;
	enum { TRIALS = 3, STEPS = 3001 };
	size_t cap = 64 + TRIALS * (STEPS * 24 + 200) + strlen(SPACE_X);
	char *line = malloc(cap), *p;
	const cJSON *r;
	int64_t id;

	assert_non_null(line);
	assert_true(TRIALS * STEPS > PZ_LOAD_CHUNK);
	p = line + sprintf(line, "{'jsonrpc': '2.0', 'id': 1, 'method': "
	                   "'study.import', 'params': {'name': 'm', 'space': %s, "
	                   "'pruner': {'kind': 'median', 'n_startup_trials': 2}, "
	                   "'trials': [", SPACE_X);
	for (int k = 0; k < TRIALS; k++) {
		p += sprintf(p, "%s{'number': %d, 'state': '%s', 'loss': %s, "
		             "'params': {'x': 0.5}, 'intermediate': [",
		             k ? ", " : "", k, k == 2 ? "running" : "ok",
		             k == 2 ? "null" : "1");
		for (int s = 0; s < STEPS; s++)
			p += sprintf(p, "%s[%d, %d.5]", s ? ", " : "", s * 2,
			             k * 10000 + s);
		p += sprintf(p, "]}");
	}
	sprintf(p, "]}}");
	for (p = line; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	dispatch(f, line, strlen(line));
	free(line);
	if (cJSON_GetObjectItemCaseSensitive(f->reply, "result") == NULL)
		fail_reply(f->reply, "study.import");
	commit_ok(f);
	db_close(f);
	db_open(f, 0);
	r = ok(f, "trial.list", "{'study': 'm', 'intermediate': true}");
	for (int k = 0; k < TRIALS; k++) {
		const cJSON *t = cJSON_GetArrayItem(at(r, "trials"), k);
		const cJSON *curve = at(t, "intermediate"), *pair;
		int s = 0;

		assert_int_equal(cJSON_GetArraySize(curve), STEPS);
		cJSON_ArrayForEach(pair, curve)
		{
			assert_true(pair->child->valuedouble == 2.0 * s);
			assert_true(pair->child->next->valuedouble ==
			            k * 10000 + s + 0.5);
			s++;
		}
	}
	/* The queued trial's run starts anew; the others still count. */
	r = ok(f, "trial.ask", "{'study': 'm', 'worker': 'w'}");
	assert_true(num(r, "trial.number") == 2);
	id = (int64_t)num(r, "trial.id");
	assert_curve(f, id, "[]");
	assert_true(prune_of(report(f, id, 1, 0, 20000)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(envelope_parse_errors),
		T(envelope_invalid_requests),
		T(envelope_ids),
		T(envelope_notifications),
		T(envelope_unknown),
		T(study_create_get),
		T(study_create_refusals),
		T(study_list_pause_delete),
		T(study_best),
		T(trial_ask_tell),
		T(trial_heartbeat_release),
		T(trial_enqueue),
		T(trial_list),
		T(group_commit),
		T(exact_resume),
		T(failed_batch),
		T(trial_enqueue_values),
		T(study_update),
		T(server_stop),
		T(server_backup),
		T(server_info),
		T(study_pruner),
		T(study_update_pruner),
		T(trial_report),
		T(trial_report_liveness),
		T(trial_report_resume),
		T(import_intermediate),
		T(load_many_reports),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
