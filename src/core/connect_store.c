/* Saving and removing Klaviyo connections; see connect_store.h. */
#include "connect_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "connection.h"
#include "credential.h"
#include "integration.h"
#include "jobq.h"
#include "json_util.h"
#include "ksync.h"
#include "log.h"
#include "oauth_flow.h"
#include "outbox.h"
#include "perm.h"
#include "sync_settings.h"
#include "sync_type.h"
#include "webhook.h"

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
connection_clear_data(struct db *db, long long conn_id)
{
	int rc;

	/* Jobs first: their row locks order us after a job's last write. */
	if ((rc = jobq_cancel_connection(db, conn_id)) != KC_OK ||
	    (rc = ksync_delete_connection(db, conn_id)) != KC_OK ||
	    (rc = outbox_cancel_connection(db, conn_id)) != KC_OK)
		return rc;
	return sync_type_clear_connection(db, conn_id);
}

int
connection_mark_refused(struct db *db, long long conn_id, const char *why,
    const char *job_why)
{
	struct json_object	*d;
	int			 rc, changed;

	if ((rc = integ_mark_refused(db, conn_id, why, &changed)) != KC_OK)
		return rc;
	/* Once, when it happens: the activity list says why syncs stop. */
	if (changed) {
		if ((d = json_object_new_object()) == NULL ||
		    json_add_str(d, "reason", why) != KC_OK) {
			json_object_put(d);
			return KC_ERR_NOMEM;
		}
		rc = audit_log_connection(db, conn_id, "credential_refused",
		    "failure", d);
		json_object_put(d);
		if (rc != KC_OK)
			return rc;
	}
	return jobq_cancel_queued(db, conn_id, job_why);
}

/*
 * A credential replaced on a connection that was refused or whose last
 * sync failed: every type it syncs is queued now, so the old failures
 * (the latest job per type, the status) give way at once rather than
 * at the scheduler's next round minutes later.
 */
static int
restart_syncs(struct db *db, long long conn_id, int orders)
{
	struct sync_settings	 set;
	long long		 id;
	size_t			 i;
	int			 rc;

	if ((rc = sync_settings_load(db, conn_id, &set)) != KC_OK)
		return rc;
	for (i = 0; i < SYNC_TYPE_COUNT; i++) {
		if (!sync_settings_syncs(&set, &sync_types[i], orders))
			continue;
		if ((rc = jobq_enqueue(db, conn_id, sync_types[i].name,
		    "incremental", 0, &id)) != KC_OK)
			return rc;
	}
	return KC_OK;
}

/* The seed's payload, and the connection it is for. */
static int
enqueue_trigger(struct db *db, const struct store_access *a,
    const struct connect_result *r, const char *account_id,
    int do_not_order_sync, long long *id)
{
	struct json_object	*p = json_object_new_object();
	int			 rc = KC_ERR_NOMEM;

	*id = 0;
	if (p == NULL || json_add_str(p, "klaviyo_public_id", account_id) !=
	    KC_OK || json_add_str(p, "store_public_id", a->public_id) !=
	    KC_OK || json_add_bool(p, "do_not_order_sync",
	    do_not_order_sync) != KC_OK ||
	    json_add_str(p, "klaviyo_connection_id", r->conn_public_id) !=
	    KC_OK)
		goto out;
	rc = outbox_enqueue(db, r->conn_id, json_object_to_json_string_ext(p,
	    JSON_C_TO_STRING_PLAIN), id);
out:
	json_object_put(p);
	return rc;
}

static int
audit(const struct connect_actor *act, const struct store_access *a,
    const char *action, const struct connect_result *r,
    const char *account_id, const char *metric_id, const char *hint)
{
	struct json_object	*d = json_object_new_object();
	int			 rc = KC_ERR_NOMEM, oauth;

	/* A key is named by its hint; no hint on a connect means OAuth. */
	oauth = hint == NULL && (strcmp(action, "connect") == 0 ||
	    strcmp(action, "add_account") == 0 ||
	    strcmp(action, "rotate_key") == 0);

	if (d == NULL ||
	    (r->conn_public_id[0] && json_add_str(d, "connection_id",
	    r->conn_public_id) != KC_OK) ||
	    (account_id && json_add_str(d, "account_id", account_id) !=
	    KC_OK) ||
	    (metric_id && json_add_str(d, "conversion_metric_id",
	    metric_id) != KC_OK) ||
	    (hint && json_add_str(d, "api_key_hint", hint) != KC_OK) ||
	    (oauth && json_add_str(d, "auth_method", "oauth") != KC_OK))
		goto out;
	if (act->user_id == 0 && json_add_str(d, "via", "klaviyo-admin") !=
	    KC_OK)
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

static void
set_conn(struct connect_result *r, const struct kconn *c)
{
	r->conn_id = c->id;
	snprintf(r->conn_public_id, sizeof(r->conn_public_id), "%s",
	    c->public_id);
	r->primary = c->primary;
}

/*
 * Begins the transaction: the store row locked, the actor checked again
 * and the target connection, when there is one, locked and parsed into
 * *old (r names it; *found 1).  CONNECT_ADD has none; CONNECT_PRIMARY
 * none when the store has no connection; CONNECT_ONE KC_ERR_NOT_FOUND.
 * Rolled back on failure.
 */
static int
begin_on(const struct connect_actor *act, const struct store_access *a,
    const struct connect_target *t, struct connect_result *r,
    struct integration *old, int *found)
{
	struct kconn	c;
	int		rc;

	*found = 0;
	memset(old, 0, sizeof(*old));
	memset(&c, 0, sizeof(c));
	if ((rc = db_begin(act->db)) != KC_OK)
		return rc;
	/* An operator (klaviyo-admin, user 0) holds no role on stores. */
	if ((rc = conn_lock_store(act->db, a->store_id)) != KC_OK ||
	    (act->user_id != 0 && (rc = perm_still_manages(act->db,
	    act->user_id, a->store_id)) != KC_OK))
		goto fail;
	if (t->kind == CONNECT_ADD)
		return KC_OK;
	rc = conn_find(act->db, a->store_id, t->kind == CONNECT_ONE ?
	    t->public_id : NULL, &c);
	if (rc == KC_ERR_NOT_FOUND && t->kind == CONNECT_PRIMARY)
		return KC_OK;
	if (rc != KC_OK)
		goto fail;
	set_conn(r, &c);
	conn_clear(&c);
	if ((rc = integ_lock(act->db, r->conn_id, old)) != KC_OK)
		goto fail;
	*found = 1;
	return KC_OK;
fail:
	db_rollback(act->db);
	return rc;
}

int
connect_save(const struct connect_actor *act, const struct store_access *a,
    const struct connect_target *t, const struct connect_cred *cred,
    struct json_object *account, struct json_object *metric,
    struct connect_result *r)
{
	struct integration	 old, in;
	struct kconn		 other;
	const char		*acct = json_get_str(account, "id"), *action;
	char			 now[32];
	long long		 ksid;
	int			 rc, same, found, old_no_orders, no_orders;

	memset(r, 0, sizeof(*r));
	memset(&old, 0, sizeof(old));
	memset(&other, 0, sizeof(other));
	iso_now(now, sizeof(now));
	no_orders = !json_get_bool(metric, "isShopifyPlacedOrder");
	if ((rc = new_integration(&in, cred, account, metric)) != KC_OK)
		goto out;
	if ((rc = begin_on(act, a, t, r, &old, &found)) != KC_OK)
		goto out;
	same = found && old.account_id && strcmp(old.account_id, acct) == 0;
	if (t->kind == CONNECT_ONE && !same) {
		r->conflict = "account_mismatch";
		rc = KC_ERR_CONFLICT;
		goto fail;
	}
	/* A store connects each Klaviyo account once. */
	if (!same && (rc = conn_find_account(act->db, a->store_id, acct,
	    &other)) != KC_ERR_NOT_FOUND) {
		if (rc == KC_OK) {
			r->conflict = "account_already_connected";
			rc = KC_ERR_CONFLICT;
		}
		goto fail;
	}
	old_no_orders = old.metric.id ? !old.metric.shopify_placed_order : -1;
	rc = KC_OK;
	if (same)
		rc = keep_history(&in, &old);
	if (rc == KC_OK && in.connected_at == NULL)
		rc = integ_set(&in.connected_at, now);
	if (rc != KC_OK)
		goto fail;
	/* Another account's data must not mix with this one's. */
	if (found && !same &&
	    (rc = connection_clear_data(act->db, r->conn_id)) != KC_OK)
		goto fail;
	if (cred->oauth_flow &&
	    (rc = oauth_flow_consume(act->db, cred->oauth_flow)) != KC_OK)
		goto fail;
	if (found)
		rc = integ_save(act->db, r->conn_id, &in);
	else if ((rc = conn_insert(act->db, a->store_id, &in, &other)) ==
	    KC_OK)
		set_conn(r, &other);
	if (rc != KC_OK ||
	    (rc = credential_save(act->db, act->keyring, r->conn_id,
	    a->public_id, cred->kind, cred->secret)) != KC_OK ||
	    (rc = ksync_find_or_create(act->db, acct, r->conn_id, &ksid)) !=
	    KC_OK ||
	    (rc = webhook_want(act->db, r->conn_id, found && !same)) != KC_OK)
		goto fail;
	/* A new credential for a refused or failing one: sync again now. */
	if (same && (old.status == INTEG_ERROR || old.last_error != NULL) &&
	    (rc = restart_syncs(act->db, r->conn_id, !no_orders)) != KC_OK)
		goto fail;
	if ((!same || old_no_orders != no_orders) &&
	    (rc = enqueue_trigger(act->db, a, r, acct, no_orders,
	    &r->trigger_id)) != KC_OK)
		goto fail;
	action = same ? "rotate_key" : t->kind == CONNECT_ADD ?
	    "add_account" : "connect";
	if ((rc = audit(act, a, action, r, acct, in.metric.id,
	    cred->hint)) != KC_OK || (rc = db_commit(act->db)) != KC_OK)
		goto fail;
	r->rotated = same;
	rc = result_view(&in, r);
	goto out;
fail:
	db_rollback(act->db);
out:
	conn_clear(&other);
	integ_clear(&old);
	integ_clear(&in);
	return rc;
}

int
connect_change_metric(const struct connect_actor *act,
    const struct store_access *a, const struct connect_target *t,
    struct json_object *metric, struct connect_result *r)
{
	struct integration	 in;
	int			 rc, found, old_no_orders, no_orders;

	memset(r, 0, sizeof(*r));
	no_orders = !json_get_bool(metric, "isShopifyPlacedOrder");
	if ((rc = begin_on(act, a, t, r, &in, &found)) != KC_OK)
		return rc;
	if (!found || !integ_configured(&in) || in.account_id == NULL) {
		r->conflict = "not_connected";
		rc = KC_ERR_CONFLICT;
		goto fail;
	}
	old_no_orders = in.metric.id ? !in.metric.shopify_placed_order : -1;
	/* Its topic is the metric's: registered again (webhook.h). */
	if ((rc = integ_set_metric(&in, metric)) != KC_OK ||
	    (rc = integ_save(act->db, r->conn_id, &in)) != KC_OK ||
	    (rc = webhook_want(act->db, r->conn_id, 0)) != KC_OK)
		goto fail;
	/* Orders are synced only for Shopify's Placed Order: re-trigger. */
	if (old_no_orders != no_orders &&
	    (rc = enqueue_trigger(act->db, a, r, in.account_id, no_orders,
	    &r->trigger_id)) != KC_OK)
		goto fail;
	if ((rc = audit(act, a, "change_metric", r, in.account_id,
	    in.metric.id, NULL)) != KC_OK || (rc = db_commit(act->db)) != KC_OK)
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
    const struct connect_target *t, int *was)
{
	struct connect_result	 r;
	struct integration	 in;
	int			 rc, found;

	*was = 0;
	memset(&r, 0, sizeof(r));
	if ((rc = begin_on(act, a, t, &r, &in, &found)) != KC_OK)
		return rc;
	if (!found) {
		rc = db_commit(act->db);
		goto out;
	}
	*was = 1;
	/*
	 * Jobs and triggers are cancelled first (a running job stops at its
	 * next heartbeat); the row's foreign keys take the credential, the
	 * jobs, the KlaviyoSync row and the synced data with it.
	 */
	if ((rc = jobq_cancel_connection(act->db, r.conn_id)) != KC_OK ||
	    (rc = outbox_cancel_connection(act->db, r.conn_id)) != KC_OK ||
	    (rc = conn_delete(act->db, a->store_id, r.conn_id, r.primary)) !=
	    KC_OK ||
	    (rc = audit(act, a, t->kind == CONNECT_PRIMARY ? "disconnect" :
	    "remove_account", &r, in.account_id, NULL, NULL)) != KC_OK)
		goto fail;
	rc = db_commit(act->db);
	goto out;
fail:
	db_rollback(act->db);
out:
	integ_clear(&in);
	return rc;
}

int
connect_make_primary(const struct connect_actor *act,
    const struct store_access *a, const struct connect_target *t,
    struct connect_result *r)
{
	struct integration	 in;
	int			 rc, found;

	memset(r, 0, sizeof(*r));
	if ((rc = begin_on(act, a, t, r, &in, &found)) != KC_OK)
		return rc;
	if (!found) {
		rc = KC_ERR_NOT_FOUND;
		goto fail;
	}
	/* The report server learns of the new primary by its trigger. */
	if (!r->primary &&
	    ((rc = conn_make_primary(act->db, a->store_id, r->conn_id)) !=
	    KC_OK || (rc = enqueue_trigger(act->db, a, r, in.account_id,
	    !in.metric.shopify_placed_order, &r->trigger_id)) != KC_OK ||
	    (rc = audit(act, a, "make_primary", r, in.account_id, NULL,
	    NULL)) != KC_OK))
		goto fail;
	if ((rc = db_commit(act->db)) != KC_OK)
		goto fail;
	r->primary = 1;
	rc = result_view(&in, r);
	integ_clear(&in);
	return rc;
fail:
	db_rollback(act->db);
	integ_clear(&in);
	return rc;
}
