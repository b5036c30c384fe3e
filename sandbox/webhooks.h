/*
 * Klaviyo's system webhooks in klaviyo-sandbox: the webhooks accounts
 * register (wh_registry.c), their topics (wh_topics.c), the Webhooks
 * API (ep_webhooks.c), events created through the control API and shown
 * by GET /api/events (wh_registry.c, ep_events.c), and their signed
 * deliveries with retries on a thread of their own (wh_deliver.c), so
 * the poll() loop never waits for a receiver.  Everything but the
 * delivery queue belongs to the loop's thread.
 */
#ifndef KC_SANDBOX_WEBHOOKS_H
#define KC_SANDBOX_WEBHOOKS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "sandbox.h"

#define SBX_WH_PER_ACCOUNT	10	/* webhooks an account may have */
#define SBX_WH_TOPICS_MAX	64	/* topics of one webhook */
#define SBX_WH_ID_LEN		26	/* ULID-like, as Klaviyo's */
#define SBX_WH_NAME_MAX		255
#define SBX_WH_URL_MAX		2048
#define SBX_WH_SECRET_MAX	512
#define SBX_WH_BATCH_MAX	100	/* events in one delivery request */
#define SBX_WH_EVENTS_MAX	1000	/* events in one control request */
#define SBX_WH_QUEUE_MAX	1024	/* deliveries not finished */
#define SBX_WH_KEEP		4096	/* deliveries kept in all */
#define SBX_XEV_MAX		200000	/* created events in all */

struct sbx_webhook {
	char		 id[SBX_WH_ID_LEN + 1];
	size_t		 acc;		/* account index */
	char		*name;
	char		*description;	/* NULL: null */
	char		*url;		/* in full; never answered */
	char		*secret;	/* never answered */
	char		**topics;
	size_t		 ntopics;
	int		 enabled;
	int64_t		 created, updated;	/* UTC seconds */
};

/* An event created through the control API (the store's are orders). */
struct sbx_xevent {
	char			 id[16];
	char			 uuid[40];
	char			 metric[8];
	int64_t			 t;
	uint32_t		 profile;
	struct json_object	*props;		/* event_properties */
};

struct sbx_wh_queue;

struct sbx_hooks {
	struct sbx_webhook	*hooks;		/* every account's */
	size_t			 nhooks;
	unsigned char		*no_access;	/* per account: 403 */
	struct sbx_xevent	**xev;		/* per account, by t */
	size_t			*nxev, *capxev;
	size_t			 nacc, xev_total;
	uint64_t		 seq;		/* for ids */
	int			 allow_http;
	struct sbx_wh_queue	*queue;
};

/* wh_registry.c */
int	sbx_hooks_new(size_t naccounts, int allow_http, long retry_base_ms,
	    int max_attempts, struct sbx_hooks **) KC_MUSTCHECK;
void	sbx_hooks_free(struct sbx_hooks *);
/* Has the account the Webhooks API (Advanced KDP, app partner)? */
int	sbx_hooks_access(const struct sbx_hooks *, size_t acc);
void	sbx_hooks_set_access(struct sbx_hooks *, size_t acc, int on);
/* A fresh ULID-like id (26 of 0-9 A-Z without I L O U). */
void	sbx_hooks_new_id(struct sbx_hooks *, char out[SBX_WH_ID_LEN + 1]);
/* The webhook of an account with an id, or NULL. */
struct sbx_webhook *sbx_hooks_find(struct sbx_hooks *, size_t acc,
	    const char *id);
size_t	sbx_hooks_count(const struct sbx_hooks *, size_t acc);
/* Takes w's strings and topics (also on failure). */
int	sbx_hooks_add(struct sbx_hooks *, struct sbx_webhook *) KC_MUSTCHECK;
void	sbx_hooks_remove(struct sbx_hooks *, struct sbx_webhook *);
/* Forgets every webhook and gives every account access again. */
size_t	sbx_hooks_clear(struct sbx_hooks *);
void	sbx_webhook_free_fields(struct sbx_webhook *);
/*
 * Adds an event to an account, in time order (props taken also on
 * failure); its id and uuid are new; *out points at it until the next
 * add.
 */
int	sbx_hooks_add_event(struct sbx_hooks *, size_t acc,
	    const char *metric, int64_t t, uint32_t profile,
	    struct json_object *props, const struct sbx_xevent **out)
	    KC_MUSTCHECK;

/* wh_topics.c */
/*
 * A metric's topic, "event:<integration key>.<name in snake_case>"
 * ("event:shopify.placed_order"); 0 when it has no integration key.
 */
int	sbx_topic_of(struct json_object *metric, char *out, size_t len);
/* The account's topics, sorted, each once (an array of strings). */
struct json_object *sbx_topics(const struct sbx_account *);
int	sbx_topic_exists(const struct sbx_account *, const char *topic);
/* The metric resource of an id, or by name ("Placed Order"), or NULL. */
struct json_object *sbx_metric_lookup(const struct sbx_account *,
	    const char *id_or_name);

/* ep_webhooks.c: the Webhooks API. */
int	sbx_handle_webhook_topics(struct sbx_ctx *, struct sbx_resp *)
	    KC_MUSTCHECK;
int	sbx_handle_webhook_topic(struct sbx_ctx *, struct sbx_resp *)
	    KC_MUSTCHECK;
int	sbx_handle_webhooks_get(struct sbx_ctx *, struct sbx_resp *)
	    KC_MUSTCHECK;
int	sbx_handle_webhook_create(struct sbx_ctx *, struct sbx_resp *)
	    KC_MUSTCHECK;
int	sbx_handle_webhook_get(struct sbx_ctx *, struct sbx_resp *)
	    KC_MUSTCHECK;
int	sbx_handle_webhook_update(struct sbx_ctx *, struct sbx_resp *)
	    KC_MUSTCHECK;
int	sbx_handle_webhook_delete(struct sbx_ctx *, struct sbx_resp *)
	    KC_MUSTCHECK;
/* "https://host" of a URL: what Klaviyo answers for endpoint_url. */
void	sbx_url_truncate(const char *url, char *out, size_t len);
/* Is url an absolute http(s) URL we may deliver to?  why on failure. */
int	sbx_webhook_url_ok(const char *url, int allow_http,
	    const char **why);

/* ep_events.c: an event as GET /api/events shows it (no include). */
struct json_object *sbx_xevent_json(const struct sbx_ctx *,
	    const struct sbx_xevent *);

/* wh_deliver.c: the delivery queue and its thread. */
int	sbx_whq_new(long retry_base_ms, int max_attempts,
	    struct sbx_wh_queue **) KC_MUSTCHECK;
/* Stops the thread (an attempt in flight is cut short) and frees. */
void	sbx_whq_free(struct sbx_wh_queue *);
/* Deliveries not yet finished. */
size_t	sbx_whq_pending(struct sbx_wh_queue *);
/*
 * Queues a delivery of body (copied) to w (url and secret copied) with
 * the event ids (an array, taken); its id in *id.
 */
int	sbx_whq_add(struct sbx_wh_queue *, const struct sbx_webhook *,
	    const char *account, const char *body, struct json_object *events,
	    uint64_t *id) KC_MUSTCHECK;
/*
 * The deliveries, oldest first, as JSON objects, those of a webhook or
 * an account only when not NULL.
 */
struct json_object *sbx_whq_list(struct sbx_wh_queue *, const char *webhook,
	    const char *account);
/* One delivery as JSON, or NULL when unknown. */
struct json_object *sbx_whq_get(struct sbx_wh_queue *, uint64_t id);
/*
 * Sends a finished delivery again (same body, new timestamp and
 * signature, attempts of its own): 0, or 1 unknown, 2 not finished.
 */
int	sbx_whq_resend(struct sbx_wh_queue *, uint64_t id);
/* Forgets every delivery not in flight; how many. */
size_t	sbx_whq_clear(struct sbx_wh_queue *);
/* hex(HMAC-SHA256(secret, body || timestamp)): 64 characters. */
int	sbx_webhook_sign(const char *secret, const char *body, size_t len,
	    const char *timestamp, char out[65]) KC_MUSTCHECK;

/* ctl_webhooks.c: /__sandbox/accounts/{id}/... and /__sandbox/webhooks */
int	sbx_ctl_webhooks_path(const char *path);
void	sbx_ctl_webhooks(struct sbx_app *, const struct sbx_req *,
	    struct sbx_resp *);

#endif
