/* klaviyo-admin migrate [--status] [--dir DIR] */
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
	int		 status = 0, i, n, rc;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--status") == 0)
			status = 1;
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else {
			admin_err("unexpected argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	rc = migrate_run(db, dir, status, stdout, &n, err, sizeof(err));
	if (rc != KC_OK) {
		admin_err("%s", err);
		return rc == KC_ERR_CONFLICT ? EXIT_CONFLICT : EXIT_FAIL;
	}
	if (!status)
		printf(n ? "%d migration%s applied\n" :
		    "nothing to apply: the schema is up to date\n", n,
		    n == 1 ? "" : "s");
	return EXIT_OK;
}
