/*
 * Orders: the conversion metric's events (Shopify's Placed Order) since
 * the first day to read, one row per event, 200 a page with only the
 * fields an order row keeps.
 */
#include "sync_step.h"

#include <stdio.h>
#include <string.h>

#include "json_util.h"

static int
up_order(struct sync_ctx *sc, struct json_object *it, const char *x)
{
	struct json_object	*props, *v;
	char			 sid[24], value[64];
	const char		*params[7];

	(void)x;
	sync_store_param(sc, sid, sizeof(sid));
	if (!json_object_object_get_ex(sync_attrs(it), "event_properties",
	    &props))
		props = NULL;
	value[0] = '\0';
	if (props && json_object_object_get_ex(props, "$value", &v) &&
	    (json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_int)))
		snprintf(value, sizeof(value), "%.2f",
		    json_object_get_double(v));
	params[0] = sid;
	params[1] = json_get_str(it, "id");
	params[2] = json_get_str(props, "OrderId") ? json_get_str(props,
	    "OrderId") : json_get_str(props, "$event_id");
	params[3] = value[0] ? value : NULL;
	params[4] = json_get_str(props, "Currency") ? json_get_str(props,
	    "Currency") : json_get_str(props, "$currency_code");
	/* No currency on the event: it is the account's. */
	if (params[4] == NULL)
		params[4] = sc->currency;
	params[5] = sync_attr_str(it, "datetime");
	params[6] = sync_plain(props);
	if (params[1] == NULL || params[5] == NULL)
		return KC_OK;
	return db_query(sc->db, sc->type->sql_upsert, 7, params, NULL);
}

int
sync_orders(struct sync_ctx *sc)
{
	char		 since[16], today[16], from[32], query[256];
	int		 rc;

	if ((rc = sync_first_day(sc, since, today, sizeof(since))) != KC_OK)
		return rc;
	/* The account's day, not UTC's: its midnight as Klaviyo's instant. */
	if ((rc = sync_midnight(sc, since, from, sizeof(from))) != KC_OK)
		return rc;
	/* Only what an order row keeps: a page is then a third smaller. */
	snprintf(query, sizeof(query), "filter=equals(metric_id,%%22%s%%22),"
	    "greater-or-equal(datetime,%s)&sort=datetime"
	    "&fields%%5Bevent%%5D=datetime,event_properties",
	    sc->metric_id, from);
	return sync_list_phase(sc, sc->job->cursor, "events",
	    sc->type->list_ep, query, up_order, NULL);
}
