/*
 * The sync types table; see sync_type.h.  Klaviyo's reporting limits
 * (1/s, 2/min, 225/day) shape each row: one report request covers every
 * object of a type, so a type names its report endpoint and statistics
 * here, and its runner asks for all of them at once.
 */
#include "sync_type.h"

#include <stdio.h>
#include <string.h>

#include "kc_err.h"

/* Counts, which may be summed across messages and stored per day. */
static const char *const message_counts[] = {
	"recipients", "delivered", "opens", "opens_unique", "clicks",
	"clicks_unique", "conversions", "conversion_uniques",
	"conversion_value", "unsubscribes", "bounced", "spam_complaints",
};
/* Rates hold for one message: dropped when a campaign has several. */
static const char *const campaign_rates[] = {
	"open_rate", "click_rate", "conversion_rate", "revenue_per_recipient",
};
static const char *const form_counts[] = {
	"viewed_form", "viewed_form_uniques", "submits", "closed_form",
	"qualified_form",
};
static const char *const segment_counts[] = {
	"total_members", "members_added", "members_removed",
	"net_members_changed",
};

/*
 * Object upserts write one list page in one statement: $1 the store,
 * $2 a JSON array of rows built by the type's runner (sync_*.c), and
 * answer how many of its objects are new (xmax is 0 on an inserted
 * row), so progress counts objects without counting the table.  A page
 * that names one object twice keeps one (ON CONFLICT may not touch a
 * row twice in a statement).
 */
#define UP_OBJECTS(table, cols, sel, rec, set)				\
    "WITH up AS (INSERT INTO " table " (connection_id, id, " cols ")"	\
    " SELECT DISTINCT ON (r.id) $1::bigint, r.id, " sel		\
    " FROM jsonb_to_recordset($2::jsonb) AS r(id text, " rec ")"	\
    " WHERE r.id IS NOT NULL"						\
    " ON CONFLICT (connection_id, id) DO UPDATE SET " set			\
    ", updated_at = now() RETURNING (xmax = 0) AS fresh)"		\
    " SELECT count(*) FILTER (WHERE fresh) FROM up"
static const char SQL_UP_CAMPAIGN[] = UP_OBJECTS("campaigns",
    "channel, name, status, send_time, attributes",
    "r.channel, coalesce(r.name, ''), r.status, r.send_time::timestamptz,"
    " coalesce(r.attributes, '{}')",
    "channel text, name text, status text, send_time text,"
    " attributes jsonb",
    "channel = EXCLUDED.channel, name = EXCLUDED.name,"
    " status = EXCLUDED.status, send_time = EXCLUDED.send_time,"
    " attributes = EXCLUDED.attributes");
static const char SQL_UP_FLOW[] = UP_OBJECTS("flows",
    "name, attributes, status",
    "coalesce(r.name, ''), coalesce(r.attributes, '{}'), r.status",
    "name text, attributes jsonb, status text",
    "name = EXCLUDED.name, status = EXCLUDED.status,"
    " attributes = EXCLUDED.attributes");
static const char SQL_UP_SEGMENT[] = UP_OBJECTS("segments",
    "name, attributes",
    "coalesce(r.name, ''), coalesce(r.attributes, '{}')",
    "name text, attributes jsonb",
    "name = EXCLUDED.name, attributes = EXCLUDED.attributes");
static const char SQL_UP_FORM[] = UP_OBJECTS("forms",
    "name, attributes, status",
    "coalesce(r.name, ''), coalesce(r.attributes, '{}'), r.status",
    "name text, attributes jsonb, status text",
    "name = EXCLUDED.name, status = EXCLUDED.status,"
    " attributes = EXCLUDED.attributes");
/* Campaigns and orders have their own parameters (sync_*.c). */

/*
 * The type's data, from what its list phase stored: how many objects
 * can have report data, and the account's day ($2: its timezone) of
 * the first of them, so report windows start there and an empty type
 * sends no report at all.  Campaign statistics begin with a send.
 */
/*
 * Only campaigns that went out: a draft, scheduled or cancelled one
 * (its send_time is when it was due) has no statistics, and an early
 * cancelled one would cost a report window of its own.
 */
static const char SQL_FIRST_CAMPAIGN[] =
    "SELECT count(send_time), to_char((min(send_time) AT TIME ZONE $2)"
    "::date, 'YYYY-MM-DD') FROM campaigns WHERE connection_id = $1"
    " AND coalesce(status, '') NOT IN ('Draft', 'Scheduled',"
    " 'Queued without Recipients') AND coalesce(status, '')"
    " NOT LIKE 'Cancelled%' AND coalesce(status, '') NOT LIKE 'Preparing%'";
static const char SQL_FIRST_FLOW[] =
    "SELECT count(*), to_char((min((attributes ->> 'created')"
    "::timestamptz) AT TIME ZONE $2)::date, 'YYYY-MM-DD')"
    " FROM flows WHERE connection_id = $1";
static const char SQL_FIRST_SEGMENT[] =
    "SELECT count(*), to_char((min((attributes ->> 'created')"
    "::timestamptz) AT TIME ZONE $2)::date, 'YYYY-MM-DD')"
    " FROM segments WHERE connection_id = $1";
static const char SQL_FIRST_FORM[] =
    "SELECT count(*), to_char((min((attributes ->> 'created_at')"
    "::timestamptz) AT TIME ZONE $2)::date, 'YYYY-MM-DD')"
    " FROM forms WHERE connection_id = $1";
/* Orders a page at a time, the same way (their key is the event id). */
static const char SQL_UP_ORDER[] =
    "WITH up AS (INSERT INTO orders (connection_id, event_id, order_id, value,"
    " currency, occurred_at, properties)"
    " SELECT DISTINCT ON (r.id) $1::bigint, r.id, r.order_id,"
    " r.value::numeric, r.currency, r.at::timestamptz,"
    " coalesce(r.properties, '{}')"
    " FROM jsonb_to_recordset($2::jsonb) AS r(id text, order_id text,"
    " value text, currency text, at text, properties jsonb)"
    " WHERE r.id IS NOT NULL AND r.at IS NOT NULL"
    " ON CONFLICT (connection_id, event_id)"
    " DO UPDATE SET order_id = EXCLUDED.order_id, value = EXCLUDED.value,"
    " currency = EXCLUDED.currency, occurred_at = EXCLUDED.occurred_at,"
    " properties = EXCLUDED.properties RETURNING (xmax = 0) AS fresh)"
    " SELECT count(*) FILTER (WHERE fresh) FROM up";

/*
 * Report rows: a window's campaign statistics in one statement ($1 the
 * store, $2 the metric, $3 a JSON array of {"id", "channel", "s"}) ...
 */
static const char SQL_UP_CAMPAIGN_STATS[] =
    "INSERT INTO campaign_stats (connection_id, campaign_id, channel,"
    " statistics, conversion_metric_id)"
    " SELECT DISTINCT ON (r ->> 'id', r ->> 'channel') $1::bigint,"
    " r ->> 'id', r ->> 'channel', r -> 's', $2::text"
    " FROM jsonb_array_elements($3::jsonb) r"
    " ON CONFLICT (connection_id, campaign_id, channel) DO UPDATE"
    " SET statistics = EXCLUDED.statistics,"
    " conversion_metric_id = EXCLUDED.conversion_metric_id,"
    " updated_at = now()";
/*
 * ... and the daily series a batch at a time: (store, timezone, a JSON
 * array of {"id", "day", "s": statistics}).
 */
static const char SQL_UP_FLOW_DAY[] =
    "INSERT INTO flow_series (connection_id, flow_id, day, timezone, statistics)"
    " SELECT $1::bigint, r ->> 'id', (r ->> 'day')::date, $2::text, r -> 's'"
    " FROM jsonb_array_elements($3::jsonb) r"
    " ON CONFLICT (connection_id, flow_id, day) DO UPDATE"
    " SET statistics = EXCLUDED.statistics, timezone = EXCLUDED.timezone,"
    " updated_at = now()";
static const char SQL_UP_SEGMENT_DAY[] =
    "INSERT INTO segment_series (connection_id, segment_id, day, timezone,"
    " statistics)"
    " SELECT $1::bigint, r ->> 'id', (r ->> 'day')::date, $2::text, r -> 's'"
    " FROM jsonb_array_elements($3::jsonb) r"
    " ON CONFLICT (connection_id, segment_id, day) DO UPDATE"
    " SET statistics = EXCLUDED.statistics, timezone = EXCLUDED.timezone,"
    " updated_at = now()";
static const char SQL_UP_FORM_DAY[] =
    "INSERT INTO form_series (connection_id, form_id, day, timezone, statistics)"
    " SELECT $1::bigint, r ->> 'id', (r ->> 'day')::date, $2::text, r -> 's'"
    " FROM jsonb_array_elements($3::jsonb) r"
    " ON CONFLICT (connection_id, form_id, day) DO UPDATE"
    " SET statistics = EXCLUDED.statistics, timezone = EXCLUDED.timezone,"
    " updated_at = now()";

/* The type's objects we hold for a store (its progress counts them). */
static const char SQL_COUNT_CAMPAIGNS[] =
    "SELECT count(*) FROM campaigns WHERE connection_id = $1";
static const char SQL_COUNT_FLOWS[] =
    "SELECT count(*) FROM flows WHERE connection_id = $1";
static const char SQL_COUNT_SEGMENTS[] =
    "SELECT count(*) FROM segments WHERE connection_id = $1";
static const char SQL_COUNT_FORMS[] =
    "SELECT count(*) FROM forms WHERE connection_id = $1";
static const char SQL_COUNT_ORDERS[] =
    "SELECT count(*) FROM orders WHERE connection_id = $1";

/* What a disconnect deletes, children first (static: db.h prepares once). */
static const char *const campaign_clear[] = {
	"DELETE FROM campaign_stats WHERE connection_id = $1",
	"DELETE FROM campaigns WHERE connection_id = $1", NULL };
static const char *const flow_clear[] = {
	"DELETE FROM flow_series WHERE connection_id = $1",
	"DELETE FROM flows WHERE connection_id = $1", NULL };
static const char *const segment_clear[] = {
	"DELETE FROM segment_series WHERE connection_id = $1",
	"DELETE FROM segments WHERE connection_id = $1", NULL };
static const char *const form_clear[] = {
	"DELETE FROM form_series WHERE connection_id = $1",
	"DELETE FROM forms WHERE connection_id = $1", NULL };
static const char *const order_clear[] = {
	"DELETE FROM orders WHERE connection_id = $1", NULL };

const struct sync_type sync_types[SYNC_TYPE_COUNT] = {
	[SYNC_CAMPAIGNS] = {
		.id = SYNC_CAMPAIGNS, .name = "campaigns",
		.interval_hours = 24,
		.last_update_field = "campaign_values_last_update",
		.list_ep = KV_CAMPAIGNS, .report_ep = KV_CAMPAIGN_VALUES,
		.report_type = "campaign-values-report",
		.group_key = "campaign_id", .with_metric = 1,
		.counts = message_counts, .ncounts = nitems(message_counts),
		.rates = campaign_rates, .nrates = nitems(campaign_rates),
		.sql_upsert = SQL_UP_CAMPAIGN,
		.sql_report = SQL_UP_CAMPAIGN_STATS,
		.sql_first_day = SQL_FIRST_CAMPAIGN,
		.sql_clear = campaign_clear, .sql_count = SQL_COUNT_CAMPAIGNS,
		.run = sync_campaigns,
	},
	[SYNC_FLOWS] = {
		.id = SYNC_FLOWS, .name = "flows", .interval_hours = 48,
		.last_update_field = "flow_series_last_update",
		.list_ep = KV_FLOWS, .report_ep = KV_FLOW_SERIES,
		.report_type = "flow-series-report", .group_key = "flow_id",
		.interval = "daily", .with_metric = 1,
		.counts = message_counts, .ncounts = nitems(message_counts),
		.sql_upsert = SQL_UP_FLOW,
		.sql_report = SQL_UP_FLOW_DAY, .sql_first_day = SQL_FIRST_FLOW,
		.sql_clear = flow_clear, .sql_count = SQL_COUNT_FLOWS,
		.run = sync_series,
	},
	[SYNC_SEGMENTS] = {
		.id = SYNC_SEGMENTS, .name = "segments", .interval_hours = 24,
		.last_update_field = "segment_series_last_update",
		.list_ep = KV_SEGMENTS, .report_ep = KV_SEGMENT_SERIES,
		.report_type = "segment-series-report",
		.group_key = "segment_id", .interval = "daily",
		/* Klaviyo has no segment report data before this day. */
		.data_start = "2023-06-01",
		.counts = segment_counts, .ncounts = nitems(segment_counts),
		.sql_upsert = SQL_UP_SEGMENT, .sql_report = SQL_UP_SEGMENT_DAY,
		.sql_first_day = SQL_FIRST_SEGMENT,
		.sql_clear = segment_clear, .sql_count = SQL_COUNT_SEGMENTS,
		.run = sync_series,
	},
	[SYNC_FORMS] = {
		.id = SYNC_FORMS, .name = "forms", .interval_hours = 48,
		.last_update_field = "form_series_last_update",
		.list_ep = KV_FORMS, .report_ep = KV_FORM_SERIES,
		.report_type = "form-series-report", .group_key = "form_id",
		.group_by = "form_id", .interval = "daily",
		.counts = form_counts, .ncounts = nitems(form_counts),
		.sql_upsert = SQL_UP_FORM,
		.sql_report = SQL_UP_FORM_DAY, .sql_first_day = SQL_FIRST_FORM,
		.sql_clear = form_clear, .sql_count = SQL_COUNT_FORMS,
		.run = sync_series,
	},
	[SYNC_ORDERS] = {
		.id = SYNC_ORDERS, .name = "orders", .interval_hours = 24,
		.needs_placed_order = 1,
		.list_ep = KV_EVENTS, .report_ep = KV__MAX,
		.sql_upsert = SQL_UP_ORDER,
		.sql_clear = order_clear, .sql_count = SQL_COUNT_ORDERS,
		.run = sync_orders,
	},
};

const struct sync_type *
sync_type_find(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(sync_types); i++)
		if (strcmp(name, sync_types[i].name) == 0)
			return &sync_types[i];
	return NULL;
}

void
sync_type_arrays(struct sync_type_arrays *ta)
{
	size_t	i, n = 0, h = 0, p = 0;

	for (i = 0; i < SYNC_TYPE_COUNT; i++) {
		n += (size_t)snprintf(ta->names + n, sizeof(ta->names) - n,
		    "%c%s", i ? ',' : '{', sync_types[i].name);
		h += (size_t)snprintf(ta->hours + h, sizeof(ta->hours) - h,
		    "%c%d", i ? ',' : '{', sync_types[i].interval_hours);
		p += (size_t)snprintf(ta->placed + p, sizeof(ta->placed) - p,
		    "%c%c", i ? ',' : '{',
		    sync_types[i].needs_placed_order ? 't' : 'f');
	}
	snprintf(ta->names + n, sizeof(ta->names) - n, "}");
	snprintf(ta->hours + h, sizeof(ta->hours) - h, "}");
	snprintf(ta->placed + p, sizeof(ta->placed) - p, "}");
}

int
sync_type_clear_one(struct db *db, long long conn_id,
    const struct sync_type *t)
{
	char			 sid[24];
	const char		*params[1] = { sid };
	const char *const	*q;
	int			 rc;

	snprintf(sid, sizeof(sid), "%lld", conn_id);
	for (q = t->sql_clear; *q != NULL; q++)
		if ((rc = db_query(db, *q, 1, params, NULL)) != KC_OK)
			return rc;
	return KC_OK;
}

int
sync_type_clear_connection(struct db *db, long long conn_id)
{
	char			 sid[24];
	const char		*params[1] = { sid };
	const char *const	*q;
	size_t			 i;
	int			 rc;

	snprintf(sid, sizeof(sid), "%lld", conn_id);
	for (i = 0; i < SYNC_TYPE_COUNT; i++)
		for (q = sync_types[i].sql_clear; *q != NULL; q++)
			if ((rc = db_query(db, *q, 1, params, NULL)) != KC_OK)
				return rc;
	return KC_OK;
}
