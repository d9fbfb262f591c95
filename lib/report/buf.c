/*
 * The text buffer behind the report writer: appends, XML escaping and
 * number formatting (buf.h has the contract).
 *
 * Coordinates are the bulk of a report, so pz_buf_coord() formats them by
 * hand instead of through printf: a report of a large study writes tens of
 * thousands of them.
 */
#include "buf.h"

#include <parzen/json.h>
#include <parzen/utf8.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pz_buf_init(struct pz_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = 0;
}

void pz_buf_finish(struct pz_buf *b)
{
	free(b->data);
	pz_buf_init(b);
}

/* Make room for `n` more bytes plus a NUL; 0 on success. */
static int reserve(struct pz_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n + 1) {
		if (cap > SIZE_MAX / 2)
			goto fail;
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (p == NULL)
		goto fail;
	b->data = p;
	b->cap = cap;
	return 0;
fail:
	b->failed = 1;
	return -1;
}

void pz_buf_put(struct pz_buf *b, const char *s, size_t n)
{
	if (reserve(b, n) != 0)
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void pz_buf_puts(struct pz_buf *b, const char *s)
{
	pz_buf_put(b, s, strlen(s));
}

void pz_buf_printf(struct pz_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (reserve(b, 256) != 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (reserve(b, (size_t)n) != 0)
			return;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void pz_buf_text(struct pz_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run = p;

	while (*p != '\0') {
		const char *rep = NULL;
		size_t n = 1;

		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		case '\t':
		case '\n':
		case '\r':
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				rep = "\xef\xbf\xbd";
			} else {
				uint32_t cp = 0;

				n = pz_utf8_decode((const char *)p,
				                   strlen((const char *)p),
				                   &cp);
				/* XML 1.0 also forbids U+FFFE and U+FFFF. */
				if (n == 0 || cp == 0xfffe || cp == 0xffff) {
					rep = "\xef\xbf\xbd";
					n = 1;
				}
			}
		}
		if (rep != NULL) {
			pz_buf_put(b, (const char *)run, (size_t)(p - run));
			pz_buf_puts(b, rep);
			run = p + n;
		}
		p += n;
	}
	pz_buf_put(b, (const char *)run, (size_t)(p - run));
}

void pz_buf_coord(struct pz_buf *b, double x)
{
	char tmp[32], *e = tmp + sizeof(tmp), *p = e;
	long long v;
	int neg;

	if (!isfinite(x) || fabs(x) > 1e15)
		x = 0;
	v = llround(x * 10);
	neg = v < 0;
	if (neg)
		v = -v;
	if (v % 10 != 0) {
		*--p = (char)('0' + v % 10);
		*--p = '.';
	}
	v /= 10;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	if (neg)
		*--p = '-';
	pz_buf_put(b, p, (size_t)(e - p));
}

void pz_buf_num(struct pz_buf *b, double x, int digits)
{
	if (isnan(x))
		pz_buf_puts(b, "nan");
	else if (isinf(x))
		pz_buf_puts(b, x > 0 ? "inf" : "-inf");
	else
		pz_buf_printf(b, "%.*g", digits, x == 0 ? 0.0 : x);
}

void pz_buf_exact(struct pz_buf *b, double x)
{
	char tmp[40];

	if (!isfinite(x) || (x == trunc(x) && fabs(x) < 1e15)) {
		pz_buf_num(b, x, 17);
		return;
	}
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(tmp, sizeof(tmp), "%.*g", digits, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	pz_buf_puts(b, tmp);
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

void pz_buf_json(struct pz_buf *b, const cJSON *v)
{
	pretty(b, v, 0);
}

void pz_buf_json_pre(struct pz_buf *b, const cJSON *v)
{
	struct pz_buf t;

	pz_buf_init(&t);
	if (v == NULL)
		pz_buf_puts(&t, "(none)");
	else
		pz_buf_json(&t, v);
	pz_buf_puts(b, "<pre>");
	if (t.failed)
		b->failed = 1;
	else if (t.data != NULL)
		pz_buf_text(b, t.data);
	pz_buf_puts(b, "</pre>");
	pz_buf_finish(&t);
}

int pz_buf_take(struct pz_buf *b, char **out, size_t *len)
{
	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (b->failed || reserve(b, 0) != 0) {
		pz_buf_finish(b);
		return -1;
	}
	b->data[b->len] = '\0';
	*out = b->data;
	if (len != NULL)
		*len = b->len;
	pz_buf_init(b);
	return 0;
}
