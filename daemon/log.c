/*
 * Logging; see log.h.
 */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static struct {
	enum pz_log_level threshold;
	FILE *file;       /* NULL: stderr */
	int journal;      /* -1: not checked yet */
} state = {PZ_LOG_INFO, NULL, -1};

void pz_log_set_level(enum pz_log_level level)
{
	state.threshold = level;
}

int pz_log_parse_level(const char *name)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};

	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

int pz_log_reopen(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0)
		return -1;
	f = fdopen(fd, "a");
	if (f == NULL) {
		close(fd);
		return -1;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	if (state.file != NULL)
		fclose(state.file);
	state.file = f;
	return 0;
}

void pz_log_close(void)
{
	if (state.file != NULL)
		fclose(state.file);
	state.file = NULL;
}

/* Is stderr the journal? $JOURNAL_STREAM is "DEVICE:INODE" of it. */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void pz_log(enum pz_log_level level, const char *fmt, ...)
{
	static const char *const journal[] = {"<3>", "<4>", "<6>", "<7>"};
	static const char *const word[] = {"error: ", "warning: ", "",
	                                   "debug: "};
	FILE *out = state.file != NULL ? state.file : stderr;
	va_list ap;

	if (level > state.threshold)
		return;
	if (state.journal < 0)
		state.journal = stderr_is_journal();
	if (state.file != NULL) {
		char when[32];
		time_t now = time(NULL);
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z ",
		         localtime_r(&now, &tm));
		fputs(when, out);
	} else if (state.journal) {
		fputs(journal[level], out);
	}
	fputs(word[level], out);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}
