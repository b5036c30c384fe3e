/*
 * The gate in front of every route that calls Klaviyo (RT_KLAVIYO,
 * issue 14): a slot of a global and of a per-user cap on concurrent
 * Klaviyo-calling requests across all prefork workers, taken at once or
 * refused with 429 (never queued in a worker), and the request's
 * Klaviyo deadline (KLAVIYO_REQUEST_DEADLINE_MS), so a slow or hanging
 * Klaviyo holds at most the capped workers, each for a bounded time,
 * while health, login and status pages keep a free worker.
 *
 * Slots are PostgreSQL session-level advisory locks on the worker's own
 * connection, two int4 keys (kind + slot, and the user or this host): a
 * worker killed mid-request closes its connection and its slots vanish
 * with it.  Session locks need the worker's own server session: no
 * PgBouncer in transaction mode between workers and PostgreSQL.
 */
#ifndef KC_KLAVIYO_GATE_H
#define KC_KLAVIYO_GATE_H

#include "kc_err.h"

struct kc_ctx;

/* The slots one request holds (-1: none). */
struct kgate {
	int	global;
	int	user;
	long	user_key;
	long	host_key;
};

/*
 * Takes the slots and sets the deadline; on refusal the error response
 * (429 with Retry-After, or the database's error) is set and returned.
 */
int	kgate_enter(struct kc_ctx *, struct kgate *) KC_MUSTCHECK;
/* Gives back what kgate_enter took and clears the deadline. */
void	kgate_leave(struct kc_ctx *, struct kgate *);

#endif
