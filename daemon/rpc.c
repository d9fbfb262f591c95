/*
 * The JSON-RPC envelope and dispatch; see rpc.h.
 */
#include "rpc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/json.h>
#include <parzen/utf8.h>

#include "handlers.h"
#include "load.h"

int pz_rpc_code(int rc, int invalid)
{
	switch (rc) {
	case PZ_ENOENT:
		return PZ_RPC_NOT_FOUND;
	case PZ_EEXIST:
		return PZ_RPC_CONFLICT;
	case PZ_ESTATE:
		return PZ_RPC_WRONG_STATE;
	case PZ_EINVAL:
	case PZ_ERANGE:
		return invalid;
	case PZ_EIO:
		return PZ_RPC_STORAGE;
	case PZ_EDAMAGED:
		return PZ_RPC_DAMAGED;
	case PZ_EBUSY:
		return PZ_RPC_BUSY;
	default:
		return PZ_RPC_INTERNAL;
	}
}

/* `reply` as a '\n'-terminated line; takes `reply` over. */
static char *line_of(cJSON *reply, size_t *len)
{
	char *line = reply != NULL ? pz_json_print_line(reply, len) : NULL;

	cJSON_Delete(reply);
	return line;
}

static cJSON *envelope(const char *id_text)
{
	cJSON *r = cJSON_CreateObject();

	if (r == NULL)
		return NULL;
	cJSON_AddStringToObject(r, "jsonrpc", "2.0");
	if (cJSON_AddRawToObject(r, "id", id_text != NULL ? id_text : "null") ==
	    NULL) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

/*
 * Add string `s` with every byte that is not part of well-formed UTF-8
 * turned into '?'. Messages and paths are cut at byte limits, which can
 * split a character of a name the client sent; the reply must still be
 * valid UTF-8.
 */
static void add_utf8_string(cJSON *o, const char *key, const char *s)
{
	cJSON *item = cJSON_AddStringToObject(o, key, s);

	if (item != NULL && item->valuestring != NULL)
		pz_utf8_scrub(item->valuestring, strlen(item->valuestring),
		              '?');
}

static const char oom_line[] =
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,"
        "\"message\":\"internal error: out of memory\"}}\n";

char *pz_rpc_error_line(const char *id_text, int code, const char *path,
                        const char *message, size_t *len)
{
	cJSON *r = envelope(id_text), *err, *data;

	if (r == NULL)
		return NULL;
	err = cJSON_AddObjectToObject(r, "error");
	if (err != NULL) {
		cJSON_AddNumberToObject(err, "code", code);
		add_utf8_string(err, "message", message);
		if (path != NULL && path[0] != '\0') {
			data = cJSON_AddObjectToObject(err, "data");
			if (data != NULL)
				add_utf8_string(data, "path", path);
		}
	}
	return line_of(r, len);
}

/* A copy of the out-of-memory reply, or NULL if even that fails. */
static char *oom_reply(size_t *len)
{
	char *s = strdup(oom_line);

	*len = s != NULL ? sizeof(oom_line) - 1 : 0;
	return s;
}

void pz_rpc_finish(struct pz_rpc *rpc, struct pz_call *call, cJSON *result)
{
	uint64_t batch = pz_core_reply_batch(rpc->core);
	cJSON *r;
	char *line;
	size_t len = 0;

	if (call->notification) {
		cJSON_Delete(result);
		pz_call_finish(call, NULL, 0, batch);
		return;
	}
	if (result == NULL) {
		pz_rpc_finish_error(rpc, call, PZ_RPC_INTERNAL, NULL,
		                    "internal error: out of memory");
		return;
	}
	r = envelope(call->id);
	if (r == NULL || !cJSON_AddItemToObject(r, "result", result)) {
		cJSON_Delete(result);
		cJSON_Delete(r);
		r = NULL;
	}
	line = line_of(r, &len);
	if (line == NULL)
		line = oom_reply(&len);
	pz_call_finish(call, line, len, batch);
}

void pz_rpc_finish_error(struct pz_rpc *rpc, struct pz_call *call, int code,
                         const char *path, const char *message)
{
	uint64_t batch = pz_core_reply_batch(rpc->core);
	char *line;
	size_t len = 0;

	if (call->notification) {
		pz_call_finish(call, NULL, 0, batch);
		return;
	}
	line = pz_rpc_error_line(call->id, code, path, message, &len);
	if (line == NULL)
		line = oom_reply(&len);
	pz_call_finish(call, line, len, batch);
}

/* --- the envelope's checks ------------------------------------------------ */

/*
 * Offset of the first "\u0000" escape inside a string of the JSON text,
 * or -1. (A NUL in a decoded C string cuts it short: "prod\u0000-x"
 * would name the study "prod".)
 */
static ptrdiff_t nul_escape(const char *s, size_t len)
{
	int in_string = 0;

	for (size_t i = 0; i < len; i++) {
		if (!in_string) {
			in_string = s[i] == '"';
			continue;
		}
		if (s[i] == '"') {
			in_string = 0;
		} else if (s[i] == '\\' && i + 1 < len) {
			if (s[i + 1] == 'u' && i + 5 < len &&
			    strncmp(s + i + 2, "0000", 4) == 0)
				return (ptrdiff_t)i;
			i++;
		}
	}
	return -1;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Find a key that appears twice in one object of `item`; on finding one,
 * write its path into `path` (which holds `used` bytes of the path to
 * `item`) and return 1.
 */
static int duplicate_key(const cJSON *item, char *path, size_t used,
                         size_t cap)
{
	const cJSON *c;
	int n = 0, i = 0, found = 0;

	if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
		return 0;
	if (cJSON_IsObject(item)) {
		const char *dup = NULL;

		cJSON_ArrayForEach(c, item)
			n++;
		if (n > 1 && n <= 8) {
			for (const cJSON *a = item->child; a && !dup; a = a->next)
				for (const cJSON *b = a->next; b && !dup;
				     b = b->next)
					if (strcmp(a->string, b->string) == 0)
						dup = a->string;
		} else if (n > 8) {
			const char **keys = malloc((size_t)n * sizeof(*keys));

			if (keys == NULL)
				return 0; /* the parse itself needed more */
			cJSON_ArrayForEach(c, item)
				keys[i++] = c->string;
			qsort(keys, (size_t)n, sizeof(*keys), cmp_keys);
			for (i = 1; i < n && !dup; i++)
				if (strcmp(keys[i - 1], keys[i]) == 0)
					dup = keys[i];
			free(keys);
		}
		if (dup != NULL) {
			snprintf(path + used, cap - used, "%s%s",
			         used ? "." : "", dup);
			return 1;
		}
	}
	i = 0;
	cJSON_ArrayForEach(c, item)
	{
		size_t at;

		if (cJSON_IsObject(item))
			snprintf(path + used, cap - used, "%s%s", used ? "." : "",
			         c->string);
		else
			snprintf(path + used, cap - used, "[%d]", i);
		at = strlen(path);
		if ((found = duplicate_key(c, path, at, cap)) != 0)
			return found;
		path[used] = '\0';
		i++;
	}
	return 0;
}

/*
 * The id as JSON text to echo, or NULL with *bad set when it cannot be
 * echoed exactly: only strings, null and integers of magnitude below 2^53
 * (exact in every JSON reader) are taken.
 */
static char *id_text(const cJSON *id, int *bad)
{
	*bad = 0;
	if (cJSON_IsString(id) || cJSON_IsNull(id))
		return pz_json_print(id, NULL);
	if (cJSON_IsNumber(id) && id->valuedouble == floor(id->valuedouble) &&
	    fabs(id->valuedouble) < 9007199254740992.0)
		return pz_json_print(id, NULL);
	*bad = 1;
	return NULL;
}

static void method_list(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < pz_n_methods && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		                         i ? ", " : "", pz_methods[i].name);
}

/* Finish `call` with the handler error in `h`. */
static void finish_hctx_error(struct pz_hctx *h)
{
	int code = h->code != 0 ? h->code
	                        : pz_rpc_code(h->err.code, PZ_RPC_BAD_PARAMS);
	const char *msg = h->err.msg[0] ? h->err.msg
	                                : pz_strerror(h->err.code);

	if (code == PZ_RPC_STORAGE) {
		char buf[PZ_ERROR_MSG_MAX + 80];

		snprintf(buf, sizeof(buf), "storage failure, nothing from this "
		         "request was recorded: %s", msg);
		pz_rpc_finish_error(h->rpc, h->call, code, NULL, buf);
		return;
	}
	pz_rpc_finish_error(h->rpc, h->call, code, h->err.path, msg);
}

/* A request waiting for a study to load; it runs again when it has. */
struct park {
	struct pz_wait wait;
	struct pz_rpc *rpc;
	struct pz_call *call;
	size_t len;
	char line[];
};

static void park_resume(struct pz_wait *w, int rc, const struct pz_error *err)
{
	struct park *p = (struct park *)w;

	/* A study found damaged: the request runs again and meets it as
	 * damaged (a listing shows it; work on it is refused). */
	if (rc != 0 && rc != PZ_EDAMAGED) {
		pz_rpc_finish_error(p->rpc, p->call,
		                    pz_rpc_code(rc, PZ_RPC_INTERNAL),
		                    NULL, err->msg);
	} else {
		p->rpc->n_requests--; /* counted once */
		pz_rpc_dispatch(p->rpc, p->line, p->len, p->call);
	}
	free(p);
}

/*
 * Make sure h->study is loaded: 0 when it is, PZ_HANDLER_LATER when the
 * request now waits for it (it runs again from its line once loaded), or
 * an error in h->err.
 */
static int need_study(struct pz_hctx *h, const char *line, size_t len)
{
	struct park *p = malloc(sizeof(*p) + len);
	int rc;

	if (p == NULL)
		return pz_error_set(&h->err, PZ_ENOMEM, "out of memory");
	p->wait.resume = park_resume;
	p->rpc = h->rpc;
	p->call = h->call;
	p->len = len;
	memcpy(p->line, line, len);
	rc = pz_load_need(h->rpc->core, h->rpc->exec, h->study, &p->wait,
	                  &h->err);
	if (rc == PZ_LOAD_LATER)
		return PZ_HANDLER_LATER;
	free(p);
	return rc;
}

/* Resolve the method's target into h->study / h->number. */
static int resolve(struct pz_hctx *h, const char *line, size_t len)
{
	struct pz_core *core = h->rpc->core;
	int rc;

	switch (h->method->target) {
	case PZ_TARGET_STUDY:
		rc = pz_core_find(core, h->req.study, &h->study, &h->err);
		if (rc == 0)
			rc = need_study(h, line, len);
		if (rc == PZ_EDAMAGED && (h->method->flags & PZ_M_DAMAGED_OK)) {
			pz_error_clear(&h->err);
			rc = 0;
		}
		break;
	case PZ_TARGET_TRIAL:
		rc = pz_core_trial(core, h->req.trial, &h->study, &h->number,
		                   &h->err);
		if (rc == PZ_CORE_UNLOADED && (rc = need_study(h, line, len)) == 0)
			rc = pz_core_trial(core, h->req.trial, &h->study,
			                   &h->number, &h->err);
		break;
	default:
		rc = 0;
	}
	if (rc < 0)
		h->code = pz_rpc_code(rc, PZ_RPC_BAD_PARAMS);
	return rc;
}

static void run(struct pz_rpc *rpc, struct pz_call *call, const char *line,
                size_t len, const char *name, const cJSON *params)
{
	struct pz_hctx h;
	cJSON *result = NULL;
	char buf[512];
	int rc;

	memset(&h, 0, sizeof(h));
	h.rpc = rpc;
	h.call = call;
	h.method = pz_method_find(name);
	if (h.method == NULL) {
		method_list(buf, sizeof(buf));
		pz_error_set(&h.err, PZ_ENOENT, "no method '%.100s' (methods: %s)",
		             name, buf);
		h.code = PZ_RPC_NO_METHOD;
		finish_hctx_error(&h);
		return;
	}
	if (rpc->server.shutting_down &&
	    !(h.method->flags & PZ_M_WHILE_STOPPING)) {
		pz_error_set(&h.err, PZ_ESTATE, "the server is shutting down; "
		             "retry after it restarts");
		h.code = PZ_RPC_SHUTTING_DOWN;
		finish_hctx_error(&h);
		return;
	}
	rc = pz_codec_decode(params, h.method->fields, h.method->required,
	                     h.method->name, &h.req, &h.err);
	if (rc == 0)
		rc = resolve(&h, line, len);
	if (rc == 0)
		rc = h.method->fn(&h, &result);
	if (rc == PZ_HANDLER_LOAD) {
		/* The handler needs another study loaded first. */
		cJSON_Delete(result);
		result = NULL;
		rc = need_study(&h, line, len);
		if (rc == 0 || rc == PZ_EDAMAGED) {
			/* Loaded at once (an inline executor): run again. */
			rpc->n_requests--;
			pz_rpc_dispatch(rpc, line, len, call);
			return;
		}
		if (rc < 0)
			h.code = pz_rpc_code(rc, PZ_RPC_BAD_PARAMS);
	}
	if (rc == PZ_HANDLER_LATER)
		return;
	if (rc != 0)
		finish_hctx_error(&h);
	else
		pz_rpc_finish(rpc, call, result);
}

static void refuse(struct pz_rpc *rpc, struct pz_call *call, int code,
                   const char *path, const char *message)
{
	pz_rpc_finish_error(rpc, call, code, path, message);
}

void pz_rpc_dispatch(struct pz_rpc *rpc, const char *line, size_t len,
                     struct pz_call *call)
{
	const char *end = NULL;
	const cJSON *id, *method, *params, *version;
	cJSON *req;
	char buf[512], path[320];
	ptrdiff_t at;
	int bad;

	rpc->n_requests++;
	/* cJSON copies string bytes as they are: without this check one
	 * client could store a name that makes every later reply listing it
	 * undecodable for every other client. */
	if ((at = pz_utf8_check(line, len)) >= 0) {
		snprintf(buf, sizeof(buf),
		         "parse error: the line is not valid UTF-8 (byte %td)", at);
		refuse(rpc, call, PZ_RPC_PARSE_ERROR, NULL, buf);
		return;
	}
	if ((at = nul_escape(line, len)) >= 0) {
		snprintf(buf, sizeof(buf),
		         "invalid request: strings may not contain \\u0000 "
		         "(byte %td)", at);
		refuse(rpc, call, PZ_RPC_INVALID_REQUEST, NULL, buf);
		return;
	}
	req = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (req == NULL) {
		const char *err_at = cJSON_GetErrorPtr();

		snprintf(buf, sizeof(buf),
		         "parse error: malformed JSON at byte %td of the line",
		         err_at != NULL && err_at >= line && err_at <= line + len
		                 ? err_at - line
		                 : (ptrdiff_t)0);
		refuse(rpc, call, PZ_RPC_PARSE_ERROR, NULL, buf);
		return;
	}
	while (end != NULL && end < line + len &&
	       (*end == ' ' || *end == '\t' || *end == '\r'))
		end++;
	if (end != NULL && end < line + len) {
		snprintf(buf, sizeof(buf),
		         "parse error: unexpected bytes after the JSON value at "
		         "byte %td", end - line);
		refuse(rpc, call, PZ_RPC_PARSE_ERROR, NULL, buf);
		goto out;
	}
	if (!cJSON_IsObject(req)) {
		refuse(rpc, call, PZ_RPC_INVALID_REQUEST, NULL,
		       cJSON_IsArray(req) ? "invalid request: batches are not "
		                            "supported, send one request per line"
		                          : "invalid request: must be a JSON "
		                            "object");
		goto out;
	}
	path[0] = '\0';
	if (duplicate_key(req, path, 0, sizeof(path))) {
		snprintf(buf, sizeof(buf), "invalid request: %.300s: the key "
		         "appears twice in one object", path);
		refuse(rpc, call, PZ_RPC_INVALID_REQUEST, path, buf);
		goto out;
	}
	id = cJSON_GetObjectItemCaseSensitive(req, "id");
	version = cJSON_GetObjectItemCaseSensitive(req, "jsonrpc");
	method = cJSON_GetObjectItemCaseSensitive(req, "method");
	params = cJSON_GetObjectItemCaseSensitive(req, "params");
	/* A request that waited for a study runs again: its id anew. */
	free(call->id);
	call->id = NULL;
	if (id != NULL && (call->id = id_text(id, &bad)) == NULL) {
		refuse(rpc, call, bad ? PZ_RPC_INVALID_REQUEST : PZ_RPC_INTERNAL,
		       "id",
		       bad ? "invalid request: id must be a number or a string "
		             "(a string, null, or an integer of magnitude below "
		             "2^53, so that it is echoed exactly)"
		           : "internal error: out of memory");
		goto out;
	}
	if (!cJSON_IsString(version) ||
	    strcmp(version->valuestring, "2.0") != 0) {
		refuse(rpc, call, PZ_RPC_INVALID_REQUEST, "jsonrpc",
		       "invalid request: \"jsonrpc\" must be \"2.0\"");
		goto out;
	}
	if (!cJSON_IsString(method)) {
		refuse(rpc, call, PZ_RPC_INVALID_REQUEST, "method",
		       "invalid request: \"method\" must be a string");
		goto out;
	}
	/* A notification: executed, never answered. */
	call->notification = id == NULL;
	if (params != NULL && !cJSON_IsObject(params) && !cJSON_IsNull(params)) {
		refuse(rpc, call, PZ_RPC_BAD_PARAMS, "params",
		       "params: must be an object");
		goto out;
	}
	run(rpc, call, line, len, method->valuestring, params);
out:
	cJSON_Delete(req);
}

struct sync_owner {
	int unused;
};

cJSON *pz_rpc_handle(struct pz_rpc *rpc, const char *line, size_t len)
{
	struct sync_owner owner;
	struct pz_call *call = pz_call_create(&owner, NULL);
	cJSON *reply = NULL;

	if (call == NULL)
		return NULL;
	pz_rpc_dispatch(rpc, line, len, call);
	if (!call->pending && call->text != NULL)
		reply = cJSON_ParseWithLength(call->text, call->len);
	if (call->pending)
		pz_call_detach(call); /* finished later, freed then */
	else
		pz_call_destroy(call);
	return reply;
}
