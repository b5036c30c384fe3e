/* Wiping libfcgi's copies of a finished request; see fcgi_wipe.c. */
#ifndef KC_FCGI_WIPE_H
#define KC_FCGI_WIPE_H

#include <fcgiapp.h>

/* Before FCGX_Finish_r: its parameters and input buffer, zeroed. */
void	fcgi_wipe_request(FCGX_Request *);

#endif
