/*
 * klaviyo-admin triggers list | triggers redeliver: the report-trigger
 * outbox (report_triggers, owned by src/core/outbox.c).
 */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "outbox.h"

#define LIST_DEFAULT 50
#define LIST_MAX 10000

static int
print_trigger(void *arg, const struct trigger_row *t)
{
	(void)arg;
	printf("%-8s %-12s %-9s %-3s %-20s %-20s %s\n", t->id, t->store,
	    t->status, t->attempts, t->created, t->when, t->last_error);
	return KC_OK;
}

int
admin_triggers_list(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	long long	limit = LIST_DEFAULT;
	int		i, pending = 0;

	(void)cfg;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--pending") == 0)
			pending = 1;
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			if (admin_number(argv[++i], LIST_MAX, &limit) !=
			    KC_OK) {
				admin_err("--limit takes 1 to %d", LIST_MAX);
				return EXIT_USAGE;
			}
		} else {
			admin_err("unexpected argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	printf("%-8s %-12s %-9s %-3s %-20s %-20s %s\n", "ID", "STORE",
	    "STATUS", "TRY", "CREATED", "DONE/NEXT", "LAST ERROR");
	return admin_exit(outbox_list(db, pending, (int)limit, print_trigger,
	    NULL));
}

int
admin_triggers_redeliver(const struct kc_config *cfg, struct db *db,
    int argc, char **argv)
{
	long long	id;
	int		rc;

	(void)cfg;
	if (argc != 1)
		return EXIT_USAGE;
	if (admin_number(argv[0], 999999999999999LL, &id) != KC_OK) {
		admin_err("'%s' is not a trigger id", argv[0]);
		return EXIT_USAGE;
	}
	if ((rc = outbox_redeliver(db, id)) == KC_ERR_NOT_FOUND)
		admin_err("no trigger %lld", id);
	if (rc != KC_OK)
		return admin_exit(rc);
	printf("trigger %lld will be delivered again\n", id);
	return EXIT_OK;
}
