/*
 * One FastCGI worker: a single-threaded FCGX_Accept_r loop on the shared
 * listening socket, holding one PostgreSQL connection for life.  SIGTERM
 * lets the request in flight finish, then the loop ends; no signal is
 * blocked around a request (the handlers set flags, with SA_RESTART) and
 * an idle accept() gives up every HEARTBEAT_SECONDS for the heartbeat.
 * A connection whose input was read to its end is closed at once, not
 * after libfcgi's wait for nginx to close first.
 */
#ifndef KC_WORKER_H
#define KC_WORKER_H

#include "config.h"
#include "secretbox.h"

/* Returns the process exit status. */
int	worker_run(int listen_fd, const struct kc_config *,
	    const char *app_origin, const struct keyring *);

#endif
