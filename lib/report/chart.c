/*
 * Scales, axes, point layers and colours for the report's figures
 * (chart.h has the contract).
 *
 * Point layers are what keeps a report of 100,000 trials small and fast:
 * up to a limit every point is an element a person can hover; past it the
 * points are counted into pixel cells, each cell is a small square in one
 * of a few shades, and all squares of a shade are a single <path>. The
 * trials with the lowest losses are always drawn as points on top, so the
 * best ones never disappear into a bin.
 */
#include "chart.h"

#include <parzen/utf8.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TICKS 64
/* Opacity shades of an uncoloured binned layer, colours of a coloured one. */
#define N_SHADES 5
#define N_COLOURS 16

/* --- scales ------------------------------------------------------------- */

static double to_t(const struct pz_chart_scale *s, double v)
{
	return s->kind == PZ_SCALE_LOG ? log10(v) : v;
}

static void scale_fit(struct pz_chart_scale *s)
{
	double t0 = to_t(s, s->lo), t1 = to_t(s, s->hi);

	s->a = (s->p1 - s->p0) / (t1 - t0);
	s->b = s->p0 - s->a * t0;
}

void pz_chart_scale_init(struct pz_chart_scale *s, enum pz_scale_kind kind,
                         double lo, double hi, double p0, double p1)
{
	s->kind = kind;
	s->p0 = p0;
	s->p1 = p1;
	if (kind == PZ_SCALE_BAND) {
		s->lo = 0;
		s->hi = hi >= 1 ? hi : 1;
		s->a = (p1 - p0) / s->hi;
		s->b = p0 + s->a / 2;
		return;
	}
	if (!isfinite(lo) || !isfinite(hi) ||
	    (kind == PZ_SCALE_LOG && (lo <= 0 || hi <= 0))) {
		lo = kind == PZ_SCALE_LOG ? 0.1 : 0;
		hi = 1;
	}
	if (hi < lo) {
		double t = lo;

		lo = hi;
		hi = t;
	}
	if (hi == lo) {
		if (kind == PZ_SCALE_LOG) {
			lo /= 2;
			hi *= 2;
		} else {
			double d = lo == 0 ? 1 : fabs(lo) * 0.1;

			lo -= d;
			hi += d;
		}
	}
	s->lo = lo;
	s->hi = hi;
	scale_fit(s);
}

double pz_chart_scale_map(const struct pz_chart_scale *s, double v)
{
	if (s->kind == PZ_SCALE_LOG)
		return v > 0 ? s->a * log10(v) + s->b : s->p0;
	return s->a * v + s->b;
}

double pz_chart_scale_band(const struct pz_chart_scale *s)
{
	return fabs(s->p1 - s->p0) / s->hi;
}

void pz_chart_scale_pad(struct pz_chart_scale *s, double frac)
{
	if (s->kind == PZ_SCALE_BAND)
		return;
	if (s->kind == PZ_SCALE_LOG) {
		double f = pow(s->hi / s->lo, frac);

		s->lo /= f;
		s->hi *= f;
	} else {
		double d = (s->hi - s->lo) * frac;

		s->lo -= d;
		s->hi += d;
	}
	scale_fit(s);
}

/* --- ticks -------------------------------------------------------------- */

/*
 * The 1-2-5 step that gives about n ticks over `span` (d3's rule);
 * DURATION steps are also 15 s, 30 s, 15 min, ... and whole days.
 */
static double nice_step(double span, int n, enum pz_tick_format fmt)
{
	static const double dur[] = { 1,    2,    5,     10,    15,    30,
		                      60,   120,  300,   600,   900,   1800,
		                      3600, 7200, 10800, 21600, 43200, 86400 };
	double raw = span / (n > 1 ? n : 1), p, m;

	if (fmt == PZ_TICK_DURATION && raw >= 1) {
		if (raw > 86400)
			return 86400 *
			       nice_step(raw / 86400, 1, PZ_TICK_NUMBER);
		for (size_t i = 0; i < sizeof(dur) / sizeof(dur[0]); i++)
			if (dur[i] >= raw)
				return dur[i];
	}
	p = pow(10, floor(log10(raw)));
	m = raw / p;
	return (m >= 7.07 ? 10 : m >= 3.16 ? 5 : m >= 1.41 ? 2 : 1) * p;
}

/* Ticks at multiples of a nice step, and of `q` when q > 0. */
static int linear_ticks(double lo, double hi, int max, enum pz_tick_format fmt,
                        double q, double *t)
{
	double step = nice_step(hi - lo, max, fmt);
	int n = 0;

	if (q > 0 && step < q)
		step = q;
	else if (q > 0)
		step = q * round(step / q);
	for (double k = ceil(lo / step - 1e-9); n < MAX_TICKS; k++) {
		double v = k * step;

		if (v > hi + step * 1e-9)
			break;
		t[n++] = fabs(v) < step * 1e-9 ? 0 : v;
	}
	return n;
}

static int log_ticks(double lo, double hi, int max, double *t)
{
	double first = ceil(log10(lo) - 1e-9), last = floor(log10(hi) + 1e-9);
	int decades = (int)(last - first) + 1, every, n = 0;

	if (max < 2)
		max = 2;
	if (decades >= 2) {
		/* Powers of ten, every one or every few: two marks or more
		 * spread over the whole axis. */
		every = decades > max ? (decades + max - 1) / max : 1;
		for (double d = first; d <= last && n < MAX_TICKS; d += every)
			t[n++] = pow(10, d);
		return n;
	}
	/* A decade or less: 1, 2 and 5 times each power of ten. */
	for (double d = first - 1; d <= last && n < MAX_TICKS - 3; d++)
		for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
			double v = m * pow(10, d);

			if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9))
				t[n++] = v;
		}
	/* A narrow range (less than a factor 2.5 between its ends) is
	 * nearly linear: evenly spaced values. */
	if (n < 2)
		n = linear_ticks(lo, hi, max < 5 ? max : 5, PZ_TICK_NUMBER, 0,
		                 t);
	return n;
}

static void put_duration(struct pz_buf *b, double s)
{
	long v = lround(s);
	const char *sign = s < 0 ? "-" : "";

	if (v < 0)
		v = -v;
	if (s != 0 && fabs(s) < 60 && fabs(s - round(s)) > 1e-9)
		pz_buf_printf(b, "%s%.3gs", sign, fabs(s));
	else if (v == 0)
		pz_buf_puts(b, "0");
	else if (v < 60)
		pz_buf_printf(b, "%s%lds", sign, v);
	else if (v < 3600 && v % 60 == 0)
		pz_buf_printf(b, "%s%ldm", sign, v / 60);
	else if (v < 3600)
		pz_buf_printf(b, "%s%ldm%02lds", sign, v / 60, v % 60);
	else if (v < 86400 && v % 3600 == 0)
		pz_buf_printf(b, "%s%ldh", sign, v / 3600);
	else if (v < 86400)
		pz_buf_printf(b, "%s%ldh%02ldm", sign, v / 3600, v % 3600 / 60);
	else if (v % 86400 == 0)
		pz_buf_printf(b, "%s%ldd", sign, v / 86400);
	else
		pz_buf_printf(b, "%s%ldd%02ldh", sign, v / 86400,
		              v % 86400 / 3600);
}

/* A tick label; on a log scale, powers of ten beyond 4 digits as 1e-5. */
static void put_tick(struct pz_buf *b, double v, enum pz_tick_format fmt,
                     int log)
{
	double e = log10(fabs(v));

	if (fmt == PZ_TICK_DURATION)
		put_duration(b, v);
	else if (log && fabs(e - round(e)) < 1e-9 && fabs(e) >= 4)
		pz_buf_printf(b, "1e%d", (int)round(e));
	else
		pz_buf_num(b, v, 6);
}

/* --- axes --------------------------------------------------------------- */

static const char *scale_name(enum pz_scale_kind k)
{
	return k == PZ_SCALE_LOG    ? "log"
	       : k == PZ_SCALE_BAND ? "band"
	                            : "linear";
}

double pz_chart_text_width(const char *s)
{
	return 6.4 * (double)pz_utf8_length(s);
}

/* Write `s` cut to `max` characters, escaped, with an ellipsis when cut. */
static void put_cut(struct pz_buf *b, const char *s, size_t max)
{
	size_t n = max > 1 ? max - 1 : 1, i;
	char tmp[256];

	if (pz_utf8_length(s) <= max) {
		pz_buf_text(b, s);
		return;
	}
	/* Leave room for the ellipsis. */
	i = pz_utf8_prefix(s, n);
	while (i >= sizeof(tmp) && n > 1)
		i = pz_utf8_prefix(s, --n);
	memcpy(tmp, s, i);
	tmp[i] = '\0';
	pz_buf_text(b, tmp);
	pz_buf_puts(b, "\xe2\x80\xa6");
}

/*
 * Split `s` into at most `max_lines` lines of at most `per` characters,
 * breaking after a space, comma, underscore, hyphen, slash or '=' where
 * one is near, else anywhere; the last line is cut with an ellipsis when
 * the text does not fit. Writes each line as a <tspan x="x" dy="...">,
 * and returns the number of lines.
 */
static int put_wrapped(struct pz_buf *b, const char *s, size_t per,
                       int max_lines, double x)
{
	int lines = 0;
	char tmp[256];

	while (*s != '\0' && lines < max_lines) {
		size_t len = pz_utf8_length(s), take, bytes;

		if (len <= per || lines == max_lines - 1) {
			take = len;
		} else {
			/* The last break within the line, in its second
			 * half: a space or comma first, else _ - / =. */
			size_t cut = pz_utf8_prefix(s, per), brk = 0, alt = 0;

			for (size_t i = cut / 2 > 0 ? cut / 2 : 1; i <= cut;
			     i++) {
				if (strchr(" ,", s[i - 1]) != NULL)
					brk = i;
				else if (strchr("_-/=", s[i - 1]) != NULL)
					alt = i;
			}
			brk = brk ? brk : alt;
			take = pz_utf8_length(s) -
			       pz_utf8_length(s + (brk ? brk : cut));
		}
		bytes = pz_utf8_prefix(s, take);
		if (bytes >= sizeof(tmp))
			bytes = pz_utf8_prefix(s, take = 60);
		memcpy(tmp, s, bytes);
		tmp[bytes] = '\0';
		/* A break after a space: the space goes. */
		while (bytes > 1 && tmp[bytes - 1] == ' ')
			tmp[--bytes] = '\0';
		s += pz_utf8_prefix(s, take) - bytes;
		pz_buf_puts(b, "<tspan x=\"");
		pz_buf_coord(b, x);
		pz_buf_printf(b, "\" dy=\"%s\">", lines ? "11" : "0");
		put_cut(b, tmp, per);
		pz_buf_puts(b, "</tspan>");
		lines++;
		s += bytes;
		while (*s == ' ')
			s++;
	}
	return lines;
}

/* Lines `s` takes when wrapped at `per` characters (as put_wrapped). */
static int count_lines(const char *s, size_t per)
{
	struct pz_buf tmp;
	int n;

	pz_buf_init(&tmp);
	n = put_wrapped(&tmp, s, per, 64, 0);
	pz_buf_finish(&tmp);
	return n;
}

/*
 * The option names of a band axis, as readable as the room allows: on
 * one line across the band when they fit; else wrapped on a few lines
 * (below an x axis, as many as the room under it takes; beside a y axis,
 * as many as the band is tall); else, when that shows more, slanted
 * below an x axis or turned along the band beside a y axis. A name is
 * cut with an ellipsis only when it fits none of these; the full name is
 * in the label's <title> and data-name.
 */
static void band_labels(struct pz_buf *b, const struct pz_axis *a)
{
	const struct pz_chart_scale *s = a->scale;
	int n = (int)s->hi, x = a->dir == 'x', lines = 1, mode;
	double w = pz_chart_scale_band(s);
	double room = a->room > 0 ? a->room : x ? 40 : 46;
	size_t per, turned, need = 1;

	if (x) {
		double below = room - (a->title ? 16 : 0);

		per = (size_t)((w - 6) / 6.4);
		lines = 1 + (int)((below - 14) / 11);
		turned = (size_t)((below - 16) / 0.57 / 6.4);
	} else {
		per = (size_t)((room - 10) / 6.4);
		lines = (int)((w - 2) / 11);
		turned = (size_t)((w - 4) / 6.4);
	}
	per = per < 2 ? 2 : per;
	lines = lines < 1 ? 1 : lines;
	for (int i = 0; i < n; i++) {
		int k = count_lines(a->names ? a->names[i] : "", per);

		need = (size_t)k > need ? (size_t)k : need;
	}
	/* 0: across, wrapped as needed; 1: slanted or turned. */
	mode = need > (size_t)lines && turned > per * (size_t)lines;
	for (int i = 0; i < n; i++) {
		double p = pz_chart_scale_map(s, i);
		const char *name = a->names ? a->names[i] : "";
		int k = mode ? 1 : count_lines(name, per);

		k = k > lines ? lines : k;
		pz_buf_puts(b, "<text class=\"tick\" x=\"");
		if (x && mode) {
			pz_buf_coord(b, p + 3);
			pz_buf_puts(b, "\" y=\"");
			pz_buf_coord(b, a->at + 12);
			pz_buf_puts(b, "\" text-anchor=\"end\" "
			               "transform=\"rotate(-35 ");
			pz_buf_coord(b, p + 3);
			pz_buf_puts(b, " ");
			pz_buf_coord(b, a->at + 12);
			pz_buf_puts(b, ")");
		} else if (x) {
			pz_buf_coord(b, p);
			pz_buf_puts(b, "\" y=\"");
			pz_buf_coord(b, a->at + 14);
			pz_buf_puts(b, "\" text-anchor=\"middle");
		} else if (mode) {
			pz_buf_coord(b, a->at - 6);
			pz_buf_puts(b, "\" y=\"");
			pz_buf_coord(b, p);
			pz_buf_puts(b, "\" text-anchor=\"middle\" "
			               "transform=\"rotate(-90 ");
			pz_buf_coord(b, a->at - 6);
			pz_buf_puts(b, " ");
			pz_buf_coord(b, p);
			pz_buf_puts(b, ")");
		} else {
			pz_buf_coord(b, a->at - 5);
			pz_buf_puts(b, "\" y=\"");
			pz_buf_coord(b, p + 3.5 - (k - 1) * 5.5);
			pz_buf_puts(b, "\" text-anchor=\"end");
		}
		pz_buf_printf(b, "\" data-option=\"%d\" data-name=\"", i);
		pz_buf_text(b, name);
		pz_buf_puts(b, "\"><title>");
		pz_buf_text(b, name);
		pz_buf_puts(b, "</title>");
		if (mode)
			put_cut(b, name, turned);
		else
			put_wrapped(b, name, per, lines,
			            x ? p : a->at - 5);
		pz_buf_puts(b, "</text>");
	}
}

void pz_chart_axis(struct pz_buf *b, const struct pz_axis *a)
{
	const struct pz_chart_scale *s = a->scale;
	double t[MAX_TICKS];
	int n = 0, x = a->dir == 'x';
	double pmin = s->p0 < s->p1 ? s->p0 : s->p1;
	double pmax = s->p0 < s->p1 ? s->p1 : s->p0;

	pz_buf_printf(b,
	              "<g class=\"axis\" data-axis=\"%c\" data-scale=\"%s\" "
	              "data-domain=\"",
	              a->dir, scale_name(s->kind));
	pz_buf_num(b, s->lo, 17);
	pz_buf_puts(b, " ");
	pz_buf_num(b, s->hi, 17);
	pz_buf_puts(b, "\" data-range=\"");
	pz_buf_num(b, s->p0, 17);
	pz_buf_puts(b, " ");
	pz_buf_num(b, s->p1, 17);
	pz_buf_puts(b, "\">");

	if (s->kind == PZ_SCALE_LOG)
		n = log_ticks(s->lo, s->hi, a->max_ticks, t);
	else if (s->kind == PZ_SCALE_LINEAR)
		n = linear_ticks(s->lo, s->hi, a->max_ticks, a->format, a->step,
		                 t);

	/* Grid lines first, one path. */
	if (a->grid > 0 && n > 0) {
		pz_buf_puts(b, "<path class=\"grid\" d=\"");
		for (int i = 0; i < n; i++) {
			double p = pz_chart_scale_map(s, t[i]);

			pz_buf_puts(b, "M");
			pz_buf_coord(b, x ? p : a->at);
			pz_buf_puts(b, " ");
			pz_buf_coord(b, x ? a->at : p);
			pz_buf_puts(b, x ? "v" : "h");
			pz_buf_coord(b, x ? -a->grid : a->grid);
		}
		pz_buf_puts(b, "\"/>");
	}
	/* The axis line. */
	pz_buf_puts(b, "<path class=\"domain\" d=\"M");
	pz_buf_coord(b, x ? pmin : a->at);
	pz_buf_puts(b, " ");
	pz_buf_coord(b, x ? a->at : pmin);
	pz_buf_puts(b, x ? "H" : "V");
	pz_buf_coord(b, pmax);
	pz_buf_puts(b, "\"/>");

	for (int i = 0; i < n; i++) {
		double p = pz_chart_scale_map(s, t[i]);

		pz_buf_puts(b, "<text class=\"tick\" x=\"");
		pz_buf_coord(b, x ? p : a->at - 5);
		pz_buf_puts(b, "\" y=\"");
		pz_buf_coord(b, x ? a->at + 14 : p + 3.5);
		pz_buf_puts(b, x ? "\" text-anchor=\"middle\" data-value=\""
		                 : "\" text-anchor=\"end\" data-value=\"");
		pz_buf_num(b, t[i], 17);
		pz_buf_puts(b, "\">");
		put_tick(b, t[i], a->format, s->kind == PZ_SCALE_LOG);
		pz_buf_puts(b, "</text>");
	}
	if (s->kind == PZ_SCALE_BAND)
		band_labels(b, a);

	if (a->title != NULL) {
		double mid = (pmin + pmax) / 2;

		if (x) {
			pz_buf_puts(b, "<text class=\"atitle\" "
			               "text-anchor=\"middle\" x=\"");
			pz_buf_coord(b, mid);
			pz_buf_puts(b, "\" y=\"");
			pz_buf_coord(b, a->at + (a->room > 0 ? a->room : 30));
			pz_buf_puts(b, "\">");
		} else {
			pz_buf_puts(b, "<text class=\"atitle\" "
			               "text-anchor=\"middle\" "
			               "transform=\"translate(");
			pz_buf_coord(b, a->at - (a->room > 0 ? a->room : 40));
			pz_buf_puts(b, " ");
			pz_buf_coord(b, mid);
			pz_buf_puts(b, ") rotate(-90)\">");
		}
		pz_buf_text(b, a->title);
		pz_buf_puts(b, "</text>");
	}
	pz_buf_puts(b, "</g>");
}

/* --- colours ------------------------------------------------------------ */

void pz_chart_colour(double t, char out[8])
{
	static const unsigned char stops[9][3] = {
		{ 0x44, 0x01, 0x54 }, { 0x47, 0x2d, 0x7b },
		{ 0x3b, 0x52, 0x8b }, { 0x2c, 0x72, 0x8e },
		{ 0x21, 0x91, 0x8c }, { 0x28, 0xae, 0x80 },
		{ 0x5e, 0xc9, 0x62 }, { 0xad, 0xdc, 0x30 },
		{ 0xfd, 0xe7, 0x25 },
	};
	double f;
	int i, c[3];

	if (!(t >= 0))
		t = 0;
	if (t > 1)
		t = 1;
	f = t * 8;
	i = (int)f;
	if (i > 7)
		i = 7;
	f -= i;
	for (int k = 0; k < 3; k++)
		c[k] = (int)lround(stops[i][k] +
		                   f * (stops[i + 1][k] - stops[i][k]));
	snprintf(out, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

void pz_chart_colourbar(struct pz_buf *b, double x, double y, double w,
                        double h, const char *const *labels, int n)
{
	char col[8];

	pz_buf_puts(b, "<g class=\"colourbar\">");
	for (int i = 0; i < 32; i++) {
		pz_chart_colour((i + 0.5) / 32, col);
		pz_buf_puts(b, "<rect x=\"");
		pz_buf_coord(b, x);
		pz_buf_puts(b, "\" y=\"");
		pz_buf_coord(b, y + h * i / 32);
		pz_buf_puts(b, "\" width=\"");
		pz_buf_coord(b, w);
		pz_buf_puts(b, "\" height=\"");
		pz_buf_coord(b, h / 32 + 0.5);
		pz_buf_printf(b, "\" fill=\"%s\"/>", col);
	}
	for (int i = 0; i < n; i++) {
		pz_buf_puts(b, "<text class=\"tick\" x=\"");
		pz_buf_coord(b, x + w + 4);
		pz_buf_puts(b, "\" y=\"");
		pz_buf_coord(b, y + (n > 1 ? h * i / (n - 1) : 0) + 3.5);
		pz_buf_puts(b, "\">");
		pz_buf_text(b, labels[i]);
		pz_buf_puts(b, "</text>");
	}
	pz_buf_puts(b, "</g>");
}

double pz_chart_jitter(int64_t k)
{
	uint64_t z = (uint64_t)k + 0x9e3779b97f4a7c15u;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1.0p-53 - 0.5;
}

/* --- points ------------------------------------------------------------- */

void pz_chart_best(struct pz_buf *b, double x, double y, int64_t trial,
                   double loss)
{
	pz_buf_puts(b, "<circle class=\"best\" r=\"6\" cx=\"");
	pz_buf_coord(b, x);
	pz_buf_puts(b, "\" cy=\"");
	pz_buf_coord(b, y);
	pz_buf_printf(b, "\" data-trial=\"%lld\" data-loss=\"",
	              (long long)trial);
	pz_buf_num(b, loss, 17);
	pz_buf_puts(b, "\"/>");
}

static void put_point(struct pz_buf *b, const struct pz_layer *l,
                      const struct pz_point *p)
{
	if (l->marker == PZ_MARK_CROSS) {
		pz_buf_puts(b, "<path d=\"M");
		pz_buf_coord(b, p->x - 2.5);
		pz_buf_puts(b, " ");
		pz_buf_coord(b, p->y - 2.5);
		pz_buf_puts(b, "l5 5m0-5l-5 5");
	} else if (l->marker == PZ_MARK_TRI) {
		pz_buf_puts(b, "<path d=\"M");
		pz_buf_coord(b, p->x - 3.5);
		pz_buf_puts(b, " ");
		pz_buf_coord(b, p->y - 2.5);
		pz_buf_puts(b, "h7l-3.5 6z");
	} else {
		pz_buf_puts(b, l->marker == PZ_MARK_RING
		                       ? "<circle r=\"3\" cx=\""
		                       : "<circle r=\"2.6\" cx=\"");
		pz_buf_coord(b, p->x);
		pz_buf_puts(b, "\" cy=\"");
		pz_buf_coord(b, p->y);
	}
	if (l->coloured) {
		char col[8];

		pz_chart_colour(p->shade, col);
		pz_buf_printf(b, "\" fill=\"%s", col);
	}
	pz_buf_printf(b, "\" data-trial=\"%lld", (long long)p->trial);
	if (!isnan(p->loss)) {
		pz_buf_puts(b, "\" data-loss=\"");
		pz_buf_num(b, p->loss, 6);
	}
	if (!isnan(p->value)) {
		pz_buf_puts(b, "\" data-x=\"");
		if (l->names != NULL)
			pz_buf_text(b, l->names[(int)p->value]);
		else
			pz_buf_num(b, p->value, 5);
	}
	pz_buf_puts(b, "\"/>");
}

/* Worst first: NAN losses, then decreasing loss, so the best end on top. */
static int cmp_worst_first(const void *pa, const void *pb)
{
	const struct pz_point *a = pa, *b = pb;

	if (isnan(a->loss) || isnan(b->loss))
		return isnan(b->loss) - isnan(a->loss);
	return (a->loss < b->loss) - (a->loss > b->loss);
}

struct cell {
	uint32_t count;
	float shade; /* sum of the points' shades */
	int level;   /* the shade it is drawn in */
};

static void open_shade(struct pz_buf *b, const struct pz_layer *l, int lev)
{
	char col[8];

	if (!l->coloured) {
		pz_buf_printf(b, "<path class=\"bin s%d\" d=\"", lev);
		return;
	}
	pz_chart_colour((lev + 0.5) / N_COLOURS, col);
	pz_buf_printf(b, "<path class=\"bin\" fill=\"%s\" d=\"", col);
}

void pz_chart_cells_run(struct pz_buf *b, double x, double y, double w,
                        double h)
{
	pz_buf_puts(b, "M");
	pz_buf_coord(b, x);
	pz_buf_puts(b, " ");
	pz_buf_coord(b, y);
	pz_buf_puts(b, "h");
	pz_buf_coord(b, w);
	pz_buf_puts(b, "v");
	pz_buf_coord(b, h);
	pz_buf_puts(b, "h");
	pz_buf_coord(b, -w);
	pz_buf_puts(b, "z");
}

static void put_bins(struct pz_buf *b, const struct pz_layer *l,
                     const struct pz_point *pts, size_t n)
{
	double c = l->cell > 0 ? l->cell : 3;
	int nx = (int)ceil((l->x1 - l->x0) / c) + 1;
	int ny = (int)ceil((l->y1 - l->y0) / c) + 1;
	struct cell *cells = calloc((size_t)nx * (size_t)ny, sizeof(*cells));
	uint32_t max = 1;
	int levels = l->coloured ? N_COLOURS : N_SHADES;

	if (cells == NULL) {
		b->failed = 1;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int cx = (int)floor((pts[i].x - l->x0) / c);
		int cy = (int)floor((pts[i].y - l->y0) / c);
		struct cell *e;

		cx = cx < 0 ? 0 : cx >= nx ? nx - 1 : cx;
		cy = cy < 0 ? 0 : cy >= ny ? ny - 1 : cy;
		e = &cells[(size_t)cy * (size_t)nx + (size_t)cx];
		e->shade += pts[i].shade;
		if (++e->count > max)
			max = e->count;
	}
	/* Each cell's shade: by count on a log scale, or by colour. */
	for (size_t i = 0; i < (size_t)nx * (size_t)ny; i++) {
		struct cell *e = &cells[i];
		int lev;

		if (e->count == 0)
			continue;
		if (l->coloured)
			lev = (int)(e->shade / (float)e->count * N_COLOURS);
		else
			lev = (int)ceil(log((double)e->count + 1) /
			                log((double)max + 1) * N_SHADES) -
			      1;
		e->level = lev < 0 ? 0 : lev >= levels ? levels - 1 : lev;
	}
	/* One path per shade; a run of cells of one shade along a row is
	 * one rectangle. */
	for (int lev = 0; lev < levels; lev++) {
		int opened = 0;

		for (int cy = 0; cy < ny; cy++) {
			const struct cell *row =
				&cells[(size_t)cy * (size_t)nx];

			for (int cx = 0; cx < nx;) {
				int end = cx;

				if (row[cx].count == 0 ||
				    row[cx].level != lev) {
					cx++;
					continue;
				}
				while (end < nx && row[end].count > 0 &&
				       row[end].level == lev)
					end++;
				if (!opened) {
					open_shade(b, l, lev);
					opened = 1;
				}
				pz_chart_cells_run(b, l->x0 + cx * c,
				                   l->y0 + cy * c, (end - cx) * c,
				                   c);
				cx = end;
			}
		}
		if (opened)
			pz_buf_puts(b, "\"/>");
	}
	free(cells);
}

/*
 * Copy the (at most) k points of lowest loss into best[], best first:
 * one pass that keeps a sorted list, cheap since few points beat the
 * k-th best seen so far.
 */
static size_t select_best(const struct pz_point *pts, size_t n, size_t k,
                          struct pz_point *best)
{
	size_t m = 0;

	for (size_t i = 0; i < n && k > 0; i++) {
		size_t j;

		if (isnan(pts[i].loss) ||
		    (m == k && !(pts[i].loss < best[m - 1].loss)))
			continue;
		j = m < k ? m++ : m - 1;
		while (j > 0 && pts[i].loss < best[j - 1].loss) {
			best[j] = best[j - 1];
			j--;
		}
		best[j] = pts[i];
	}
	return m;
}

int pz_chart_points(struct pz_buf *b, const struct pz_layer *l,
                    struct pz_point *pts, size_t n)
{
	struct pz_point *best = NULL;
	size_t drawn = n;
	int binned = n > l->direct_max;

	if (binned) {
		best = malloc((l->keep_best ? l->keep_best : 1) *
		              sizeof(*best));
		if (best == NULL) {
			b->failed = 1;
			return 0;
		}
		drawn = select_best(pts, n, l->keep_best, best);
	} else {
		qsort(pts, n, sizeof(*pts), cmp_worst_first);
	}
	pz_buf_printf(b,
	              "<g class=\"pts %s\" data-n=\"%zu\" data-drawn=\"%zu\" "
	              "data-mode=\"%s\">",
	              l->cls, n, drawn, binned ? "bins" : "points");
	if (binned) {
		put_bins(b, l, pts, n);
		/* The best on top of the bins, the very best topmost. */
		for (size_t i = drawn; i-- > 0;)
			put_point(b, l, &best[i]);
	} else {
		for (size_t i = 0; i < n; i++)
			put_point(b, l, &pts[i]);
	}
	pz_buf_puts(b, "</g>");
	free(best);
	return binned;
}
