/*
 * Writing the header and rows of a trials table (table_rows.h): numbers
 * as numbers (a cell of class "n", sorted as one), times in seconds since
 * the first trial started, an empty cell for an inactive label.
 */
#include "table_rows.h"

#include <math.h>

static const char *const keys[] = { "number", "state",    "loss",
	                            "worker", "start",    "duration",
	                            "attempt" };
static const char *const heads[] = { "#",     "state",    "loss",
	                             "worker", "start",   "duration",
	                             "attempt" };

void pz_table_head(struct pz_buf *b, const struct pz_report_data *d)
{
	pz_buf_puts(b, "<thead><tr>");
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		pz_buf_printf(b, "<th data-key=\"%s\">%s</th>", keys[k],
		              heads[k]);
	if (d->n_curves > 0)
		pz_buf_puts(b, "<th data-key=\"step\">step</th>");
	for (int l = 0; l < d->n_params; l++) {
		pz_buf_puts(b, "<th data-key=\"");
		pz_buf_text(b, d->space->params[l].label);
		pz_buf_puts(b, "\">");
		pz_buf_text(b, d->space->params[l].label);
		pz_buf_puts(b, "</th>");
	}
	pz_buf_puts(b, "</tr></thead>");
}

/* A numeric cell (sorted as a number; empty: inactive or absent). */
static void cell_num(struct pz_buf *b, double v, int digits)
{
	pz_buf_puts(b, "<td class=\"n\">");
	if (!isnan(v))
		pz_buf_num(b, v, digits);
	pz_buf_puts(b, "</td>");
}

void pz_table_row(struct pz_buf *b, const struct pz_report_data *d, size_t i,
                  const char *link)
{
	const struct pz_rtrial *t = &d->trials[i];

	pz_buf_printf(b, "<tr class=\"%s%s\" data-trial=\"%lld\" "
	                 "data-id=\"%lld\">",
	              pz_report_data_state_name(t->state),
	              (long)i == d->best ? " best" : "", (long long)t->number,
	              (long long)t->id);
	if (link != NULL)
		pz_buf_printf(b,
		              "<td class=\"n\"><a href=\"%s%lld\">%lld</a></td>",
		              link, (long long)t->id, (long long)t->number);
	else
		cell_num(b, (double)t->number, 17);
	pz_buf_printf(b, "<td>%s</td>", pz_report_data_state_name(t->state));
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
	if (d->n_curves > 0)
		cell_num(b,
		         t->n_curve > 0
		                 ? d->curves[t->curve + (size_t)t->n_curve - 1]
		                           .step
		                 : NAN,
		         17);
	for (int l = 0; l < d->n_params; l++) {
		double v = pz_report_data_value(d, i, l);
		const char *name = pz_report_data_option(d, l, v);

		if (name == NULL) {
			cell_num(b, v, 5);
			continue;
		}
		pz_buf_puts(b, "<td>");
		pz_buf_text(b, name);
		pz_buf_puts(b, "</td>");
	}
	pz_buf_puts(b, "</tr>");
}
