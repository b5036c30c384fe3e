/* Full sync requests into jobs; see report.h. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration.h"
#include "jobq.h"
#include "json_util.h"
#include "ksync.h"
#include "sync_settings.h"
#include "perm.h"
#include "sync_type.h"

/* The store row first, then the connection, as every change of a
 * store's connections (connection.h). */
static const char SQL_STORE[] =
    "SELECT id FROM stores WHERE public_id = $1 FOR NO KEY UPDATE";
/*
 * The connection: a store has each Klaviyo account once, so the store and
 * account ids name it; a trigger's connection public id ($3) must agree.
 */
static const char SQL_CONNECTION[] =
    "SELECT k.id FROM klaviyo_connections k"
    " WHERE k.store_id = $1 AND k.account_id = $2"
    " AND ($3::text IS NULL OR k.public_id = $3)"
    " AND " INTEG_SQL_STATUS("k") " IN ('connected', 'error')"
    " FOR UPDATE";

static const char SQL_SEEN[] =
    "SELECT response FROM report_requests WHERE idempotency_key = $1";
static const char SQL_REMEMBER[] =
    "INSERT INTO report_requests (idempotency_key, response)"
    " VALUES ($1, $2)";

static const struct jfield payload_fields[] = {
	{ "klaviyo_public_id", JF_STRING, 1, 64 },
	{ "store_public_id", JF_STRING, 1, STORE_PUBLIC_ID_MAX },
	{ "do_not_order_sync", JF_BOOL, 1, 0 },
	{ "klaviyo_connection_id", JF_STRING, 0, 64 },
};

int
report_payload_check(struct json_object *o, char *err, size_t errlen)
{
	return json_check_fields(o, payload_fields, nitems(payload_fields), err,
	    errlen);
}

int
report_full_sync(struct db *db, const char *store, const char *kid,
    const char *conn, int no_orders, long long trigger_id,
    struct json_object **jobs)
{
	const char		*params[3] = { NULL, kid, conn };
	char			 stid[24];
	struct json_object	*arr = NULL, *j;
	struct sync_settings	 set;
	PGresult		*res = NULL;
	long long		 sid, ksid, jid;
	int			 i, rc;

	*jobs = NULL;
	if ((rc = db_query(db, SQL_STORE, 1, &store, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return KC_ERR_NOT_FOUND;
	}
	snprintf(stid, sizeof(stid), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	params[0] = stid;
	if ((rc = db_query(db, SQL_CONNECTION, 3, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return KC_ERR_NOT_FOUND;
	}
	sid = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if ((rc = sync_settings_load(db, sid, &set)) != KC_OK)
		return rc;
	if ((rc = ksync_find_or_create(db, kid, sid, &ksid)) != KC_OK)
		return rc;
	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	for (i = 0; i < SYNC_TYPE_COUNT; i++) {
		/* Types turned off in the connection's settings stay off. */
		if (!sync_settings_syncs(&set, &sync_types[i], !no_orders))
			continue;
		if ((rc = jobq_enqueue(db, sid, sync_types[i].name, "full",
		    trigger_id, &jid)) != KC_OK)
			goto fail;
		if ((j = json_object_new_object()) == NULL ||
		    json_add_str(j, "type", sync_types[i].name) != KC_OK ||
		    json_add_int(j, "id", jid) != KC_OK ||
		    json_object_array_add(arr, j) != 0) {
			json_object_put(j);
			rc = KC_ERR_NOMEM;
			goto fail;
		}
	}
	*jobs = arr;
	return KC_OK;
fail:
	json_object_put(arr);
	return rc;
}

int
report_request_seen(struct db *db, const char *key, struct json_object **resp)
{
	const char	*params[1] = { key };
	PGresult	*res = NULL;
	int		 rc;

	*resp = NULL;
	if ((rc = db_query(db, SQL_SEEN, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) == 1 && (*resp = json_tokener_parse(
	    PQgetvalue(res, 0, 0))) == NULL)
		rc = KC_ERR_INTERNAL;
	PQclear(res);
	return rc;
}

int
report_request_remember(struct db *db, const char *key,
    struct json_object *resp)
{
	const char	*params[2] = { key, json_object_to_json_string_ext(resp,
	    JSON_C_TO_STRING_PLAIN) };
	int		 rc;

	rc = db_query(db, SQL_REMEMBER, 2, params, NULL);
	/* The same key raced us and won: its jobs are ours too. */
	if (rc == KC_ERR_DB &&
	    strcmp(db_sqlstate(db), SQLSTATE_UNIQUE_VIOLATION) == 0)
		rc = KC_ERR_CONFLICT;
	return rc;
}
