/* Saving and removing Klaviyo connections; see connect_store.h. */
#include "connect_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "credential.h"
#include "integration.h"
#include "jobq.h"
#include "json_util.h"
#include "ksync.h"
#include "log.h"
#include "oauth_flow.h"
#include "outbox.h"
#include "perm.h"
#include "sync_type.h"

void
connect_result_free(struct connect_result *r)
{
	json_object_put(r->integration);
	r->integration = NULL;
}

static void
iso_now(char *out, size_t len)
{
	time_t		t = time(NULL);
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
store_clear_klaviyo_data(struct db *db, long long store_id)
{
	int rc;

	/* Jobs first: their row locks order us after a job's last write. */
	if ((rc = jobq_cancel_store(db, store_id)) != KC_OK ||
	    (rc = ksync_delete_store(db, store_id)) != KC_OK ||
	    (rc = outbox_cancel_store(db, store_id)) != KC_OK)
		return rc;
	return sync_type_clear_store(db, store_id);
}

int
store_mark_refused(struct db *db, long long store_id, const char *why,
    const char *job_why)
{
	int rc;

	if ((rc = integ_mark_refused(db, store_id, why)) != KC_OK)
		return rc;
	return jobq_cancel_queued(db, store_id, job_why);
}

static int
enqueue_trigger(struct db *db, const struct store_access *a,
    const char *account_id, int do_not_order_sync, long long *id)
{
	struct json_object	*p = json_object_new_object();
	int			 rc = KC_ERR_NOMEM;

	*id = 0;
	if (p == NULL || json_add_str(p, "klaviyo_public_id", account_id) !=
	    KC_OK || json_add_str(p, "store_public_id", a->public_id) !=
	    KC_OK || json_add_bool(p, "do_not_order_sync",
	    do_not_order_sync) != KC_OK)
		goto out;
	rc = outbox_enqueue(db, a->store_id, json_object_to_json_string_ext(p,
	    JSON_C_TO_STRING_PLAIN), id);
out:
	json_object_put(p);
	return rc;
}

static int
audit(const struct connect_actor *act, const struct store_access *a,
    const char *action, const char *account_id, const char *metric_id,
    const char *hint)
{
	struct json_object	*d = json_object_new_object();
	int			 rc = KC_ERR_NOMEM, oauth;

	/* A key is named by its hint; no hint on a connect means OAuth. */
	oauth = hint == NULL && (strcmp(action, "connect") == 0 ||
	    strcmp(action, "rotate_key") == 0);

	if (d == NULL ||
	    (account_id && json_add_str(d, "account_id", account_id) !=
	    KC_OK) ||
	    (metric_id && json_add_str(d, "conversion_metric_id",
	    metric_id) != KC_OK) ||
	    (hint && json_add_str(d, "api_key_hint", hint) != KC_OK) ||
	    (oauth && json_add_str(d, "auth_method", "oauth") != KC_OK))
		goto out;
	rc = audit_log(act->db, act->user_id, a->store_id, action, "success",
	    act->ip, d);
out:
	json_object_put(d);
	return rc;
}

/* The public view of what was saved, plus the masked key ("apiKey"). */
static int
result_view(const struct integration *in, struct connect_result *r)
{
	int rc;

	if ((rc = integ_to_json(in, &r->integration)) != KC_OK)
		return rc;
	return in->api_key_hint ? json_add_str(r->integration, "apiKey",
	    in->api_key_hint) : KC_OK;
}

/* Same account: the key is replaced, its sync history stays. */
static int
keep_history(struct integration *in, const struct integration *old)
{
	size_t	i;
	int	rc;

	if ((rc = integ_set(&in->connected_at, old->connected_at)) != KC_OK ||
	    (rc = integ_set(&in->last_sync, old->last_sync)) != KC_OK)
		return rc;
	in->is_updating_dashboard = old->is_updating_dashboard;
	for (i = 0; i < SYNC_TYPE_COUNT; i++)
		if ((rc = integ_set(&in->last_update[i],
		    old->last_update[i])) != KC_OK)
			return rc;
	return KC_OK;
}

/* The integration a connect saves, before the history is decided. */
static int
new_integration(struct integration *in, const struct connect_cred *cred,
    struct json_object *account, struct json_object *metric)
{
	int rc;

	memset(in, 0, sizeof(*in));
	in->status = INTEG_CONNECTED;
	in->auth = strcmp(cred->kind, "oauth") == 0 ? INTEG_AUTH_OAUTH :
	    INTEG_AUTH_API_KEY;
	if ((rc = integ_set(&in->account_id, json_get_str(account, "id"))) !=
	    KC_OK || (rc = integ_set_account(in, account)) != KC_OK ||
	    (rc = integ_set(&in->api_key_hint, cred->hint)) != KC_OK)
		return rc;
	return integ_set_metric(in, metric);
}

int
connect_save(const struct connect_actor *act, const struct store_access *a,
    const struct connect_cred *cred, struct json_object *account,
    struct json_object *metric, struct connect_result *r)
{
	struct integration	 old, in;
	const char		*acct = json_get_str(account, "id");
	char			 now[32];
	long long		 ksid;
	int			 rc, same, old_no_orders, no_orders;

	memset(r, 0, sizeof(*r));
	memset(&old, 0, sizeof(old));
	iso_now(now, sizeof(now));
	no_orders = !json_get_bool(metric, "isShopifyPlacedOrder");
	if ((rc = new_integration(&in, cred, account, metric)) != KC_OK)
		goto out;
	if ((rc = db_begin(act->db)) != KC_OK)
		goto out;
	if ((rc = integ_lock(act->db, a->store_id, &old)) != KC_OK ||
	    (rc = perm_still_manages(act->db, act->user_id, a->store_id)) !=
	    KC_OK)
		goto fail;
	same = integ_configured(&old) && old.account_id &&
	    strcmp(old.account_id, acct) == 0;
	old_no_orders = old.metric.id ? !old.metric.shopify_placed_order : -1;
	if (same)
		rc = keep_history(&in, &old);
	if (rc == KC_OK && in.connected_at == NULL)
		rc = integ_set(&in.connected_at, now);
	if (rc != KC_OK)
		goto fail;
	/* Another account's data must not mix with this one's. */
	if (!same && (rc = store_clear_klaviyo_data(act->db, a->store_id)) !=
	    KC_OK)
		goto fail;
	if (cred->oauth_flow &&
	    (rc = oauth_flow_consume(act->db, cred->oauth_flow)) != KC_OK)
		goto fail;
	if ((rc = credential_save(act->db, act->keyring, a->store_id,
	    a->public_id, cred->kind, cred->secret)) != KC_OK ||
	    (rc = integ_save(act->db, a->store_id, &in)) != KC_OK)
		goto fail;
	if ((rc = ksync_find_or_create(act->db, acct, a->store_id, &ksid)) !=
	    KC_OK)
		goto fail;
	if ((!same || old_no_orders != no_orders) &&
	    (rc = enqueue_trigger(act->db, a, acct, no_orders,
	    &r->trigger_id)) != KC_OK)
		goto fail;
	if ((rc = audit(act, a, same ? "rotate_key" : "connect", acct,
	    in.metric.id, cred->hint)) != KC_OK ||
	    (rc = db_commit(act->db)) != KC_OK)
		goto fail;
	r->rotated = same;
	rc = result_view(&in, r);
	goto out;
fail:
	db_rollback(act->db);
out:
	integ_clear(&old);
	integ_clear(&in);
	return rc;
}

int
connect_change_metric(const struct connect_actor *act,
    const struct store_access *a, struct json_object *metric,
    struct connect_result *r)
{
	struct integration	 in;
	int			 rc, old_no_orders, no_orders;

	memset(r, 0, sizeof(*r));
	memset(&in, 0, sizeof(in));
	no_orders = !json_get_bool(metric, "isShopifyPlacedOrder");
	if ((rc = db_begin(act->db)) != KC_OK)
		return rc;
	if ((rc = integ_lock(act->db, a->store_id, &in)) != KC_OK ||
	    (rc = perm_still_manages(act->db, act->user_id, a->store_id)) !=
	    KC_OK)
		goto fail;
	if (!integ_configured(&in) || in.account_id == NULL) {
		rc = KC_ERR_CONFLICT;
		goto fail;
	}
	old_no_orders = in.metric.id ? !in.metric.shopify_placed_order : -1;
	if ((rc = integ_set_metric(&in, metric)) != KC_OK ||
	    (rc = integ_save(act->db, a->store_id, &in)) != KC_OK)
		goto fail;
	/* Orders are synced only for Shopify's Placed Order: re-trigger. */
	if (old_no_orders != no_orders &&
	    (rc = enqueue_trigger(act->db, a, in.account_id, no_orders,
	    &r->trigger_id)) != KC_OK)
		goto fail;
	if ((rc = audit(act, a, "change_metric", in.account_id, in.metric.id,
	    NULL)) != KC_OK || (rc = db_commit(act->db)) != KC_OK)
		goto fail;
	rc = result_view(&in, r);
	integ_clear(&in);
	return rc;
fail:
	db_rollback(act->db);
	integ_clear(&in);
	return rc;
}

int
connect_remove(const struct connect_actor *act, const struct store_access *a,
    int *was)
{
	struct integration	 in, reset;
	int			 rc;

	*was = 0;
	memset(&in, 0, sizeof(in));
	memset(&reset, 0, sizeof(reset));	/* not_configured */
	if ((rc = db_begin(act->db)) != KC_OK)
		return rc;
	if ((rc = integ_lock(act->db, a->store_id, &in)) != KC_OK ||
	    (rc = perm_still_manages(act->db, act->user_id, a->store_id)) !=
	    KC_OK)
		goto out;
	*was = integ_configured(&in);
	if ((rc = credential_delete(act->db, a->store_id)) != KC_OK ||
	    (rc = store_clear_klaviyo_data(act->db, a->store_id)) != KC_OK ||
	    (rc = integ_save(act->db, a->store_id, &reset)) != KC_OK)
		goto out;
	if (*was && (rc = audit(act, a, "disconnect", in.account_id, NULL,
	    NULL)) != KC_OK)
		goto out;
	rc = db_commit(act->db);
out:
	if (rc != KC_OK)
		db_rollback(act->db);
	integ_clear(&in);
	return rc;
}
