/*
 * Programs refuse to run as root: a bug or a compromised dependency then
 * owns the host, and files they create would be root's.  Exit codes every
 * program shares for the refusals of this kind.
 */
#ifndef KC_PRIVS_H
#define KC_PRIVS_H

#define KC_EXIT_SCHEMA	5	/* the database schema is older: migrate */
#define KC_EXIT_ROOT	6	/* refused to run as root */

/*
 * 1 (after one line on stderr naming prog and what to do) when the
 * effective user is root, else 0.
 */
int	privs_refuse_root(const char *prog);
/*
 * PR_SET_DUMPABLE 0: no core dump, and /proc/PID/mem, environ and ptrace
 * closed to the same user (root keeps them).  Inherited by fork, reset by
 * execve.  Services call it first: they hold keys and master keys.
 */
int	privs_no_dump(void);

#endif
