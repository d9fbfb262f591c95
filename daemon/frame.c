/*
 * Line framing; see frame.h.
 */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

#include <parzen/error.h>

#define MIN_CHUNK (64 * 1024)

void pz_frame_init(struct pz_frame *f, size_t max_line)
{
	memset(f, 0, sizeof(*f));
	f->max_line = max_line;
}

void pz_frame_finish(struct pz_frame *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

int pz_frame_space(struct pz_frame *f, size_t want, char **ptr, size_t *len)
{
	if (want < MIN_CHUNK)
		want = MIN_CHUNK;
	if (f->cap - f->len < want) {
		size_t cap = f->cap ? f->cap : MIN_CHUNK;
		char *nb;

		while (cap - f->len < want)
			cap *= 2;
		nb = realloc(f->buf, cap);
		if (nb == NULL)
			return PZ_ENOMEM;
		f->buf = nb;
		f->cap = cap;
	}
	*ptr = f->buf + f->len;
	*len = f->cap - f->len;
	return 0;
}

void pz_frame_filled(struct pz_frame *f, size_t n)
{
	f->len += n;
}

int pz_frame_next(struct pz_frame *f, const char **line, size_t *len)
{
	const char *nl;
	size_t n;

	if (f->len == f->start)
		return 0;
	nl = memchr(f->buf + f->start + f->scan, '\n',
	            f->len - f->start - f->scan);
	if (nl == NULL) {
		f->scan = f->len - f->start;
		return f->scan > f->max_line ? PZ_ERANGE : 0;
	}
	n = (size_t)(nl - (f->buf + f->start));
	if (n > f->max_line)
		return PZ_ERANGE;
	*line = f->buf + f->start;
	*len = n > 0 && (*line)[n - 1] == '\r' ? n - 1 : n;
	f->start += n + 1;
	f->scan = 0;
	return 1;
}

void pz_frame_compact(struct pz_frame *f)
{
	if (f->start == 0)
		return;
	if (f->start == f->len) {
		/* Idle connections keep no buffer. */
		free(f->buf);
		f->buf = NULL;
		f->len = f->cap = f->start = f->scan = 0;
		return;
	}
	memmove(f->buf, f->buf + f->start, f->len - f->start);
	f->len -= f->start;
	f->start = 0;
}

size_t pz_frame_pending(const struct pz_frame *f)
{
	return f->len - f->start;
}
