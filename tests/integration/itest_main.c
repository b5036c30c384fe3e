/* Runs every integration suite against the stack run.sh started. */
#include "itest.h"

#include <curl/curl.h>
#include <stdlib.h>

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	sr = srunner_create(suite_health());
	srunner_add_suite(sr, suite_auth());
	srunner_add_suite(sr, suite_me());
	srunner_add_suite(sr, suite_status());
	srunner_add_suite(sr, suite_readcache());
	srunner_add_suite(sr, suite_input());
	srunner_add_suite(sr, suite_admin());
	srunner_add_suite(sr, suite_admin_day2());
	srunner_add_suite(sr, suite_admin_accounts());
	srunner_add_suite(sr, suite_connect());
	srunner_add_suite(sr, suite_accounts());
	srunner_add_suite(sr, suite_settings());
	srunner_add_suite(sr, suite_webhooks());
	srunner_add_suite(sr, suite_reports());
	srunner_add_suite(sr, suite_klaviyo_faults());
	srunner_add_suite(sr, suite_slow_klaviyo());
	srunner_add_suite(sr, suite_secrets());
	srunner_add_suite(sr, suite_secrets_purpose());
	srunner_add_suite(sr, suite_secrets_memory());
	srunner_add_suite(sr, suite_sync());
	srunner_add_suite(sr, suite_sync_full());
	srunner_add_suite(sr, suite_fleet());
	srunner_add_suite(sr, suite_oauth());
	srunner_add_suite(sr, suite_sighup());
	srunner_add_suite(sr, suite_nginx());
	srunner_add_suite(sr, suite_heartbeat());
	srunner_add_suite(sr, suite_metrics());
	/* Last: it stops and starts PostgreSQL. */
	srunner_add_suite(sr, suite_dbrestart());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
