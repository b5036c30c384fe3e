/*
 * klaviyo-admin jobs list | jobs retry | jobs cancel: the sync queue
 * (sync_jobs, owned by src/core/jobq.c) seen and nudged by an operator.
 */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "connection.h"
#include "jobq.h"
#include "store.h"

#define LIST_DEFAULT 50
#define LIST_MAX 10000
#define LIST_FMT "%-8s %-12s %-36s %-9s %-11s %-9s %-3s %-20s %-20s %s\n"

static const char *const states[] = { "queued", "running", "done", "failed",
    "cancelled" };

static int
print_job(void *arg, const struct job_row *j)
{
	(void)arg;
	printf(LIST_FMT, j->id, j->store, j->connection, j->type, j->mode,
	    j->state, j->attempts, j->created, j->finished, j->last_error);
	return KC_OK;
}

int
admin_jobs_list(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	const char	*state = NULL, *store = NULL, *account = NULL;
	long long	 limit = LIST_DEFAULT, sid = 0, asid;
	size_t		 s;
	int		 i, rc;

	(void)cfg;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
			state = argv[++i];
			for (s = 0; s < nitems(states); s++)
				if (strcmp(state, states[s]) == 0)
					break;
			if (s == nitems(states)) {
				admin_err("--state takes queued, running, "
				    "done, failed or cancelled");
				return EXIT_USAGE;
			}
		} else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
			store = argv[++i];
		else if (strcmp(argv[i], "--account") == 0 && i + 1 < argc)
			account = argv[++i];
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
	if (store != NULL && (rc = store_find(db, store, &sid)) != KC_OK) {
		if (rc == KC_ERR_NOT_FOUND)
			admin_err("no store %s", store);
		return admin_exit(rc);
	}
	/* An unknown account is exit 4 like a store, not an empty list. */
	if (account != NULL && ((rc = conn_store_of(db, account, &asid)) !=
	    KC_OK || (store != NULL && asid != sid))) {
		if (rc == KC_OK || rc == KC_ERR_NOT_FOUND) {
			admin_err(store ? "store %s has no Klaviyo account %s" :
			    "no Klaviyo account %s%s", store ? store : "",
			    account);
			rc = KC_ERR_NOT_FOUND;
		}
		return admin_exit(rc);
	}
	printf(LIST_FMT, "ID", "STORE", "ACCOUNT", "TYPE", "MODE", "STATE",
	    "TRY", "CREATED", "FINISHED", "LAST ERROR");
	return admin_exit(jobq_list(db, state, store, account, (int)limit,
	    print_job, NULL));
}

/* The one ID argument, or an exit code. */
static int
one_id(int argc, char **argv, long long *id)
{
	if (argc != 1)
		return EXIT_USAGE;
	if (admin_number(argv[0], 999999999999999LL, id) != KC_OK) {
		admin_err("'%s' is not a job id", argv[0]);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int
admin_jobs_retry(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	char		state[16];
	long long	id;
	int		rc, sibling;

	(void)cfg;
	if ((rc = one_id(argc, argv, &id)) != EXIT_OK)
		return rc;
	rc = jobq_retry(db, id, state, sizeof(state), &sibling);
	if (rc == KC_ERR_NOT_FOUND)
		admin_err("no job %lld", id);
	else if (rc == KC_ERR_CONFLICT && sibling)
		admin_err("job %lld: a job of the same Klaviyo account and "
		    "type is queued already", id);
	else if (rc == KC_ERR_CONFLICT)
		admin_err("job %lld is %s; only a failed or cancelled job is "
		    "retried", id, state);
	if (rc != KC_OK)
		return admin_exit(rc);
	printf("job %lld queued again\n", id);
	return EXIT_OK;
}

int
admin_jobs_cancel(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	char		state[16];
	long long	id;
	int		rc;

	(void)cfg;
	if ((rc = one_id(argc, argv, &id)) != EXIT_OK)
		return rc;
	rc = jobq_cancel_one(db, id, state, sizeof(state));
	if (rc == KC_ERR_NOT_FOUND)
		admin_err("no job %lld", id);
	else if (rc == KC_ERR_CONFLICT)
		admin_err("job %lld is %s already; only a queued or running "
		    "job is cancelled", id, state);
	if (rc != KC_OK)
		return admin_exit(rc);
	printf("job %lld cancelled\n", id);
	return EXIT_OK;
}
