/*
 * GET /api/store/{storePublicId}/klaviyo-activity[?limit=N&before=ID
 * &action=A&account=ID]: the store's Klaviyo activity from audit_log,
 * newest first (any role; issue 16): who did what when (tests, connects,
 * keys, metrics, accounts, settings, syncs requested, OAuth, credentials
 * Klaviyo refused).  Paged by id: next_before is the id to ask before
 * for the next page, null at the end.  Only the fields below leave the
 * table; the audit rows never hold a secret (keys as their hint only).
 */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connection.h"
#include "dispatch.h"
#include "json_util.h"

#define ACTIVITY_LIMIT_DEFAULT	50
#define ACTIVITY_LIMIT_MAX	200

/* The actions shown: the store's Klaviyo connection, nothing else. */
#define ACTIVITY_ACTIONS "'test', 'connect', 'add_account', 'rotate_key',"\
    " 'change_metric', 'disconnect', 'remove_account', 'make_primary',"	\
    " 'settings_changed', 'sync_now', 'oauth_start', 'oauth_authorize',"\
    " 'oauth_callback', 'oauth_refreshed', 'oauth_revoked',"		\
    " 'credential_refused', 'webhook_registered', 'webhook_unavailable',"\
    " 'webhook_removed'"

static const char SQL_PAGE[] =
    "SELECT l.id, to_char(l.at AT TIME ZONE 'UTC',"
    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), l.action, l.outcome, u.email,"
    " l.detail ->> 'connection_id', l.detail ->> 'account_id',"
    " l.detail ->> 'api_key_hint', l.detail ->> 'auth_method',"
    " l.detail ->> 'conversion_metric_id', l.detail ->> 'error',"
    " l.detail ->> 'via', l.detail -> 'changes', l.detail ->> 'reason'"
    " FROM audit_log l LEFT JOIN users u ON u.id = l.actor_user_id"
    " WHERE l.store_id = $1 AND l.action IN (" ACTIVITY_ACTIONS ")"
    " AND ($2::bigint IS NULL OR l.id < $2)"
    " AND ($3::text IS NULL OR l.action = $3)"
    " AND ($4::text IS NULL OR l.detail ->> 'connection_id' = $4)"
    " ORDER BY l.id DESC LIMIT $5";

static const char *const detail_keys[] = { "connection_id", "account_id",
    "api_key_hint", "auth_method", "conversion_metric_id", "error", "via" };

/* A query parameter, or NULL when absent; KC_ERR_BAD_INPUT when long. */
static int
query(struct kc_ctx *ctx, const char *name, char *out, size_t len,
    const char **val)
{
	int rc;

	*val = NULL;
	rc = http_query_get(ctx->req->query, name, out, len);
	if (rc == KC_ERR_NOT_FOUND)
		return KC_OK;
	if (rc != KC_OK || out[0] == '\0')
		return KC_ERR_BAD_INPUT;
	*val = out;
	return KC_OK;
}

static int
digits(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 18 && s[n] == '\0';
}

static int
entry(PGresult *res, int r, struct json_object **out)
{
	struct json_object	*e, *ch;
	size_t			 k;

	*out = NULL;
	if ((e = json_object_new_object()) == NULL ||
	    json_add_int(e, "id", strtoll(PQgetvalue(res, r, 0), NULL, 10)) !=
	    KC_OK || json_add_str(e, "at", PQgetvalue(res, r, 1)) != KC_OK ||
	    json_add_str(e, "action", PQgetvalue(res, r, 2)) != KC_OK ||
	    json_add_str(e, "outcome", PQgetvalue(res, r, 3)) != KC_OK ||
	    json_add_str(e, "actor", db_val(res, r, 4)) != KC_OK)
		goto fail;
	for (k = 0; k < nitems(detail_keys); k++)
		if (db_val(res, r, 5 + (int)k) && json_add_str(e,
		    detail_keys[k], db_val(res, r, 5 + (int)k)) != KC_OK)
			goto fail;
	if (db_val(res, r, 12) &&
	    ((ch = json_tokener_parse(db_val(res, r, 12))) == NULL ||
	    json_add_obj(e, "changes", ch) != KC_OK))
		goto fail;
	if (db_val(res, r, 13) && json_add_str(e, "reason",
	    db_val(res, r, 13)) != KC_OK)
		goto fail;
	*out = e;
	return KC_OK;
fail:
	json_object_put(e);
	return KC_ERR_NOMEM;
}

int
route_activity_get(struct kc_ctx *ctx)
{
	struct store_access	 a;
	struct json_object	*o = NULL, *arr = NULL, *e;
	char			 sid[24], lim[16], lb[24], bb[24], ab[40];
	char			 cb[CONN_PUBLIC_ID_MAX + 1];
	const char		*params[5], *limit, *before, *action, *conn;
	PGresult		*res = NULL;
	long			 n = ACTIVITY_LIMIT_DEFAULT;
	int			 r, rc;

	if ((rc = ctx_store_access(ctx, STORE_READ, &a)) != KC_OK)
		return rc;
	if (query(ctx, "limit", lb, sizeof(lb), &limit) != KC_OK ||
	    (limit && (!digits(limit) || (n = strtol(limit, NULL, 10)) < 1 ||
	    n > ACTIVITY_LIMIT_MAX))) {
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Parameter 'limit' must "
		    "be a whole number from 1 to 200");
		goto out;
	}
	if (query(ctx, "before", bb, sizeof(bb), &before) != KC_OK ||
	    (before && !digits(before))) {
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Parameter 'before' must "
		    "be an activity id (next_before of the previous page)");
		goto out;
	}
	if (query(ctx, "action", ab, sizeof(ab), &action) != KC_OK ||
	    query(ctx, "account", cb, sizeof(cb), &conn) != KC_OK ||
	    (conn && !conn_public_id_valid(conn))) {
		rc = ctx_fail(ctx, KC_ERR_BAD_INPUT, "Parameters 'action' and "
		    "'account' take an action name and an account id");
		goto out;
	}
	snprintf(sid, sizeof(sid), "%lld", a.store_id);
	snprintf(lim, sizeof(lim), "%ld", n + 1);	/* one more: a next page? */
	params[0] = sid;
	params[1] = before;
	params[2] = action;
	params[3] = conn;
	params[4] = lim;
	if ((rc = db_query(ctx->db, SQL_PAGE, 5, params, &res)) != KC_OK) {
		rc = ctx_fail(ctx, rc, NULL);
		goto out;
	}
	rc = KC_ERR_NOMEM;
	if ((arr = json_object_new_array()) == NULL)
		goto out;
	for (r = 0; r < PQntuples(res) && r < n; r++) {
		if (entry(res, r, &e) != KC_OK)
			goto out;
		if (json_object_array_add(arr, e) != 0) {
			json_object_put(e);
			goto out;
		}
	}
	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK)
		goto out;
	rc = json_add_obj(o, "activity", arr);
	arr = NULL;
	if (rc != KC_OK)
		goto out;
	rc = KC_ERR_NOMEM;
	if (PQntuples(res) > n ? json_add_int(o, "next_before",
	    strtoll(PQgetvalue(res, n - 1, 0), NULL, 10)) != KC_OK :
	    json_add_str(o, "next_before", NULL) != KC_OK)
		goto out;
	ctx_reply(ctx, 200, o);
	o = NULL;
	rc = KC_OK;
out:
	json_object_put(arr);
	json_object_put(o);
	PQclear(res);
	perm_access_clear(&a);
	return rc;
}
