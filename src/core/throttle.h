/*
 * Login throttling: failures are counted per account and per client
 * address in a window kept in PostgreSQL (login_throttle), so every
 * worker sees the same counts.  Reaching the limit blocks that key for
 * the lockout time; a blocked login gets 429 with Retry-After even with
 * the right password.
 */
#ifndef KC_THROTTLE_H
#define KC_THROTTLE_H

#include "db.h"
#include "kc_err.h"

struct throttle_policy {
	long	max_account;
	long	max_ip;
	long	window_seconds;
	long	lockout_seconds;
};

/* KC_ERR_RATE_LIMITED with *retry_after seconds when blocked. */
int	throttle_check(struct db *, const char *email, const char *ip,
	    long *retry_after) KC_MUSTCHECK;
int	throttle_fail(struct db *, const struct throttle_policy *,
	    const char *email, const char *ip) KC_MUSTCHECK;
int	throttle_success(struct db *, const char *email) KC_MUSTCHECK;

#endif
