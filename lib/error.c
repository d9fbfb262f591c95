/*
 * Error codes and messages: the one place where PZ_E* values get names.
 */
#include <parzen/error.h>

#include <stdarg.h>
#include <stdio.h>

const char *pz_strerror(int code)
{
	switch (code) {
	case PZ_OK:
		return "success";
	case PZ_EINVAL:
		return "invalid argument";
	case PZ_ENOMEM:
		return "out of memory";
	case PZ_ERANGE:
		return "value out of range";
	case PZ_ENOENT:
		return "not found";
	case PZ_EEXIST:
		return "already exists";
	case PZ_ESTATE:
		return "not allowed in the current state";
	case PZ_EIO:
		return "input/output error";
	case PZ_EPROTO:
		return "protocol error";
	default:
		return "unknown error";
	}
}

static int vset(struct pz_error *err, int code, const char *path,
                const char *fmt, va_list ap)
{
	int n = 0;

	err->code = code;
	snprintf(err->path, sizeof(err->path), "%s", path != NULL ? path : "");
	if (err->path[0] != '\0')
		n = snprintf(err->msg, sizeof(err->msg), "%s: ", err->path);
	if (n < 0 || (size_t)n >= sizeof(err->msg))
		n = 0;
	vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	return code;
}

int pz_error_set(struct pz_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vset(err, code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int pz_error_set_at(struct pz_error *err, int code, const char *path,
                    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vset(err, code, path, fmt, ap);
	va_end(ap);
	return code;
}

int pz_error_set_key(struct pz_error *err, int code, const char *prefix,
                     const char *key, const char *fmt, ...)
{
	char path[PZ_ERROR_PATH_MAX];
	va_list ap;

	if (err == NULL)
		return code;
	snprintf(path, sizeof(path), "%s.%s", prefix, key);
	va_start(ap, fmt);
	vset(err, code, path, fmt, ap);
	va_end(ap);
	return code;
}

void pz_error_clear(struct pz_error *err)
{
	if (err == NULL)
		return;
	err->code = PZ_OK;
	err->path[0] = '\0';
	err->msg[0] = '\0';
}
