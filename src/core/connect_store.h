/*
 * Saving and removing a store's Klaviyo connection, each in one
 * transaction that locks the store row first, so two requests on one
 * store end in one consistent state, never a mix (DESIGN.md 2, 3).
 */
#ifndef KC_CONNECT_STORE_H
#define KC_CONNECT_STORE_H

#include <json-c/json.h>

#include "db.h"
#include "perm.h"

struct keyring;

/* Who acts, and with what: the caller's database and keyring. */
struct connect_actor {
	struct db		*db;
	const struct keyring	*keyring;
	long long		 user_id;	/* the actor; re-checked */
	const char		*ip;		/* the audit row's address */
};

struct connect_result {
	struct json_object	*integration;	/* the public view */
	int			 rotated;	/* same account: key replaced */
	long long		 trigger_id;	/* 0: none enqueued */
};

/* What is saved as the store's credential. */
struct connect_cred {
	const char	*kind;		/* "api_key" or "oauth" */
	const char	*secret;	/* the key, or the encoded tokens */
	const char	*hint;		/* "pk_abcd..." shown for a key */
	long long	 oauth_flow;	/* the OAuth grant consumed, or 0 */
};

/*
 * Encrypts the credential and saves it, klaviyo_integration, the
 * KlaviyoSync row, a report trigger (unless only the credential was
 * replaced on the same account) and an audit row, and consumes the
 * OAuth grant, all in one transaction.  account and metric are the
 * probe's objects.  KC_ERR_CONFLICT: the OAuth grant was used meanwhile.
 * This, connect_change_metric and connect_remove check again, with the
 * store row locked, that the actor may still manage the store
 * (perm_still_manages): KC_ERR_NOT_FOUND / KC_ERR_FORBIDDEN roll back.
 */
int	connect_save(const struct connect_actor *, const struct store_access *,
	    const struct connect_cred *, struct json_object *account,
	    struct json_object *metric, struct connect_result *)
	    KC_MUSTCHECK;
/* Changes the conversion metric of a connected store. */
int	connect_change_metric(const struct connect_actor *,
	    const struct store_access *, struct json_object *metric,
	    struct connect_result *) KC_MUSTCHECK;
/* Disconnects; *was gets 1 when something was connected. */
int	connect_remove(const struct connect_actor *,
	    const struct store_access *, int *was) KC_MUSTCHECK;
void	connect_result_free(struct connect_result *);
/*
 * Klaviyo refused the store's credential: a connected integration
 * becomes "error" with why, and its queued jobs are cancelled with
 * job_why (nothing can run until the user connects again).
 */
int	store_mark_refused(struct db *, long long store_id, const char *why,
	    const char *job_why) KC_MUSTCHECK;
/* Deletes everything synced for the store (inside a transaction). */
int	store_clear_klaviyo_data(struct db *, long long store_id)
	    KC_MUSTCHECK;

#endif
