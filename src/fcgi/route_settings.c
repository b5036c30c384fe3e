/*
 * /api/store/{storePublicId}/klaviyo-accounts/{accountId}/settings: a
 * Klaviyo account's sync settings (issue 16; src/core/sync_settings.h).
 *   GET    any role: per type enabled, interval, its default, last sync,
 *          next run, whether the key has its scope, the shortest interval
 *          the account's report budget allows now; its webhook's state
 *   PATCH  manage: {types: {<type>: {enabled?, interval_hours?}},
 *          delete_data?, webhooks?}.  webhooks false deletes the
 *          account's webhook at Klaviyo, true registers it again.  A type turned off has its queued and running
 *          jobs cancelled (and, with delete_data, its synced rows
 *          deleted); one turned on gets a full sync queued.  Audited.
 */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "connect_ops.h"
#include "connection.h"
#include "dispatch.h"
#include "integration.h"
#include "jobq.h"
#include "json_util.h"
#include "ksync.h"
#include "sync_settings.h"
#include "webhook.h"

/*
 * Per type: last sync, the next run (a queued job's time, else last
 * sync + interval, else now), and the scope its latest finished job
 * found missing.  $2, $3: the types and their intervals in effect.
 */
static const char SQL_TYPES[] =
    "SELECT t.type, y.state -> t.type ->> 'last_sync',"
    " to_char(coalesce((SELECT min(j.run_after) FROM sync_jobs j"
    "   WHERE j.connection_id = $1 AND j.type = t.type"
    "   AND j.state IN ('queued', 'running')),"
    "  greatest(now(), (y.state -> t.type ->> 'last_sync')::timestamptz"
    "   + make_interval(hours => t.hours)), now()) AT TIME ZONE 'UTC',"
    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " (SELECT substring(j.last_error FROM '^needs scope (.+)$')"
    "  FROM sync_jobs j WHERE j.connection_id = $1 AND j.type = t.type"
    "  AND j.state IN ('done', 'failed') ORDER BY j.id DESC LIMIT 1)"
    " FROM unnest($2::text[], $3::int[]) AS t(type, hours)"
    " LEFT JOIN klaviyo_syncs y ON y.connection_id = $1";
/* Budget checks of one Klaviyo account, one at a time (all stores). */
static const char SQL_BUDGET_LOCK[] =
    "SELECT pg_advisory_xact_lock(hashtextextended("
    "'klaviyo-connect report budget', 0) # hashtextextended($1, 0))";

/* The settings document of GET (and of a PATCH's answer). */
static int
settings_json(struct kc_ctx *ctx, const struct kconn *c,
    const struct integration *in, const struct sync_settings *s,
    int can_manage, struct json_object **out)
{
	char			 names[256], hours[128];
	const char		*params[3] = { NULL, names, hours };
	char			 cid[24];
	double			 others[SYNC_TYPE_COUNT];
	struct json_object	*wh = NULL;
	struct json_object	*o = NULL, *types = NULL, *t, *b;
	const struct sync_type	*st;
	PGresult		*res = NULL;
	size_t			 i, n = 0, h = 0;
	int			 r, rc, placed = in->metric.shopify_placed_order;

	*out = NULL;
	snprintf(cid, sizeof(cid), "%lld", c->id);
	params[0] = cid;
	for (i = 0; i < SYNC_TYPE_COUNT; i++) {
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%c%s",
		    i ? ',' : '{', sync_types[i].name);
		h += (size_t)snprintf(hours + h, sizeof(hours) - h, "%c%d",
		    i ? ',' : '{', s->t[i].interval_hours);
	}
	snprintf(names + n, sizeof(names) - n, "}");
	snprintf(hours + h, sizeof(hours) - h, "}");
	if ((rc = sync_settings_others(ctx->db, c->id, in->account_id ?
	    in->account_id : "", others)) != KC_OK ||
	    (rc = db_query(ctx->db, SQL_TYPES, 3, params, &res)) != KC_OK)
		return rc;
	rc = KC_ERR_NOMEM;
	if ((types = json_object_new_object()) == NULL)
		goto out;
	for (r = 0; r < PQntuples(res); r++) {
		if ((st = sync_type_find(PQgetvalue(res, r, 0))) == NULL)
			continue;
		i = st->id;
		if ((t = json_object_new_object()) == NULL ||
		    json_add_bool(t, "enabled", s->t[i].enabled) != KC_OK ||
		    json_add_int(t, "interval_hours", s->t[i].interval_hours) !=
		    KC_OK || json_add_int(t, "default_interval_hours",
		    st->interval_hours) != KC_OK ||
		    json_add_bool(t, "allowed", !st->needs_placed_order ||
		    placed) != KC_OK ||
		    json_add_bool(t, "available", db_val(res, r, 3) == NULL) !=
		    KC_OK ||
		    json_add_str(t, "missing_scope", db_val(res, r, 3)) !=
		    KC_OK ||
		    json_add_str(t, "last_sync", db_val(res, r, 1)) != KC_OK ||
		    json_add_str(t, "next_run", sync_settings_syncs(s, st,
		    placed) && in->status == INTEG_CONNECTED ?
		    db_val(res, r, 2) :
		    NULL) != KC_OK ||
		    json_add_int(t, "reports_per_day_of_other_stores",
		    (long long)(others[i] + 0.5)) != KC_OK ||
		    json_add_int(t, "shortest_interval_hours",
		    sync_shortest_interval(st, others[i])) != KC_OK) {
			json_object_put(t);
			goto out;
		}
		if (json_add_obj(types, st->name, t) != KC_OK)
			goto out;
	}
	/* b is o's (json_add_obj owns it, even when it fails) before it
	 * is filled, so every failure below frees it with o. */
	if ((o = json_object_new_object()) == NULL ||
	    (b = json_object_new_object()) == NULL ||
	    json_add_obj(o, "budget", b) != KC_OK)
		goto out;
	if (json_add_int(b, "reports_per_day", SYNC_REPORTS_DAILY) != KC_OK ||
	    json_add_int(b, "reserved", SYNC_REPORTS_RESERVE) != KC_OK ||
	    json_add_bool(o, "success", 1) != KC_OK ||
	    json_add_str(o, "account", c->public_id) != KC_OK ||
	    json_add_str(o, "account_id", in->account_id) != KC_OK ||
	    json_add_bool(o, "can_manage", can_manage) != KC_OK)
		goto out;
	rc = json_add_obj(o, "types", types);
	types = NULL;
	if (rc != KC_OK ||
	    (rc = webhook_state_json(ctx->db, c->id, &wh)) != KC_OK ||
	    (rc = json_add_obj(o, "webhooks", wh)) != KC_OK)
		goto out;
	*out = o;
	o = NULL;
out:
	json_object_put(types);
	json_object_put(o);
	PQclear(res);
	return rc;
}

int
route_settings_get(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct kconn		 c;
	struct integration	 in;
	struct sync_settings	 s;
	struct json_object	*o = NULL;
	int			 rc;

	if ((rc = connect_ops_load_account(ctx, STORE_READ, &a, &c)) != KC_OK)
		return rc;
	memset(&in, 0, sizeof(in));
	if ((rc = integ_parse(c.doc, &in)) == KC_OK &&
	    (rc = sync_settings_load(ctx->db, c.id, &s)) == KC_OK &&
	    (rc = settings_json(ctx, &c, &in, &s, perm_can_manage(a.level,
	    a.manage_integrations), &o)) == KC_OK)
		ctx_reply(ctx, 200, o);
	integ_clear(&in);
	conn_clear(&c);
	perm_access_clear(&a);
	return rc;
}

/*
 * Applies the body's types to *s; on a bad value sets the 400 and
 * returns KC_ERR_BAD_INPUT.
 */
static int
parse_types(struct kc_ctx *ctx, struct json_object *types,
    struct sync_settings *s)
{
	const struct sync_type	*st;
	struct json_object	*v;
	char			 msg[200];

	if (types == NULL || !json_object_is_type(types, json_type_object) ||
	    json_object_object_length(types) == 0)
		return ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field 'types' must be "
		    "an object of types, e.g. {\"flows\": {\"enabled\": "
		    "false}}");
	json_object_object_foreach(types, name, val) {
		if ((st = sync_type_find(name)) == NULL) {
			snprintf(msg, sizeof(msg), "Unknown type '%.40s': "
			    "campaigns, flows, segments, forms, orders", name);
			return ctx_fail(ctx, KC_ERR_BAD_INPUT, msg);
		}
		if (!json_object_is_type(val, json_type_object))
			goto bad;
		json_object_object_foreach(val, key, x) {
			if (strcmp(key, "enabled") != 0 &&
			    strcmp(key, "interval_hours") != 0)
				goto bad;
			(void)x;
		}
		if (json_object_object_get_ex(val, "enabled", &v)) {
			if (!json_object_is_type(v, json_type_boolean))
				goto bad;
			s->t[st->id].enabled = json_object_get_boolean(v);
		}
		if (!json_object_object_get_ex(val, "interval_hours", &v))
			continue;
		if (json_object_is_type(v, json_type_null)) {
			s->t[st->id].interval_hours = st->interval_hours;
			s->t[st->id].custom = 0;
			continue;
		}
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < SYNC_INTERVAL_MIN_HOURS ||
		    json_object_get_int64(v) > SYNC_INTERVAL_MAX_HOURS) {
			snprintf(msg, sizeof(msg), "%s: interval_hours must be "
			    "a whole number from %d (an hour) to %d (7 days), "
			    "or null for the default", name,
			    SYNC_INTERVAL_MIN_HOURS, SYNC_INTERVAL_MAX_HOURS);
			return ctx_fail(ctx, KC_ERR_BAD_INPUT, msg);
		}
		s->t[st->id].interval_hours = (int)json_object_get_int64(v);
		s->t[st->id].custom = 1;
	}
	return KC_OK;
bad:
	return ctx_fail(ctx, KC_ERR_BAD_INPUT, "Each type takes an object "
	    "with enabled (true or false) and interval_hours (1 to 168, or "
	    "null)");
}

/*
 * The new intervals within the account's report budget; else the 422,
 * naming the type, the need and the shortest interval now.
 */
static int
check_budget(struct kc_ctx *ctx, const struct kconn *c,
    const struct integration *in, const struct sync_settings *old,
    const struct sync_settings *s)
{
	double		 others[SYNC_TYPE_COUNT], need;
	const char	*params[1] = { in->account_id };
	char		 msg[400];
	size_t		 i;
	int		 rc, shortest;

	if ((rc = db_query(ctx->db, SQL_BUDGET_LOCK, 1, params, NULL)) !=
	    KC_OK || (rc = sync_settings_others(ctx->db, c->id,
	    in->account_id, others)) != KC_OK)
		return ctx_fail(ctx, rc, NULL);
	for (i = 0; i < SYNC_TYPE_COUNT; i++) {
		const struct sync_type *st = &sync_types[i];

		if (!s->t[i].enabled || (old->t[i].enabled &&
		    old->t[i].interval_hours <= s->t[i].interval_hours))
			continue;	/* no more reports than before */
		need = others[i] + sync_reports_per_day(st,
		    s->t[i].interval_hours);
		if (need <= SYNC_REPORTS_BUDGET + 1e-9)
			continue;
		shortest = sync_shortest_interval(st, others[i]);
		snprintf(msg, sizeof(msg), "Syncing %s every %d hour%s would "
		    "need %.0f %s reports a day on Klaviyo account %s, which "
		    "every store connected to it shares: Klaviyo allows %d a "
		    "day and %d are kept for full syncs. %s%d hour%s.",
		    st->name, s->t[i].interval_hours,
		    s->t[i].interval_hours == 1 ? "" : "s", need, st->name,
		    in->account_id, SYNC_REPORTS_DAILY, SYNC_REPORTS_RESERVE,
		    shortest ? "The shortest interval now is " :
		    "No interval fits now; the longest is ",
		    shortest ? shortest : SYNC_INTERVAL_MAX_HOURS,
		    shortest == 1 ? "" : "s");
		return ctx_fail_code(ctx, KC_ERR_UNPROCESSABLE,
		    "interval_over_budget", msg);
	}
	return KC_OK;
}

/* What changed, for the audit row; types turned off or on, done. */
static int
apply(struct kc_ctx *ctx, const struct kconn *c,
    const struct integration *in, const struct sync_settings *old,
    const struct sync_settings *s, int delete_data,
    struct json_object *changes)
{
	struct json_object	*t;
	long long		 jid;
	size_t			 i;
	int			 rc;

	for (i = 0; i < SYNC_TYPE_COUNT; i++) {
		const struct sync_type *st = &sync_types[i];

		if (old->t[i].enabled == s->t[i].enabled &&
		    old->t[i].interval_hours == s->t[i].interval_hours &&
		    old->t[i].custom == s->t[i].custom)
			continue;
		/* changes owns t at once; it frees it on any failure. */
		if ((t = json_object_new_object()) == NULL ||
		    json_add_obj(changes, st->name, t) != KC_OK ||
		    json_add_bool(t, "enabled", s->t[i].enabled) != KC_OK ||
		    json_add_int(t, "interval_hours", s->t[i].interval_hours) !=
		    KC_OK)
			return KC_ERR_NOMEM;
		if (old->t[i].enabled && !s->t[i].enabled) {
			if ((rc = jobq_cancel_type(ctx->db, c->id, st->name,
			    "turned off in the sync settings")) != KC_OK)
				return rc;
			if (delete_data &&
			    ((rc = sync_type_clear_one(ctx->db, c->id, st)) !=
			    KC_OK || (rc = ksync_forget(ctx->db, c->id,
			    st->name)) != KC_OK))
				return rc;
		} else if (!old->t[i].enabled && in->status == INTEG_CONNECTED &&
		    sync_settings_syncs(s, st, in->metric.shopify_placed_order) &&
		    (rc = jobq_enqueue(ctx->db, c->id, st->name, "full", 0,
		    &jid)) != KC_OK)
			return rc;
	}
	return KC_OK;
}

int
route_settings_patch(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct kconn		 c;
	struct integration	 in;
	struct sync_settings	 old, s;
	struct json_object	*types = NULL, *v, *changes = NULL, *d = NULL;
	struct json_object	*o = NULL;
	int			 rc, delete_data = 0, webhooks = -1, wchanged = 0;

	if ((rc = connect_ops_load_account(ctx, STORE_MANAGE, &a, &c)) != KC_OK)
		return rc;
	memset(&in, 0, sizeof(in));
	json_object_object_get_ex(ctx->body, "types", &types);
	if (json_object_object_get_ex(ctx->body, "webhooks", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field "
			    "'webhooks' must be true or false");
			goto out;
		}
		webhooks = json_object_get_boolean(v);
	}
	if (json_object_object_get_ex(ctx->body, "delete_data", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Field "
			    "'delete_data' must be true or false");
			goto out;
		}
		delete_data = json_object_get_boolean(v);
	}
	if ((rc = db_begin(ctx->db)) != KC_OK)
		goto out;
	/* The store, then the connection, as every change of them. */
	if ((rc = conn_lock_store(ctx->db, a.store_id)) != KC_OK ||
	    (rc = perm_still_manages(ctx->db, ctx->user.id, a.store_id)) !=
	    KC_OK) {
		db_rollback(ctx->db);
		rc = ctx_access_lost(ctx, &a, rc);
		goto out;
	}
	if ((rc = integ_lock(ctx->db, c.id, &in)) == KC_ERR_NOT_FOUND) {
		rc = ctx_fail_code(ctx, rc, "account_not_found", "This Klaviyo "
		    "account is no longer connected to the store");
		goto fail;
	}
	if (rc != KC_OK || (rc = sync_settings_load(ctx->db, c.id, &old)) !=
	    KC_OK) {
		rc = ctx_fail(ctx, rc, NULL);
		goto fail;
	}
	s = old;
	/* The webhook switch alone is a whole change too. */
	if ((types != NULL || webhooks < 0) &&
	    (rc = parse_types(ctx, types, &s)) != KC_OK)
		goto fail;
	if (s.t[SYNC_ORDERS].enabled && !old.t[SYNC_ORDERS].enabled &&
	    !in.metric.shopify_placed_order) {
		rc = ctx_fail_code(ctx, KC_ERR_UNPROCESSABLE,
		    "orders_need_placed_order", "Orders are synced only when "
		    "the conversion metric is Shopify's Placed Order");
		goto fail;
	}
	if ((rc = check_budget(ctx, &c, &in, &old, &s)) != KC_OK)
		goto fail;
	rc = KC_ERR_NOMEM;
	if ((changes = json_object_new_object()) == NULL ||
	    (d = json_object_new_object()) == NULL)
		goto fail500;
	if ((rc = sync_settings_save(ctx->db, c.id, &s)) != KC_OK ||
	    (rc = apply(ctx, &c, &in, &old, &s, delete_data, changes)) !=
	    KC_OK)
		goto fail500;
	/* klaviyo-syncd registers or deletes it at Klaviyo. */
	if (webhooks >= 0 && ((rc = webhook_set_wanted(ctx->db, c.id,
	    webhooks, &wchanged)) != KC_OK || (wchanged && (rc =
	    json_add_bool(changes, "webhooks", webhooks)) != KC_OK)))
		goto fail500;
	if (json_object_object_length(changes) > 0) {
		rc = KC_ERR_NOMEM;
		if (json_add_str(d, "connection_id", c.public_id) != KC_OK ||
		    json_add_str(d, "account_id", in.account_id) != KC_OK ||
		    json_add_bool(d, "delete_data", delete_data) != KC_OK ||
		    json_add_obj(d, "changes", json_object_get(changes)) !=
		    KC_OK)
			goto fail500;
		if ((rc = audit_log(ctx->db, ctx->user.id, a.store_id,
		    "settings_changed", "success", ctx->req->remote_addr, d)) !=
		    KC_OK)
			goto fail500;
	}
	if ((rc = db_commit(ctx->db)) != KC_OK)
		goto fail500;
	if ((rc = settings_json(ctx, &c, &in, &s, 1, &o)) == KC_OK)
		ctx_reply(ctx, 200, o);
	goto out;
fail500:
	rc = ctx_fail(ctx, rc, NULL);
fail:
	db_rollback(ctx->db);
out:
	json_object_put(changes);
	json_object_put(d);
	integ_clear(&in);
	conn_clear(&c);
	perm_access_clear(&a);
	return rc;
}
