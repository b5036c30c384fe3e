/*
 * klaviyo-admin: the operator's command line.  Each command is a table
 * entry (tmux cmd-*.c) with its own usage text; exit codes say what went
 * wrong so scripts can react.
 */
#ifndef KC_ADMIN_H
#define KC_ADMIN_H

#include "config.h"
#include "db.h"
#include "privs.h"

#define EXIT_OK 0
#define EXIT_FAIL 1		/* database or system failure */
#define EXIT_USAGE 2		/* bad command line */
#define EXIT_CONFLICT 3		/* already exists, edited migration */
#define EXIT_NOTFOUND 4		/* no such user, store or role */
#define EXIT_PENDING KC_EXIT_SCHEMA	/* migrate --status: migrations pending */
#define EXIT_ROOT KC_EXIT_ROOT		/* refused to run as root */
#define EXIT_KEYS_NOT_LOADED 7	/* rotate-keys: a process lacks the key */
#define EXIT_NO_SYNCD 8		/* status: no klaviyo-syncd alive */

struct admin_cmd {
	const char	*name;		/* "user add" */
	const char	*args;		/* "EMAIL" */
	const char	*help;		/* one paragraph */
	int		(*run)(const struct kc_config *, struct db *, int,
			    char **);
};

extern const struct admin_cmd admin_cmds[];
extern const size_t admin_ncmds;

int	admin_migrate(const struct kc_config *, struct db *, int, char **);
int	admin_user_add(const struct kc_config *, struct db *, int, char **);
int	admin_user_list(const struct kc_config *, struct db *, int, char **);
int	admin_store_add(const struct kc_config *, struct db *, int, char **);
int	admin_store_list(const struct kc_config *, struct db *, int, char **);
int	admin_grant(const struct kc_config *, struct db *, int, char **);
int	admin_revoke(const struct kc_config *, struct db *, int, char **);
int	admin_rotate_keys(const struct kc_config *, struct db *, int,
	    char **);
int	admin_session_issue(const struct kc_config *, struct db *, int,
	    char **);
int	admin_user_disable(const struct kc_config *, struct db *, int,
	    char **);
int	admin_user_enable(const struct kc_config *, struct db *, int,
	    char **);
int	admin_user_password(const struct kc_config *, struct db *, int,
	    char **);
int	admin_session_list(const struct kc_config *, struct db *, int,
	    char **);
int	admin_session_revoke(const struct kc_config *, struct db *, int,
	    char **);
int	admin_jobs_list(const struct kc_config *, struct db *, int, char **);
int	admin_jobs_retry(const struct kc_config *, struct db *, int, char **);
int	admin_jobs_cancel(const struct kc_config *, struct db *, int,
	    char **);
int	admin_triggers_list(const struct kc_config *, struct db *, int,
	    char **);
int	admin_triggers_redeliver(const struct kc_config *, struct db *, int,
	    char **);
int	admin_accounts_list(const struct kc_config *, struct db *, int,
	    char **);
int	admin_accounts_remove(const struct kc_config *, struct db *, int,
	    char **);
int	admin_accounts_make_primary(const struct kc_config *, struct db *,
	    int, char **);
int	admin_status(const struct kc_config *, struct db *, int, char **);
int	admin_prune(const struct kc_config *, struct db *, int, char **);

/* Prints "klaviyo-admin: <msg>" to stderr. */
void	admin_err(const char *, ...) KC_PRINTF(1, 2);
/* Maps a kc_err to an exit code, printing what for db failures. */
int	admin_exit(int rc);
/* Reads a password: prompt twice on a terminal, else one stdin line. */
int	admin_read_password(char *, size_t) KC_MUSTCHECK;
/* Looks up a user id by e-mail (lower-cased); KC_ERR_NOT_FOUND. */
int	admin_user_id(struct db *, const char *email, long long *)
	    KC_MUSTCHECK;
/*
 * Reads a new password (prompt or stdin), checks the policy and hashes
 * it at the configured cost, the plain text wiped on every path: EXIT_OK
 * or the exit code, with what went wrong said.
 */
int	admin_new_password(const struct kc_config *, char *hash, size_t);
/* Lower-cases an e-mail into out; KC_ERR_BAD_INPUT when malformed. */
int	admin_email(const char *, char *, size_t) KC_MUSTCHECK;
/* Parses a positive id or count (1..max); KC_ERR_BAD_INPUT. */
int	admin_number(const char *, long long max, long long *) KC_MUSTCHECK;

#endif
