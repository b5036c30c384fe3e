/*
 * Probing a Klaviyo key: its account and its merged metric list, from
 * GET /api/accounts, /api/metrics (all pages) and /api/custom-metrics,
 * fetched concurrently.  A test always asks Klaviyo (a key revoked
 * since fails at once); the connect right after it asks for the account
 * again and reuses the test's metric list only when it is seconds old
 * (klaviyo_probe_cache, at most 10 s) and of the same account, so Test
 * then Connect does not spend the metrics budget twice.
 */
#ifndef KC_PROBE_H
#define KC_PROBE_H

#include <json-c/json.h>

#include "db.h"
#include "kc_err.h"

struct kv_client;
struct kc_cred;

enum probe_mode {
	PROBE_TEST,	/* everything from Klaviyo, cached for a connect */
	PROBE_CONNECT,	/* the account is asked again; metrics may be cached */
	PROBE_METRICS,	/* only the metric list, cached if seconds old */
};

struct probe {
	struct json_object	*account;	/* {id,name,timezone,...} */
	struct json_object	*metrics;	/* merged, sorted */
	int			 cached;
	int			 requests;	/* Klaviyo requests made */
	/* on failure */
	char			 code[40];
	char			 msg[256];
	long			 retry_after;
};

int	probe_run(struct db *, struct kv_client *, const char *key, int bearer,
	    enum probe_mode, long cache_seconds, struct probe *) KC_MUSTCHECK;
/*
 * The same with a store's stored credential, through cred_run (an OAuth
 * token is refreshed before it expires and after a 401), and the
 * connected account's rate-limit key ("acct:<id>"; NULL: from the key).
 */
int	probe_run_cred(struct db *, struct kv_client *, struct kc_cred *,
	    const char *account_key, enum probe_mode, long cache_seconds,
	    struct probe *) KC_MUSTCHECK;
void	probe_free(struct probe *);
/* The account object from a GET /api/accounts data item. */
struct json_object *probe_account_from(struct json_object *item);

#endif
