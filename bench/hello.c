/*
 * The FastCGI ceiling for bench/http.sh: a libfcgi hello-world that binds
 * the socket and forks workers as klaviyo-connect-fcgi does, and answers
 * every request with a small JSON body.  Not part of the product build.
 *   hello SOCKET WORKERS
 */
#include <fcgiapp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

static const char answer[] = "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n\r\n{\"success\":true}";

int
main(int argc, char **argv)
{
	FCGX_Request	 r;
	int		 fd, i, n;

	if (argc != 3 || (n = atoi(argv[2])) < 1 || FCGX_Init() != 0 ||
	    (fd = FCGX_OpenSocket(argv[1], 128)) < 0)
		return 2;
	/* libfcgi catches SIGTERM to finish a request; here it just ends. */
	signal(SIGTERM, SIG_DFL);
	for (i = 0; i < n; i++)
		if (fork() == 0) {
			/* The bench stops the master: its workers go too. */
			if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 ||
			    FCGX_InitRequest(&r, fd, 0) != 0)
				_exit(1);
			while (FCGX_Accept_r(&r) >= 0) {
				FCGX_PutStr(answer, sizeof(answer) - 1, r.out);
				FCGX_Finish_r(&r);
			}
			_exit(0);
		}
	for (;;)
		pause();
}
