/* SIGHUP as a reload request; see sighup.h. */
#include "sighup.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t pending;

static void
on_hup(int sig)
{
	(void)sig;
	pending = 1;
}

void
sighup_install(int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
}

int
sighup_take(void)
{
	if (!pending)
		return 0;
	pending = 0;
	return 1;
}

void
sighup_forward(const pid_t *pids, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			(void)kill(pids[i], SIGHUP);
}
