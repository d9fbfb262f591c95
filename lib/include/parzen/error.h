/*
 * Error codes and human-readable error messages for libparzen.
 *
 * Every fallible function returns 0 or a negative PZ_E* code. When the
 * caller passes a struct pz_error, a message a person can act on is written
 * into it. Errors about one value of a document (a space, params, a
 * config) also name its JSON path in `path` (e.g.
 * "space.layers.options[1].width"), and the message starts with that path
 * followed by ": ", so that the message alone still says where; code that
 * needs the path reads the field, never the message.
 */
#ifndef PZ_ERROR_H
#define PZ_ERROR_H

enum {
	PZ_OK = 0,
	PZ_EINVAL = -1, /* bad input: a space, params, config or argument */
	PZ_ENOMEM = -2, /* allocation failed */
	PZ_ERANGE = -3, /* a value is out of its allowed range */
	PZ_ENOENT = -4, /* no such label, trial or object */
	PZ_EEXIST = -5, /* already exists (duplicate label or trial) */
	PZ_ESTATE = -6, /* operation not allowed in the current state */
	PZ_EIO = -7,    /* I/O or storage failure (used by the daemon) */
	PZ_EPROTO = -8, /* protocol violation (used by the daemon) */
};

#define PZ_ERROR_MSG_MAX 512
#define PZ_ERROR_PATH_MAX 384

struct pz_error {
	int code;
	char path[PZ_ERROR_PATH_MAX]; /* "" when the error has no place */
	char msg[PZ_ERROR_MSG_MAX];
};

/* Static, never NULL. */
const char *pz_strerror(int code);

/*
 * Record `code` and a printf-style message in `err` (which may be NULL) and
 * return `code`, so that callers can write `return pz_error_set(err, ...)`.
 */
int pz_error_set(struct pz_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The same for an error at JSON path `path`: err->path = path and the
 * message is "PATH: " followed by the formatted text.
 */
int pz_error_set_at(struct pz_error *err, int code, const char *path,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The same at the path `prefix`.`key` (e.g. "params" and a label). */
int pz_error_set_key(struct pz_error *err, int code, const char *prefix,
                     const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Reset `err` (may be NULL) to PZ_OK with an empty message. */
void pz_error_clear(struct pz_error *err);

#endif
