/*
 * The study report as one self-contained page, and single figures as SVG
 * documents (report.h has the contract, docs/report.md the tour).
 *
 * This file writes the page around the figures: the header with the
 * study's definition, counts and best trial, the sections that hold the
 * figures of plots.c and plots_params.c, the trials table, the stylesheet
 * and a short script for tooltips and table sorting. The script sits in a
 * CDATA section behind JavaScript comments, so the page is well-formed
 * XML and still plain HTML to a browser.
 */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <parzen/json.h>
#include "plot.h"
#include "report_data.h"
#include "buf.h"

const char *const pz_report_plot_kinds[] = {
	"history", "importance", "effects", "priors", "pairs", "timeline", NULL,
};

static const char page_css[] =
	"body{margin:0;background:#f3f4f6;color:#1d232b;"
	"font:14px/1.45 'DejaVu Sans',Verdana,sans-serif}"
	"main{max-width:1260px;margin:0 auto;padding:20px 16px 40px}"
	".card{background:#fff;border:1px solid #dfe3e8;border-radius:8px;"
	"padding:16px 20px;margin:0 0 18px}"
	"h1{font-size:22px;margin:0 0 2px}h2{font-size:17px;margin:0 0 4px}"
	"h3{font-size:15px;margin:14px 0 4px}"
	"p.sub,p.note{color:#5d6673;margin:2px 0 10px}p.note{font-size:13px}"
	".chips span{display:inline-block;margin:6px 6px 0 0;padding:2px 10px;"
	"border-radius:11px;background:#eef1f5;font-size:13px}"
	".chips .ok{background:#dfe9f6}.chips .fail{background:#f7e0de}"
	".chips .running{background:#fbead3}"
	".cols{display:flex;gap:20px;flex-wrap:wrap}.cols>div{flex:1 1 300px;"
	"min-width:0}"
	"pre{background:#f6f7f9;border:1px solid #e6e9ed;border-radius:6px;"
	"padding:8px 10px;margin:4px 0;font-size:12px;overflow:auto;"
	"max-height:360px;tab-size:2}"
	"details{margin:8px 0 0}summary{cursor:pointer;color:#3568a8}"
	"nav a{color:#3568a8;margin-right:14px;text-decoration:none}"
	".toggle{position:relative}.toggle input{position:absolute;opacity:0}"
	".toggle label{display:inline-block;padding:1px 12px;margin:0 0 6px;"
	"border:1px solid #c9d1db;cursor:pointer;font-size:13px}"
	".toggle label.first{border-radius:12px 0 0 12px}"
	".toggle label.last{border-radius:0 12px 12px 0;margin-left:-1px}"
	".toggle input:checked+label{background:#3568a8;color:#fff;"
	"border-color:#3568a8}"
	"#hs-lin:checked~.v-log,#hs-log:checked~.v-lin{display:none}"
	".tablewrap{overflow:auto;max-height:640px;border:1px solid #e6e9ed;"
	"border-radius:6px}"
	"table.trials{border-collapse:collapse;font-size:12px;width:100%}"
	"table.trials th{position:sticky;top:0;background:#eef1f5;"
	"cursor:pointer;text-align:left;padding:4px 8px;white-space:nowrap;"
	"user-select:none}"
	"table.trials th[data-dir=asc]::after{content:' \\25B2'}"
	"table.trials th[data-dir=desc]::after{content:' \\25BC'}"
	"table.trials td{padding:2px 8px;border-top:1px solid #eef0f3;"
	"white-space:nowrap}"
	"table.trials td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"table.trials tr.fail td{color:#a5322c}"
	"table.trials tr.running td{color:#b26200}"
	"table.trials tr.best td{background:#fff4d6;font-weight:bold}"
	".tip{position:absolute;display:none;pointer-events:none;"
	"white-space:pre;background:#1d232b;color:#fff;font-size:12px;"
	"padding:4px 8px;border-radius:4px;opacity:.92}"
	"footer{color:#7a838e;font-size:12px;text-align:center}";

/*
 * The page's script: a tooltip for anything with data-trial, and sorting
 * by a column of the trials table. It holds '&&', so it sits in a CDATA
 * section.
 */
static const char page_js[] =
	"(function(){\n"
	"var tip=document.getElementById('tip');\n"
	"document.addEventListener('mouseover',function(e){\n"
	" var t=e.target,n=t.getAttribute?t.getAttribute('data-trial'):null;\n"
	" if(n===null){tip.style.display='none';return;}\n"
	" var s='trial '+n,a=t.getAttribute('data-loss'),"
	"st=t.getAttribute('data-state'),x=t.getAttribute('data-x'),"
	"p=t.closest('[data-label]');\n"
	" if(st)s+=' ('+st+')';\n"
	" if(a!==null)s+='\\nloss '+a;\n"
	" if(x!==null&&p)s+='\\n'+p.getAttribute('data-label')+' = '+x;\n"
	" tip.textContent=s;tip.style.display='block';\n"
	"});\n"
	"document.addEventListener('mousemove',function(e){\n"
	" tip.style.left=(e.pageX+14)+'px';tip.style.top=(e.pageY+14)+'px';\n"
	"});\n"
	"function key(td){var v=td.textContent;\n"
	" if(td.className!=='n')return v;return v===''?null:parseFloat(v);}\n"
	"document.querySelectorAll('table.trials th').forEach("
	"function(th,col){\n"
	" th.addEventListener('click',function(){\n"
	"  var tb=th.closest('table').tBodies[0],"
	"rows=Array.prototype.slice.call(tb.rows),"
	"dir=th.getAttribute('data-dir')==='asc'?-1:1;\n"
	"  th.parentNode.querySelectorAll('th').forEach(function(h){"
	"h.removeAttribute('data-dir');});\n"
	"  th.setAttribute('data-dir',dir===1?'asc':'desc');\n"
	"  rows.sort(function(r1,r2){var a=key(r1.cells[col]),"
	"b=key(r2.cells[col]);\n"
	"   if(a===b)return 0;if(a===null)return 1;if(b===null)return -1;\n"
	"   return (a>b?1:-1)*dir;});\n"
	"  rows.forEach(function(r){tb.appendChild(r);});\n"
	" });\n"
	"});\n"
	"})();\n";

void pz_report_options_init(struct pz_report_options *opt)
{
	opt->now = 0;
	opt->loss_scale = PZ_REPORT_SCALE_AUTO;
}

/* --- header ------------------------------------------------------------- */

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static int is_scalar(const cJSON *v)
{
	return !cJSON_IsObject(v) && !cJSON_IsArray(v);
}

/* A scalar (or a key, as a JSON string) in its exact compact form. */
static void put_scalar(struct pz_buf *t, const cJSON *v)
{
	char *text = pz_json_print(v, NULL);

	if (text == NULL)
		t->failed = 1;
	else
		pz_buf_puts(t, text);
	free(text);
}

/*
 * JSON text indented by two spaces a level; an array of scalars stays on
 * one line. Numbers print exactly, as the daemon stores them.
 */
static void pretty(struct pz_buf *t, const cJSON *v, int depth)
{
	int object = cJSON_IsObject(v), flat = 1;
	const cJSON *c;

	if (is_scalar(v)) {
		put_scalar(t, v);
		return;
	}
	cJSON_ArrayForEach(c, v)
		flat &= !object && is_scalar(c);
	pz_buf_puts(t, object ? "{" : "[");
	cJSON_ArrayForEach(c, v) {
		if (flat) {
			if (c != v->child)
				pz_buf_puts(t, ", ");
			put_scalar(t, c);
			continue;
		}
		pz_buf_printf(t, "\n%*s", 2 * (depth + 1), "");
		if (object) {
			cJSON key = { .type = cJSON_String,
				      .valuestring = c->string };

			put_scalar(t, &key);
			pz_buf_puts(t, ": ");
		}
		pretty(t, c, depth + 1);
		if (c->next != NULL)
			pz_buf_puts(t, ",");
	}
	if (!flat)
		pz_buf_printf(t, "\n%*s", 2 * depth, "");
	pz_buf_puts(t, object ? "}" : "]");
}

/* A JSON value pretty-printed in a <pre>. */
static void put_json(struct pz_buf *b, const cJSON *v)
{
	struct pz_buf t;

	pz_buf_init(&t);
	if (v == NULL)
		pz_buf_puts(&t, "(none)");
	else
		pretty(&t, v, 0);
	pz_buf_puts(b, "<pre>");
	if (t.failed)
		b->failed = 1;
	else if (t.data != NULL)
		pz_buf_text(b, t.data);
	pz_buf_puts(b, "</pre>");
	pz_buf_finish(&t);
}

static void put_time(struct pz_buf *b, double t)
{
	time_t s = (time_t)t;
	struct tm tm;
	char text[40];

	if (isnan(t) || gmtime_r(&s, &tm) == NULL ||
	    strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		pz_buf_puts(b, "?");
	else
		pz_buf_puts(b, text);
}

/* Seconds as "42.1 s", "3 min 20 s", "2 h 05 min". */
static void put_seconds(struct pz_buf *b, double s)
{
	if (isnan(s))
		pz_buf_puts(b, "?");
	else if (s < 60)
		pz_buf_printf(b, "%.3g s", s);
	else if (s < 3600)
		pz_buf_printf(b, "%d min %02d s", (int)(s / 60), (int)s % 60);
	else
		pz_buf_printf(b, "%d h %02d min", (int)(s / 3600),
		              (int)s % 3600 / 60);
}

static void header(struct pz_buf *b, const struct pz_report_data *d)
{
	const cJSON *s = d->study, *v;
	static const char *const chip[PZ_RS_COUNT] = {
		"queued",
		"running",
		"ok",
		"failed",
	};

	pz_buf_puts(b, "<header class=\"card\" id=\"study\"><h1>Study ");
	pz_buf_text(b, d->name);
	pz_buf_puts(b, "</h1><p class=\"sub\">");
	v = get(s, "algo");
	pz_buf_text(b, cJSON_IsString(v) ? v->valuestring : "?");
	v = get(s, "seed");
	if (cJSON_IsNumber(v))
		pz_buf_printf(b, " \xc2\xb7 seed %.17g", v->valuedouble);
	v = get(s, "state");
	if (cJSON_IsString(v)) {
		pz_buf_puts(b, " \xc2\xb7 ");
		pz_buf_text(b, v->valuestring);
	}
	v = get(s, "max_trials");
	if (cJSON_IsNumber(v))
		pz_buf_printf(b, " \xc2\xb7 at most %.17g trials",
		              v->valuedouble);
	v = get(s, "heartbeat_timeout");
	if (cJSON_IsNumber(v))
		pz_buf_printf(b, " \xc2\xb7 heartbeat timeout %g s",
		              v->valuedouble);
	v = get(s, "created");
	if (cJSON_IsNumber(v)) {
		pz_buf_puts(b, " \xc2\xb7 created ");
		put_time(b, v->valuedouble);
	}
	pz_buf_printf(b,
	              " \xc2\xb7 %d hyperparameters</p><div class=\"chips\">",
	              d->n_params);
	for (size_t j = 0; j < 4; j++) {
		static const enum pz_rstate show[] = { PZ_RS_OK, PZ_RS_FAIL,
			                               PZ_RS_RUNNING,
			                               PZ_RS_QUEUED };
		enum pz_rstate k = show[j];

		pz_buf_printf(b,
		              "<span class=\"%s\" data-state=\"%s\" "
		              "data-count=\"%zu\">%zu %s</span>",
		              pz_report_data_state_name(k),
		              pz_report_data_state_name(k), d->counts[k],
		              d->counts[k], chip[k]);
	}
	pz_buf_printf(b,
	              "<span data-state=\"total\" data-count=\"%zu\">%zu "
	              "trials</span></div>",
	              d->n, d->n);

	if (d->best >= 0) {
		const struct pz_rtrial *t = &d->trials[d->best];

		pz_buf_printf(b,
		              "<h3 id=\"best\" data-trial=\"%lld\">Best trial: "
		              "number %lld, loss ",
		              (long long)t->number, (long long)t->number);
		pz_buf_num(b, t->loss, 10);
		pz_buf_puts(b, "</h3><p class=\"note\">");
		if (t->worker != NULL) {
			pz_buf_puts(b, "worker ");
			pz_buf_text(b, t->worker);
			pz_buf_puts(b, " \xc2\xb7 ");
		}
		pz_buf_puts(b, "ran ");
		put_seconds(b, t->finished - t->started);
		pz_buf_puts(b, " \xc2\xb7 finished ");
		put_time(b, t->finished);
		pz_buf_puts(b, "</p><div class=\"cols\" id=\"best-trial\"><div>"
		               "<b>point</b> (what the objective received)");
		put_json(b, get(t->json, "point"));
		pz_buf_puts(b, "</div><div><b>params</b> (a choice as its "
		               "option's index)");
		put_json(b, get(t->json, "params"));
		v = get(t->json, "result");
		if (v != NULL && !cJSON_IsNull(v)) {
			pz_buf_puts(b, "<b>result</b>");
			put_json(b, v);
		}
		pz_buf_puts(b, "</div></div>");
	} else {
		pz_buf_puts(b, "<h3 id=\"best\">No trial has finished ok "
		               "yet.</h3>");
	}
	pz_buf_puts(b, "<details><summary>Search space</summary>");
	put_json(b, get(s, "space"));
	pz_buf_puts(b, "</details><details><summary>Suggester "
	               "configuration</summary>");
	put_json(b, get(s, "config"));
	pz_buf_puts(b, "</details></header>");
}

/* --- table -------------------------------------------------------------- */

struct by_loss {
	double loss;
	size_t i;
};

static int cmp_by_loss(const void *pa, const void *pb)
{
	const struct by_loss *a = pa, *b = pb;

	if (a->loss != b->loss)
		return (a->loss > b->loss) - (a->loss < b->loss);
	return (a->i > b->i) - (a->i < b->i);
}

/*
 * Which trials the table lists: all of them, or for a large study the
 * best PZ_REPORT_TABLE_MAX / 2 and the latest as many. Marks them in
 * `keep` and returns how many.
 */
static size_t table_rows(const struct pz_report_data *d, unsigned char *keep)
{
	size_t half = PZ_REPORT_TABLE_MAX / 2, n_ok = d->counts[PZ_RS_OK];
	struct by_loss *ok;
	size_t k = 0, rows = 0;

	if (d->n <= PZ_REPORT_TABLE_MAX) {
		memset(keep, 1, d->n);
		return d->n;
	}
	memset(keep, 0, d->n);
	for (size_t i = d->n - half; i < d->n; i++)
		keep[i] = 1;
	rows = half;
	ok = malloc((n_ok ? n_ok : 1) * sizeof(*ok));
	if (ok == NULL)
		return rows;
	for (size_t i = 0; i < d->n; i++) {
		if (d->trials[i].state != PZ_RS_OK)
			continue;
		ok[k].loss = d->trials[i].loss;
		ok[k++].i = i;
	}
	qsort(ok, n_ok, sizeof(*ok), cmp_by_loss);
	for (size_t j = 0; j < n_ok && j < half; j++) {
		rows += !keep[ok[j].i];
		keep[ok[j].i] = 1;
	}
	free(ok);
	return rows;
}

/* A numeric cell (sorted as a number; empty: inactive or absent). */
static void cell_num(struct pz_buf *b, double v, int digits)
{
	pz_buf_puts(b, "<td class=\"n\">");
	if (!isnan(v))
		pz_buf_num(b, v, digits);
	pz_buf_puts(b, "</td>");
}

static void table(struct pz_buf *b, const struct pz_report_data *d)
{
	unsigned char *keep = malloc(d->n ? d->n : 1);
	size_t rows;

	if (keep == NULL) {
		b->failed = 1;
		return;
	}
	rows = table_rows(d, keep);
	pz_buf_puts(b, "<section class=\"card\" id=\"trials\"><h2>Trials</h2>"
	               "<p class=\"note\">");
	if (rows < d->n)
		pz_buf_printf(b,
		              "%zu of %zu trials: the %d with the lowest "
		              "losses and the %d latest. ",
		              rows, d->n, PZ_REPORT_TABLE_MAX / 2,
		              PZ_REPORT_TABLE_MAX / 2);
	pz_buf_puts(b,
	            "Click a column to sort; times are seconds since the "
	            "first trial started. A choice shows its option's name; an "
	            "empty cell is an inactive label.</p>");
	pz_buf_printf(b,
	              "<div class=\"tablewrap\"><table class=\"trials\" "
	              "data-rows=\"%zu\" data-total=\"%zu\"><thead><tr>"
	              "<th>#</th><th>state</th><th>loss</th><th>worker</th>"
	              "<th>start</th><th>duration</th><th>attempt</th>",
	              rows, d->n);
	for (int l = 0; l < d->n_params; l++) {
		pz_buf_puts(b, "<th>");
		pz_buf_text(b, d->space->params[l].label);
		pz_buf_puts(b, "</th>");
	}
	pz_buf_puts(b, "</tr></thead><tbody>");
	for (size_t i = 0; i < d->n; i++) {
		const struct pz_rtrial *t = &d->trials[i];

		if (!keep[i])
			continue;
		pz_buf_printf(b, "<tr class=\"%s%s\" data-trial=\"%lld\">",
		              pz_report_data_state_name(t->state),
		              (long)i == d->best ? " best" : "",
		              (long long)t->number);
		cell_num(b, (double)t->number, 17);
		pz_buf_printf(b, "<td>%s</td>",
		              pz_report_data_state_name(t->state));
		cell_num(b, t->loss, 6);
		pz_buf_puts(b, "<td>");
		if (t->worker != NULL)
			pz_buf_text(b, t->worker);
		pz_buf_puts(b, "</td>");
		cell_num(b, t->started - d->t0, 5);
		cell_num(b,
		         (t->state == PZ_RS_RUNNING ? d->now : t->finished) -
		                 t->started,
		         4);
		cell_num(b, t->attempt, 3);
		for (int l = 0; l < d->n_params; l++) {
			double v = pz_report_data_value(d, i, l);
			char **names = d->labels[l].names;

			if (names == NULL || isnan(v)) {
				cell_num(b, v, 5);
				continue;
			}
			pz_buf_puts(b, "<td>");
			pz_buf_text(b, names[(int)v]);
			pz_buf_puts(b, "</td>");
		}
		pz_buf_puts(b, "</tr>");
	}
	pz_buf_puts(b, "</tbody></table></div></section>");
	free(keep);
}

/* --- page --------------------------------------------------------------- */

static void section(struct pz_buf *b, const char *id, const char *title,
                    const char *text)
{
	pz_buf_printf(b,
	              "<section class=\"card\" id=\"%s\"><h2>%s</h2>"
	              "<p class=\"note\">%s</p>",
	              id, title, text);
}

static void history(struct pz_buf *b, const struct pz_report_data *d)
{
	section(b, "history", "History",
	        "The loss of every trial against "
	        "its number, and the best loss so far. Failed and running "
	        "trials have no loss and sit in the band at the top.");
	if (!d->log_offered) {
		pz_plot_history(b, d, d->loss_log, 0);
		pz_buf_puts(b, "</section>");
		return;
	}
	/* Both scales, and a CSS-only switch between them. */
	pz_buf_printf(b,
	              "<div class=\"toggle\">"
	              "<input type=\"radio\" name=\"hscale\" id=\"hs-lin\"%s/>"
	              "<label class=\"first\" for=\"hs-lin\">linear</label>"
	              "<input type=\"radio\" name=\"hscale\" id=\"hs-log\"%s/>"
	              "<label class=\"last\" for=\"hs-log\">log</label>"
	              "<div class=\"v-lin\">",
	              d->loss_log ? "" : " checked=\"checked\"",
	              d->loss_log ? " checked=\"checked\"" : "");
	pz_plot_history(b, d, 0, 0);
	pz_buf_puts(b, "</div><div class=\"v-log\">");
	pz_plot_history(b, d, 1, 0);
	pz_buf_puts(b, "</div></div></section>");
}

static void page(struct pz_buf *b, const struct pz_report_data *d)
{
	pz_buf_puts(b, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/"
	               "xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/>"
	               "<meta name=\"viewport\" content=\"width=device-width, "
	               "initial-scale=1\"/><title>parzen report: ");
	pz_buf_text(b, d->name);
	pz_buf_printf(b, "</title><style>%s%s</style></head><body><main>",
	              page_css, pz_plot_css);
	header(b, d);
	pz_buf_puts(b, "<nav class=\"card\"><a href=\"#history\">History</a>"
	               "<a href=\"#importance\">Importance</a>"
	               "<a href=\"#effects\">Effects</a>"
	               "<a href=\"#priors\">Priors vs sampled</a>"
	               "<a href=\"#pairs\">Pairs</a>"
	               "<a href=\"#timeline\">Timeline</a>"
	               "<a href=\"#trials\">Trials</a></nav>");
	history(b, d);
	section(b, "importance", "Importance",
	        "How much of the variation of the loss each hyperparameter "
	        "explains on its own: the Kruskal-Wallis effect size "
	        "\xce\xb7\xc2\xb2<sub>H</sub> of the loss ranks, grouped by "
	        "the label's option or by ten equal-count bins of its value, "
	        "over the ok trials where the label is active. 0: no effect "
	        "beyond chance; 1: the label alone orders the losses. "
	        "Interactions are not counted (docs/report.md).");
	pz_plot_importance(b, d, 0);
	pz_buf_puts(b, "</section>");
	section(b, "effects", "Effect of each hyperparameter",
	        "The loss "
	        "against each label's value, most important label first. "
	        "Log-scaled priors get log axes, choices one strip per "
	        "option. Trials where a label is inactive are left out of its "
	        "panel and counted below it.");
	pz_plot_effects(b, d, 0);
	pz_buf_puts(b, "</section>");
	section(b, "priors", "Priors vs what the search sampled",
	        "For each "
	        "label, its prior (orange) and the values the trials drew "
	        "(blue): where the bars rise above the prior, the search "
	        "concentrated. Log-scaled priors are drawn per decade of a log "
	        "axis; discrete ones as shares per value.");
	pz_plot_priors(b, d, 0);
	pz_buf_puts(b, "</section>");
	section(b, "pairs", "Pairs of the most important labels",
	        "Each "
	        "ok trial placed by two labels' values, coloured by its rank "
	        "(dark: low loss, yellow: high), with each label's histogram "
	        "on the diagonal.");
	pz_plot_pairs(b, d, 0);
	pz_buf_puts(b, "</section>");
	section(b, "timeline", "Timeline",
	        "Each trial's last run as a bar "
	        "from its start to its end (running ones to now), one row per "
	        "worker; below, how many ran at once. Gaps are idle time.");
	pz_plot_timeline(b, d, 0);
	pz_buf_puts(b, "</section>");
	table(b, d);
	pz_buf_puts(b, "<footer>parzen report \xc2\xb7 self-contained: no "
	               "network, no external files</footer></main>"
	               "<div id=\"tip\" class=\"tip\"></div>"
	               "<script>//<![CDATA[\n");
	pz_buf_puts(b, page_js);
	pz_buf_puts(b, "//]]></script></body></html>\n");
}

int pz_report_html(const cJSON *study, const cJSON *trials,
                   const struct pz_report_options *opt, char **html_out,
                   size_t *len, struct pz_error *err)
{
	struct pz_report_data *d;
	struct pz_buf b;
	int rc;

	*html_out = NULL;
	if (len != NULL)
		*len = 0;
	rc = pz_report_data_create(study, trials, opt, &d, err);
	if (rc != 0)
		return rc;
	pz_buf_init(&b);
	page(&b, d);
	pz_report_data_destroy(d);
	if (pz_buf_take(&b, html_out, len) != 0)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	return 0;
}

int pz_report_plot(const cJSON *study, const cJSON *trials, const char *kind,
                   const struct pz_report_options *opt, char **svg_out,
                   size_t *len, struct pz_error *err)
{
	struct pz_report_data *d;
	struct pz_buf b;
	int k, rc;

	*svg_out = NULL;
	if (len != NULL)
		*len = 0;
	for (k = 0; pz_report_plot_kinds[k] != NULL; k++)
		if (kind != NULL && strcmp(kind, pz_report_plot_kinds[k]) == 0)
			break;
	if (pz_report_plot_kinds[k] == NULL)
		return pz_error_set(err, PZ_EINVAL,
		                    "unknown plot '%.40s' "
		                    "(expected history, importance, effects, "
		                    "priors, pairs or timeline)",
		                    kind ? kind : "(null)");
	rc = pz_report_data_create(study, trials, opt, &d, err);
	if (rc != 0)
		return rc;
	pz_buf_init(&b);
	pz_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	switch (k) {
	case 0:
		pz_plot_history(&b, d, d->loss_log, 1);
		break;
	case 1:
		pz_plot_importance(&b, d, 1);
		break;
	case 2:
		pz_plot_effects(&b, d, 1);
		break;
	case 3:
		pz_plot_priors(&b, d, 1);
		break;
	case 4:
		pz_plot_pairs(&b, d, 1);
		break;
	default:
		pz_plot_timeline(&b, d, 1);
	}
	pz_buf_puts(&b, "\n");
	pz_report_data_destroy(d);
	if (pz_buf_take(&b, svg_out, len) != 0)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	return 0;
}
