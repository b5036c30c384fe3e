/*
 * One FastCGI worker: a single-threaded FCGX_Accept_r loop on the shared
 * listening socket, holding one PostgreSQL connection for life.  SIGTERM
 * lets the request in flight finish, then the loop ends.
 */
#ifndef KC_WORKER_H
#define KC_WORKER_H

#include "config.h"
#include "secretbox.h"

/* Returns the process exit status. */
int	worker_run(int listen_fd, const struct kc_config *,
	    const char *app_origin, const struct keyring *);

#endif
