/*
 * Logging to stderr (the journal, under systemd): one line per event,
 * prefixed with a syslog-style priority ("<3>") that journald understands
 * and a level word for people reading a terminal.
 *
 * The threshold is the one piece of process-wide state in the daemon: it
 * is set once at start-up from --log-level and only read afterwards.
 */
#ifndef PZ_LOG_H
#define PZ_LOG_H

enum pz_log_level { PZ_LOG_ERROR, PZ_LOG_WARN, PZ_LOG_INFO, PZ_LOG_DEBUG };

void pz_log_set_level(enum pz_log_level level);
/* -1 if `name` is not error|warn|info|debug. */
int pz_log_parse_level(const char *name);
void pz_log(enum pz_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
