/*
 * SIGHUP in the FastCGI master (reload.h): the master reloads its own
 * settings, used by the workers it forks from now on, and passes the
 * signal to every worker, which reloads between two requests.  Nobody
 * exits, nobody is replaced.
 */
#ifndef KC_FCGI_HUP_H
#define KC_FCGI_HUP_H

#include <sys/types.h>

#include "config.h"
#include "secretbox.h"

void	master_hup(const struct kc_config *, struct keyring *,
	    const pid_t *workers, long n);

#endif
