/*
 * klaviyo-syncd's job pool: up to SYNC_CONCURRENCY sync jobs run at
 * once in one thread, each a coroutine running the ordinary sync code.
 * A job sleeps while it waits for Klaviyo (an answer, or its account's
 * rate-limit slot) and the pool drives every transfer through the one
 * curl multi handle, so a job waiting for its account never holds up
 * another account's.  The database is one connection: a job only yields
 * outside its transactions (inside kv_run), so statements never mix.
 */
#ifndef KC_POOL_H
#define KC_POOL_H

#include <signal.h>
#include <stddef.h>

#include "db.h"
#include "kc_err.h"
#include "klaviyo.h"
#include "oauth.h"
#include "secretbox.h"
#include "sync.h"

struct pool;

struct pool_opts {
	size_t			 concurrency;	/* jobs at once */
	size_t			 stack_size;	/* per job */
	long			 check_ms;	/* cancellation check */
	long			 claim_ms;	/* after finding none */
	const struct sync_opts	*sync;
	const char		*owner;		/* lease owner */
	volatile sig_atomic_t	*stopping;
};

int	pool_new(struct db *, struct kv_client *, const struct keyring *,
	    const struct oauth_client *, const struct pool_opts *,
	    struct pool **) KC_MUSTCHECK;
/*
 * One turn: claims jobs while there is room (when claim is set), finds
 * cancelled ones, drives Klaviyo transfers and runs every job that can
 * go on.  *worked counts what happened (jobs claimed or ended).
 */
void	pool_turn(struct pool *, int claim, int *worked);
/* Jobs running now. */
size_t	pool_active(const struct pool *);
/* The ids of up to max running jobs into ids; returns how many. */
size_t	pool_job_ids(const struct pool *, long long *ids, size_t max);
/* How long the loop may wait before the next turn, at most max_ms. */
long	pool_timeout(const struct pool *, long max_ms);
/* Waits for a transfer or ms, whichever comes first. */
void	pool_wait(struct pool *, long ms);
/* Frees the pool; every job must have ended (pool_active 0). */
void	pool_free(struct pool *);

#endif
