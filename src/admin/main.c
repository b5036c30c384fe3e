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
	{ "migrate", "[--status] [--dir DIR]",
	  "Applies pending sql/NNN_name.sql migrations in order, each in one\n"
	  "transaction; --status lists applied and pending ones instead.\n"
	  "Refuses an applied migration whose file was edited (exit 3).",
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
	{ "rotate-keys", "",
	  "Re-encrypts every stored Klaviyo credential under the newest key\n"
	  "of KC_MASTER_KEYS (one row per transaction, while the service\n"
	  "runs).  Keep the old version listed until it has finished.",
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
	    "1 failure, 2 usage,\n3 conflict, 4 not found.\n");
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
	int			 used, i, rc;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
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
	if (config_load(&cfg, err, sizeof(err)) != KC_OK) {
		admin_err("%s", err);
		return EXIT_FAIL;
	}
	(void)log_level_parse(cfg.log_level, &lvl);
	log_init("admin", lvl < LOG_LVL_WARN ? lvl : LOG_LVL_WARN);
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
