/*
 * Line framing: bytes in, complete lines out.
 *
 * A frame buffer receives bytes in place (pz_frame_space, then
 * pz_frame_filled) and hands out each complete '\n'-terminated line
 * (without the '\n' and a trailing '\r'). A line longer than max_line is
 * an error: the rest of the stream cannot be framed. Lines stay valid
 * until the next call that adds bytes or compacts. No I/O: the connection
 * layer reads, tests feed bytes directly.
 */
#ifndef PZ_FRAME_H
#define PZ_FRAME_H

#include <stddef.h>

struct pz_frame {
	char *buf;
	size_t len;       /* bytes held */
	size_t cap;
	size_t start;     /* first byte not yet handed out */
	size_t scan;      /* bytes from start already known to hold no '\n' */
	size_t max_line;
};

void pz_frame_init(struct pz_frame *f, size_t max_line);
void pz_frame_finish(struct pz_frame *f);

/*
 * Room for at least `want` more bytes: *ptr and *len describe it. PZ_ENOMEM
 * if the buffer cannot grow.
 */
int pz_frame_space(struct pz_frame *f, size_t want, char **ptr, size_t *len);
/* `n` bytes were written into the room pz_frame_space gave. */
void pz_frame_filled(struct pz_frame *f, size_t n);

/*
 * The next complete line: 1 with *line and *len set, 0 when there is none
 * yet, PZ_ERANGE when the next line is longer than max_line (complete or
 * not).
 */
int pz_frame_next(struct pz_frame *f, const char **line, size_t *len);

/* Drop the lines handed out; frees the buffer when it is empty. */
void pz_frame_compact(struct pz_frame *f);

/* Bytes buffered and not handed out (a partial line, or unread lines). */
size_t pz_frame_pending(const struct pz_frame *f);

#endif
