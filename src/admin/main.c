/*
 * klaviyo-admin: migrations, users, stores, roles and sessions from the
 * command line.  Passwords are read from stdin or a prompt, never argv.
 */
#include "kc_autoconf.h"

#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "log.h"

const struct admin_cmd admin_cmds[] = {
	{ "migrate", "[--status | --dry-run] [--dir DIR] [--allow-root]",
	  "Applies pending sql/NNN_name.sql migrations in order, each in one\n"
	  "transaction; --status lists applied and pending ones instead and\n"
	  "exits 5 when some are pending; --dry-run lists what would be\n"
	  "applied.  Refuses an applied migration whose file was edited\n"
	  "(exit 3) and a misnamed file in the folder (exit 1).  Runs as\n"
	  "root only with --allow-root.",
	  admin_migrate },
	{ "user add", "EMAIL",
	  "Creates a user.  The password (10 to 1024 characters) is read\n"
	  "from standard input, or prompted for twice on a terminal.",
	  admin_user_add },
	{ "user list", "",
	  "Lists users with their stores and roles.", admin_user_list },
	{ "store add", "PUBLIC_ID NAME",
	  "Creates a store.  PUBLIC_ID is 1-64 of [A-Za-z0-9_-], or - to\n"
	  "generate one; the public id is printed.", admin_store_add },
	{ "store list", "",
	  "Lists stores with their Klaviyo status.", admin_store_list },
	{ "accounts list", "STORE_PUBLIC_ID",
	  "Lists the store's Klaviyo accounts (connections), primary first:\n"
	  "id, primary, status, Klaviyo account id, auth (the masked key or\n"
	  "oauth), conversion metric, last sync and account name.",
	  admin_accounts_list },
	{ "accounts remove", "STORE_PUBLIC_ID ACCOUNT_ID",
	  "Removes one Klaviyo account of the store with its credential,\n"
	  "jobs and synced data (the oldest remaining one becomes primary\n"
	  "when it was the primary), and revokes its OAuth grant at Klaviyo;\n"
	  "says so when the grant could not be revoked.  Audited.",
	  admin_accounts_remove },
	{ "accounts make-primary", "STORE_PUBLIC_ID ACCOUNT_ID",
	  "Makes the account the store's primary (the one the seed's routes\n"
	  "and the report server see), with a report trigger.  Audited.",
	  admin_accounts_make_primary },
	{ "grant", "EMAIL STORE_PUBLIC_ID ROLE",
	  "Gives the user ROLE (owner, admin or viewer) on the store through\n"
	  "their contract seat (created when missing); replaces an existing\n"
	  "role on that store.", admin_grant },
	{ "revoke", "EMAIL STORE_PUBLIC_ID",
	  "Removes the user's access to the store.", admin_revoke },
	{ "session issue", "EMAIL [--hours N]",
	  "Prints a new session token for scripts, to be sent as\n"
	  "Authorization: Bearer TOKEN.  Default lifetime SESSION_TTL_HOURS.",
	  admin_session_issue },
	{ "user disable", "EMAIL",
	  "Disables a user: signing in answers like a wrong password and\n"
	  "every session of the user ends at once.", admin_user_disable },
	{ "user enable", "EMAIL",
	  "Lets a disabled user sign in again.", admin_user_enable },
	{ "user password", "EMAIL",
	  "Sets a new password, read like user add's, and ends every\n"
	  "session of the user.", admin_user_password },
	{ "session list", "EMAIL",
	  "Lists the user's sessions: created, expires, last seen (to the\n"
	  "minute).  Tokens are never shown (only their hash is stored).",
	  admin_session_list },
	{ "session revoke", "EMAIL",
	  "Ends every session of the user (signed out everywhere).",
	  admin_session_revoke },
	{ "jobs list", "[--state S] [--store PUBLIC_ID] [--account ID] "
	  "[--limit N]",
	  "Lists the newest sync jobs (50 unless --limit) with their Klaviyo\n"
	  "account, optionally only those in state S (queued, running, done,\n"
	  "failed, cancelled), of one store or of one Klaviyo account (its\n"
	  "id in accounts list).", admin_jobs_list },
	{ "jobs retry", "ID",
	  "Queues a failed or cancelled job again (it resumes from its\n"
	  "saved position).  Exit 3 when the job is in another state or a\n"
	  "job of the same Klaviyo account and type is queued already.",
	  admin_jobs_retry },
	{ "jobs cancel", "ID",
	  "Cancels a queued or running job (a running one stops at its next\n"
	  "heartbeat).  Exit 3 when it has finished already.",
	  admin_jobs_cancel },
	{ "triggers list", "[--pending] [--limit N]",
	  "Lists the newest report triggers (50 unless --limit); --pending\n"
	  "only those not delivered or cancelled.", admin_triggers_list },
	{ "triggers redeliver", "ID",
	  "Makes a trigger due again now, delivered or cancelled or not;\n"
	  "klaviyo-syncd then delivers it once more.",
	  admin_triggers_redeliver },
	{ "prune", "[--dry-run]",
	  "Deletes rows older than the PRUNE_* ages (audit log, finished\n"
	  "jobs, delivered triggers, idle rate-limit windows, login\n"
	  "counters, report idempotency keys, expired sessions and OAuth\n"
	  "attempts); --dry-run counts them instead.  klaviyo-syncd does\n"
	  "it every PRUNE_INTERVAL_HOURS.", admin_prune },
	{ "status", "",
	  "Shows the live processes (klaviyo-connect-fcgi workers and\n"
	  "klaviyo-syncd: host, pid, heartbeat age, master key versions,\n"
	  "jobs) and the queues.  Exit 8 when no klaviyo-syncd is alive.",
	  admin_status },
	{ "rotate-keys", "[--force]",
	  "Re-encrypts every stored Klaviyo credential under the newest key\n"
	  "of KC_MASTER_KEYS (one row per transaction, while the service\n"
	  "runs).  Refused (exit 7) while a live process does not hold that\n"
	  "key version: add it to every host's KC_MASTER_KEYS and reload\n"
	  "them first; --force skips that check.  Keep the old version\n"
	  "listed until it has finished.",
	  admin_rotate_keys },
};
const size_t admin_ncmds = nitems(admin_cmds);

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: klaviyo-admin COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < admin_ncmds; i++)
		fprintf(fp, "  %s %s\n", admin_cmds[i].name,
		    admin_cmds[i].args);
	fprintf(fp, "\n'klaviyo-admin COMMAND --help' explains one command."
	    "\nSettings come from the environment (DATABASE_URL, "
	    "KC_SQL_DIR, ...);\nsee klaviyo-admin(8).  Exit codes: 0 ok, "
	    "1 failure, 2 usage,\n3 conflict, 4 not found, 5 migrations "
	    "pending, 6 refused to run as root,\n7 a process lacks the new "
	    "master key, 8 no klaviyo-syncd alive.\n");
}

static void
cmd_usage(FILE *fp, const struct admin_cmd *c)
{
	fprintf(fp, "usage: klaviyo-admin %s %s\n\n%s\n", c->name, c->args,
	    c->help);
}

/* Finds the command named by one or two leading words. */
static const struct admin_cmd *
find_cmd(int argc, char **argv, int *used)
{
	char	two[64];
	size_t	i;

	for (i = 0; i < admin_ncmds; i++) {
		if (strcmp(admin_cmds[i].name, argv[0]) == 0) {
			*used = 1;
			return &admin_cmds[i];
		}
		if (argc < 2)
			continue;
		snprintf(two, sizeof(two), "%s %s", argv[0], argv[1]);
		if (strcmp(admin_cmds[i].name, two) == 0) {
			*used = 2;
			return &admin_cmds[i];
		}
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	const struct admin_cmd	*c;
	struct kc_config	 cfg;
	struct db		*db = NULL;
	enum log_level		 lvl;
	char			 err[256];
	int			 used, i, rc, allow_root;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(argc == 2 ? stdout : stderr);
		return argc == 2 ? EXIT_OK : EXIT_USAGE;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		if (argc != 2) {
			usage(stderr);
			return EXIT_USAGE;
		}
		printf("klaviyo-admin %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	if ((c = find_cmd(argc - 1, argv + 1, &used)) == NULL) {
		admin_err("unknown command '%s'", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 1 + used; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			cmd_usage(stdout, c);
			return EXIT_OK;
		}
	/* Only a migration may be run as root, and only when asked. */
	allow_root = 0;
	for (i = 1 + used; i < argc; i++)
		if (strcmp(c->name, "migrate") == 0 &&
		    strcmp(argv[i], "--allow-root") == 0)
			allow_root = 1;
	if (!allow_root && privs_refuse_root("klaviyo-admin"))
		return EXIT_ROOT;
	if (config_load(&cfg, err, sizeof(err)) != KC_OK) {
		admin_err("%s", err);
		return EXIT_FAIL;
	}
	(void)log_level_parse(cfg.log_level, &lvl);
	log_init("admin", lvl < LOG_LVL_WARN ? lvl : LOG_LVL_WARN);
	db_set_transaction_pooling((int)cfg.db_transaction_pooling);
	if (db_open(cfg.database_url, "klaviyo-admin", &db) != KC_OK)
		return EXIT_FAIL;
	if (db_ensure(db) != KC_OK) {
		admin_err("cannot reach the database (check DATABASE_URL)");
		db_close(db);
		return EXIT_FAIL;
	}
	rc = c->run(&cfg, db, argc - 1 - used, argv + 1 + used);
	if (rc == EXIT_USAGE)
		cmd_usage(stderr, c);
	db_close(db);
	return rc;
}
