/* klaviyo-admin migrate [--status | --dry-run] [--dir DIR] [--allow-root] */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "migrate.h"

int
admin_migrate(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	const char	*dir = cfg->sql_dir;
	char		 err[512];
	int		 mode = MIGRATE_APPLY, i, n, rc;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--status") == 0 && mode == MIGRATE_APPLY)
			mode = MIGRATE_STATUS;
		else if (strcmp(argv[i], "--dry-run") == 0 &&
		    mode == MIGRATE_APPLY)
			mode = MIGRATE_DRY_RUN;
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--allow-root") == 0)
			continue;	/* main() decided already */
		else {
			admin_err("unexpected argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	/*
	 * The session advisory lock that serializes migrations would be
	 * taken on one pooled server connection and released on another.
	 */
	if (mode == MIGRATE_APPLY && db_transaction_pooling()) {
		admin_err("migrate needs PostgreSQL itself, not a "
		    "transaction-pooling PgBouncer: run it with "
		    "DB_TRANSACTION_POOLING=0 and a DATABASE_URL of the server");
		return EXIT_FAIL;
	}
	rc = migrate_run(db, dir, mode, stdout, &n, err, sizeof(err));
	if (rc != KC_OK) {
		admin_err("%s", err);
		return rc == KC_ERR_CONFLICT ? EXIT_CONFLICT : EXIT_FAIL;
	}
	if (mode == MIGRATE_APPLY)
		printf(n ? "%d migration%s applied\n" :
		    "nothing to apply: the schema is up to date\n", n,
		    n == 1 ? "" : "s");
	else if (mode == MIGRATE_DRY_RUN)
		printf(n ? "%d migration%s would be applied (dry run)\n" :
		    "nothing to apply: the schema is up to date\n", n,
		    n == 1 ? "" : "s");
	/* Scripts and deploy checks test "migrate --status" alone. */
	if (mode == MIGRATE_STATUS && n > 0)
		return EXIT_PENDING;
	return EXIT_OK;
}
