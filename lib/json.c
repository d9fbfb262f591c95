/*
 * A compact JSON printer with exact numbers; see json.h.
 */
#include <parzen/json.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
	char *buf;
	size_t len, cap;
	int failed;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		char *b;

		while (o->len + n + 1 > cap)
			cap *= 2;
		b = realloc(o->buf, cap);
		if (b == NULL) {
			o->failed = 1;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

void pz_json_number(char *buf, size_t len, double v)
{
	if (!isfinite(v)) {
		snprintf(buf, len, "null");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, len, "%.0f", v == 0 ? 0.0 : v); /* no "-0" */
		return;
	}
	/* %.15g already drops trailing zeros, so starting there still gives
	 * the shortest text; 17 digits always read back exactly. */
	for (int prec = 15; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, len, "%.17g", v);
}

static void put_string(struct out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0;

	put(o, "\"", 1);
	for (; p[run] != '\0';) {
		unsigned char c = p[run];
		char esc[7];

		if (c >= 0x20 && c != '"' && c != '\\') {
			run++;
			continue;
		}
		put(o, (const char *)p, run);
		p += run + 1;
		run = 0;
		switch (c) {
		case '"':
			put(o, "\\\"", 2);
			break;
		case '\\':
			put(o, "\\\\", 2);
			break;
		case '\n':
			put(o, "\\n", 2);
			break;
		case '\r':
			put(o, "\\r", 2);
			break;
		case '\t':
			put(o, "\\t", 2);
			break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			put(o, esc, 6);
			break;
		}
	}
	put(o, (const char *)p, run);
	put(o, "\"", 1);
}

static void put_item(struct out *o, const cJSON *it)
{
	char num[40];
	const cJSON *c;

	if (cJSON_IsNumber(it)) {
		pz_json_number(num, sizeof(num), it->valuedouble);
		put(o, num, strlen(num));
	} else if (cJSON_IsString(it)) {
		put_string(o, it->valuestring);
	} else if (cJSON_IsTrue(it)) {
		put(o, "true", 4);
	} else if (cJSON_IsFalse(it)) {
		put(o, "false", 5);
	} else if (cJSON_IsRaw(it)) {
		put(o, it->valuestring, strlen(it->valuestring));
	} else if (cJSON_IsArray(it) || cJSON_IsObject(it)) {
		int obj = cJSON_IsObject(it), first = 1;

		put(o, obj ? "{" : "[", 1);
		cJSON_ArrayForEach(c, it)
		{
			if (!first)
				put(o, ",", 1);
			first = 0;
			if (obj) {
				put_string(o, c->string != NULL ? c->string : "");
				put(o, ":", 1);
			}
			put_item(o, c);
		}
		put(o, obj ? "}" : "]", 1);
	} else {
		put(o, "null", 4);
	}
}

char *pz_json_print(const cJSON *item, size_t *len)
{
	struct out o = {NULL, 0, 0, 0};

	put_item(&o, item);
	if (o.failed || o.buf == NULL) {
		free(o.buf);
		return NULL;
	}
	if (len != NULL)
		*len = o.len;
	return o.buf;
}
