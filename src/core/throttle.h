/*
 * Login throttling, kept in PostgreSQL (login_throttle) so every worker
 * sees the same counts.  Failures are counted per (account, client
 * address) pair, per address, and, with a slower limit, per account
 * across all addresses: a stranger's wrong passwords lock only the
 * stranger's own pair and address, while the account-wide limit still
 * caps a distributed guess.  A login first takes a try on all three
 * atomically (throttle_take); a wrong password keeps it, the right one
 * hands it back and clears its pair.  Passing a limit blocks that key for
 * the lockout time: 429 with Retry-After, even with the right password.
 */
#ifndef KC_THROTTLE_H
#define KC_THROTTLE_H

#include "db.h"
#include "kc_err.h"

/* Longest client address kept in a key (IPv6 text is at most 45). */
#define THROTTLE_ADDR_MAX 64

struct throttle_policy {
	long	max_pair;		/* per account and address */
	long	max_ip;			/* per address */
	long	window_seconds;		/* of those two */
	long	max_account;		/* per account, all addresses */
	long	account_window_seconds;
	long	lockout_seconds;
};

/*
 * Takes one try before the password is checked: KC_OK, or
 * KC_ERR_RATE_LIMITED with *retry_after seconds when a key is blocked
 * (then nothing is counted).
 */
int	throttle_take(struct db *, const struct throttle_policy *,
	    const char *email, const char *ip, long *retry_after) KC_MUSTCHECK;
/* The password was right: the try is handed back, the pair cleared. */
int	throttle_success(struct db *, const char *email, const char *ip)
	    KC_MUSTCHECK;

#endif
