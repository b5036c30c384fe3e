/*
 * A store's stored Klaviyo credential, ready to call Klaviyo with: a
 * private key as it is, or an OAuth grant whose access token is
 * refreshed shortly before it expires and after a 401.  Refreshing takes
 * a per-connection advisory lock and reads the credential again under it, so
 * concurrent web workers and sync daemons refresh once and all use the
 * result; a rotated refresh token is saved in the same transaction.  A
 * refused refresh marks the integration "error" (connect again).
 */
#ifndef KC_OAUTH_CRED_H
#define KC_OAUTH_CRED_H

#include "db.h"
#include "klaviyo.h"
#include "oauth.h"
#include "perm.h"
#include "secretbox.h"

struct kc_cred {
	const char		*secret;	/* key or access token */
	int			 bearer;	/* 1: OAuth */
	char			*key;		/* api_key: the key */
	size_t			 keylen;
	struct oauth_tokens	 tok;		/* oauth: the grant */
	long long		 conn_id;
	char			 store_public_id[STORE_PUBLIC_ID_MAX + 1];
	int			 refreshes;	/* done by this holder */
	/* the context to refresh in */
	struct db		*db;
	const struct keyring	*keyring;
	const struct oauth_client *client;	/* NULL: OAuth is off */
};

/*
 * Loads and decrypts the store's credential, refreshing a token that is
 * about to expire.  KC_ERR_NOT_FOUND: the store has none.  On a Klaviyo
 * failure e has the code and sentence.
 */
int	cred_open(struct db *, const struct keyring *,
	    const struct oauth_client *, long long conn_id,
	    const char *store_public_id, struct kc_cred *,
	    struct oauth_error *) KC_MUSTCHECK;
/* Refreshes now (forced: the current token was refused). */
int	cred_refresh(struct kc_cred *, int forced, struct oauth_error *)
	    KC_MUSTCHECK;
/*
 * kv_run with the credential: refreshes a token about to expire first,
 * and once more when Klaviyo answers 401, then runs the calls again.
 */
int	cred_run(struct kc_cred *, struct kv_client *, const char *acct,
	    struct kv_call *, size_t) KC_MUSTCHECK;
void	cred_close(struct kc_cred *);
/* Loads the stored credential as it is: no refresh, no Klaviyo call. */
int	cred_peek(struct db *, const struct keyring *, long long conn_id,
	    const char *store_public_id, struct kc_cred *) KC_MUSTCHECK;
/*
 * Revokes an OAuth grant at Klaviyo (best effort: failures are logged,
 * never returned).  Nothing for a private key.
 */
void	cred_revoke(const struct kc_cred *, const struct oauth_client *);

#endif
