/* audit_log writer; see audit.h. */
#include "audit.h"

#include <stdio.h>

static const char SQL_AUDIT[] =
    "INSERT INTO audit_log (actor_user_id, store_id, action, outcome, ip,"
    " detail) VALUES ($1, $2, $3, $4, $5, coalesce($6::jsonb, '{}'))";

/* The connection's store; its public id and account in the detail. */
static const char SQL_AUDIT_CONN[] =
    "INSERT INTO audit_log (store_id, action, outcome, detail)"
    " SELECT k.store_id, $2, $3, coalesce($4::jsonb, '{}')"
    " || jsonb_build_object('connection_id', k.public_id,"
    " 'account_id', k.account_id)"
    " FROM klaviyo_connections k WHERE k.id = $1";

static const char SQL_AUDIT_STORE[] =
    "INSERT INTO audit_log (store_id, action, outcome, detail)"
    " SELECT s.id, $2, $3, coalesce($4::jsonb, '{}') FROM stores s"
    " WHERE s.public_id = $1";

int
audit_log_store(struct db *db, const char *store_public_id,
    const char *action, const char *outcome, struct json_object *detail)
{
	const char *params[4] = { store_public_id, action, outcome, NULL };

	params[3] = detail ? json_object_to_json_string_ext(detail,
	    JSON_C_TO_STRING_PLAIN) : NULL;
	return db_query(db, SQL_AUDIT_STORE, 4, params, NULL);
}

int
audit_log_connection(struct db *db, long long conn_id, const char *action,
    const char *outcome, struct json_object *detail)
{
	char		 c[24];
	const char	*params[4] = { c, action, outcome, NULL };

	snprintf(c, sizeof(c), "%lld", conn_id);
	params[3] = detail ? json_object_to_json_string_ext(detail,
	    JSON_C_TO_STRING_PLAIN) : NULL;
	return db_query(db, SQL_AUDIT_CONN, 4, params, NULL);
}

int
audit_log(struct db *db, long long actor, long long store_id,
    const char *action, const char *outcome, const char *ip,
    struct json_object *detail)
{
	char		 a[24], s[24];
	const char	*params[6];

	snprintf(a, sizeof(a), "%lld", actor);
	snprintf(s, sizeof(s), "%lld", store_id);
	params[0] = actor ? a : NULL;
	params[1] = store_id ? s : NULL;
	params[2] = action;
	params[3] = outcome;
	params[4] = ip;
	params[5] = detail ? json_object_to_json_string_ext(detail,
	    JSON_C_TO_STRING_PLAIN) : NULL;
	return db_query(db, SQL_AUDIT, 6, params, NULL);
}
