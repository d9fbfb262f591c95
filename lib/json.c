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

/*
 * Write digits[0..k) (k significant digits, the first at decimal exponent
 * `e`) the way "%.{k}g" does: fixed notation when -4 <= e < k, else
 * d.ddde+XX; trailing zeros dropped.
 */
static void format_g(char *buf, size_t len, int neg, const char *digits,
                     int k, int e)
{
	char out[48];
	size_t n = 0;
	int last = k;

	while (last > 1 && digits[last - 1] == '0')
		last--;
	if (neg)
		out[n++] = '-';
	if (e < -4 || e >= k) {
		out[n++] = digits[0];
		if (last > 1) {
			out[n++] = '.';
			memcpy(out + n, digits + 1, (size_t)last - 1);
			n += (size_t)last - 1;
		}
		n += (size_t)snprintf(out + n, sizeof(out) - n, "e%c%02d",
		                      e < 0 ? '-' : '+', e < 0 ? -e : e);
	} else if (e < 0) {
		out[n++] = '0';
		out[n++] = '.';
		for (int i = e + 1; i < 0; i++)
			out[n++] = '0';
		memcpy(out + n, digits, (size_t)last);
		n += (size_t)last;
	} else {
		for (int i = 0; i <= e; i++)
			out[n++] = i < last ? digits[i] : '0';
		if (last > e + 1) {
			out[n++] = '.';
			memcpy(out + n, digits + e + 1, (size_t)(last - e - 1));
			n += (size_t)(last - e - 1);
		}
	}
	out[n] = '\0';
	snprintf(buf, len, "%s", out);
}

/*
 * The shortest of 15, 16 and 17 significant digits (fewer come out of 15
 * with their trailing zeros dropped) that reads back as `v`, each the
 * correctly rounded value, printed as "%.{k}g" would print it. One
 * conversion to 17 digits, then rounding the digit string: that is the
 * correct rounding to k digits unless the digits dropped are a 5 and
 * zeros (the 17-digit value may itself have been rounded to that tie),
 * and then printf rounds v itself.
 */
void pz_json_number(char *buf, size_t len, double v)
{
	char e17[40], digits[24], *exp;
	int neg, e;

	if (!isfinite(v)) {
		snprintf(buf, len, "null");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, len, "%.0f", v == 0 ? 0.0 : v); /* no "-0" */
		return;
	}
	snprintf(e17, sizeof(e17), "%.16e", v);
	neg = e17[0] == '-';
	digits[0] = e17[neg];
	memcpy(digits + 1, e17 + neg + 2, 16);
	digits[17] = '\0';
	exp = strchr(e17, 'e');
	e = atoi(exp + 1);
	for (int k = 15; k < 17; k++) {
		char d[24], tie = 1;
		int de = e;

		memcpy(d, digits, 17);
		for (int i = k + 1; i < 17; i++)
			tie &= d[i] == '0';
		if (d[k] == '5' && tie) {
			/* Ambiguous: let printf round v to k digits. */
			char ek[40];

			snprintf(ek, sizeof(ek), "%.*e", k - 1, v);
			d[0] = ek[neg];
			memcpy(d + 1, ek + neg + 2, (size_t)k - 1);
			de = atoi(strchr(ek, 'e') + 1);
		} else if (d[k] >= '5') {
			int i = k - 1;

			while (i >= 0 && d[i] == '9')
				d[i--] = '0';
			if (i >= 0) {
				d[i]++;
			} else {
				/* 9.99...9 rounds up to 10.0...0 */
				memmove(d + 1, d, (size_t)k - 1);
				d[0] = '1';
				de++;
			}
		}
		format_g(buf, len, neg, d, k, de);
		if (strtod(buf, NULL) == v)
			return;
	}
	format_g(buf, len, neg, digits, 17, e);
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

static char *print(const cJSON *item, size_t *len, int line)
{
	struct out o = {NULL, 0, 0, 0};

	put_item(&o, item);
	if (line)
		put(&o, "\n", 1);
	if (o.failed || o.buf == NULL) {
		free(o.buf);
		return NULL;
	}
	if (len != NULL)
		*len = o.len;
	return o.buf;
}

char *pz_json_print(const cJSON *item, size_t *len)
{
	return print(item, len, 0);
}

char *pz_json_print_line(const cJSON *item, size_t *len)
{
	return print(item, len, 1);
}
