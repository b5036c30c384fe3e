/*
 * A Klaviyo connection's integration (klaviyo_connections.
 * klaviyo_integration, the seed's klaviyo_integration object; a store
 * without a connection is "not_configured"): the only module that knows its fields.
 * integration.c parses the stored JSONB into a typed struct and writes
 * it back, and builds the status view from it, so only these fields can
 * ever reach a response; integration_db.c holds every statement that
 * writes the column, and the INTEG_SQL_* fragments below are how other
 * statements read it.
 */
#ifndef KC_INTEGRATION_H
#define KC_INTEGRATION_H

#include <json-c/json.h>

#include "db.h"
#include "kc_err.h"
#include "sync_type.h"

/* The seed's statuses; sql/005 allows no other. */
enum integ_status {
	INTEG_NOT_CONFIGURED,
	INTEG_CONNECTED,
	INTEG_DISCONNECTED,
	INTEG_ERROR,
};

enum integ_auth {
	INTEG_AUTH_NONE,
	INTEG_AUTH_API_KEY,
	INTEG_AUTH_OAUTH,
};

/* Strings are owned (NULL: absent); integ_clear frees them. */
struct integ_account {
	char	*id;
	char	*name;
	char	*timezone;	/* IANA name: the account's days */
	char	*currency;
	char	*website_url;
};

struct integ_metric {
	char	*id;		/* NULL: none chosen */
	char	*name;
	char	*integration;	/* "Shopify", "API", ... */
	int	 shopify_placed_order;	/* orders are synced only then */
};

struct integration {
	enum integ_status	 status;
	enum integ_auth		 auth;
	char			*account_id;	/* public_id: the account */
	struct integ_account	 account;
	char			*api_key_hint;	/* "pk_abcd..." for a key */
	struct integ_metric	 metric;
	char			*connected_at;
	char			*last_sync;
	int			 is_updating_dashboard;
	/* Per sync type with a last_update_field, its last success. */
	char			*last_update[SYNC_TYPE_COUNT];
	/* A sentence (ours) or the seed's {code, message, at}; may be NULL. */
	struct json_object	*last_error;
};

/*
 * Read fragments over a klaviyo_connections row aliased k (a string
 * literal), for statements of other modules; the JSON paths are spelled
 * only here.
 */
#define INTEG_SQL_DOC(s)	s ".klaviyo_integration::text"
#define INTEG_SQL_STATUS(s)	"(" s ".klaviyo_integration ->> 'status')"
#define INTEG_SQL_ACCOUNT_ID(s)	"(" s ".klaviyo_integration ->> 'public_id')"
#define INTEG_SQL_ACCOUNT_NAME(s)					\
    "(" s ".klaviyo_integration -> 'account' ->> 'name')"
#define INTEG_SQL_ACCOUNT_CURRENCY(s)					\
    "(" s ".klaviyo_integration -> 'account' ->> 'currency')"
#define INTEG_SQL_ACCOUNT_TZ(s)						\
    "(" s ".klaviyo_integration -> 'account' ->> 'timezone')"
#define INTEG_SQL_CONNECTED_AT(s)					\
    "(" s ".klaviyo_integration ->> 'connected_at')::timestamptz"
#define INTEG_SQL_PLACED_ORDER(s)					\
    "coalesce((" s ".klaviyo_integration -> 'conversion_metric'"	\
    " ->> 'isShopifyPlacedOrder')::boolean, false)"

const char *integ_status_name(enum integ_status);
const char *integ_auth_name(enum integ_auth);
/* 1 when a connection was saved (any status but not_configured). */
int	integ_configured(const struct integration *);

/*
 * Parses stored JSON text.  Missing status is not_configured; text that
 * is not an object or has an unknown status is KC_ERR_INTERNAL.
 */
int	integ_parse(const char *text, struct integration *) KC_MUSTCHECK;
int	integ_from_json(struct json_object *, struct integration *)
	    KC_MUSTCHECK;
/* The stored (and public) JSON object: only the fields above. */
int	integ_to_json(const struct integration *, struct json_object **)
	    KC_MUSTCHECK;
void	integ_clear(struct integration *);
/* Replaces a string field with a copy of v (NULL clears it). */
int	integ_set(char **field, const char *v) KC_MUSTCHECK;

/* The metric from a merged metric object (metrics.h). */
int	integ_set_metric(struct integration *, struct json_object *m)
	    KC_MUSTCHECK;
/* The account from the probe's account object. */
int	integ_set_account(struct integration *, struct json_object *a)
	    KC_MUSTCHECK;

/*
 * The status document of GET .../klaviyo-connect:
 * {"success":true,"klaviyo_integration":{...},"sync":{...},
 * "can_manage":bool} from the stored text; sync is taken over (NULL: an
 * empty object), sync_status is added to a configured integration.
 */
int	integ_status_json(const char *text, struct json_object *sync,
	    const char *sync_status, int can_manage,
	    struct json_object **out) KC_MUSTCHECK;
/* The public klaviyo_integration object alone. */
int	integ_public_json(const char *text, struct json_object **out)
	    KC_MUSTCHECK;

/* integration_db.c: every write of klaviyo_connections.klaviyo_integration. */
/* Locks the connection row (in the caller's transaction) and parses it. */
int	integ_lock(struct db *, long long conn_id, struct integration *)
	    KC_MUSTCHECK;
/*
 * Locks the connection row before a sync transaction touches its job, its
 * klaviyo_syncs or data rows: a disconnect locks in that order, and the
 * other order deadlocks with it.  will_update: the transaction updates
 * the connection row later (integ_track_sync); else a key-share lock,
 * which concurrent sync steps of the connection share.
 */
int	integ_hold(struct db *, long long conn_id, int will_update)
	    KC_MUSTCHECK;
int	integ_save(struct db *, long long conn_id,
	    const struct integration *) KC_MUSTCHECK;
/*
 * Klaviyo refused the credential: a connected integration becomes
 * "error" with why (a disconnect meanwhile stays one).
 */
int	integ_mark_refused(struct db *, long long conn_id, const char *why,
	    int *changed)
	    KC_MUSTCHECK;
/*
 * is_updating_dashboard becomes whether the connection has a job running or
 * parked mid-sync (the row is not written when that is unchanged).
 * ended (not NULL): a job of that type just ended, error NULL when it
 * succeeded; last_error follows it, and a success sets last_sync and
 * the type's *_last_update.
 */
int	integ_track_sync(struct db *, long long conn_id,
	    const struct sync_type *ended, const char *error) KC_MUSTCHECK;

#endif
