/* The route table of klaviyo-connect-fcgi (DESIGN.md 3). */
#ifndef KC_ROUTES_H
#define KC_ROUTES_H

#include <stddef.h>

#include "json_util.h"
#include "router.h"

extern const struct route routes[];
extern const size_t nroutes;

/* The JSON body fields of the routes that take one (tests/fuzz too). */
extern const struct jfield login_fields[], connect_fields[], sync_fields[];
extern const struct jfield account_patch_fields[];
extern const size_t nlogin_fields, nconnect_fields, nsync_fields;
extern const size_t naccount_patch_fields;

int	route_login(struct kc_ctx *);
int	route_logout(struct kc_ctx *);
int	route_me(struct kc_ctx *);
int	route_health(struct kc_ctx *);
int	route_connect_get(struct kc_ctx *);
int	route_connect_post(struct kc_ctx *);
int	route_connect_delete(struct kc_ctx *);
int	route_metrics_get(struct kc_ctx *);
int	route_accounts_get(struct kc_ctx *);
int	route_accounts_post(struct kc_ctx *);
int	route_account_get(struct kc_ctx *);
int	route_account_patch(struct kc_ctx *);
int	route_account_delete(struct kc_ctx *);
int	route_account_metrics(struct kc_ctx *);
int	route_settings_get(struct kc_ctx *);
int	route_settings_patch(struct kc_ctx *);
int	route_activity_get(struct kc_ctx *);
int	route_reports_get(struct kc_ctx *);
int	route_klaviyo_test(struct kc_ctx *);
int	route_oauth_start(struct kc_ctx *);
int	route_oauth_callback(struct kc_ctx *);
int	route_sync_post(struct kc_ctx *);
int	route_report_full_sync(struct kc_ctx *);
int	route_webhook_post(struct kc_ctx *);
int	route_prom_metrics(struct kc_ctx *);

#endif
