/*
 * Aligned text tables for `ls`, `trials` and `status`: cells are collected
 * first so that every column can be as wide as its widest cell. Widths
 * count characters (UTF-8), not bytes: a study named "études" takes six
 * columns. (Characters that take two columns, such as CJK, are still
 * counted as one.)
 */
#include "cli.h"

#include <parzen/utf8.h>

#include <stdlib.h>
#include <string.h>

struct cli_table {
	size_t ncols, nrows, cap;
	unsigned right;
	char **cells;      /* nrows * ncols, row-major, owned */
	size_t *width;     /* per column */
};

struct cli_table *cli_table_create(size_t ncols, unsigned right)
{
	struct cli_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->width = calloc(ncols, sizeof(*t->width));
	if (t->width == NULL) {
		free(t);
		return NULL;
	}
	t->ncols = ncols;
	t->right = right;
	return t;
}

void cli_table_destroy(struct cli_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}

int cli_table_add(struct cli_table *t, const char *const *cells)
{
	size_t base = t->nrows * t->ncols;

	if (t->nrows == t->cap) {
		size_t cap = t->cap == 0 ? 64 : t->cap * 2;
		char **p = realloc(t->cells, cap * t->ncols * sizeof(*p));

		if (p == NULL)
			return PZ_ENOMEM;
		t->cells = p;
		t->cap = cap;
	}
	for (size_t j = 0; j < t->ncols; j++) {
		const char *s = cells[j] != NULL ? cells[j] : "";
		size_t n = pz_utf8_length(s);

		t->cells[base + j] = strdup(s);
		if (t->cells[base + j] == NULL) {
			while (j-- > 0)
				free(t->cells[base + j]);
			return PZ_ENOMEM;
		}
		if (n > t->width[j])
			t->width[j] = n;
	}
	t->nrows++;
	return 0;
}

void cli_table_print(const struct cli_table *t, FILE *f)
{
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t j = 0; j < t->ncols; j++) {
			const char *s = t->cells[i * t->ncols + j];
			int pad = (int)(t->width[j] - pz_utf8_length(s));
			bool last = j + 1 == t->ncols;

			if (t->right & (1u << j))
				fprintf(f, "%*s%s", pad, "", s);
			else if (last)
				fputs(s, f);
			else
				fprintf(f, "%s%*s", s, pad, "");
			fputs(last ? "\n" : "  ", f);
		}
	}
}
