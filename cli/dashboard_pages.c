/*
 * The dashboard's HTML (dashboard.h): the studies page, a study's page,
 * a trial's page, and the fragments the script fetches again when a study
 * changes (the studies table, a study's header card, a trial's body).
 *
 * Pages are written in full on the server, so they show the study at
 * once and without the script; figures are the exception: a study page
 * has an empty box per figure that the script fills from /figure as it
 * comes on screen, so the page appears before its slowest figure is
 * drawn. Every text from parzend goes through pz_buf_text(); URLs carry
 * names percent-encoded.
 */
#include "dashboard.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/params.h>

/* --- helpers ------------------------------------------------------------ */

/* `s` percent-encoded for a query string. */
static void put_query(struct pz_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~", *p) != NULL) {
			pz_buf_put(b, (const char *)p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			pz_buf_put(b, e, 3);
		}
	}
}

static void put_study_link(struct pz_buf *b, const char *name)
{
	pz_buf_puts(b, "<a href=\"/study?s=");
	put_query(b, name);
	pz_buf_puts(b, "\">");
	pz_buf_text(b, name);
	pz_buf_puts(b, "</a>");
}

static void put_num(struct pz_buf *b, double v)
{
	char text[64];

	pz_buf_puts(b, isnan(v) ? "\xe2\x80\x93"
	                        : cli_fmt_num(text, sizeof(text), v));
}

static void put_time(struct pz_buf *b, double t)
{
	char text[64];

	pz_buf_puts(b, cli_fmt_time(text, sizeof(text), t));
}

static void put_duration(struct pz_buf *b, double s)
{
	char text[64];

	pz_buf_puts(b, cli_fmt_duration(text, sizeof(text), s));
}

static void page_open(struct pz_buf *b, const struct dash_page *p,
                      const char *title, const char *kind,
                      const char *study, unsigned long long version)
{
	pz_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	               "<meta charset=\"utf-8\"/><meta name=\"viewport\" "
	               "content=\"width=device-width, initial-scale=1\"/>"
	               "<meta name=\"parzen-token\" content=\"");
	pz_buf_text(b, p->token);
	pz_buf_puts(b, "\"/><title>");
	pz_buf_text(b, title);
	pz_buf_puts(b, " \xc2\xb7 parzen dashboard</title><style>");
	pz_buf_puts(b, pz_dash_css);
	pz_buf_puts(b, pz_report_css);
	pz_buf_printf(b, "</style></head><body data-page=\"%s\"", kind);
	if (version > 0)
		pz_buf_printf(b, " data-version=\"%llu\"", version);
	if (study != NULL) {
		pz_buf_puts(b, " data-study=\"");
		pz_buf_text(b, study);
		pz_buf_puts(b, "\"");
	}
	pz_buf_puts(b, "><header class=\"top\"><a href=\"/\">parzen "
	               "dashboard</a><span class=\"crumbs\">");
	if (study != NULL) {
		pz_buf_puts(b, "study ");
		put_study_link(b, study);
	}
	pz_buf_puts(b, "</span><span id=\"live\" class=\"live\">"
	               "connecting\xe2\x80\xa6</span></header><main>");
}

static void page_close(struct pz_buf *b, const struct dash_page *p)
{
	pz_buf_puts(b, "<footer>parzen dashboard \xc2\xb7 the figures are "
	               "parzen's report's, drawn live</footer></main>"
	               "<div id=\"tip\" class=\"tip\"></div><script nonce=\"");
	pz_buf_text(b, p->nonce ? p->nonce : "");
	pz_buf_puts(b, "\">");
	pz_buf_puts(b, pz_dash_js);
	pz_buf_puts(b, "</script></body></html>\n");
}

void dash_page_message(struct pz_buf *b, const char *title, const char *text)
{
	pz_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	               "<meta charset=\"utf-8\"/><title>");
	pz_buf_text(b, title);
	pz_buf_puts(b, "</title><style>");
	pz_buf_puts(b, pz_dash_css);
	pz_buf_puts(b, "</style></head><body><main><section class=\"card\" "
	               "id=\"message\"><h1>");
	pz_buf_text(b, title);
	pz_buf_puts(b, "</h1><p>");
	pz_buf_text(b, text);
	pz_buf_puts(b, "</p><p><a href=\"/\">All studies</a></p></section>"
	               "</main></body></html>\n");
}

/* --- studies ------------------------------------------------------------ */

static void progress(struct pz_buf *b, double done, double max)
{
	double pct = max > 0 ? 100 * done / max : 0;

	if (isnan(max) || max <= 0) {
		put_num(b, done);
		return;
	}
	pz_buf_printf(b, "<span class=\"bar\"><span style=\"width:%.1f%%\">"
	                 "</span></span>",
	              pct > 100 ? 100 : pct);
	put_num(b, done);
	pz_buf_puts(b, " / ");
	put_num(b, max);
}

/* One row of the studies table (lock held; snap may be NULL). */
static void study_row(struct pz_buf *b, const struct dash_page *p,
                      const struct dash_study *s, struct dash_snap *snap)
{
	const cJSON *counts = cli_get(s->study, "counts");
	const cJSON *maxv = cli_get(s->study, "max_trials");
	const cJSON *best = cli_get(s->study, "best");
	const char *state = cli_get_str(s->study, "state", "?");
	struct pz_report_summary sum;
	double done = cli_get_num(counts, "ok", 0) +
	              cli_get_num(counts, "fail", 0) +
	              cli_get_num(counts, "pruned", 0);

	pz_buf_puts(b, "<tr data-study=\"");
	pz_buf_text(b, s->name);
	pz_buf_puts(b, "\"><td>");
	put_study_link(b, s->name);
	pz_buf_printf(b, "</td><td><span class=\"state %s\">",
	              strcmp(state, "paused") == 0 ? "paused" : "running");
	pz_buf_text(b, state);
	pz_buf_puts(b, "</span></td><td>");
	progress(b, done, cJSON_IsNumber(maxv) ? maxv->valuedouble : NAN);
	pz_buf_puts(b, " done</td><td class=\"n\">");
	put_num(b, cli_get_num(counts, "running", 0));
	pz_buf_puts(b, "</td><td class=\"n\">");
	put_num(b, cli_get_num(best, "loss", NAN));
	if (cJSON_IsObject(best))
		pz_buf_printf(b, " <span class=\"note\">(#%.0f)</span>",
		              cli_get_num(best, "number", 0));
	pz_buf_puts(b, "</td><td class=\"n\">");
	if (snap != NULL) {
		pz_report_summarize(snap->d, p->now, &sum);
		if (!isnan(sum.rate))
			pz_buf_printf(b, "%.3g/min", sum.rate);
		else
			pz_buf_puts(b, "\xe2\x80\x93");
		pz_buf_puts(b, "</td><td class=\"n\">");
		if (!isnan(sum.eta))
			put_duration(b, sum.eta);
		else
			pz_buf_puts(b, "\xe2\x80\x93");
	} else {
		pz_buf_puts(b, "\xe2\x80\xa6</td><td class=\"n\">\xe2\x80\xa6");
	}
	pz_buf_puts(b, "</td><td>");
	pz_buf_text(b, cli_get_str(s->study, "algo", ""));
	pz_buf_puts(b, "</td></tr>");
}

void dash_fragment_studies(struct pz_buf *b, const struct dash_page *p)
{
	struct dash_hub *h = p->hub;
	char **names;
	size_t n;

	/* Snapshots are made without the lock held across the whole list:
	 * take the names first. */
	pthread_mutex_lock(&h->lock);
	n = h->n_studies;
	names = calloc(n ? n : 1, sizeof(*names));
	for (size_t i = 0; names != NULL && i < n; i++)
		names[i] = strdup(h->studies[i]->name);
	pthread_mutex_unlock(&h->lock);
	if (names == NULL) {
		b->failed = 1;
		return;
	}
	pz_buf_printf(b, "<table class=\"list\" id=\"studies-table\" "
	                 "data-studies=\"%zu\"><thead><tr><th>study</th>"
	                 "<th>state</th><th>progress</th><th>running</th>"
	                 "<th>best loss</th><th>rate</th><th>ETA</th>"
	                 "<th>algo</th></tr></thead><tbody>",
	              n);
	for (size_t i = 0; i < n; i++) {
		struct dash_snap *snap;
		struct dash_study *s;

		if (names[i] == NULL)
			continue;
		snap = dash_hub_snapshot(h, names[i]);
		pthread_mutex_lock(&h->lock);
		s = dash_hub_find(h, names[i]);
		if (s != NULL && s->study != NULL)
			study_row(b, p, s, snap);
		pthread_mutex_unlock(&h->lock);
		dash_hub_release(h, snap);
		free(names[i]);
	}
	pz_buf_puts(b, "</tbody></table>");
	if (n == 0) {
		pthread_mutex_lock(&h->lock);
		pz_buf_puts(b, "<p class=\"note\">");
		pz_buf_text(b, h->ready ? "parzend has no studies yet."
		                        : "Loading the studies\xe2\x80\xa6");
		pz_buf_puts(b, "</p>");
		pthread_mutex_unlock(&h->lock);
	}
	free(names);
}

void dash_page_studies(struct pz_buf *b, const struct dash_page *p)
{
	unsigned long long seq;

	pthread_mutex_lock(&p->hub->lock);
	seq = p->hub->seq;
	pthread_mutex_unlock(&p->hub->lock);
	page_open(b, p, "Studies", "studies", NULL, seq);
	pz_buf_puts(b, "<section class=\"card\"><h1>Studies</h1><p "
	               "class=\"note\">Progress, the best loss so far, the "
	               "rate (finished trials a minute, over the latest 50) "
	               "and the time left at that rate. The page follows "
	               "parzend live.</p><div id=\"studies\" "
	               "data-fragment=\"/fragment/studies\">");
	dash_fragment_studies(b, p);
	pz_buf_puts(b, "</div></section>");
	page_close(b, p);
}

/* --- a study ------------------------------------------------------------ */

static void summary(struct pz_buf *b, const struct dash_page *p,
                    const struct pz_report_data *d)
{
	const cJSON *st = pz_report_study(d), *v;
	static const char *const names[5] = { "queued", "running", "ok",
		                              "failed", "pruned" };
	static const char *const cls[5] = { "queued", "running", "ok", "fail",
		                            "pruned" };
	const char *state = cli_get_str(st, "state", "?");
	struct pz_report_summary sum;

	pz_report_summarize(d, p->now, &sum);
	pz_buf_printf(b,
	              "<div class=\"summary\" data-state=\"%s\" "
	              "data-total=\"%zu\" data-done=\"%zu\" "
	              "data-curves=\"%zu\"><h1>Study ",
	              strcmp(state, "paused") == 0 ? "paused" : "running",
	              sum.n, sum.done, pz_report_n_curves(d));
	pz_buf_text(b, pz_report_study_name(d));
	pz_buf_printf(b, " <span class=\"state %s\" id=\"state\">",
	              strcmp(state, "paused") == 0 ? "paused" : "running");
	pz_buf_text(b, state);
	pz_buf_puts(b, "</span></h1><p class=\"sub\">");
	pz_buf_text(b, cli_get_str(st, "algo", "?"));
	v = cli_get(st, "seed");
	if (cJSON_IsNumber(v))
		pz_buf_printf(b, " \xc2\xb7 seed %.17g", v->valuedouble);
	v = cli_get(st, "max_trials");
	if (cJSON_IsNumber(v))
		pz_buf_printf(b, " \xc2\xb7 at most %.17g trials",
		              v->valuedouble);
	v = cli_get(st, "created");
	if (cJSON_IsNumber(v)) {
		pz_buf_puts(b, " \xc2\xb7 created ");
		put_time(b, v->valuedouble);
	}
	pz_buf_printf(b, " \xc2\xb7 %d hyperparameters</p>",
	              pz_report_n_labels(d));
	pz_buf_puts(b, "<div class=\"progress\">");
	progress(b, (double)sum.done, sum.max_trials);
	pz_buf_puts(b, " done");
	if (!isnan(sum.rate))
		pz_buf_printf(b, " \xc2\xb7 %.3g trials/min", sum.rate);
	if (!isnan(sum.eta)) {
		pz_buf_puts(b, " \xc2\xb7 ETA ");
		put_duration(b, sum.eta);
	}
	pz_buf_puts(b, "</div><div class=\"chips\">");
	for (int k = 0; k < 5; k++) {
		if (k == 4 && sum.counts[k] == 0)
			continue;
		pz_buf_printf(b,
		              "<span class=\"%s\" data-state=\"%s\" "
		              "data-count=\"%zu\">%zu %s</span>",
		              cls[k], cls[k], sum.counts[k], sum.counts[k],
		              names[k]);
	}
	pz_buf_printf(b,
	              "<span data-state=\"total\" data-count=\"%zu\">%zu "
	              "trials</span></div>",
	              sum.n, sum.n);
	if (sum.best_number >= 0) {
		pz_buf_printf(b,
		              "<h3 id=\"best\" data-trial=\"%lld\">Best: "
		              "<a href=\"/trial?id=%lld\">trial %lld</a>, loss ",
		              sum.best_number, sum.best_id, sum.best_number);
		pz_buf_exact(b, sum.best_loss);
		pz_buf_puts(b, "</h3>");
	} else {
		pz_buf_puts(b, "<h3 id=\"best\">No trial has finished ok "
		               "yet.</h3>");
	}
	pz_buf_puts(b, "</div>");
}

int dash_fragment_summary(struct pz_buf *b, const struct dash_page *p,
                          const char *name)
{
	struct dash_snap *snap = dash_hub_snapshot(p->hub, name);

	if (snap == NULL)
		return -1;
	summary(b, p, snap->d);
	dash_hub_release(p->hub, snap);
	return 0;
}

static void actions(struct pz_buf *b, const struct pz_report_data *d)
{
	const cJSON *maxv = cli_get(pz_report_study(d), "max_trials");

	pz_buf_puts(b, "<section class=\"card\" id=\"actions\"><h2>Actions"
	               "</h2><div class=\"actions\"><button class=\"act\" "
	               "id=\"pause\" data-do=\"pause\">Pause</button>"
	               "<form id=\"budget\"><input type=\"number\" min=\"1\" "
	               "step=\"1\" aria-label=\"max trials\" value=\"");
	if (cJSON_IsNumber(maxv))
		pz_buf_printf(b, "%.0f", maxv->valuedouble * 2);
	pz_buf_puts(b, "\"/><button class=\"act light\">Raise the budget"
	               "</button></form><form id=\"enqueue\"><textarea "
	               "aria-label=\"params\" spellcheck=\"false\" "
	               "placeholder='{\"label\": value, ...}  (a choice by "
	               "its value)'></textarea><button class=\"act light\">"
	               "Enqueue</button></form></div><div id=\"amsg\"></div>"
	               "</section>");
}

/* A figure's section: title, text, controls, and the empty box. */
static void figure_box(struct pz_buf *b, const struct pz_report_data *d,
                       const char *kind)
{
	const char *title, *about, *x = NULL, *y = NULL;
	int log = pz_report_figure_log(d, kind);
	bool hidden = !pz_report_figure_shown(d, kind);

	pz_report_figure_about(kind, &title, &about);
	pz_buf_printf(b, "<section class=\"card\" id=\"%s\"%s><h2>%s</h2>"
	                 "<p class=\"note\">%s</p>",
	              kind, hidden ? " hidden=\"hidden\"" : "", title, about);
	if (log >= 0 || strcmp(kind, "learning") == 0 ||
	    strcmp(kind, "history") == 0 || strcmp(kind, "edf") == 0) {
		int on = log < 0 ? 0 : log;

		pz_buf_printf(b,
		              "<div class=\"controls scale\"><button "
		              "data-for=\"%s\" data-log=\"0\"%s>linear</button>"
		              "<button data-for=\"%s\" data-log=\"1\"%s>log"
		              "</button></div>",
		              kind, on ? "" : " class=\"on\"", kind,
		              on ? " class=\"on\"" : "");
	}
	if (strcmp(kind, "contour") == 0) {
		pz_report_contour_labels(d, &x, &y);
		pz_buf_puts(b, "<div class=\"controls\">");
		for (int a = 0; a < 2 && x != NULL; a++) {
			const char *cur = a ? y : x;

			pz_buf_printf(b,
			              "%s <select class=\"axis\" data-for=\"contour\" "
			              "data-axis=\"%s\">",
			              a ? " y" : "x", a ? "y" : "x");
			for (int l = 0; l < pz_report_n_labels(d); l++) {
				const char *lab = pz_report_label(d, l);

				pz_buf_puts(b, "<option");
				if (strcmp(lab, cur) == 0)
					pz_buf_puts(b, " selected=\"selected\"");
				pz_buf_puts(b, ">");
				pz_buf_text(b, lab);
				pz_buf_puts(b, "</option>");
			}
			pz_buf_puts(b, "</select>");
		}
		pz_buf_puts(b, "</div>");
	}
	pz_buf_printf(b, "<div class=\"fig\" id=\"fig-%s\" data-kind=\"%s\"",
	              kind, kind);
	if (log >= 0)
		pz_buf_printf(b, " data-log=\"%d\"", log);
	if (x != NULL) {
		pz_buf_puts(b, " data-x=\"");
		pz_buf_text(b, x);
		pz_buf_puts(b, "\" data-y=\"");
		pz_buf_text(b, y);
		pz_buf_puts(b, "\"");
	}
	pz_buf_puts(b, "><p class=\"note\">drawing\xe2\x80\xa6</p></div>"
	               "</section>");
}

int dash_page_study(struct pz_buf *b, const struct dash_page *p,
                    const char *name)
{
	struct dash_snap *snap = dash_hub_snapshot(p->hub, name);
	static const char *const states[] = { "queued", "running", "ok", "fail",
		                              "pruned" };
	const char *title, *about;

	if (snap == NULL)
		return -1;
	page_open(b, p, name, "study", name, snap->version);
	pz_buf_puts(b, "<div class=\"card\" id=\"summary\" "
	               "data-fragment=\"/summary?s=");
	put_query(b, name);
	pz_buf_puts(b, "\">");
	summary(b, p, snap->d);
	pz_buf_puts(b, "</div>");
	actions(b, snap->d);
	pz_buf_puts(b, "<nav class=\"card\">");
	for (int k = 0; pz_report_plot_kinds[k] != NULL; k++) {
		const char *kind = pz_report_plot_kinds[k];

		pz_report_figure_about(kind, &title, &about);
		pz_buf_printf(b, "<a href=\"#%s\" id=\"nav-%s\"%s>%s</a>",
		              kind, kind,
		              pz_report_figure_shown(snap->d, kind)
		                      ? ""
		                      : " hidden=\"hidden\"",
		              title);
	}
	pz_buf_puts(b, "<a href=\"#trials\">Trials</a></nav>");
	for (int k = 0; pz_report_plot_kinds[k] != NULL; k++)
		figure_box(b, snap->d, pz_report_plot_kinds[k]);
	pz_buf_puts(b, "<section class=\"card\" id=\"trials\"><h2>Trials</h2>"
	               "<p class=\"note\">Click a column to sort, a number to "
	               "open the trial. Filter with conditions such as "
	               "<code>loss&lt;0.1 activation=tanh step&gt;=5</code> "
	               "or words found in a worker's name or a choice's value."
	               "</p><div class=\"tablectl\"><input type=\"search\" "
	               "id=\"filter\" placeholder=\"filter\"/><span "
	               "id=\"tstates\">");
	for (int k = 0; k < 5; k++)
		pz_buf_printf(b,
		              "<label><input type=\"checkbox\" value=\"%s\"/>"
		              "%s</label> ",
		              states[k], states[k]);
	pz_buf_puts(b, "</span><button id=\"tprev\">\xe2\x80\xb9 newer"
	               "</button><button id=\"tnext\">older \xe2\x80\xba"
	               "</button><span id=\"tcount\"></span><span "
	               "id=\"tmsg\"></span></div><div class=\"tablewrap\" "
	               "id=\"table\"></div></section>");
	dash_hub_release(p->hub, snap);
	page_close(b, p);
	return 0;
}

/* --- a trial ------------------------------------------------------------ */

static void kv_row(struct pz_buf *b, const char *key)
{
	pz_buf_puts(b, "<tr><th>");
	pz_buf_text(b, key);
	pz_buf_puts(b, "</th><td>");
}

static void trial_body(struct pz_buf *b, const cJSON *t,
                       const struct pz_report_data *d)
{
	const char *state = cli_get_str(t, "state", "?");
	const cJSON *params = cli_get(t, "params"), *inter, *v;
	double started = cli_get_num(t, "started", NAN);
	double finished = cli_get_num(t, "finished", NAN);
	const cJSON *pt;

	pz_buf_printf(b, "<section class=\"card\" id=\"trial\" "
	                 "data-state=\"%s\"><h1>Trial %.0f <span class=\"state "
	                 "%s\">",
	              state, cli_get_num(t, "number", -1), state);
	pz_buf_text(b, state);
	pz_buf_puts(b, "</span></h1><p class=\"sub\">study ");
	put_study_link(b, cli_get_str(t, "study", "?"));
	pz_buf_printf(b, " \xc2\xb7 id %.0f \xc2\xb7 worker ",
	              cli_get_num(t, "id", -1));
	pz_buf_text(b, cli_get_str(t, "worker", "\xe2\x80\x93"));
	pz_buf_printf(b, " \xc2\xb7 attempt %.0f \xc2\xb7 reclaims %.0f</p>",
	              cli_get_num(t, "attempt", 0),
	              cli_get_num(t, "reclaims", 0));
	pz_buf_puts(b, "<div class=\"cols\"><div><h3>Result</h3><table "
	               "class=\"kv\" id=\"trial-result\"><tbody>");
	kv_row(b, "loss");
	v = cli_get(t, "loss");
	if (cJSON_IsNumber(v))
		pz_buf_exact(b, v->valuedouble);
	else
		pz_buf_puts(b, "\xe2\x80\x93");
	pz_buf_puts(b, "</td></tr>");
	kv_row(b, "created");
	put_time(b, cli_get_num(t, "created", NAN));
	pz_buf_puts(b, "</td></tr>");
	kv_row(b, "started");
	put_time(b, started);
	pz_buf_puts(b, "</td></tr>");
	kv_row(b, "finished");
	put_time(b, finished);
	pz_buf_puts(b, "</td></tr>");
	kv_row(b, "duration");
	put_duration(b, finished - started);
	pz_buf_puts(b, "</td></tr>");
	kv_row(b, "heartbeat");
	put_time(b, cli_get_num(t, "heartbeat", NAN));
	pz_buf_puts(b, "</td></tr></tbody></table><h3>Params</h3><p "
	               "class=\"note\">A choice by its value.</p><table "
	               "class=\"kv\" id=\"trial-params\"><tbody>");
	cJSON_ArrayForEach(v, params) {
		const char *name = NULL;

		if (d != NULL && cJSON_IsNumber(v))
			name = pz_report_option_name(d, v->string,
			                             v->valuedouble);
		kv_row(b, v->string ? v->string : "?");
		if (name != NULL) {
			pz_buf_text(b, name);
		} else if (cJSON_IsNumber(v)) {
			pz_buf_exact(b, v->valuedouble);
		} else {
			char *text = pz_params_value_text(v);

			pz_buf_text(b, text ? text : "?");
			free(text);
		}
		pz_buf_puts(b, "</td></tr>");
	}
	pz_buf_puts(b, "</tbody></table></div><div><h3>Point</h3><p "
	               "class=\"note\">What the objective received.</p>");
	pz_buf_json_pre(b, cli_get(t, "point"));
	pz_buf_puts(b, "<h3>Result object</h3>");
	v = cli_get(t, "result");
	pz_buf_json_pre(b, cJSON_IsNull(v) ? NULL : v);
	pz_buf_puts(b, "</div></div>");
	inter = cli_get(t, "intermediate");
	pz_buf_printf(b, "<h3>Reports</h3><p class=\"note\">%d values "
	                 "reported (trial.report).</p>",
	              cJSON_GetArraySize(inter));
	if (cJSON_GetArraySize(inter) > 0 && d != NULL) {
		struct pz_figure f;
		char *svg = NULL;
		size_t len;

		pz_figure_init(&f);
		f.kind = "learning";
		f.trial = (long long)cli_get_num(t, "number", -1);
		if (pz_report_figure(d, &f, &svg, &len, NULL) == 0)
			pz_buf_put(b, svg, len);
		free(svg);
	}
	if (cJSON_GetArraySize(inter) > 0) {
		pz_buf_puts(b, "<div class=\"tablewrap\"><table class=\"kv\" "
		               "id=\"trial-reports\"><thead><tr><th>step</th>"
		               "<th>value</th></tr></thead><tbody>");
		cJSON_ArrayForEach(pt, inter) {
			const cJSON *step = cJSON_GetArrayItem(pt, 0);

			pz_buf_puts(b, "<tr><td>");
			put_num(b, cJSON_IsNumber(step) ? step->valuedouble
			                                : NAN);
			pz_buf_puts(b, "</td><td>");
			v = cJSON_GetArrayItem(pt, 1);
			if (cJSON_IsNumber(v))
				pz_buf_exact(b, v->valuedouble);
			pz_buf_puts(b, "</td></tr>");
		}
		pz_buf_puts(b, "</tbody></table></div>");
	}
	pz_buf_puts(b, "</section>");
}

void dash_page_trial(struct pz_buf *b, const struct dash_page *p,
                     const cJSON *trial, const struct pz_report_data *d,
                     bool fragment)
{
	char title[64];
	long long id = (long long)cli_get_num(trial, "id", -1);

	if (fragment) {
		trial_body(b, trial, d);
		return;
	}
	snprintf(title, sizeof(title), "Trial %.0f",
	         cli_get_num(trial, "number", -1));
	page_open(b, p, title, "trial", cli_get_str(trial, "study", NULL), 0);
	pz_buf_printf(b, "<div id=\"trialbody\" "
	                 "data-fragment=\"/trial?id=%lld&amp;fragment=1\">",
	              id);
	trial_body(b, trial, d);
	pz_buf_puts(b, "</div>");
	page_close(b, p);
}
