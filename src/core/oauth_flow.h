/*
 * One "Connect with Klaviyo" attempt in oauth_flows: started with a
 * state (kept hashed, single use, bound to user, store and expiry) and a
 * sealed PKCE verifier; after the callback it holds the sealed tokens and
 * the account until the user picks the conversion metric, when the grant
 * becomes the store's credential and the row goes.
 */
#ifndef KC_OAUTH_FLOW_H
#define KC_OAUTH_FLOW_H

#include <json-c/json.h>

#include "db.h"
#include "oauth.h"
#include "perm.h"
#include "secretbox.h"

#define OAUTH_STATE_TTL		600	/* seconds to finish at Klaviyo */
#define OAUTH_GRANT_TTL		1800	/* seconds to pick the metric */
#define OAUTH_REAP_SECONDS	60	/* how often syncd removes stale flows */

enum oauth_state_check {
	OAUTH_STATE_OK,
	OAUTH_STATE_UNKNOWN,
	OAUTH_STATE_USED,
	OAUTH_STATE_EXPIRED,
	OAUTH_STATE_OTHER_USER,
};

struct oauth_flow {
	long long		 id;
	long long		 user_id;
	long long		 store_id;
	char			 store_public_id[STORE_PUBLIC_ID_MAX + 1];
	struct json_object	*account;	/* once granted */
};

int	oauth_flow_start(struct db *, const struct keyring *, long long user_id,
	    long long store_id, const char *store_public_id,
	    char state[OAUTH_STATE_LEN + 1],
	    char challenge[OAUTH_CHALLENGE_LEN + 1]) KC_MUSTCHECK;
/*
 * Consumes a state: whatever the outcome it cannot be used again.  On
 * OAUTH_STATE_OK *verifier gets the PKCE verifier (free it with
 * oauth_wipe_free); the flow is filled whenever the state was known.
 */
int	oauth_flow_take(struct db *, const struct keyring *, const char *state,
	    long long user_id, struct oauth_flow *, char **verifier,
	    enum oauth_state_check *) KC_MUSTCHECK;
/* Keeps the tokens and the account until the metric is picked. */
int	oauth_flow_grant(struct db *, const struct keyring *,
	    const struct oauth_flow *, const struct oauth_tokens *,
	    struct json_object *account) KC_MUSTCHECK;
/* The user's newest live grant for the store; KC_ERR_NOT_FOUND if none. */
int	oauth_flow_pending(struct db *, const struct keyring *,
	    long long store_id, const char *store_public_id, long long user_id,
	    struct oauth_flow *, struct oauth_tokens *) KC_MUSTCHECK;
/* Deletes a granted flow (inside the connect transaction). */
int	oauth_flow_consume(struct db *, long long id) KC_MUSTCHECK;
/*
 * Deletes flows that expired or that a newer grant of the same user and
 * store replaced, revoking their tokens at Klaviyo first (best effort).
 */
int	oauth_flow_reap(struct db *, const struct keyring *,
	    const struct oauth_client *, int *reaped) KC_MUSTCHECK;
void	oauth_flow_free(struct oauth_flow *);

#endif
