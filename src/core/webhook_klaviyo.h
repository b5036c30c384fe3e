/*
 * A connection's webhook at Klaviyo (the Webhooks API: 1/s and 15/m per
 * operation): klaviyo-syncd registers the webhooks that are wanted and
 * deletes the ones turned off, one row at a time between its jobs,
 * never waiting for a rate-limit slot (a row that would wait is taken up
 * again when its slot comes); removing or re-keying a connection deletes
 * its webhook right after, with the credential it was made with.
 *
 * Outcomes: created → active; 403 (no webhook access for this account
 * or key) or 400 (the address refused) → unavailable, asked again a day
 * later or at once when the credential changes; 5xx, timeouts → failing,
 * retried with backoff.  A retry first deletes what an interrupted
 * attempt may have left at Klaviyo (webhooks are named after the row).
 */
#ifndef KC_WEBHOOK_KLAVIYO_H
#define KC_WEBHOOK_KLAVIYO_H

#include <json-c/json.h>

#include "db.h"
#include "kc_err.h"
#include "klaviyo.h"
#include "oauth.h"
#include "oauth_cred.h"
#include "secretbox.h"
#include "webhook.h"

struct webhook_opts {
	const char	*app_url;	/* APP_URL: where Klaviyo posts */
	long		 timeout_ms;	/* one row's Klaviyo calls, in all */
};

/*
 * Registers or deregisters up to max due webhooks; *n gets how many rows
 * were worked on.
 */
int	webhook_reconcile_run(struct db *, struct kv_client *,
	    const struct keyring *, const struct oauth_client *,
	    const struct webhook_opts *, int max, int *n) KC_MUSTCHECK;
/*
 * Deletes the webhook f names at Klaviyo with cred (best effort: a
 * failure is logged and audited on the store, and returned; Klaviyo
 * stops a webhook that keeps failing, and ours answers 404 once the row
 * is gone).  KC_OK also when there is nothing to delete.
 */
int	webhook_forget_send(struct db *, struct kv_client *,
	    struct kc_cred *, const struct webhook_forget *,
	    const char *store_public_id);

/*
 * Pure, unit-tested.  The topic of a metric: "event:<integration>.<name>"
 * in lower snake case ("Shopify", "Placed Order" →
 * "event:shopify.placed_order").
 */
int	webhook_metric_topic(const char *integration, const char *name,
	    char *out, size_t outlen) KC_MUSTCHECK;
/*
 * From the account's topics (a JSON:API data array), the ones we
 * subscribe to: order_topic (may be NULL) and the message events that
 * move campaign and flow statistics.  *out gets a new array of ids;
 * *has_order whether order_topic is among them.
 */
int	webhook_topics_choose(struct json_object *data,
	    const char *order_topic, struct json_object **out,
	    int *has_order) KC_MUSTCHECK;
/* The JSON:API body of POST /api/webhooks (the secret inside: wipe). */
int	webhook_create_body(const char *name, const char *url,
	    const char *secret, struct json_object *topics, char **out)
	    KC_MUSTCHECK;

#endif
