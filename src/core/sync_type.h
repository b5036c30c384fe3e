/*
 * The sync types (DESIGN.md 6), one row each: what Klaviyo endpoints a
 * type reads, which statistics it asks for, how often it is due, what it
 * writes, and the function that runs it.  The scheduler, the job runner,
 * the job queue, the status view and a disconnect all read this table;
 * no other file lists the types.
 */
#ifndef KC_SYNC_TYPE_H
#define KC_SYNC_TYPE_H

#include <stddef.h>

#include "db.h"
#include "klaviyo.h"

enum sync_type_id {
	SYNC_CAMPAIGNS,
	SYNC_FLOWS,
	SYNC_SEGMENTS,
	SYNC_FORMS,
	SYNC_ORDERS,
	SYNC_TYPE_COUNT
};

struct sync_ctx;

struct sync_type {
	enum sync_type_id	 id;
	const char		*name;		/* job type, API name */
	int			 interval_hours; /* the seed's refresh interval */
	int			 needs_placed_order; /* only with Shopify's */
	const char		*last_update_field; /* the store's, or NULL */
	enum kv_endpoint	 list_ep;	/* objects (or events) */
	enum kv_endpoint	 report_ep;	/* KV__MAX: no report */
	const char		*report_type;	/* JSON:API type of the body */
	const char		*group_key;	/* the report's grouping id */
	const char		*group_by;	/* group_by sent, or NULL */
	const char		*interval;	/* "daily", or NULL: values */
	int			 with_metric;	/* send the conversion metric */
	const char		*data_start;	/* no report data before */
	const char *const	*counts;	/* statistics summed per day */
	size_t			 ncounts;
	const char *const	*rates;		/* statistics kept as read */
	size_t			 nrates;
	const char		*sql_upsert;	/* a list page's rows */
	const char		*sql_report;	/* a window's report rows */
	const char		*sql_first_day;	/* objects and first day */
	const char *const	*sql_clear;	/* deletes of its tables, a store */
	const char		*sql_count;	/* its objects we hold */
	int			(*run)(struct sync_ctx *);
};

extern const struct sync_type sync_types[SYNC_TYPE_COUNT];

/* The row of a type name, or NULL. */
const struct sync_type *sync_type_find(const char *);

/*
 * The table's columns as PostgreSQL array literals ("{campaigns,...}"),
 * for statements that unnest the types (the scheduler, the status view).
 */
struct sync_type_arrays {
	char	names[256];
	char	hours[128];
	char	placed[64];	/* needs_placed_order, "{f,...,t}" */
};
void	sync_type_arrays(struct sync_type_arrays *);

/* Deletes everything synced for the store (each type's tables). */
int	sync_type_clear_connection(struct db *, long long conn_id) KC_MUSTCHECK;
/* Deletes what one type synced for the connection. */
int	sync_type_clear_one(struct db *, long long conn_id,
	    const struct sync_type *) KC_MUSTCHECK;

/* The runners, one per kind of type (sync_campaigns.c, ...). */
int	sync_campaigns(struct sync_ctx *) KC_MUSTCHECK;
int	sync_series(struct sync_ctx *) KC_MUSTCHECK;
int	sync_orders(struct sync_ctx *) KC_MUSTCHECK;
/*
 * An event (a JSON:API event resource) as the row sql_upsert of orders
 * takes; currency is the account's, for an event without one.  *out
 * stays NULL for an event without id or time.
 */
struct json_object;
int	sync_order_row(struct json_object *event, const char *currency,
	    struct json_object **out) KC_MUSTCHECK;

#endif
