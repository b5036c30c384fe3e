/* Every route of the JSON API in one table; handlers live in route_*.c. */
#include "routes.h"

const struct route routes[] = {
	{ "POST", "/api/auth/login", RT_BODY | RT_MUTATES, route_login },
	{ "POST", "/api/auth/logout", RT_BODY_OPT | RT_MUTATES,
	  route_logout },
	{ "GET", "/api/me", RT_AUTH, route_me },
	{ "GET", "/api/health", 0, route_health },
	{ "GET", "/api/store/{storePublicId}/klaviyo-connect", RT_AUTH,
	  route_connect_get },
	{ "POST", "/api/store/{storePublicId}/klaviyo-connect",
	  RT_AUTH | RT_BODY | RT_MUTATES | RT_KLAVIYO, route_connect_post },
	{ "DELETE", "/api/store/{storePublicId}/klaviyo-connect",
	  RT_AUTH | RT_BODY_OPT | RT_MUTATES, route_connect_delete },
	{ "GET", "/api/store/{storePublicId}/klaviyo-metrics",
	  RT_AUTH | RT_KLAVIYO, route_metrics_get },
	{ "GET", "/api/store/{storePublicId}/klaviyo-accounts", RT_AUTH,
	  route_accounts_get },
	{ "POST", "/api/store/{storePublicId}/klaviyo-accounts",
	  RT_AUTH | RT_BODY | RT_MUTATES | RT_KLAVIYO, route_accounts_post },
	{ "GET", "/api/store/{storePublicId}/klaviyo-accounts/{accountId}",
	  RT_AUTH, route_account_get },
	{ "PATCH", "/api/store/{storePublicId}/klaviyo-accounts/{accountId}",
	  RT_AUTH | RT_BODY | RT_MUTATES | RT_KLAVIYO, route_account_patch },
	{ "DELETE", "/api/store/{storePublicId}/klaviyo-accounts/{accountId}",
	  RT_AUTH | RT_BODY_OPT | RT_MUTATES, route_account_delete },
	{ "GET",
	  "/api/store/{storePublicId}/klaviyo-accounts/{accountId}/metrics",
	  RT_AUTH | RT_KLAVIYO, route_account_metrics },
	{ "GET", "/api/klaviyo/test", RT_AUTH | RT_KLAVIYO,
	  route_klaviyo_test },
	{ "GET", "/api/store/{storePublicId}/klaviyo-oauth/start", RT_AUTH,
	  route_oauth_start },
	/* Authenticates itself: every outcome is a redirect to a page. */
	{ "GET", "/api/klaviyo/oauth/callback", 0, route_oauth_callback },
	{ "POST", "/api/store/{storePublicId}/klaviyo-sync",
	  RT_AUTH | RT_BODY_OPT | RT_MUTATES, route_sync_post },
	{ "POST", "/api/v1/reports/full_sync", RT_BODY | RT_MUTATES,
	  route_report_full_sync },
	/* Prometheus; nginx exposes it on an internal location only. */
	{ "GET", "/metrics", 0, route_prom_metrics },
};
const size_t nroutes = nitems(routes);
