/*
 * What the rows of the endpoint table (endpoints.c) point at: the
 * generators that build an account's collections at start (gen_*.c)
 * and the handlers of the endpoints that are more than a collection
 * (gen_store.c, ep_events.c, report_*.c).
 */
#ifndef KC_SANDBOX_ENDPOINTS_H
#define KC_SANDBOX_ENDPOINTS_H

#include "sandbox.h"

#define RPT_PAGE	100	/* report results per page (page_cursor) */

/* gen_account.c */
int	sbx_gen_accounts(const struct sbx_account *, struct json_object **)
	    KC_MUSTCHECK;
int	sbx_gen_metrics(const struct sbx_account *, struct json_object **)
	    KC_MUSTCHECK;
int	sbx_gen_custom_metrics(const struct sbx_account *,
	    struct json_object **) KC_MUSTCHECK;
int	sbx_gen_lists(const struct sbx_account *, struct json_object **)
	    KC_MUSTCHECK;

/* gen_store.c */
int	sbx_gen_campaigns(const struct sbx_account *, struct json_object **)
	    KC_MUSTCHECK;
int	sbx_gen_flows(const struct sbx_account *, struct json_object **)
	    KC_MUSTCHECK;
int	sbx_gen_segments(const struct sbx_account *, struct json_object **)
	    KC_MUSTCHECK;
int	sbx_gen_forms(const struct sbx_account *, struct json_object **)
	    KC_MUSTCHECK;
/* GET /api/campaigns: one channel at a time, as Klaviyo insists. */
int	sbx_handle_campaigns(struct sbx_ctx *, struct sbx_resp *)
	    KC_MUSTCHECK;

/* ep_events.c */
int	sbx_handle_events(struct sbx_ctx *, struct sbx_resp *) KC_MUSTCHECK;

/* report_answer.c: the seven reporting endpoints. */
int	sbx_handle_report(struct sbx_ctx *, struct sbx_resp *) KC_MUSTCHECK;

#endif
