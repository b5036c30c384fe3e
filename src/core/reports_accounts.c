/*
 * The store's Klaviyo connections as the reports show them; see
 * reports.h.  Only the fields below leave klaviyo_connections: never a
 * credential or the document whole.
 */
#include "reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration.h"
#include "json_util.h"
#include "reports_sql.h"

static const char SQL_ACCOUNTS[] = RQ_ACCOUNTS;

/* The freshness columns follow the sync types' order in RQ_ACCOUNTS. */
static const enum sync_type_id fresh_types[] = { SYNC_CAMPAIGNS, SYNC_FLOWS,
    SYNC_SEGMENTS, SYNC_FORMS, SYNC_ORDERS };
#define COL_FRESH 9

static int
dup(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return KC_OK;
	return (*out = strdup(s)) == NULL ? KC_ERR_NOMEM : KC_OK;
}

static void
account_clear(struct reports_account *a)
{
	size_t i;

	free(a->public_id);
	free(a->klaviyo_id);
	free(a->name);
	free(a->currency);
	free(a->timezone);
	free(a->status);
	for (i = 0; i < SYNC_TYPE_COUNT; i++)
		free(a->fresh[i]);
	memset(a, 0, sizeof(*a));
}

static int
account_row(const PGresult *res, int r, struct reports_account *a)
{
	size_t	i;
	int	rc;

	memset(a, 0, sizeof(*a));
	a->id = strtoll(PQgetvalue(res, r, 0), NULL, 10);
	a->primary = PQgetvalue(res, r, 2)[0] == 't';
	if ((rc = dup(db_val(res, r, 1), &a->public_id)) != KC_OK ||
	    (rc = dup(db_val(res, r, 3), &a->klaviyo_id)) != KC_OK ||
	    (rc = dup(db_val(res, r, 4), &a->status)) != KC_OK ||
	    (rc = dup(db_val(res, r, 5), &a->name)) != KC_OK ||
	    (rc = dup(db_val(res, r, 6), &a->currency)) != KC_OK ||
	    (rc = dup(db_val(res, r, 7), &a->timezone)) != KC_OK)
		return rc;
	if (reports_date_parse(PQgetvalue(res, r, 8), &a->today) != KC_OK)
		return KC_ERR_INTERNAL;
	for (i = 0; i < nitems(fresh_types); i++)
		if ((rc = dup(db_val(res, r, COL_FRESH + (int)i),
		    &a->fresh[fresh_types[i]])) != KC_OK)
			return rc;
	return KC_OK;
}

int
reports_accounts_load(struct db *db, long long store_id,
    const char *public_id, struct reports_accounts *out)
{
	char		 sid[24];
	const char	*params[2] = { sid, public_id };
	PGresult	*res = NULL;
	int		 r, n, rc;

	memset(out, 0, sizeof(*out));
	snprintf(sid, sizeof(sid), "%lld", store_id);
	if ((rc = db_query(db, SQL_ACCOUNTS, 2, params, &res)) != KC_OK)
		return rc;
	n = PQntuples(res);
	if (n == 0 && public_id != NULL) {
		PQclear(res);
		return KC_ERR_NOT_FOUND;
	}
	if (n > 0 && (out->v = calloc((size_t)n, sizeof(*out->v))) == NULL) {
		PQclear(res);
		return KC_ERR_NOMEM;
	}
	for (r = 0; r < n; r++) {
		out->n++;
		if ((rc = account_row(res, r, &out->v[r])) != KC_OK) {
			PQclear(res);
			reports_accounts_free(out);
			return rc;
		}
	}
	PQclear(res);
	return KC_OK;
}

void
reports_accounts_free(struct reports_accounts *as)
{
	size_t i;

	for (i = 0; i < as->n; i++)
		account_clear(&as->v[i]);
	free(as->v);
	memset(as, 0, sizeof(*as));
}

/* from, to, previous_from, previous_to of a range into o. */
static int
add_range(struct json_object *o, const struct reports_range *r)
{
	char d[4][REPORTS_DATE_LEN + 1];

	reports_date_format(r->from, d[0], sizeof(d[0]));
	reports_date_format(r->to, d[1], sizeof(d[1]));
	reports_date_format(r->prev_from, d[2], sizeof(d[2]));
	reports_date_format(r->prev_to, d[3], sizeof(d[3]));
	if (json_add_str(o, "from", d[0]) != KC_OK ||
	    json_add_str(o, "to", d[1]) != KC_OK ||
	    json_add_str(o, "previous_from", d[2]) != KC_OK ||
	    json_add_str(o, "previous_to", d[3]) != KC_OK)
		return KC_ERR_NOMEM;
	return KC_OK;
}

int
reports_range_json(struct json_object *o, const struct reports_range *r)
{
	return add_range(o, r);
}

int
reports_account_json(const struct reports_account *a,
    struct json_object **out)
{
	struct json_object	*o, *f;
	size_t			 i;

	*out = NULL;
	if ((o = json_object_new_object()) == NULL)
		return KC_ERR_NOMEM;
	if (json_add_str(o, "id", a->public_id) != KC_OK ||
	    json_add_str(o, "klaviyo_account_id", a->klaviyo_id) != KC_OK ||
	    json_add_str(o, "name", a->name) != KC_OK ||
	    json_add_str(o, "currency", a->currency) != KC_OK ||
	    json_add_str(o, "timezone", a->timezone) != KC_OK ||
	    json_add_bool(o, "primary", a->primary) != KC_OK ||
	    json_add_str(o, "status", a->status) != KC_OK ||
	    add_range(o, &a->range) != KC_OK ||
	    (f = json_object_new_object()) == NULL ||
	    json_add_obj(o, "freshness", f) != KC_OK)
		goto fail;
	for (i = 0; i < nitems(fresh_types); i++)
		if (json_add_str(f, sync_types[fresh_types[i]].name,
		    a->fresh[fresh_types[i]]) != KC_OK)
			goto fail;
	*out = o;
	return KC_OK;
fail:
	json_object_put(o);
	return KC_ERR_NOMEM;
}
