/*
 * Saving, changing and removing a store's Klaviyo connections, each in
 * one transaction that locks the store row first, so two requests on one
 * store end in one consistent state, never a mix (DESIGN.md 2, 3).
 */
#ifndef KC_CONNECT_STORE_H
#define KC_CONNECT_STORE_H

#include <json-c/json.h>

#include "connection.h"
#include "db.h"
#include "perm.h"

struct keyring;

/* Who acts, and with what: the caller's database and keyring. */
struct connect_actor {
	struct db		*db;
	const struct keyring	*keyring;
	long long		 user_id;	/* the actor, re-checked; 0 is an
						   operator (klaviyo-admin) */
	const char		*ip;		/* the audit row's address */
};

struct connect_result {
	struct json_object	*integration;	/* the public view */
	int			 rotated;	/* same account: key replaced */
	long long		 trigger_id;	/* 0: none enqueued */
	long long		 conn_id;	/* the connection acted on */
	char			 conn_public_id[CONN_PUBLIC_ID_MAX + 1];
	int			 primary;	/* it is the store's primary */
	/* With KC_ERR_CONFLICT: account_already_connected, account_mismatch,
	 * not_connected, or NULL (an OAuth grant used meanwhile). */
	const char		*conflict;
};

/* What is saved as the credential. */
struct connect_cred {
	const char	*kind;		/* "api_key" or "oauth" */
	const char	*secret;	/* the key, or the encoded tokens */
	const char	*hint;		/* "pk_abcd..." shown for a key */
	long long	 oauth_flow;	/* the OAuth grant consumed, or 0 */
};

/* Which connection of the store an action is on. */
enum connect_kind {
	CONNECT_PRIMARY,	/* the seed's routes: the primary (or a first) */
	CONNECT_ADD,		/* another Klaviyo account */
	CONNECT_ONE,		/* the connection conn_id */
};

struct connect_target {
	enum connect_kind	 kind;
	const char		*public_id;	/* CONNECT_ONE's connection */
};

/*
 * Encrypts the credential and saves it, the connection's
 * klaviyo_integration, its KlaviyoSync row, a report trigger (unless
 * only the credential was replaced on the same account) and an audit
 * row, and consumes the OAuth grant, all in one transaction.  account
 * and metric are the probe's objects.
 *   CONNECT_PRIMARY: a first connection, or the primary's key rotated,
 *     or the primary moved to another account (its synced data go);
 *   CONNECT_ADD: a new connection (the primary when it is the first);
 *   CONNECT_ONE: that connection's key rotated (the same account only).
 * A credential replaced on the same account that was refused (status
 * error) or whose last sync failed clears that error and queues every
 * type it syncs at once.
 * KC_ERR_CONFLICT with r->conflict: the account is already another
 * connection of the store; the key is of another account (CONNECT_ONE);
 * the OAuth grant was used meanwhile (NULL).  KC_ERR_NOT_FOUND: the
 * connection is gone.  This and the functions below check again, with
 * the store row locked, that the actor may still manage the store
 * (perm_still_manages): KC_ERR_NOT_FOUND / KC_ERR_FORBIDDEN roll back.
 */
int	connect_save(const struct connect_actor *, const struct store_access *,
	    const struct connect_target *, const struct connect_cred *,
	    struct json_object *account, struct json_object *metric,
	    struct connect_result *) KC_MUSTCHECK;
/*
 * Changes the conversion metric of a connection (CONNECT_PRIMARY or
 * CONNECT_ONE); KC_ERR_CONFLICT (not_connected) without one.
 */
int	connect_change_metric(const struct connect_actor *,
	    const struct store_access *, const struct connect_target *,
	    struct json_object *metric, struct connect_result *)
	    KC_MUSTCHECK;
/*
 * Removes a connection with its credential, jobs and synced data (the
 * oldest remaining one becomes primary); *was gets 1 when there was one
 * (the seed's DELETE is idempotent).
 */
int	connect_remove(const struct connect_actor *,
	    const struct store_access *, const struct connect_target *,
	    int *was) KC_MUSTCHECK;
/* Makes a connection the store's primary, with a report trigger. */
int	connect_make_primary(const struct connect_actor *,
	    const struct store_access *, const struct connect_target *,
	    struct connect_result *) KC_MUSTCHECK;
void	connect_result_free(struct connect_result *);
/*
 * Klaviyo refused the connection's credential: a connected integration
 * becomes "error" with why, and its queued jobs are cancelled with
 * job_why (nothing can run until the user connects again).
 */
int	connection_mark_refused(struct db *, long long conn_id,
	    const char *why, const char *job_why) KC_MUSTCHECK;
/*
 * Deletes everything synced for the connection and cancels its jobs and
 * triggers (inside a transaction): it moves to another account.
 */
int	connection_clear_data(struct db *, long long conn_id) KC_MUSTCHECK;

#endif
