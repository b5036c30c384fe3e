/*
 * The statements of the reports (docs/REPORTS.md), as macros so the
 * JSON pages and the CSV cursors (DECLARE ... FOR the same text) share
 * them.  Private to reports_*.c.
 *
 * Days are the account's: a timestamp column is compared with the UTC
 * instants where the range's first day starts and the day after its
 * last starts in the time zone, so the indexes on the timestamps serve
 * it; the series tables already hold the account's days.  Every sum is
 * numeric; counts are rounded to whole numbers, money to cents, rates
 * to 4 places.
 */
#ifndef KC_REPORTS_SQL_H
#define KC_REPORTS_SQL_H

/* col within [from, to] days of zone tz (parameter names). */
#define RQ_IN_DAYS(col, tz, from, to)					\
    " " col " >= (" from "::date::timestamp AT TIME ZONE " tz "::text)"\
    " AND " col " < ((" to "::date + 1)::timestamp AT TIME ZONE "	\
    tz "::text)"

#define RQ_NUM(s, key) "(" s ".statistics ->> '" key "')::numeric"
#define RQ_COUNT(s, key, as)						\
    " round(coalesce(sum(" RQ_NUM(s, key) "), 0)) AS " as
/* The message counts of campaign statistics or flow days (alias s). */
#define RQ_MESSAGE_SUMS(s)						\
    RQ_COUNT(s, "recipients", "recipients") ","			\
    RQ_COUNT(s, "delivered", "delivered") ","				\
    RQ_COUNT(s, "opens_unique", "opens") ","				\
    RQ_COUNT(s, "clicks_unique", "clicks") ","				\
    RQ_COUNT(s, "conversions", "conversions") ","			\
    " round(coalesce(sum(" RQ_NUM(s, "conversion_value") "), 0), 2)"	\
    " AS revenue"
/*
 * The same sums over flow_days (sql/015: every flow's statistics of a
 * day, added up by a trigger on flow_series), alias s.
 */
#define RQ_DAY_SUMS							\
    " round(coalesce(sum(s.recipients), 0)) AS recipients,"		\
    " round(coalesce(sum(s.delivered), 0)) AS delivered,"		\
    " round(coalesce(sum(s.opens_unique), 0)) AS opens,"		\
    " round(coalesce(sum(s.clicks_unique), 0)) AS clicks,"		\
    " round(coalesce(sum(s.conversions), 0)) AS conversions,"		\
    " round(coalesce(sum(s.conversion_value), 0), 2) AS revenue"
#define RQ_RATE(num, den)						\
    " round(" num " / nullif(" den ", 0), 4)"

/* ISO 8601 UTC of a timestamptz. */
#define RQ_ISO(col)							\
    "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* A campaign's statistics (all its channels) as one row m. */
#define RQ_CAMPAIGN_LATERAL						\
    " CROSS JOIN LATERAL (SELECT" RQ_MESSAGE_SUMS("s")			\
    " FROM campaign_stats s WHERE s.connection_id = c.connection_id"	\
    " AND s.campaign_id = c.id) m"

/*
 * A table page, sorted by the parameter named S (the kind's keys,
 * checked by reports_sort_valid) in the order O ('asc' or 'desc'):
 * num is a CASE over the numeric keys; a null sorts last either way,
 * ties by id.  extra: more keys (campaigns' send_time).
 */
#define RQ_ORDER(S, O, num, extra)					\
    " ORDER BY CASE WHEN " O "::text = 'desc' THEN " num " END"	\
    " DESC NULLS LAST,"							\
    " CASE WHEN " O "::text = 'asc' THEN " num " END ASC NULLS LAST,"	\
    " CASE WHEN " S "::text = 'name' AND " O "::text = 'desc'"		\
    " THEN name END DESC,"						\
    " CASE WHEN " S "::text = 'name' AND " O "::text = 'asc'"		\
    " THEN name END ASC," extra " id"
#define RQ_MESSAGE_KEYS(S)						\
    "(CASE " S "::text WHEN 'revenue' THEN revenue"			\
    " WHEN 'conversions' THEN conversions"				\
    " WHEN 'recipients' THEN recipients WHEN 'open_rate' THEN open_rate"\
    " WHEN 'click_rate' THEN click_rate END)"

/* The accounts: $1 store, $2 a connection public id or NULL. */
#define RQ_FRESH(t)							\
    RQ_ISO("(y.state -> '" t "' ->> 'last_sync')::timestamptz")
#define RQ_TZ "coalesce(nullif(" INTEG_SQL_ACCOUNT_TZ("k") ", ''), 'UTC')"
#define RQ_ACCOUNTS							\
    "SELECT k.id, k.public_id, k.is_primary, k.account_id,"		\
    " " INTEG_SQL_STATUS("k") ", " INTEG_SQL_ACCOUNT_NAME("k") ","	\
    " " INTEG_SQL_ACCOUNT_CURRENCY("k") ", " RQ_TZ ","			\
    " to_char((now() AT TIME ZONE " RQ_TZ ")::date, 'YYYY-MM-DD'),"	\
    " " RQ_FRESH("campaigns") ", " RQ_FRESH("flows") ","		\
    " " RQ_FRESH("segments") ", " RQ_FRESH("forms") ","		\
    " " RQ_FRESH("orders")						\
    " FROM klaviyo_connections k"					\
    " LEFT JOIN klaviyo_syncs y ON y.connection_id = k.id"		\
    " WHERE k.store_id = $1 AND ($2::text IS NULL OR k.public_id = $2)"\
    " ORDER BY k.is_primary DESC, k.created_at, k.id"

/*
 * summary of one period: $1 connection, $2 zone, $3 from, $4 to.
 * Columns: orders, revenue, campaign_revenue, campaign_conversions,
 * flow_revenue, flow_conversions, recipients, delivered, opens, clicks,
 * open_rate, click_rate.
 */
#define RQ_SUMMARY							\
    "SELECT o.n, o.v, c.revenue, c.conversions, f.revenue,"		\
    " f.conversions, c.recipients + f.recipients,"			\
    " c.delivered + f.delivered, c.opens + f.opens,"			\
    " c.clicks + f.clicks,"						\
    RQ_RATE("(c.opens + f.opens)", "(c.delivered + f.delivered)") ","	\
    RQ_RATE("(c.clicks + f.clicks)", "(c.delivered + f.delivered)")	\
    " FROM (SELECT count(*) AS n, round(coalesce(sum(value), 0), 2) AS v"\
    "  FROM orders WHERE connection_id = $1 AND"			\
    RQ_IN_DAYS("occurred_at", "$2", "$3", "$4") ") o,"		\
    " (SELECT" RQ_MESSAGE_SUMS("s") " FROM campaigns c"		\
    "  JOIN campaign_stats s ON s.connection_id = c.connection_id"	\
    "  AND s.campaign_id = c.id WHERE c.connection_id = $1 AND"	\
    RQ_IN_DAYS("c.send_time", "$2", "$3", "$4") ") c,"		\
    " (SELECT" RQ_DAY_SUMS " FROM flow_days s"				\
    "  WHERE s.connection_id = $1"					\
    "  AND s.day BETWEEN $3::date AND $4::date) f"

/*
 * series: the periods that have data, oldest first: $1 connection,
 * $2 zone, $3 from, $4 to, $5 date_trunc's unit (day, week, month).
 * Columns: period, orders, revenue, campaign_revenue, flow_revenue.
 */
#define RQ_SERIES							\
    "WITH o AS (SELECT date_trunc($5::text, occurred_at AT TIME ZONE"	\
    "  $2::text)::date AS p, count(*) AS n, sum(value) AS v"		\
    "  FROM orders WHERE connection_id = $1 AND"			\
    RQ_IN_DAYS("occurred_at", "$2", "$3", "$4") " GROUP BY 1),"	\
    " c AS (SELECT date_trunc($5::text, c.send_time AT TIME ZONE"	\
    "  $2::text)::date AS p, sum(" RQ_NUM("s", "conversion_value") ") AS v"\
    "  FROM campaigns c JOIN campaign_stats s"				\
    "  ON s.connection_id = c.connection_id AND s.campaign_id = c.id"	\
    "  WHERE c.connection_id = $1 AND"					\
    RQ_IN_DAYS("c.send_time", "$2", "$3", "$4") " GROUP BY 1),"	\
    " f AS (SELECT date_trunc($5::text, s.day::timestamp)::date AS p,"	\
    "  sum(s.conversion_value) AS v FROM flow_days s"			\
    "  WHERE s.connection_id = $1"					\
    "  AND s.day BETWEEN $3::date AND $4::date GROUP BY 1)"		\
    " SELECT to_char(p, 'YYYY-MM-DD'), coalesce(o.n, 0),"		\
    " round(coalesce(o.v, 0), 2), round(coalesce(c.v, 0), 2),"		\
    " round(coalesce(f.v, 0), 2)"					\
    " FROM o FULL JOIN c USING (p) FULL JOIN f USING (p) ORDER BY p"

/*
 * campaigns sent in the range: $1 connection, $2 zone, $3 from, $4 to,
 * $5 sort, $6 order, $7 limit (NULL: all), $8 offset.  Columns: id,
 * name, channel, status, send_time, recipients, delivered, opens,
 * clicks, open_rate, click_rate, conversions, revenue.
 */
#define RQ_CAMPAIGNS							\
    "SELECT id, name, channel, status, " RQ_ISO("send_time") ","	\
    " recipients, delivered, opens, clicks, open_rate, click_rate,"	\
    " conversions, revenue FROM (SELECT c.id, c.name, c.channel,"	\
    " c.status, c.send_time, m.*,"					\
    RQ_RATE("m.opens", "m.delivered") " AS open_rate,"			\
    RQ_RATE("m.clicks", "m.delivered") " AS click_rate"		\
    " FROM campaigns c" RQ_CAMPAIGN_LATERAL				\
    " WHERE c.connection_id = $1 AND"					\
    RQ_IN_DAYS("c.send_time", "$2", "$3", "$4") ") r"			\
    RQ_ORDER("$5", "$6", RQ_MESSAGE_KEYS("$5"),			\
    " CASE WHEN $5::text = 'send_time' AND $6::text = 'desc'"		\
    " THEN send_time END DESC,"						\
    " CASE WHEN $5::text = 'send_time' AND $6::text = 'asc'"		\
    " THEN send_time END ASC,")						\
    " LIMIT $7::bigint OFFSET $8::bigint"
#define RQ_CAMPAIGNS_COUNT						\
    "SELECT count(*) FROM campaigns c WHERE c.connection_id = $1 AND"	\
    RQ_IN_DAYS("c.send_time", "$2", "$3", "$4")

/*
 * flows, with their days in the range: $1 connection, $2 from, $3 to,
 * $4 sort, $5 order, $6 limit, $7 offset.  Columns: id, name, status,
 * then as campaigns from recipients on.
 */
#define RQ_FLOWS							\
    "SELECT id, name, status, recipients, delivered, opens, clicks,"	\
    " open_rate, click_rate, conversions, revenue"			\
    " FROM (SELECT f.id, f.name, f.status, m.*,"			\
    RQ_RATE("m.opens", "m.delivered") " AS open_rate,"			\
    RQ_RATE("m.clicks", "m.delivered") " AS click_rate"		\
    " FROM flows f CROSS JOIN LATERAL (SELECT" RQ_MESSAGE_SUMS("s")	\
    "  FROM flow_series s WHERE s.connection_id = f.connection_id"	\
    "  AND s.flow_id = f.id AND s.day BETWEEN $2::date AND $3::date) m"\
    " WHERE f.connection_id = $1) r"					\
    RQ_ORDER("$4", "$5", RQ_MESSAGE_KEYS("$4"), "")			\
    " LIMIT $6::bigint OFFSET $7::bigint"
#define RQ_FLOWS_COUNT "SELECT count(*) FROM flows WHERE connection_id = $1"

/* A segment's members on a day (alias s). */
#define RQ_MEMBERS "round(" RQ_NUM("s", "total_members") ")"
#define RQ_SEGMENT_EDGE(dir, as)					\
    " LEFT JOIN LATERAL (SELECT " RQ_MEMBERS " AS m"			\
    "  FROM segment_series s WHERE s.connection_id = g.connection_id"	\
    "  AND s.segment_id = g.id AND s.day BETWEEN $2::date AND $3::date"\
    "  AND s.statistics ->> 'total_members' IS NOT NULL"		\
    "  ORDER BY s.day " dir " LIMIT 1) " as " ON true"
/*
 * segments: $1 connection, $2 from, $3 to, $4 sort, $5 order, $6 limit,
 * $7 offset.  Columns: id, name, start_members, end_members, change.
 */
#define RQ_SEGMENTS							\
    "SELECT id, name, start_members, end_members, change"		\
    " FROM (SELECT g.id, g.name, st.m AS start_members,"		\
    " en.m AS end_members, en.m - st.m AS change FROM segments g"	\
    RQ_SEGMENT_EDGE("ASC", "st") RQ_SEGMENT_EDGE("DESC", "en")		\
    " WHERE g.connection_id = $1) r"					\
    RQ_ORDER("$4", "$5", "(CASE $4::text WHEN 'end_members' THEN"	\
    " end_members WHEN 'start_members' THEN start_members"		\
    " WHEN 'change' THEN change END)", "")				\
    " LIMIT $6::bigint OFFSET $7::bigint"
#define RQ_SEGMENTS_COUNT						\
    "SELECT count(*) FROM segments WHERE connection_id = $1"
/*
 * The daily members of some segments: $1 connection, $2 from, $3 to,
 * $4 a JSON array of segment ids.  Columns: segment id, day, members.
 */
#define RQ_SEGMENT_POINTS						\
    "SELECT s.segment_id, to_char(s.day, 'YYYY-MM-DD'), " RQ_MEMBERS	\
    " FROM segment_series s WHERE s.connection_id = $1"		\
    " AND s.segment_id IN (SELECT jsonb_array_elements_text($4::jsonb))"\
    " AND s.day BETWEEN $2::date AND $3::date"				\
    " AND s.statistics ->> 'total_members' IS NOT NULL"		\
    " ORDER BY s.segment_id COLLATE \"C\", s.day"
/*
 * The CSV of segments, a row per segment and day: $1 connection, $2
 * from, $3 to.  Columns: id, name, day, members.
 */
#define RQ_SEGMENT_DAYS							\
    "SELECT g.id, g.name, to_char(s.day, 'YYYY-MM-DD'), " RQ_MEMBERS	\
    " FROM segments g JOIN segment_series s"				\
    " ON s.connection_id = g.connection_id AND s.segment_id = g.id"	\
    " WHERE g.connection_id = $1 AND s.day BETWEEN $2::date AND $3::date"\
    " AND s.statistics ->> 'total_members' IS NOT NULL"		\
    " ORDER BY g.name, g.id, s.day"

/*
 * forms: $1 connection, $2 from, $3 to, $4 sort, $5 order, $6 limit,
 * $7 offset.  Columns: id, name, status, views, unique_views, submits,
 * submit_rate.
 */
#define RQ_FORMS							\
    "SELECT id, name, status, views, unique_views, submits, submit_rate"\
    " FROM (SELECT f.id, f.name, f.status, m.*,"			\
    RQ_RATE("m.submits", "m.unique_views") " AS submit_rate"		\
    " FROM forms f CROSS JOIN LATERAL (SELECT"				\
    RQ_COUNT("s", "viewed_form", "views") ","				\
    RQ_COUNT("s", "viewed_form_uniques", "unique_views") ","		\
    RQ_COUNT("s", "submits", "submits")				\
    "  FROM form_series s WHERE s.connection_id = f.connection_id"	\
    "  AND s.form_id = f.id AND s.day BETWEEN $2::date AND $3::date) m"\
    " WHERE f.connection_id = $1) r"					\
    RQ_ORDER("$4", "$5", "(CASE $4::text WHEN 'submits' THEN submits"	\
    " WHEN 'views' THEN views WHEN 'submit_rate' THEN submit_rate END)",\
    "") " LIMIT $6::bigint OFFSET $7::bigint"
#define RQ_FORMS_COUNT "SELECT count(*) FROM forms WHERE connection_id = $1"

/*
 * A table's parameters as the statements above number them (zoned: the
 * time zone is $2); the buffers hold 24 bytes each; returns how many.
 */
struct reports_account;
struct reports_query;
int	reports_table_params(const struct reports_account *,
	    const struct reports_query *, int zoned, char *conn, char *from,
	    char *to, char *limit, char *offset, const char **v);

/* The CSV cursor (one at a time per connection) and its pages. */
#define RQ_CURSOR "DECLARE kc_report NO SCROLL CURSOR FOR "
#define RQ_FETCH_ROWS 500

#endif
