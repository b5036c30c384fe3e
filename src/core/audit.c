/* audit_log writer; see audit.h. */
#include "audit.h"

#include <stdio.h>

static const char SQL_AUDIT[] =
    "INSERT INTO audit_log (actor_user_id, store_id, action, outcome, ip,"
    " detail) VALUES ($1, $2, $3, $4, $5, coalesce($6::jsonb, '{}'))";

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
