/*
 * Delivering report_triggers (the outbox, DESIGN.md 6): each undelivered
 * trigger is claimed with SKIP LOCKED and either POSTed to
 * $REPORT_SERVER/api/v1/reports/full_sync (Bearer REPORT_SERVER_KEY,
 * Idempotency-Key: trigger id) until a 2xx, with backoff, or, without
 * REPORT_SERVER, handed to the built-in report server.  Nothing is lost
 * when the report server is down, slow or failing.
 */
#ifndef KC_OUTBOX_H
#define KC_OUTBOX_H

#include "db.h"
#include "kc_err.h"

struct outbox_opts {
	const char	*report_server;		/* "" for built-in */
	const char	*report_server_key;
	long		 timeout_ms;
	long		 retry_base_ms;		/* first backoff */
	long		 retry_max_ms;
};

/*
 * Queues a trigger with payload (JSON text) for a Klaviyo connection,
 * cancelling any of its own still waiting (it would deliver stale
 * settings); *id gets its id.  KC_ERR_NOT_FOUND: no such connection.
 */
int	outbox_enqueue(struct db *, long long conn_id, const char *payload,
	    long long *id) KC_MUSTCHECK;
/* Cancels the connection's undelivered triggers (a removal). */
int	outbox_cancel_connection(struct db *, long long conn_id) KC_MUSTCHECK;
/* Delivers up to max due triggers; *n gets how many were delivered. */
int	outbox_run(struct db *, const struct outbox_opts *, int max, int *n)
	    KC_MUSTCHECK;
/* Backoff of the attempt-th failed delivery (pure). */
long	outbox_backoff_ms(const struct outbox_opts *, int attempt,
	    unsigned rnd);

/* One trigger of outbox_list, as text. */
struct trigger_row {
	const char	*id, *store, *status;	/* pending, delivered, cancelled */
	const char	*attempts, *created;
	const char	*when;		/* delivered, cancelled or next attempt */
	const char	*last_error;	/* "" when none */
};
/* The newest triggers (only undelivered ones with pending_only), to fn. */
int	outbox_list(struct db *, int pending_only, int limit,
	    int (*fn)(void *, const struct trigger_row *), void *arg)
	    KC_MUSTCHECK;
/*
 * Makes a trigger due again now, whatever its state (delivered,
 * cancelled, waiting); KC_ERR_NOT_FOUND.
 */
int	outbox_redeliver(struct db *, long long id) KC_MUSTCHECK;

#endif
