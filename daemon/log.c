/*
 * stderr logging with journald priorities; see log.h.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum pz_log_level threshold = PZ_LOG_INFO;

void pz_log_set_level(enum pz_log_level level)
{
	threshold = level;
}

int pz_log_parse_level(const char *name)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};

	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

void pz_log(enum pz_log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = {"<3>error: ", "<4>warning: ",
	                                     "<6>", "<7>debug: "};
	va_list ap;

	if (level > threshold)
		return;
	fputs(prefix[level], stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
