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
#include "buf.h"
#include "plot.h"
#include "report_data.h"
#include "table_rows.h"

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
	".chips .running{background:#fbead3}.chips .pruned{background:#e4e6ea}"
	".cols{display:flex;gap:20px;flex-wrap:wrap}.cols>div{flex:1 1 300px;"
	"min-width:0}"
	"pre{background:#f6f7f9;border:1px solid #e6e9ed;border-radius:6px;"
	"padding:8px 10px;margin:4px 0;font-size:12px;overflow:auto;"
	"max-height:360px;tab-size:2;white-space:pre-wrap;"
	"overflow-wrap:anywhere}"
	"table.kv{border-collapse:collapse;font-size:13px;margin:4px 0 8px}"
	"table.kv th{text-align:left;font-weight:normal;color:#5d6673;"
	"padding:1px 14px 1px 0;vertical-align:top}"
	"table.kv td{padding:1px 0;font-variant-numeric:tabular-nums;"
	"overflow-wrap:anywhere}"
	"details{margin:8px 0 0}summary{cursor:pointer;color:#3568a8}"
	"nav a{color:#3568a8;margin-right:14px;text-decoration:none}"
	".toggle{position:relative}.toggle input{position:absolute;opacity:0}"
	".toggle label{display:inline-block;padding:1px 12px;margin:0 0 6px;"
	"border:1px solid #c9d1db;cursor:pointer;font-size:13px}"
	".toggle label.first{border-radius:12px 0 0 12px}"
	".toggle label.last{border-radius:0 12px 12px 0;margin-left:-1px}"
	".toggle input:checked+label{background:#3568a8;color:#fff;"
	"border-color:#3568a8}"
	".toggle input.lin:checked~.v-log,.toggle input.log:checked~.v-lin"
	"{display:none}"
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
	"table.trials tr.pruned td{color:#6b7380}"
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

/*
 * The best trial's params as a person reads them: one row per label, a
 * choice by its option's value (pz_params_option_text, as the CLI and
 * the dashboard name it), numbers in full.
 */
static void params_table(struct pz_buf *b, const struct pz_report_data *d,
                         size_t i)
{
	pz_buf_puts(b, "<table class=\"kv\" id=\"best-params\"><tbody>");
	for (int l = 0; l < d->n_params; l++) {
		double v = pz_report_data_value(d, i, l);
		const char *name = pz_report_data_option(d, l, v);

		if (isnan(v))
			continue;
		pz_buf_puts(b, "<tr><th>");
		pz_buf_text(b, d->space->params[l].label);
		pz_buf_puts(b, "</th><td>");
		if (name != NULL)
			pz_buf_text(b, name);
		else
			pz_buf_exact(b, v);
		pz_buf_puts(b, "</td></tr>");
	}
	pz_buf_puts(b, "</tbody></table>");
}

/* The trial numbered `number` in `trials`, or NULL. */
static const cJSON *trial_json(const cJSON *trials, int64_t number)
{
	const cJSON *t, *n;

	cJSON_ArrayForEach(t, trials) {
		n = cJSON_GetObjectItemCaseSensitive(t, "number");
		if (cJSON_IsNumber(n) && n->valuedouble == (double)number)
			return t;
	}
	return NULL;
}

static void header(struct pz_buf *b, const struct pz_report_data *d,
                   const cJSON *trials)
{
	const cJSON *s = d->study, *v;
	static const char *const chip[PZ_RS_COUNT] = {
		"queued", "running", "ok", "failed", "pruned",
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
	for (size_t j = 0; j < 5; j++) {
		static const enum pz_rstate show[] = { PZ_RS_OK, PZ_RS_FAIL,
			                               PZ_RS_PRUNED,
			                               PZ_RS_RUNNING,
			                               PZ_RS_QUEUED };
		enum pz_rstate k = show[j];

		if (k == PZ_RS_PRUNED && d->counts[k] == 0)
			continue;
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
		const cJSON *js;

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
		               "<b>params</b> (a choice by its option)");
		params_table(b, d, (size_t)d->best);
		pz_buf_puts(b, "</div><div><b>point</b> (what the objective "
		               "received)");
		js = trial_json(trials, t->number);
		pz_buf_json_pre(b, get(js, "point"));
		v = get(js, "result");
		if (v != NULL && !cJSON_IsNull(v)) {
			pz_buf_puts(b, "<b>result</b>");
			pz_buf_json_pre(b, v);
		}
		pz_buf_puts(b, "</div></div>");
	} else {
		pz_buf_puts(b, "<h3 id=\"best\">No trial has finished ok "
		               "yet.</h3>");
	}
	pz_buf_puts(b, "<details><summary>Search space</summary>");
	pz_buf_json_pre(b, get(s, "space"));
	pz_buf_puts(b, "</details><details><summary>Suggester "
	               "configuration</summary>");
	pz_buf_json_pre(b, get(s, "config"));
	pz_buf_puts(b, "</details></header>");
}

/* --- table -------------------------------------------------------------- */

/*
 * Which trials the table lists: all of them, or for a large study the
 * best PZ_REPORT_TABLE_MAX / 2 and the latest as many. Marks them in
 * `keep` and returns how many.
 */
static size_t table_rows(const struct pz_report_data *d, unsigned char *keep)
{
	size_t half = PZ_REPORT_TABLE_MAX / 2, rows = 0;
	struct pz_rrank *ok;
	long n_ok;

	if (d->n <= PZ_REPORT_TABLE_MAX) {
		memset(keep, 1, d->n);
		return d->n;
	}
	memset(keep, 0, d->n);
	for (size_t i = d->n - half; i < d->n; i++)
		keep[i] = 1;
	rows = half;
	n_ok = pz_report_rank_ok(d, NULL, 0, &ok);
	for (size_t j = 0; n_ok > 0 && j < (size_t)n_ok && j < half; j++) {
		rows += !keep[ok[j].i];
		keep[ok[j].i] = 1;
	}
	free(ok);
	return rows;
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
	              "data-rows=\"%zu\" data-total=\"%zu\">",
	              rows, d->n);
	pz_table_head(b, d);
	pz_buf_puts(b, "<tbody>");
	for (size_t i = 0; i < d->n; i++)
		if (keep[i])
			pz_table_row(b, d, i, NULL);
	pz_buf_puts(b, "</tbody></table></div></section>");
	free(keep);
}

/* --- page --------------------------------------------------------------- */

/*
 * One figure's section: its title, what it shows, and the figure; a
 * figure with a log variant gets both and a CSS-only switch between them.
 */
static void figure_section(struct pz_buf *b, const struct pz_report_data *d,
                           const char *kind)
{
	const char *title, *about;
	struct pz_figure f;
	int log;

	pz_report_figure_about(kind, &title, &about);
	pz_buf_printf(b,
	              "<section class=\"card\" id=\"%s\"><h2>%s</h2>"
	              "<p class=\"note\">%s</p>",
	              kind, title, about);
	pz_figure_init(&f);
	f.kind = kind;
	log = pz_report_figure_log(d, kind);
	if (log < 0) {
		pz_plot_draw(b, d, &f);
		pz_buf_puts(b, "</section>");
		return;
	}
	pz_buf_printf(b,
	              "<div class=\"toggle\">"
	              "<input type=\"radio\" class=\"lin\" name=\"%s-scale\" "
	              "id=\"%s-lin\"%s/>"
	              "<label class=\"first\" for=\"%s-lin\">linear</label>"
	              "<input type=\"radio\" class=\"log\" name=\"%s-scale\" "
	              "id=\"%s-log\"%s/>"
	              "<label class=\"last\" for=\"%s-log\">log</label>"
	              "<div class=\"v-lin\">",
	              kind, kind, log ? "" : " checked=\"checked\"", kind, kind,
	              kind, log ? " checked=\"checked\"" : "", kind);
	f.log = 0;
	pz_plot_draw(b, d, &f);
	pz_buf_puts(b, "</div><div class=\"v-log\">");
	f.log = 1;
	pz_plot_draw(b, d, &f);
	pz_buf_puts(b, "</div></div></section>");
}

static void page(struct pz_buf *b, const struct pz_report_data *d,
                 const cJSON *trials)
{
	const char *title, *about;

	pz_buf_puts(b, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/"
	               "xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/>"
	               "<meta name=\"viewport\" content=\"width=device-width, "
	               "initial-scale=1\"/><title>parzen report: ");
	pz_buf_text(b, d->name);
	pz_buf_printf(b, "</title><style>%s%s</style></head><body><main>",
	              page_css, pz_report_css);
	header(b, d, trials);
	pz_buf_puts(b, "<nav class=\"card\">");
	for (int k = 0; pz_report_plot_kinds[k] != NULL; k++) {
		const char *kind = pz_report_plot_kinds[k];

		if (!pz_report_figure_shown(d, kind))
			continue;
		pz_report_figure_about(kind, &title, &about);
		pz_buf_printf(b, "<a href=\"#%s\">%s</a>", kind, title);
	}
	pz_buf_puts(b, "<a href=\"#trials\">Trials</a></nav>");
	for (int k = 0; pz_report_plot_kinds[k] != NULL; k++)
		if (pz_report_figure_shown(d, pz_report_plot_kinds[k]))
			figure_section(b, d, pz_report_plot_kinds[k]);
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
	page(&b, d, trials);
	pz_report_data_destroy(d);
	if (pz_buf_take(&b, html_out, len) != 0)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	return 0;
}
