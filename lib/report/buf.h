/*
 * A growable text buffer for writing XHTML and SVG, with XML escaping.
 *
 * Every append either succeeds or marks the buffer failed (allocation
 * failure); later appends are then no-ops, so a writer appends freely and
 * checks once, at the end, with pz_buf_take(). Text that comes from the
 * user (labels, option names, worker names, JSON) goes through
 * pz_buf_text(), which makes any byte string safe in XML character data
 * and in attribute values: the five special characters become entities,
 * control characters that XML 1.0 forbids and bytes that are not valid
 * UTF-8 become U+FFFD. The output is then well-formed for an XML parser
 * and for a browser's HTML parser alike.
 */
#ifndef PZ_BUF_H
#define PZ_BUF_H

#include <cjson/cJSON.h>
#include <stddef.h>

struct pz_buf {
	char *data;
	size_t len, cap;
	int failed; /* an allocation failed; the text is incomplete */
};

/* An empty buffer; pz_buf_finish() frees what it holds. */
void pz_buf_init(struct pz_buf *b);
void pz_buf_finish(struct pz_buf *b);

/* Append bytes verbatim (markup the caller wrote). */
void pz_buf_put(struct pz_buf *b, const char *s, size_t n);
void pz_buf_puts(struct pz_buf *b, const char *s);
void pz_buf_printf(struct pz_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append `s` escaped for XML text and attribute values (see above). */
void pz_buf_text(struct pz_buf *b, const char *s);

/*
 * A pixel coordinate with one decimal and no trailing ".0" (fast; what
 * every x, y, width and path point goes through). Non-finite values are
 * written as 0.
 */
void pz_buf_coord(struct pz_buf *b, double x);

/*
 * A data value for people and for data-* attributes: printf's %.{digits}g,
 * as in "0.0031", "1.5e+06", "42"; "nan" for a NaN.
 */
void pz_buf_num(struct pz_buf *b, double x, int digits);

/*
 * A number in the shortest form that reads back as the same double
 * ("0.9187565862009764", "1e-05", "42"); "nan", "inf" as pz_buf_num.
 */
void pz_buf_exact(struct pz_buf *b, double x);

/*
 * JSON text of `v` for people (not escaped: pass it through
 * pz_buf_text for a page): indented by two spaces a level, an array of
 * scalars on one line, numbers exact as the daemon stores them.
 */
void pz_buf_json(struct pz_buf *b, const cJSON *v);

/* pz_buf_json of `v` escaped in a <pre>; "(none)" when v is NULL. */
void pz_buf_json_pre(struct pz_buf *b, const cJSON *v);

/*
 * Hand the text over: on success *out is the NUL-terminated text (owned by
 * the caller), *len its length, and the buffer is empty again; returns
 * -1 (and frees the text) when an append failed.
 */
int pz_buf_take(struct pz_buf *b, char **out, size_t *len);

#endif
