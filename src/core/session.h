/*
 * Login sessions (DESIGN.md 2): a 32-byte random token, base64url, handed
 * to the client as a cookie or used as a Bearer token; only its SHA-256
 * is stored, so the sessions table cannot be replayed.
 */
#ifndef KC_SESSION_H
#define KC_SESSION_H

#include <stddef.h>

#include "db.h"
#include "kc_err.h"

#define SESSION_TOKEN_LEN 43	/* base64url of 32 bytes */
#define SESSION_COOKIE "kc_session"
#define EMAIL_MAX 254

struct kc_user {
	long long	id;
	char		email[EMAIL_MAX + 1];
	long long	expires_in_s;	/* the session's, when looked up */
};

/*
 * A new session; the user keeps at most max_per_user, so the oldest
 * beyond that end (a stolen or forgotten one does not live for ever
 * next to fresh logins).
 */
int	session_create(struct db *, long long user_id, long ttl_hours,
	    long max_per_user, char token[SESSION_TOKEN_LEN + 1]) KC_MUSTCHECK;
/* KC_ERR_UNAUTHORIZED when unknown, expired or malformed. */
int	session_lookup(struct db *, const char *token, struct kc_user *)
	    KC_MUSTCHECK;
int	session_delete(struct db *, const char *token) KC_MUSTCHECK;
struct store_access;
/*
 * session_lookup and perm_store_access in one round trip, for routes on
 * one store (the hot path).  *found is 0 when the user has no role on it.
 */
int	session_lookup_store(struct db *, const char *token,
	    const char *public_id, struct kc_user *, struct store_access *,
	    int *found) KC_MUSTCHECK;
/* 1 when s has the shape of a token (43 base64url characters). */
int	session_token_valid(const char *);
/* Deletes every session of the user (sign-out everywhere); *n rows. */
int	session_revoke_user(struct db *, long long user_id, int *n)
	    KC_MUSTCHECK;
/* One session of session_list_user: times only, never the token. */
struct session_row {
	const char	*created;	/* ISO 8601, UTC */
	const char	*expires;
	const char	*last_seen;	/* touched at most once a minute */
	int		 expired;
};
int	session_list_user(struct db *, long long user_id,
	    int (*fn)(void *, const struct session_row *), void *arg)
	    KC_MUSTCHECK;

#endif
