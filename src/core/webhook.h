/*
 * A Klaviyo connection's system webhook (klaviyo_webhooks, sql/013):
 * its row, its signing secret (sealed like credentials: purpose
 * "webhook/secret", the row's public id), what the receiving route needs
 * to check a delivery, and the inbox a checked delivery waits in.
 * Registration at Klaviyo is webhook_klaviyo.c's, applying deliveries
 * webhook_inbox.c's, both run by klaviyo-syncd.
 */
#ifndef KC_WEBHOOK_H
#define KC_WEBHOOK_H

#include <json-c/json.h>
#include <stddef.h>

#include "db.h"
#include "kc_err.h"
#include "perm.h"
#include "secretbox.h"

#define WEBHOOK_PUBLIC_ID_LEN	36	/* "kwh_" and 32 hex digits */
/* A delivery's body: Klaviyo batches events; far above any batch. */
#define WEBHOOK_BODY_MAX	(1024 * 1024)
#define WEBHOOK_MAX_EVENTS	1000
#define WEBHOOK_EVENT_ID_MAX	200
/* NOTIFY channel of a stored delivery (klaviyo-syncd listens). */
#define WEBHOOK_CHANNEL		"kc_webhook"
/* The address Klaviyo posts to: $APP_URL WEBHOOK_PATH <public id>. */
#define WEBHOOK_PATH		"/api/klaviyo/webhooks/"

/* 1 when s has the shape of a webhook's public id. */
int	webhook_public_id_valid(const char *s);

/* What checking one delivery needs. */
struct webhook_key {
	long long	 id;
	long long	 conn_id;
	char		 klaviyo_id[128];	/* "" when not registered */
	char		*secret;		/* NULL: none (off, pending) */
	size_t		 secretlen;
};

/*
 * Loads the webhook whose address has public_id, with its secret open.
 * KC_ERR_NOT_FOUND: no such webhook; KC_ERR_CONFLICT: it exists but
 * takes no deliveries (turned off, never registered).
 */
int	webhook_key_load(struct db *, const struct keyring *,
	    const char *public_id, struct webhook_key *) KC_MUSTCHECK;
void	webhook_key_clear(struct webhook_key *);
/*
 * Stores a checked delivery (body: JSON text of n events) in the inbox
 * and counts it on the webhook, in one statement.
 */
int	webhook_inbox_add(struct db *, long long webhook_id, const char *body,
	    int n) KC_MUSTCHECK;

/*
 * The connection wants its webhook (re)registered: a new credential or
 * conversion metric.  A row in state pending, made when there is none;
 * a registered webhook keeps delivering until its successor replaces it,
 * unless other_account (the connection moved to another Klaviyo account:
 * the caller deletes the old one with the old credential,
 * webhook_forget_send).  Inside the caller's transaction.
 */
int	webhook_want(struct db *, long long conn_id, int other_account)
	    KC_MUSTCHECK;
/*
 * The settings' switch: on queues a registration, off a deregistration
 * (klaviyo-syncd does both).  *changed: it was the other way.
 */
int	webhook_set_wanted(struct db *, long long conn_id, int on,
	    int *changed) KC_MUSTCHECK;

/*
 * The webhook state of a connection for the API: {"state", "reason",
 * "since", "last_event_at", "events_received", "topics"}; state "none"
 * when the connection has no row.
 */
int	webhook_state_json(struct db *, long long conn_id,
	    struct json_object **) KC_MUSTCHECK;
/* The fragment of a statement that builds that object for row w. */
#define WEBHOOK_SQL_STATE(w)						\
    "CASE WHEN " w ".id IS NULL THEN '{\"state\":\"none\"}'::jsonb"	\
    " ELSE jsonb_build_object('state', " w ".state, 'reason', "	\
    w ".reason, 'since', " w ".failing_since, 'last_event_at', "	\
    w ".last_event_at, 'events_received', " w ".events_received,"	\
    " 'topics', to_jsonb(" w ".topics), 'wanted', " w ".wanted) END"

/*
 * What removing or re-keying a connection must undo at Klaviyo: its
 * registered webhook.  Read before the change (webhook_forget_load),
 * sent after its commit with the old credential (webhook_klaviyo.c).
 */
struct webhook_forget {
	char	klaviyo_id[128];	/* "" when nothing to delete */
};
int	webhook_forget_load(struct db *, long long conn_id,
	    struct webhook_forget *) KC_MUSTCHECK;

#endif
