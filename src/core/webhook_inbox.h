/*
 * Applying what Klaviyo's webhooks delivered (webhook_inbox, filled by
 * the receiving route once a signature held), in klaviyo-syncd: each
 * delivery in one transaction, each event once (webhook_events_seen).
 * An order (the conversion metric's topic, when orders sync) is written
 * at once, as the orders sync would write it; a message event asks for
 * an incremental sync of the type it moves (a flow's message: flows,
 * else campaigns), at most one per type and connection every debounce
 * seconds, starting delay seconds later so a burst is read once, and
 * only while the Klaviyo account's report budget has room beyond what
 * its schedules need (sync_settings.h).
 */
#ifndef KC_WEBHOOK_INBOX_H
#define KC_WEBHOOK_INBOX_H

#include <json-c/json.h>

#include "db.h"
#include "kc_err.h"

struct webhook_inbox_opts {
	long	debounce_s;
	long	delay_s;
};

/* Applies up to max deliveries; *n gets how many. */
int	webhook_inbox_run(struct db *, const struct webhook_inbox_opts *,
	    int max, int *n) KC_MUSTCHECK;

/*
 * Pure, unit-tested: the event resource of a delivery's item (its
 * "payload" is Get Event's answer, {"data": event}, or the event), and
 * the sync type a message event moves ("flows" or "campaigns"), or NULL
 * for a topic that moves none.
 */
struct json_object *webhook_item_event(struct json_object *item);
const char *webhook_topic_type(const char *topic, struct json_object *event);

#endif
