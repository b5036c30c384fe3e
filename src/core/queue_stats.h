/*
 * The work waiting in the database, read in one cheap statement for
 * klaviyo-admin status and the metrics: sync jobs by state, the report
 * triggers not yet delivered (the outbox) and how long the oldest due
 * ones have waited.
 */
#ifndef KC_QUEUE_STATS_H
#define KC_QUEUE_STATS_H

#include "db.h"
#include "kc_err.h"

struct queue_stats {
	long long	jobs_queued;
	long long	jobs_running;
	long long	jobs_failed;	/* kept PRUNE_JOBS_DAYS */
	long long	oldest_queued_s;	/* due and not started; 0: none */
	long long	outbox_pending;
	long long	oldest_outbox_s;	/* 0: none */
};

int	queue_stats_read(struct db *, struct queue_stats *) KC_MUSTCHECK;

#endif
