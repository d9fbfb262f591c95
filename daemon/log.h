/*
 * Logging: one line per event, to stderr or to a file.
 *
 * Lines get a syslog priority prefix ("<3>") only when stderr is the
 * journal ($JOURNAL_STREAM names it), which turns the prefix into the
 * entry's priority; on a terminal or in a file a line starts with its
 * level word instead, and in a file with the time as well.
 *
 * The settings (threshold, destination) are the one piece of
 * process-wide state in the daemon: set at start-up from the command
 * line, changed only by SIGHUP reopening the file, read by every call.
 */
#ifndef PZ_LOG_H
#define PZ_LOG_H

enum pz_log_level { PZ_LOG_ERROR, PZ_LOG_WARN, PZ_LOG_INFO, PZ_LOG_DEBUG };

void pz_log_set_level(enum pz_log_level level);
/* -1 if `name` is not error|warn|info|debug. */
int pz_log_parse_level(const char *name);
/*
 * Log to the file at `path` (appending; created 0600) instead of stderr,
 * or reopen it (SIGHUP, after a rotation). 0, or -1 with errno, and
 * logging stays where it was.
 */
int pz_log_reopen(const char *path);
/* Back to stderr, closing a log file. */
void pz_log_close(void);
void pz_log(enum pz_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
