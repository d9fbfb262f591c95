/*
 * The rows of a trials table, shared by the report's table (report.c) and
 * the dashboard's (report_table.c): one header, one row per trial, with
 * a choice's value by its option's name. Internal to the report.
 */
#ifndef PZ_TABLE_ROWS_H
#define PZ_TABLE_ROWS_H

#include <stddef.h>

#include "buf.h"
#include "report_data.h"

/*
 * <thead> with a <th data-key="KEY"> per column: number, state, loss,
 * worker, start, duration, attempt, step (when a trial reported), then
 * every label.
 */
void pz_table_head(struct pz_buf *b, const struct pz_report_data *d);

/*
 * <tr class="STATE[ best]" data-trial="NUMBER" data-id="ID"> for trial
 * `i`; with `link`, its number links to link + id.
 */
void pz_table_row(struct pz_buf *b, const struct pz_report_data *d, size_t i,
                  const char *link);

#endif
