/* The database's queues at a glance; see queue_stats.h. */
#include "queue_stats.h"

#include <stdlib.h>
#include <string.h>

/*
 * The partial indexes cover the queued jobs and the pending triggers;
 * running and failed jobs are few (finished ones are pruned).
 */
static const char SQL_STATS[] =
    "SELECT"
    " (SELECT count(*) FROM sync_jobs WHERE state = 'queued'),"
    " (SELECT count(*) FROM sync_jobs WHERE state = 'running'),"
    " (SELECT count(*) FROM sync_jobs WHERE state = 'failed'),"
    " (SELECT coalesce(extract(epoch FROM now() - min(run_after)), 0)"
    "::bigint FROM sync_jobs WHERE state = 'queued' AND run_after <= now()),"
    " (SELECT count(*) FROM report_triggers WHERE delivered_at IS NULL"
    " AND cancelled_at IS NULL),"
    " (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)"
    "::bigint FROM report_triggers WHERE delivered_at IS NULL"
    " AND cancelled_at IS NULL)";

int
queue_stats_read(struct db *db, struct queue_stats *qs)
{
	PGresult	*res = NULL;
	int		 rc;

	memset(qs, 0, sizeof(*qs));
	if ((rc = db_query(db, SQL_STATS, 0, NULL, &res)) != KC_OK)
		return rc;
	qs->jobs_queued = atoll(PQgetvalue(res, 0, 0));
	qs->jobs_running = atoll(PQgetvalue(res, 0, 1));
	qs->jobs_failed = atoll(PQgetvalue(res, 0, 2));
	qs->oldest_queued_s = atoll(PQgetvalue(res, 0, 3));
	qs->outbox_pending = atoll(PQgetvalue(res, 0, 4));
	qs->oldest_outbox_s = atoll(PQgetvalue(res, 0, 5));
	PQclear(res);
	return KC_OK;
}
