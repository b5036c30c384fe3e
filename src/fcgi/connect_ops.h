/*
 * The connect operations behind both the seed's klaviyo-connect routes
 * (on the store's primary connection) and the klaviyo-accounts routes
 * (on one connection, or adding one): test a key or an OAuth grant,
 * connect, rotate a key, change the metric, list the stored account's
 * metrics.  Each sets the response itself, error or success: the seed's
 * shape {success, message, store: {klaviyo_integration}} on the primary,
 * {success, message, account: {...}} (201 when added) otherwise.
 */
#ifndef KC_CONNECT_OPS_H
#define KC_CONNECT_OPS_H

#include "connect_store.h"
#include "ctx.h"
#include "probe.h"

/* Which connection a request acts on. */
struct conn_ref {
	struct connect_target	 t;
	long long		 conn_id;	/* 0: none (yet) */
	const char		*doc;		/* its klaviyo_integration */
};

/* The seed's target: the store's primary connection, as read with it. */
struct conn_ref	conn_ref_primary(const struct store_access *);

/* The request's user, address, database and keyring, for core calls. */
struct connect_actor actor_of(const struct kc_ctx *);

/*
 * A POST body of the seed's connect shape, on ref: {apiKey, action:
 * "test"}, {apiKey, conversionMetricId}, {method: "oauth", ...} and, on
 * an existing connection, {conversionMetricId}.
 */
int	connect_ops_post(struct kc_ctx *, const struct store_access *,
	    const struct conn_ref *);
/* Changes ref's conversion metric (picked from its stored metrics). */
int	connect_ops_change_metric(struct kc_ctx *,
	    const struct store_access *, const struct conn_ref *,
	    const char *metric_id);
/* Replaces ref's key with another of the same account (metric kept). */
int	connect_ops_rotate_key(struct kc_ctx *, const struct store_access *,
	    const struct conn_ref *, const char *key);
/*
 * Replaces ref's credential with the user's waiting OAuth grant (after
 * GET …/klaviyo-oauth/start), of the same account only; metric kept.
 */
int	connect_ops_oauth_rotate(struct kc_ctx *,
	    const struct store_access *, const struct conn_ref *);
/*
 * The metric list of ref's account, fetched with its stored credential
 * (or taken from the probe cache).  On failure the error response is set.
 */
int	connect_ops_stored_metrics(struct kc_ctx *,
	    const struct store_access *, const struct conn_ref *,
	    struct probe *);
/*
 * The route's store and its Klaviyo account {accountId}; on failure the
 * error response is set (404 account_not_found when the store has no
 * such account).
 */
int	connect_ops_load_account(struct kc_ctx *, int need,
	    struct store_access *, struct kconn *);
/*
 * Replies status with {success, message, account: {id, primary,
 * klaviyo_integration}} of the connection acted on.
 */
int	connect_ops_reply_account(struct kc_ctx *, int status,
	    const struct connect_result *, const char *msg) KC_MUSTCHECK;
/*
 * Removes connection conn_id of the store (t: which one, as
 * connect_remove); once that committed, its webhook is deleted at Klaviyo
 * and an OAuth grant revoked, both with the credential read before.  On
 * a refusal inside the transaction the error response is set.
 */
int	connect_ops_remove(struct kc_ctx *, const struct store_access *,
	    const struct connect_target *, long long conn_id, int *was);
/* {id, primary, created_at, klaviyo_integration, sync} of a connection. */
int	connect_ops_account_json(struct kc_ctx *, const struct kconn *,
	    int can_manage, struct json_object **) KC_MUSTCHECK;

#endif
