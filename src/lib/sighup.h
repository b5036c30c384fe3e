/*
 * SIGHUP as a request to reload, never a reason to die: the handler only
 * sets a flag that the program's loop takes between two pieces of work
 * (OpenBSD httpd's and nginx's "reload on HUP").
 */
#ifndef KC_SIGHUP_H
#define KC_SIGHUP_H

#include <sys/types.h>

/*
 * Catches SIGHUP from now on; a forked child inherits the handler.
 * restart 0: a blocking waitpid() or accept() ends with EINTR, so the
 * reload is prompt; 1 (SA_RESTART): calls in the middle of a request go
 * on (the web worker, whose accept() has a timeout and ends anyway).
 */
void	sighup_install(int restart);
/* 1 once per SIGHUP received since the last call (several count once). */
int	sighup_take(void);
/* Sends SIGHUP to each pid above 0 of pids[0..n-1] (a master's workers). */
void	sighup_forward(const pid_t *pids, long n);

#endif
