/*
 * The dashboard's HTTP side (dashboard.h): libmicrohttpd with one thread
 * per connection, so a Server-Sent Events stream simply blocks in its
 * reader until its study changes, and a slow figure never holds up
 * another tab.
 *
 * Every request passes the same gate before routing:
 *
 *   - Bound to loopback, the Host header must name the loopback address
 *     we listen on (a DNS-rebinding page cannot pass for us).
 *   - With a token (always off loopback; on loopback with --token), every
 *     request must carry it: the parzen_token cookie (HttpOnly,
 *     SameSite=Strict), set when the URL printed at start-up is opened
 *     with ?token=..., which then redirects to the same URL without it.
 *   - A request that changes anything is a POST with the token in an
 *     X-Parzen-Token header (the page has it in a <meta>; on loopback
 *     without --token too), a JSON body, and an Origin, when sent, that
 *     is ours. A form on another site can do none of that, and a script
 *     on another site cannot read our pages to learn the token.
 *
 * Routes take the study in the query string (?s=NAME), since a study's
 * name may hold a '/'. GET: / (studies), /fragment/studies, /study,
 * /summary, /figure, /trials, /trial, /events. POST: /action?do=pause,
 * resume, enqueue, budget. docs/dashboard.md lists them.
 */
#include "dashboard.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <microhttpd.h>


/* The largest POST body read. */
#define BODY_MAX (64 * 1024)
/* Least time between two change events on one stream, and the longest
 * silence (a comment line keeps proxies and the browser from timing
 * out, and finds closed connections). */
#define SSE_GAP 0.25
#define SSE_PING 15.0

struct request {
	struct pz_buf body;
	bool too_big;
	bool started;
};

/* --- small helpers ------------------------------------------------------ */

static double now_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const char *arg(struct MHD_Connection *c, const char *key)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}

static const char *header(struct MHD_Connection *c, const char *key)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, key);
}

/* Equal strings, in time that does not depend on where they differ. */
static bool same_secret(const char *a, const char *b)
{
	size_t n = strlen(b);
	unsigned char d = 0;

	if (a == NULL || strlen(a) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int dash_http_random_hex(char *out, size_t bytes)
{
	unsigned char raw[64];
	size_t got = 0;

	if (bytes > sizeof(raw))
		return -1;
	while (got < bytes) {
		ssize_t n = getrandom(raw + got, bytes - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		got += (size_t)n;
	}
	for (size_t i = 0; i < bytes; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* Queue `body` (taken: freed by libmicrohttpd) with our headers. */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned status,
                               const char *type, char *body, size_t len,
                               const char *nonce)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char csp[256];

	if (body == NULL) {
		body = strdup("out of memory\n");
		len = body ? strlen(body) : 0;
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		type = "text/plain; charset=utf-8";
		if (body == NULL)
			return MHD_NO;
	}
	r = MHD_create_response_from_buffer_with_free_callback(len, body,
	                                                       free);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	snprintf(csp, sizeof(csp),
	         "default-src 'none'; script-src 'nonce-%s'; style-src "
	         "'unsafe-inline'; img-src data:; connect-src 'self'; "
	         "base-uri 'none'; form-action 'none'; frame-ancestors "
	         "'none'",
	         nonce ? nonce : "none");
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_buf(struct MHD_Connection *c, unsigned status,
                                   const char *type, struct pz_buf *b,
                                   const char *nonce)
{
	char *text = NULL;
	size_t len = 0;

	pz_buf_take(b, &text, &len);
	return respond(c, status, type, text, len, nonce);
}

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned status,
                                    const char *text)
{
	char *body = strdup(text);

	return respond(c, status, "text/plain; charset=utf-8", body,
	               body ? strlen(body) : 0, NULL);
}

static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status,
                                    cJSON *v)
{
	char *text = v ? cJSON_PrintUnformatted(v) : NULL;

	cJSON_Delete(v);
	return respond(c, status, "application/json", text,
	               text ? strlen(text) : 0, NULL);
}

static enum MHD_Result refuse(struct MHD_Connection *c, unsigned status,
                              const char *title, const char *text)
{
	struct pz_buf b;

	pz_buf_init(&b);
	dash_page_message(&b, title, text);
	return respond_buf(c, status, "text/html; charset=utf-8", &b, NULL);
}

/* --- the gate ----------------------------------------------------------- */

/* Whether the Host header names us (checked on loopback only). */
static bool host_ok(const struct dash_http *s, struct MHD_Connection *c)
{
	const char *host = header(c, "Host");

	if (!s->loopback)
		return true;
	if (host == NULL)
		return false;
	for (int i = 0; i < s->n_hosts; i++)
		if (strcasecmp(host, s->hosts[i]) == 0)
			return true;
	return false;
}

/* Whether the request carries the token (cookie or header). */
static bool has_token(const struct dash_http *s, struct MHD_Connection *c)
{
	return same_secret(MHD_lookup_connection_value(c, MHD_COOKIE_KIND,
	                                               "parzen_token"),
	                   s->token) ||
	       same_secret(header(c, "X-Parzen-Token"), s->token);
}

/* An Origin, when sent, must be http://HOST of this request. */
static bool origin_ok(struct MHD_Connection *c)
{
	const char *origin = header(c, "Origin"), *host = header(c, "Host");
	char want[300];

	if (origin == NULL)
		return true;
	if (host == NULL)
		return false;
	snprintf(want, sizeof(want), "http://%s", host);
	return strcasecmp(origin, want) == 0;
}

/*
 * ?token=... on a GET: set the cookie and send the browser to the same
 * URL without the token (so it leaves no trace in history or Referer).
 */
static enum MHD_Result token_redirect(const struct dash_http *s,
                                      struct MHD_Connection *c,
                                      const char *url)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char cookie[200];

	r = MHD_create_response_from_buffer(0, NULL,
	                                    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	snprintf(cookie, sizeof(cookie),
	         "parzen_token=%s; Path=/; HttpOnly; SameSite=Strict",
	         s->token);
	MHD_add_response_header(r, "Set-Cookie", cookie);
	MHD_add_response_header(r, "Location", url);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	ret = MHD_queue_response(c, MHD_HTTP_SEE_OTHER, r);
	MHD_destroy_response(r);
	return ret;
}

/* --- Server-Sent Events ------------------------------------------------- */

struct stream {
	struct dash_http *s;
	char *study;       /* NULL: every study */
	uint64_t seq;      /* the hub's seq last reported */
	uint64_t version;  /* the study's version last reported */
	uint64_t status_seq;
	bool hello;        /* the first events are out */
	double sent;       /* monotonic time of the last write */
	double changed;    /* ... of the last change event */
	struct pz_buf out; /* what is waiting to be written */
	size_t pos;
};

static void stream_free(void *cls)
{
	struct stream *st = cls;

	free(st->study);
	pz_buf_finish(&st->out);
	free(st);
}

/* The events owed to `st` now (hub lock held); false when none. */
static bool stream_events(struct stream *st)
{
	struct dash_hub *h = st->s->hub;
	bool any = false;

	if (!st->hello) {
		pz_buf_puts(&st->out, "retry: 2000\n\n");
		st->hello = true;
		st->status_seq = h->status_seq - 1;
	}
	if (st->status_seq != h->status_seq) {
		cJSON *o = cJSON_CreateObject();
		char *text;

		cJSON_AddBoolToObject(o, "ok", h->status[0] == '\0');
		cJSON_AddStringToObject(o, "message", h->status);
		text = cJSON_PrintUnformatted(o);
		if (text != NULL)
			pz_buf_printf(&st->out, "event: status\ndata: %s\n\n",
			              text);
		free(text);
		cJSON_Delete(o);
		st->status_seq = h->status_seq;
		any = true;
	}
	if (st->seq != h->seq) {
		if (st->study == NULL) {
			pz_buf_printf(&st->out,
			              "event: change\ndata: {\"seq\":%llu}\n\n",
			              (unsigned long long)h->seq);
			any = true;
		} else {
			struct dash_study *s = dash_hub_find(h, st->study);

			if (s == NULL) {
				pz_buf_puts(&st->out,
				            "event: gone\ndata: {}\n\n");
				any = true;
			} else if (s->version != st->version) {
				pz_buf_printf(&st->out,
				              "event: change\ndata: "
				              "{\"version\":%llu}\n\n",
				              (unsigned long long)s->version);
				st->version = s->version;
				any = true;
			}
		}
		st->seq = h->seq;
	}
	return any;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	struct dash_hub *h = st->s->hub;
	size_t n;

	(void)pos;
	while (st->pos >= st->out.len) {
		st->out.len = 0;
		st->pos = 0;
		pthread_mutex_lock(&h->lock);
		for (;;) {
			double t = mono(), wait;
			struct timespec ts;

			if (st->s->closing) {
				pthread_mutex_unlock(&h->lock);
				return MHD_CONTENT_READER_END_OF_STREAM;
			}
			/* Changes at most every SSE_GAP; status at once. */
			if ((t - st->changed >= SSE_GAP ||
			     st->status_seq != h->status_seq) &&
			    stream_events(st)) {
				st->changed = t;
				break;
			}
			if (t - st->sent >= SSE_PING) {
				pz_buf_puts(&st->out, ": ping\n\n");
				break;
			}
			wait = st->seq != h->seq ? SSE_GAP - (t - st->changed)
			                         : SSE_PING - (t - st->sent);
			clock_gettime(CLOCK_REALTIME, &ts);
			wait = wait < 0.01 ? 0.01 : wait;
			ts.tv_sec += (time_t)wait;
			ts.tv_nsec += (long)((wait - floor(wait)) * 1e9);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&h->cond, &h->lock, &ts);
		}
		pthread_mutex_unlock(&h->lock);
		if (st->out.failed)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		st->sent = mono();
	}
	n = st->out.len - st->pos;
	n = n < max ? n : max;
	memcpy(buf, st->out.data + st->pos, n);
	st->pos += n;
	return (ssize_t)n;
}

static enum MHD_Result serve_events(struct dash_http *s,
                                    struct MHD_Connection *c)
{
	const char *study = arg(c, "s"), *since = arg(c, "v");
	struct stream *st = calloc(1, sizeof(*st));
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (st == NULL || (study != NULL && (st->study = strdup(study)) ==
	                                            NULL)) {
		free(st);
		return MHD_NO;
	}
	st->s = s;
	pz_buf_init(&st->out);
	st->changed = -1e9;
	st->sent = mono();
	pthread_mutex_lock(&s->hub->lock);
	/* The page says what it shows: a change after that is reported at
	 * once, else the first change. */
	st->seq = s->hub->seq - 1;
	if (since != NULL && since[0] != '\0') {
		uint64_t v = strtoull(since, NULL, 10);

		if (study != NULL)
			st->version = v;
		else
			st->seq = v;
	}
	pthread_mutex_unlock(&s->hub->lock);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
	                                      stream_read, st, stream_free);
	if (r == NULL) {
		stream_free(st);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* --- GET routes --------------------------------------------------------- */

static enum MHD_Result serve_figure(struct dash_http *s,
                                    struct MHD_Connection *c)
{
	const char *study = arg(c, "s"), *log = arg(c, "log");
	const char *trial = arg(c, "trial");
	struct pz_error err = { 0 };
	struct pz_figure f;
	uint64_t version = 0;
	char *svg = NULL, *end;
	size_t len = 0;
	int rc;

	if (study == NULL)
		return respond_text(c, MHD_HTTP_BAD_REQUEST, "no study (s)\n");
	pz_figure_init(&f);
	f.kind = arg(c, "kind");
	f.x = arg(c, "x");
	f.y = arg(c, "y");
	if (log != NULL)
		f.log = strcmp(log, "1") == 0 ? 1 : strcmp(log, "0") == 0 ? 0
		                                                          : -1;
	if (trial != NULL) {
		f.trial = strtoll(trial, &end, 10);
		if (*end != '\0' || f.trial < 0)
			f.trial = -1;
	}
	rc = dash_hub_figure(s->hub, study, &f, &svg, &len, &version, &err);
	if (rc != 0)
		return respond_text(c,
		                    rc == PZ_ENOENT ? MHD_HTTP_NOT_FOUND
		                    : rc == PZ_EINVAL
		                            ? MHD_HTTP_BAD_REQUEST
		                            : MHD_HTTP_INTERNAL_SERVER_ERROR,
		                    err.msg);
	return respond(c, MHD_HTTP_OK, "image/svg+xml", svg, len, NULL);
}

/* The states of ?states=ok,fail as query bits. */
static unsigned parse_states(const char *list)
{
	static const char *const names[] = { "queued", "running", "ok", "fail",
		                             "pruned" };
	unsigned bits = 0;

	while (list != NULL && *list != '\0') {
		size_t n = strcspn(list, ",");

		for (unsigned i = 0; i < 5; i++)
			if (strlen(names[i]) == n &&
			    strncmp(list, names[i], n) == 0)
				bits |= 1u << i;
		list += n + (list[n] == ',');
	}
	return bits;
}

static enum MHD_Result serve_trials(struct dash_http *s,
                                    struct MHD_Connection *c)
{
	const char *study = arg(c, "s"), *v;
	struct pz_error err = { 0 };
	struct pz_table_query q;
	struct dash_snap *snap;
	size_t matched = 0, len = 0;
	char *html = NULL;
	int rc;

	if (study == NULL || (snap = dash_hub_snapshot(s->hub, study)) == NULL)
		return respond_text(c, MHD_HTTP_NOT_FOUND, "no such study\n");
	pz_table_query_init(&q);
	q.states = parse_states(arg(c, "states"));
	q.filter = arg(c, "q");
	q.sort = arg(c, "sort");
	q.desc = (v = arg(c, "dir")) != NULL && strcmp(v, "desc") == 0;
	q.offset = (v = arg(c, "offset")) ? strtoul(v, NULL, 10) : 0;
	q.limit = (v = arg(c, "limit")) ? strtoul(v, NULL, 10) : 100;
	q.limit = q.limit == 0 || q.limit > 1000 ? 1000 : q.limit;
	q.link = "/trial?id=";
	rc = pz_report_table(snap->d, &q, &html, &len, &matched, &err);
	dash_hub_release(s->hub, snap);
	if (rc != 0)
		return respond_text(c,
		                    rc == PZ_EINVAL
		                            ? MHD_HTTP_BAD_REQUEST
		                            : MHD_HTTP_INTERNAL_SERVER_ERROR,
		                    err.msg);
	return respond(c, MHD_HTTP_OK, "text/html; charset=utf-8", html, len,
	               NULL);
}

/* A trial.get on a connection of its own (the hub's is busy). */
static int fetch_trial(struct dash_http *s, long long id, cJSON **trial,
                       struct pz_error *err)
{
	struct pz_client *c = NULL;
	cJSON *p = cJSON_CreateObject(), *res = NULL;
	int rc;

	*trial = NULL;
	if (p == NULL || cJSON_AddNumberToObject(p, "trial", (double)id) ==
	                         NULL) {
		cJSON_Delete(p);
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	}
	rc = pz_client_connect(s->hub->socket, &c, err);
	if (rc == 0)
		rc = pz_client_call(c, "trial.get", p, &res, err);
	else
		cJSON_Delete(p);
	pz_client_destroy(c);
	if (rc == 0) {
		*trial = cJSON_DetachItemFromObjectCaseSensitive(res, "trial");
		if (!cJSON_IsObject(*trial))
			rc = pz_error_set(err, PZ_EPROTO,
			                  "trial.get: a reply without a trial");
	}
	cJSON_Delete(res);
	return rc;
}

static enum MHD_Result serve_trial(struct dash_http *s,
                                   struct MHD_Connection *c, const char *nonce)
{
	const char *id_text = arg(c, "id"), *study = arg(c, "s");
	const char *number = arg(c, "n"), *frag = arg(c, "fragment");
	struct pz_error err = { 0 };
	struct dash_page p = { s->hub, s->token, now_unix(), nonce };
	struct dash_snap *snap = NULL;
	cJSON *trial = NULL;
	long long id = -1;
	struct pz_buf b;
	int rc;

	if (id_text != NULL) {
		id = strtoll(id_text, NULL, 10);
	} else if (study != NULL && number != NULL &&
	           (snap = dash_hub_snapshot(s->hub, study)) != NULL) {
		id = pz_report_trial_id(snap->d, strtoll(number, NULL, 10));
		dash_hub_release(s->hub, snap);
		snap = NULL;
	}
	if (id < 0)
		return refuse(c, MHD_HTTP_NOT_FOUND, "No such trial",
		              "The dashboard knows no such trial.");
	rc = fetch_trial(s, id, &trial, &err);
	if (rc != 0)
		return refuse(c,
		              rc == PZ_ENOENT ? MHD_HTTP_NOT_FOUND
		                              : MHD_HTTP_BAD_GATEWAY,
		              "No such trial", err.msg);
	study = cli_get_str(trial, "study", NULL);
	if (study != NULL)
		snap = dash_hub_snapshot(s->hub, study);
	pz_buf_init(&b);
	dash_page_trial(&b, &p, trial, snap ? snap->d : NULL,
	                frag != NULL && strcmp(frag, "1") == 0);
	dash_hub_release(s->hub, snap);
	cJSON_Delete(trial);
	return respond_buf(c, MHD_HTTP_OK, "text/html; charset=utf-8", &b,
	                   nonce);
}

static enum MHD_Result serve_get(struct dash_http *s, struct MHD_Connection *c,
                                 const char *url)
{
	struct dash_page p = { s->hub, s->token, now_unix(), NULL };
	char nonce[33];
	struct pz_buf b;
	const char *study = arg(c, "s");

	if (dash_http_random_hex(nonce, 16) != 0)
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                    "no randomness\n");
	p.nonce = nonce;
	pz_buf_init(&b);
	if (strcmp(url, "/") == 0) {
		dash_page_studies(&b, &p);
		return respond_buf(c, MHD_HTTP_OK, "text/html; charset=utf-8",
		                   &b, nonce);
	}
	if (strcmp(url, "/fragment/studies") == 0) {
		dash_fragment_studies(&b, &p);
		return respond_buf(c, MHD_HTTP_OK, "text/html; charset=utf-8",
		                   &b, NULL);
	}
	if (strcmp(url, "/study") == 0 && study != NULL) {
		if (dash_page_study(&b, &p, study) != 0) {
			pz_buf_finish(&b);
			return refuse(c, MHD_HTTP_NOT_FOUND, "No such study",
			              "parzend has no such study, or the "
			              "dashboard has not loaded it yet.");
		}
		return respond_buf(c, MHD_HTTP_OK, "text/html; charset=utf-8",
		                   &b, nonce);
	}
	if (strcmp(url, "/summary") == 0 && study != NULL) {
		if (dash_fragment_summary(&b, &p, study) != 0) {
			pz_buf_finish(&b);
			return respond_text(c, MHD_HTTP_NOT_FOUND,
			                    "no such study\n");
		}
		return respond_buf(c, MHD_HTTP_OK, "text/html; charset=utf-8",
		                   &b, NULL);
	}
	pz_buf_finish(&b);
	if (strcmp(url, "/figure") == 0)
		return serve_figure(s, c);
	if (strcmp(url, "/trials") == 0)
		return serve_trials(s, c);
	if (strcmp(url, "/trial") == 0)
		return serve_trial(s, c, nonce);
	if (strcmp(url, "/events") == 0)
		return serve_events(s, c);
	if (strcmp(url, "/favicon.ico") == 0)
		return respond(c, MHD_HTTP_NO_CONTENT, "text/plain", strdup(""),
		               0, NULL);
	return refuse(c, MHD_HTTP_NOT_FOUND, "Not found",
	              "The dashboard has no such page.");
}

/* --- POST: actions ------------------------------------------------------ */

static enum MHD_Result serve_action(struct dash_http *s,
                                    struct MHD_Connection *c,
                                    struct request *req)
{
	const char *study = arg(c, "s"), *what = arg(c, "do");
	struct pz_error err = { 0 };
	struct pz_client *pc = NULL;
	cJSON *body = NULL, *p = NULL, *res = NULL, *out;
	const char *method = NULL;
	int rc, code;

	if (study == NULL || what == NULL)
		return respond_text(c, MHD_HTTP_BAD_REQUEST,
		                    "an action needs s and do\n");
	if (req->body.len > 0) {
		body = cJSON_ParseWithLength(req->body.data, req->body.len);
		if (!cJSON_IsObject(body)) {
			cJSON_Delete(body);
			return respond_text(c, MHD_HTTP_BAD_REQUEST,
			                    "the body must be a JSON object\n");
		}
	}
	p = cli_study_params(study);
	if (strcmp(what, "pause") == 0) {
		method = "study.pause";
	} else if (strcmp(what, "resume") == 0) {
		method = "study.resume";
	} else if (strcmp(what, "budget") == 0) {
		const cJSON *m = cli_get(body, "max_trials");

		method = "study.update";
		if (!cJSON_IsNumber(m)) {
			cJSON_Delete(p);
			cJSON_Delete(body);
			return respond_text(c, MHD_HTTP_BAD_REQUEST,
			                    "max_trials must be a number\n");
		}
		cJSON_AddNumberToObject(p, "max_trials", m->valuedouble);
	} else if (strcmp(what, "enqueue") == 0) {
		/* The point as the pages show it, in the value form
		 * (docs/space.md): parzend resolves every choice's value to
		 * its option, and its refusals name the label. */
		cJSON *values = cJSON_DetachItemFromObjectCaseSensitive(
			body, "values");

		method = "trial.enqueue";
		if (!cJSON_IsObject(values)) {
			cJSON_Delete(values);
			cJSON_Delete(p);
			cJSON_Delete(body);
			return respond_text(c, MHD_HTTP_BAD_REQUEST,
			                    "values must be an object "
			                    "{label: value}\n");
		}
		cJSON_AddItemToObject(p, "values", values);
	} else {
		cJSON_Delete(p);
		cJSON_Delete(body);
		return respond_text(c, MHD_HTTP_BAD_REQUEST, "unknown action\n");
	}
	cJSON_Delete(body);
	rc = pz_client_connect(s->hub->socket, &pc, &err);
	if (rc == 0)
		rc = pz_client_call(pc, method, p, &res, &err);
	else
		cJSON_Delete(p);
	code = pc ? pz_client_last_rpc_code(pc) : 0;
	out = cJSON_CreateObject();
	if (rc != 0 && pc != NULL && pz_client_last_error_path(pc) != NULL)
		cJSON_AddStringToObject(out, "path",
		                        pz_client_last_error_path(pc));
	pz_client_destroy(pc);
	cJSON_AddBoolToObject(out, "ok", rc == 0);
	if (rc == 0) {
		cJSON_AddItemToObject(out, "result", res);
		dash_hub_poke(s->hub, study);
		return respond_json(c, MHD_HTTP_OK, out);
	}
	cJSON_Delete(res);
	if (code == -32601)
		snprintf(err.msg, sizeof(err.msg),
		         "this parzend has no %s yet: %s", method,
		         strcmp(what, "budget") == 0
		                 ? "raising the budget needs a newer parzend"
		                 : "it needs a newer parzend");
	cJSON_AddStringToObject(out, "error", err.msg);
	cJSON_AddNumberToObject(out, "code", code);
	return respond_json(c,
	                    code == -32601   ? MHD_HTTP_NOT_IMPLEMENTED
	                    : rc == PZ_EIO   ? MHD_HTTP_BAD_GATEWAY
	                    : rc == PZ_ENOENT ? MHD_HTTP_NOT_FOUND
	                    : code == -32602 || code == -32004
	                            ? MHD_HTTP_UNPROCESSABLE_CONTENT
	                            : MHD_HTTP_CONFLICT,
	                    out);
}

/* --- the access handler ------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct dash_http *s = cls;
	struct request *req = *con_cls;
	bool post = strcmp(method, "POST") == 0;
	const char *type;

	(void)version;
	if (req == NULL) {
		req = calloc(1, sizeof(*req));
		if (req == NULL)
			return MHD_NO;
		pz_buf_init(&req->body);
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (req->body.len + *upload_size > BODY_MAX)
			req->too_big = true;
		else
			pz_buf_put(&req->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (!host_ok(s, c))
		return refuse(c, MHD_HTTP_FORBIDDEN, "Wrong host",
		              "The dashboard answers to its own address only.");
	if (!post && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return respond_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		                    "GET or POST only\n");
	if (s->token_required && !has_token(s, c)) {
		if (!post && same_secret(arg(c, "token"), s->token))
			return token_redirect(s, c, url);
		return refuse(c, MHD_HTTP_FORBIDDEN, "Token needed",
		              "This dashboard needs its token: open the URL "
		              "that `parzen dashboard` printed when it "
		              "started.");
	}
	if (!post)
		return serve_get(s, c, url);
	/* A change: the token in a header, JSON, our own origin. */
	type = header(c, "Content-Type");
	if (!same_secret(header(c, "X-Parzen-Token"), s->token) ||
	    !origin_ok(c))
		return respond_text(c, MHD_HTTP_FORBIDDEN,
		                    "a change needs the page's token and "
		                    "origin\n");
	if (type == NULL || strncmp(type, "application/json", 16) != 0)
		return respond_text(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		                    "a change is sent as application/json\n");
	if (req->too_big)
		return respond_text(c, MHD_HTTP_CONTENT_TOO_LARGE,
		                    "the body is too large\n");
	if (strcmp(url, "/action") != 0)
		return respond_text(c, MHD_HTTP_NOT_FOUND, "no such action\n");
	return serve_action(s, c, req);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct request *req = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (req != NULL) {
		pz_buf_finish(&req->body);
		free(req);
		*con_cls = NULL;
	}
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("parzen dashboard: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

int dash_http_start(struct dash_http *s, int fd, struct pz_error *err)
{
	s->mhd = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			MHD_USE_POLL | MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_log,
		s, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, s, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
		MHD_OPTION_END);
	if (s->mhd == NULL)
		return pz_error_set(err, PZ_EIO,
		                    "libmicrohttpd could not start");
	return 0;
}

void dash_http_stop(struct dash_http *s)
{
	pthread_mutex_lock(&s->hub->lock);
	s->closing = true;
	pthread_cond_broadcast(&s->hub->cond);
	pthread_mutex_unlock(&s->hub->lock);
	if (s->mhd != NULL)
		MHD_stop_daemon(s->mhd);
	s->mhd = NULL;
}
