/*
 * systemd integration without libsystemd: readiness notification
 * (sd_notify's datagram protocol on $NOTIFY_SOCKET), the watchdog, and
 * socket activation ($LISTEN_PID / $LISTEN_FDS, the first passed fd is 3).
 */
#ifndef PZ_NOTIFY_H
#define PZ_NOTIFY_H

#include <stdbool.h>
#include <uv.h>

/* Send `state` (e.g. "READY=1") if $NOTIFY_SOCKET is set; 0 otherwise. */
int pz_notify(const char *state);

/*
 * The listening fd passed by systemd, checked to be a Unix stream socket
 * that listens; -1 when none was passed, -2 (with a message) when the
 * passed fd is unusable. Clears the LISTEN_* variables.
 */
int pz_listen_fd(char *msg, int msg_len);

/*
 * The systemd watchdog (WatchdogSec=, sd_watchdog_enabled(3)): when
 * $WATCHDOG_USEC is set (and $WATCHDOG_PID, if set, is ours), a timer on
 * the loop sends WATCHDOG=1 every quarter of that interval. It runs on the
 * loop, so a loop that stops turning stops the pings and systemd restarts
 * the daemon. The timer is unreferenced: it never keeps the loop alive.
 */
struct pz_watchdog {
	uv_timer_t timer;
	bool on;
};

/* Start the pings if systemd asks for them. Returns true if it does. */
bool pz_watchdog_start(struct pz_watchdog *wd, uv_loop_t *loop);

/* Stop them and close the timer (its memory stays the caller's). */
void pz_watchdog_stop(struct pz_watchdog *wd);

#endif
