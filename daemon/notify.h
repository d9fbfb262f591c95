/*
 * systemd integration without libsystemd: readiness notification
 * (sd_notify's datagram protocol on $NOTIFY_SOCKET) and socket activation
 * ($LISTEN_PID / $LISTEN_FDS, the first passed fd is 3).
 */
#ifndef PZ_NOTIFY_H
#define PZ_NOTIFY_H

/* Send `state` (e.g. "READY=1") if $NOTIFY_SOCKET is set; 0 otherwise. */
int pz_notify(const char *state);

/*
 * The listening fd passed by systemd, checked to be a Unix stream socket
 * that listens; -1 when none was passed, -2 (with a message) when the
 * passed fd is unusable. Clears the LISTEN_* variables.
 */
int pz_listen_fd(char *msg, int msg_len);

#endif
