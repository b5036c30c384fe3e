/*
 * The service manager's readiness protocol, by hand: one datagram such
 * as "READY=1" to the unix socket named by $NOTIFY_SOCKET (systemd's
 * sd_notify(3) without linking libsystemd).  Without $NOTIFY_SOCKET it
 * does nothing, so the programs behave the same outside systemd.
 */
#ifndef KC_SDNOTIFY_H
#define KC_SDNOTIFY_H

#include "kc_err.h"

/*
 * KC_OK when sent or when there is no manager; KC_ERR_IO (and a warning
 * in the log) otherwise, which callers may ignore: a manager that misses
 * READY=1 times the start out by itself.
 */
int	sdnotify(const char *state);

#endif
