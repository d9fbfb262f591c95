/*
 * Fuzz target: one request line through pz_rpc_handle(), then the commit
 * the server makes after a loop iteration.
 *
 * Each input gets a fresh core over an in-memory database that already
 * holds study "s" (a nested TPE space, past its start-up trials, a
 * median pruner) with a trial in every state, ids 1 to 5: ok, ok, fail,
 * running (worker "w3", reports at steps 0 and 2), queued; study "p" (random, paused); and study "t" (the same space, no
 * queue, ids 6 and 7 told, so that an ask runs the TPE). So one line can
 * reach every method's success as well as its refusals. A fresh database
 * per input is slower than one shared across inputs, but a finding then
 * reproduces from its input alone, and the target needs no mutable
 * globals.
 *
 * Beyond what the sanitizers check (no crash, no leak, no undefined
 * behaviour) the target aborts when a reply breaks what every client
 * relies on: a reply is a JSON-RPC 2.0 object with an id and exactly one
 * of result and error; its text is valid UTF-8 and parses back; only a
 * well-formed request without "id" goes unanswered; the commit leaves no
 * batch open; and study.list still works afterwards.
 */
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core.h"
#include <parzen/json.h>
#include "clock.h"
#include "rpc.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SPACE \
	"{\"lr\": {\"$hp\": \"loguniform\", \"label\": \"lr\", \"low\": -9, " \
	"\"high\": -2}," \
	" \"type\": {\"$hp\": \"choice\", \"label\": \"kind\", \"options\": [" \
	"  {\"name\": \"a\"}," \
	"  {\"name\": \"b\", \"c\": {\"$hp\": \"quniform\", " \
	"\"label\": \"c\", \"low\": 0, \"high\": 10, \"q\": 0.5}," \
	"   \"d\": {\"$fn\": \"div\", \"args\": [1, {\"$hp\": \"randint\", " \
	"\"label\": \"d\", \"low\": 1, \"high\": 4}]}}]}}"

#define LIST "{\"jsonrpc\": \"2.0\", \"id\": 0, \"method\": \"study.list\"}"

/* The state every input starts from; trial ids follow from the order. */
static const char *const prelude[] = {
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"study.create\", "
	"\"params\": {\"name\": \"s\", \"space\": " SPACE ", \"seed\": 5, "
	"\"max_trials\": 40, \"config\": {\"n_startup\": 3}, "
	"\"pruner\": {\"kind\": \"median\", \"n_startup_trials\": 1}}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"trial.ask\", "
	"\"params\": {\"study\": \"s\", \"worker\": \"w0\"}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"trial.ask\", "
	"\"params\": {\"study\": \"s\", \"worker\": \"w1\"}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"trial.ask\", "
	"\"params\": {\"study\": \"s\", \"worker\": \"w2\"}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"trial.tell\", "
	"\"params\": {\"trial\": 1, \"status\": \"ok\", \"loss\": 0.5, "
	"\"result\": {\"acc\": 0.9, \"note\": \"first\"}}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"trial.tell\", "
	"\"params\": {\"trial\": 2, \"status\": \"ok\", \"loss\": 0.25}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"trial.tell\", "
	"\"params\": {\"trial\": 3, \"status\": \"fail\"}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"trial.ask\", "
	"\"params\": {\"study\": \"s\", \"worker\": \"w3\"}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"trial.report\", "
	"\"params\": {\"trial\": 4, \"step\": 0, \"value\": 0.75}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"trial.report\", "
	"\"params\": {\"trial\": 4, \"step\": 2, \"value\": 0.5}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"trial.enqueue\", "
	"\"params\": {\"study\": \"s\", \"params\": {\"lr\": 0.001, "
	"\"kind\": 1, \"c\": 2.5, \"d\": 2}}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"study.create\", "
	"\"params\": {\"name\": \"p\", \"algo\": \"random\", \"space\": "
	"{\"x\": {\"$hp\": \"uniform\", \"label\": \"x\", \"low\": 0, "
	"\"high\": 1}}}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"study.pause\", "
	"\"params\": {\"study\": \"p\"}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"study.create\", "
	"\"params\": {\"name\": \"t\", \"space\": " SPACE ", \"seed\": 6, "
	"\"config\": {\"n_startup\": 1, \"multivariate\": false}}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"trial.ask\", "
	"\"params\": {\"study\": \"t\"}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"trial.tell\", "
	"\"params\": {\"trial\": 6, \"status\": \"ok\", \"loss\": 3}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"trial.ask\", "
	"\"params\": {\"study\": \"t\"}}",
	"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"trial.tell\", "
	"\"params\": {\"trial\": 7, \"status\": \"ok\", \"loss\": 2}}",
};

static void die(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_rpc: %s\n  %s\n", what, text ? text : "");
	abort();
}

static void die_reply(const char *what, const cJSON *reply)
{
	char *text = reply != NULL ? cJSON_PrintUnformatted(reply) : NULL;

	die(what, text);
}

/*
 * Well-formed UTF-8 (no overlong forms, surrogates or values > U+10FFFF),
 * decided by the C library's decoder rather than a copy of the daemon's
 * own check, so that the oracle can catch a bug in that check.
 */
static int valid_utf8(const unsigned char *s, size_t len)
{
	static int ready;
	mbstate_t st;
	size_t i = 0;

	if (!ready) {
		if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
			die("the C.UTF-8 locale is missing", NULL);
		ready = 1;
	}
	memset(&st, 0, sizeof(st));
	while (i < len) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, (const char *)s + i, len - i, &st);

		/* glibc decodes F4 90.. (above U+10FFFF); UTF-8 does not. */
		if (n == (size_t)-1 || n == (size_t)-2 || wc > 0x10FFFF)
			return 0;
		i += n == 0 ? 1 : n;
	}
	return 1;
}

/* Check the shape and the text of a reply; returns 1 for an error reply. */
static int check_reply(const cJSON *reply)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(reply, "jsonrpc");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(reply, "id");
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(reply, "result");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
	size_t len;
	char *text = pz_json_print(reply, &len);
	cJSON *back;

	if (text == NULL)
		die("a reply could not be printed", NULL);
	if (!cJSON_IsObject(reply) || !cJSON_IsString(v) ||
	    strcmp(v->valuestring, "2.0") != 0 || id == NULL ||
	    (!cJSON_IsNumber(id) && !cJSON_IsString(id) && !cJSON_IsNull(id)) ||
	    (res == NULL) == (e == NULL))
		die("a reply is not a JSON-RPC 2.0 response", text);
	if (e != NULL &&
	    (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "code")) ||
	     !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "message"))))
		die("an error without code or message", text);
	if (len != strlen(text) || !valid_utf8((unsigned char *)text, len))
		die("a reply is not valid UTF-8", text);
	back = cJSON_ParseWithLength(text, len);
	if (back == NULL)
		die("a reply does not parse back", text);
	cJSON_Delete(back);
	free(text);
	return e != NULL;
}

/* Is `data` a JSON object without "id" (a notification)? */
static int is_notification(const char *data, size_t size)
{
	cJSON *req = cJSON_ParseWithLength(data, size);
	int yes = cJSON_IsObject(req) &&
	          cJSON_GetObjectItemCaseSensitive(req, "id") == NULL;

	cJSON_Delete(req);
	return yes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pz_store *store;
	struct pz_core core;
	struct pz_rpc rpc;
	struct pz_error err = {0};
	cJSON *reply;
	uint64_t commits;

	if (pz_store_open(":memory:", PZ_STORE_SYNC_NORMAL, 0, &store,
	                  &err) != 0)
		die("pz_store_open", err.msg);
	if (pz_core_init(&core, store, &err) != 0)
		die("pz_core_init", err.msg);
	memset(&rpc, 0, sizeof(rpc));
	rpc.core = &core;
	rpc.server.socket_path = "/run/parzen/parzend.sock";
	rpc.server.db_path = ":memory:";
	rpc.server.max_line = 1 << 20;
	rpc.server.started = pz_clock_wall();
	for (size_t i = 0; i < sizeof(prelude) / sizeof(prelude[0]); i++) {
		reply = pz_rpc_handle(&rpc, prelude[i], strlen(prelude[i]));
		if (cJSON_GetObjectItemCaseSensitive(reply, "result") == NULL)
			die_reply(prelude[i], reply);
		cJSON_Delete(reply);
		if (pz_core_commit(&core, &err) != 0)
			die("committing the prelude", err.msg);
	}

	commits = core.n_commits;
	reply = pz_rpc_handle(&rpc, (const char *)data, size);
	if (reply != NULL)
		check_reply(reply);
	else if (!is_notification((const char *)data, size))
		die("no reply to a request that is not a notification", NULL);
	cJSON_Delete(reply);
	if (pz_core_commit(&core, &err) != 0)
		die("a commit failed on an in-memory database", err.msg);
	if (pz_core_dirty(&core) || core.n_commits > commits + 1)
		die("one request, more than one batch", NULL);

	/* Whatever the request did, the state must still load and serve. */
	reply = pz_rpc_handle(&rpc, LIST, strlen(LIST));
	if (reply == NULL || check_reply(reply) != 0)
		die_reply("study.list failed after the request", reply);
	cJSON_Delete(reply);

	pz_core_finish(&core);
	pz_store_close(store);
	return 0;
}
