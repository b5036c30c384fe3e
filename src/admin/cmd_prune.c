/*
 * klaviyo-admin prune [--dry-run]: deletes rows older than the PRUNE_*
 * ages now (klaviyo-syncd also does it once a day).
 */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "prune.h"

static void
print_table(void *arg, const char *table, const char *what, long days,
    long long rows)
{
	printf("%-16s %8lld %s older than %ld day%s %s\n", table, rows, what,
	    days, days == 1 ? "" : "s", *(int *)arg ? "would be deleted" :
	    "deleted");
}

int
admin_prune(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	int dry_run = 0;

	if (argc == 1 && strcmp(argv[0], "--dry-run") == 0)
		dry_run = 1;
	else if (argc != 0) {
		admin_err("unexpected argument '%s'", argv[0]);
		return EXIT_USAGE;
	}
	return admin_exit(prune_run(db, cfg, dry_run, print_table, &dry_run));
}
