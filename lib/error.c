/*
 * Error codes and messages: the one place where PZ_E* values get names.
 */
#include "error.h"

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

int pz_error_set(struct pz_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void pz_error_clear(struct pz_error *err)
{
	if (err == NULL)
		return;
	err->code = PZ_OK;
	err->msg[0] = '\0';
}
