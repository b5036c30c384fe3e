/*
 * The sync job queue (sync_jobs): jobs are claimed with FOR UPDATE SKIP
 * LOCKED and a lease that the running job renews; a job whose worker died
 * is claimed again once its lease has expired and resumes from its saved
 * cursor.  One queued job per connection and type (a partial unique index).
 */
#ifndef KC_JOBQ_H
#define KC_JOBQ_H

#include <json-c/json.h>

#include "db.h"
#include "integration.h"
#include "kc_err.h"

/*
 * SQL: job row a is parked mid-sync, queued again with its cursor and no
 * error (waiting for its account's next report slot, or yielded after
 * planning): to anyone watching, it is still syncing.
 */
#define JOBQ_SQL_PARKED(a)						\
    "(" a ".state = 'queued' AND " a ".cursor <> '{}'"			\
    " AND " a ".last_error IS NULL)"

struct job {
	long long		 id;
	long long		 store_id;
	char			 store_public_id[65];
	long long		 conn_id;	/* the Klaviyo connection */
	char			 conn_public_id[65];
	char			 type[16];
	char			 mode[16];
	int			 attempts;
	struct json_object	*cursor;	/* saved position, {} at first */
	struct integration	 integ;		/* the connection's, at claim */
	long long		 trigger_id;
};

/*
 * Queues a job of a Klaviyo connection (or finds the one already queued
 * for that connection and type); *id gets its id.
 */
int	jobq_enqueue(struct db *, long long conn_id, const char *type,
	    const char *mode, long long trigger_id, long long *id)
	    KC_MUSTCHECK;
/*
 * Queues a job unless one of that connection and type is queued already;
 * *added is 1 when this call queued it.
 */
int	jobq_enqueue_new(struct db *, long long conn_id, const char *type,
	    const char *mode, int *added) KC_MUSTCHECK;
/* Claims the next runnable job; KC_ERR_NOT_FOUND when there is none. */
int	jobq_claim(struct db *, const char *owner, int lease_seconds,
	    struct job *) KC_MUSTCHECK;
/*
 * Renews the lease and saves progress and cursor (either may be NULL);
 * KC_ERR_CONFLICT when the job is no longer ours (cancelled, lease lost).
 */
int	jobq_heartbeat(struct db *, const struct job *, const char *owner,
	    int lease_seconds, struct json_object *progress,
	    struct json_object *cursor) KC_MUSTCHECK;
/*
 * The same, then COMMIT, in one round trip: for a step's transaction
 * that began with jobq_heartbeat (whose row lock keeps the job ours, so
 * this one cannot find it gone).
 */
int	jobq_heartbeat_commit(struct db *, const struct job *,
	    const char *owner, int lease_seconds,
	    struct json_object *progress, struct json_object *cursor)
	    KC_MUSTCHECK;
int	jobq_finish(struct db *, const struct job *, const char *owner,
	    const char *state, const char *error) KC_MUSTCHECK;
/* Back to queued, to run at now + seconds (a daily cap, a long wait). */
int	jobq_reschedule(struct db *, const struct job *, const char *owner,
	    long seconds, const char *why) KC_MUSTCHECK;
/*
 * Back to queued until the account's next rate-limit slot, with its
 * cursor: not a failure (no error, the attempt given back).
 */
int	jobq_park(struct db *, const struct job *, const char *owner,
	    long seconds) KC_MUSTCHECK;
/*
 * Cancels a connection's queued and running jobs (a running one sees it
 * at its next heartbeat and stops).
 */
int	jobq_cancel_connection(struct db *, long long conn_id) KC_MUSTCHECK;
/*
 * The ids of the jobs owner holds (running under its lease), renewing
 * all their leases in the same statement when renew is set.  *ids is
 * for the caller to free.
 */
int	jobq_held(struct db *, const char *owner, int lease_seconds,
	    int renew, long long **ids, size_t *n) KC_MUSTCHECK;
/* Cancels the connection's queued and running jobs of a type, with why. */
int	jobq_cancel_type(struct db *, long long conn_id, const char *type,
	    const char *why) KC_MUSTCHECK;
/* Cancels the connection's queued jobs with why (running ones go on). */
int	jobq_cancel_queued(struct db *, long long conn_id, const char *why)
	    KC_MUSTCHECK;
void	job_clear(struct job *);

/* One job of jobq_list, as text. */
struct job_row {
	const char	*id, *store, *connection, *type, *mode, *state;
	const char	*attempts;
	const char	*created, *finished;	/* ISO 8601 UTC or "-" */
	const char	*last_error;		/* "" when none */
};
/*
 * The newest jobs (state, store public id, connection public id: NULL
 * for any), to fn.
 */
int	jobq_list(struct db *, const char *state, const char *store,
	    const char *connection, int limit,
	    int (*fn)(void *, const struct job_row *), void *arg)
	    KC_MUSTCHECK;
/*
 * Queues a failed or cancelled job again.  KC_ERR_NOT_FOUND; with
 * KC_ERR_CONFLICT, state gets its state and *queued_sibling is 1 when a
 * queued job of the same connection and type is in the way.
 */
int	jobq_retry(struct db *, long long id, char *state, size_t statelen,
	    int *queued_sibling) KC_MUSTCHECK;
/* Cancels a queued or running job; as jobq_retry. */
int	jobq_cancel_one(struct db *, long long id, char *state,
	    size_t statelen) KC_MUSTCHECK;

#endif
