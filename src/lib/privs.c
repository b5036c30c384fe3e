/* Refusing root; see privs.h. */
#include "privs.h"

#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int
privs_refuse_root(const char *prog)
{
	if (geteuid() != 0)
		return 0;
	fprintf(stderr, "%s: refusing to run as root; run it as the service "
	    "user (e.g. setpriv --reuid=klaviyo-connect --regid="
	    "klaviyo-connect --clear-groups -- %s ...)\n", prog, prog);
	return 1;
}

int
privs_no_dump(void)
{
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
