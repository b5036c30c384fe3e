/*
 * Orders: the conversion metric's events (Shopify's Placed Order) since
 * the first day to read, one row per event, 200 a page with only the
 * fields an order row keeps.
 */
#include "sync_step.h"

#include <stdio.h>
#include <string.h>

#include "json_util.h"

/*
 * An event's order row: id, order_id, value, currency, at, properties;
 * *out stays NULL for an event without id or time.
 */
int
sync_order_row(struct json_object *it, const char *currency,
    struct json_object **out)
{
	struct json_object	*props, *v, *row;
	char			 value[64];
	const char		*order, *cur;

	*out = NULL;
	if (json_get_str(it, "id") == NULL ||
	    sync_attr_str(it, "datetime") == NULL)
		return KC_OK;
	if (!json_object_object_get_ex(sync_attrs(it), "event_properties",
	    &props))
		props = NULL;
	value[0] = '\0';
	if (props && json_object_object_get_ex(props, "$value", &v) &&
	    (json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_int)))
		snprintf(value, sizeof(value), "%.2f",
		    json_object_get_double(v));
	if ((order = json_get_str(props, "OrderId")) == NULL)
		order = json_get_str(props, "$event_id");
	if ((cur = json_get_str(props, "Currency")) == NULL)
		cur = json_get_str(props, "$currency_code");
	/* No currency on the event: it is the account's. */
	if (cur == NULL)
		cur = currency;
	if ((row = json_object_new_object()) == NULL ||
	    json_add_str(row, "id", json_get_str(it, "id")) != KC_OK ||
	    json_add_str(row, "order_id", order) != KC_OK ||
	    json_add_str(row, "value", value[0] ? value : NULL) != KC_OK ||
	    json_add_str(row, "currency", cur) != KC_OK ||
	    json_add_str(row, "at", sync_attr_str(it, "datetime")) != KC_OK ||
	    json_add_obj(row, "properties", json_object_get(props)) !=
	    KC_OK) {
		json_object_put(row);
		return KC_ERR_NOMEM;
	}
	*out = row;
	return KC_OK;
}

static int
row_order(struct sync_ctx *sc, struct json_object *it, const char *x,
    struct json_object **out)
{
	(void)x;
	return sync_order_row(it, sc->currency, out);
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
	    sc->type->list_ep, query, row_order, NULL);
}
