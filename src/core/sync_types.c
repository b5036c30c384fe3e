/*
 * What each sync type reads from Klaviyo and writes (DESIGN.md 6).
 * Klaviyo's reporting limits (1/s, 2/min, 225/day) decide the design:
 * one request covers every object of a type (no per-object filters),
 * windows are as long as allowed (values 1 year, daily series 60 days),
 * whole days in the account's timezone, never overlapping; series re-read
 * a lookback of the attribution window and upsert per day.
 */
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "ksync.h"
#include "log.h"
#include "series_acc.h"

#define VALUES_WINDOW_DAYS 365
#define SERIES_WINDOW_DAYS 60
#define SEGMENT_DATA_START "2023-06-01"

/* Counts, which may be summed across messages and stored per day. */
static const char *const message_counts[] = {
	"recipients", "delivered", "opens", "opens_unique", "clicks",
	"clicks_unique", "conversions", "conversion_uniques",
	"conversion_value", "unsubscribes", "bounced", "spam_complaints",
};
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
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char SQL_UP_CAMPAIGN[] =
    "INSERT INTO campaigns (store_id, id, channel, name, status, send_time,"
    " attributes) VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::jsonb)"
    " ON CONFLICT (store_id, id) DO UPDATE SET channel = EXCLUDED.channel,"
    " name = EXCLUDED.name, status = EXCLUDED.status,"
    " send_time = EXCLUDED.send_time, attributes = EXCLUDED.attributes,"
    " updated_at = now()";
static const char SQL_UP_FLOW[] =
    "INSERT INTO flows (store_id, id, name, status, attributes)"
    " VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (store_id, id)"
    " DO UPDATE SET name = EXCLUDED.name, status = EXCLUDED.status,"
    " attributes = EXCLUDED.attributes, updated_at = now()";
static const char SQL_UP_SEGMENT[] =
    "INSERT INTO segments (store_id, id, name, attributes)"
    " VALUES ($1, $2, $3, $5::jsonb) ON CONFLICT (store_id, id)"
    " DO UPDATE SET name = EXCLUDED.name, attributes = EXCLUDED.attributes,"
    " updated_at = now() RETURNING $4::text IS NULL";
static const char SQL_UP_FORM[] =
    "INSERT INTO forms (store_id, id, name, status, attributes)"
    " VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (store_id, id)"
    " DO UPDATE SET name = EXCLUDED.name, status = EXCLUDED.status,"
    " attributes = EXCLUDED.attributes, updated_at = now()";
static const char SQL_UP_CAMPAIGN_STATS[] =
    "INSERT INTO campaign_stats (store_id, campaign_id, channel,"
    " statistics, conversion_metric_id) VALUES ($1, $2, $3, $4::jsonb, $5)"
    " ON CONFLICT (store_id, campaign_id, channel) DO UPDATE"
    " SET statistics = EXCLUDED.statistics,"
    " conversion_metric_id = EXCLUDED.conversion_metric_id,"
    " updated_at = now()";
static const char SQL_UP_FLOW_DAY[] =
    "INSERT INTO flow_series (store_id, flow_id, day, timezone, statistics)"
    " VALUES ($1, $2, $3::date, $4, $5::jsonb)"
    " ON CONFLICT (store_id, flow_id, day) DO UPDATE"
    " SET statistics = EXCLUDED.statistics, timezone = EXCLUDED.timezone,"
    " updated_at = now()";
static const char SQL_UP_SEGMENT_DAY[] =
    "INSERT INTO segment_series (store_id, segment_id, day, timezone,"
    " statistics) VALUES ($1, $2, $3::date, $4, $5::jsonb)"
    " ON CONFLICT (store_id, segment_id, day) DO UPDATE"
    " SET statistics = EXCLUDED.statistics, timezone = EXCLUDED.timezone,"
    " updated_at = now()";
static const char SQL_UP_FORM_DAY[] =
    "INSERT INTO form_series (store_id, form_id, day, timezone, statistics)"
    " VALUES ($1, $2, $3::date, $4, $5::jsonb)"
    " ON CONFLICT (store_id, form_id, day) DO UPDATE"
    " SET statistics = EXCLUDED.statistics, timezone = EXCLUDED.timezone,"
    " updated_at = now()";
static const char SQL_UP_ORDER[] =
    "INSERT INTO orders (store_id, event_id, order_id, value, currency,"
    " occurred_at, properties) VALUES ($1, $2, $3, $4::numeric, $5,"
    " $6::timestamptz, $7::jsonb) ON CONFLICT (store_id, event_id)"
    " DO UPDATE SET order_id = EXCLUDED.order_id, value = EXCLUDED.value,"
    " currency = EXCLUDED.currency, occurred_at = EXCLUDED.occurred_at,"
    " properties = EXCLUDED.properties";
static const char SQL_FIRST_SEND[] =
    "SELECT to_char((min(coalesce(send_time, (attributes ->> 'created_at')"
    "::timestamptz)) AT TIME ZONE $2)::date, 'YYYY-MM-DD')"
    " FROM campaigns WHERE store_id = $1";

/* ---- small JSON helpers ---- */

static struct json_object *
attrs_of(struct json_object *item)
{
	struct json_object *a;

	return json_object_object_get_ex(item, "attributes", &a) ? a : NULL;
}

static const char *
attr_str(struct json_object *item, const char *k)
{
	return json_get_str(attrs_of(item), k);
}

static const char *
plain(struct json_object *o)
{
	return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) :
	    "{}";
}

static const char *
cursor_str(struct json_object *c, const char *k)
{
	return json_get_str(c, k);
}

static int
cursor_set(struct json_object *c, const char *k, const char *v)
{
	return json_add_str(c, k, v);
}

static int
cursor_int(struct json_object *c, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(c, k, &v) ? json_object_get_int(v) :
	    0;
}

static void
store_param(struct sync_ctx *sc, char *sid, size_t len)
{
	snprintf(sid, len, "%lld", sc->job->store_id);
}

/* ---- list phases ---- */

typedef int (*upsert_fn)(struct sync_ctx *, struct json_object *,
    const char *);

static int
up_campaign(struct sync_ctx *sc, struct json_object *it, const char *chan)
{
	char		 sid[24];
	const char	*params[7];
	const char	*send = attr_str(it, "send_time");

	store_param(sc, sid, sizeof(sid));
	params[0] = sid;
	params[1] = json_get_str(it, "id");
	params[2] = chan;
	params[3] = attr_str(it, "name") ? attr_str(it, "name") : "";
	params[4] = attr_str(it, "status");
	params[5] = send && *send ? send : attr_str(it, "scheduled_at");
	params[6] = plain(attrs_of(it));
	return params[1] ? db_query(sc->db, SQL_UP_CAMPAIGN, 7, params, NULL) :
	    KC_OK;
}

static int
up_named(struct sync_ctx *sc, struct json_object *it, const char *sql)
{
	char		 sid[24];
	const char	*params[5];

	store_param(sc, sid, sizeof(sid));
	params[0] = sid;
	params[1] = json_get_str(it, "id");
	params[2] = attr_str(it, "name") ? attr_str(it, "name") : "";
	params[3] = attr_str(it, "status");
	params[4] = plain(attrs_of(it));
	return params[1] ? db_query(sc->db, sql, 5, params, NULL) : KC_OK;
}

static int
up_flow(struct sync_ctx *sc, struct json_object *it, const char *x)
{
	(void)x;
	return up_named(sc, it, SQL_UP_FLOW);
}

static int
up_segment(struct sync_ctx *sc, struct json_object *it, const char *x)
{
	(void)x;
	return up_named(sc, it, SQL_UP_SEGMENT);
}

static int
up_form(struct sync_ctx *sc, struct json_object *it, const char *x)
{
	(void)x;
	return up_named(sc, it, SQL_UP_FORM);
}

/*
 * Pages through a list endpoint; the cursor's "phase" names this list
 * and "next" the page to resume from.
 */
static int
list_phase(struct sync_ctx *sc, struct json_object *cur, const char *phase,
    enum kv_endpoint ep, const char *query, upsert_fn up, const char *arg)
{
	struct kv_call	 call;
	size_t		 i, n;
	int		 rc, resume;

	resume = cursor_str(cur, "phase") &&
	    strcmp(cursor_str(cur, "phase"), phase) == 0 &&
	    cursor_str(cur, "next");
	memset(&call, 0, sizeof(call));
	call.ep = ep;
	call.query = query;
	if (resume)
		call.url = strdup(cursor_str(cur, "next"));
	for (;;) {
		if (*sc->stopping) {
			rc = KC_ERR_IO;
			break;
		}
		if ((rc = sync_fetch(sc, &call)) != KC_OK)
			break;
		n = call.data ? json_object_array_length(call.data) : 0;
		sc->done += (long long)n;
		sc->total = sc->done;
		if ((rc = cursor_set(cur, "phase", phase)) != KC_OK ||
		    (rc = cursor_set(cur, "next", call.next[0] ? call.next :
		    NULL)) != KC_OK ||
		    (rc = sync_begin_step(sc, cur)) != KC_OK)
			break;
		for (i = 0; i < n && rc == KC_OK; i++)
			rc = up(sc, json_object_array_get_idx(call.data, i),
			    arg);
		if (rc != KC_OK) {
			db_rollback(sc->db);
			break;
		}
		if ((rc = sync_commit_step(sc)) != KC_OK || !call.next[0])
			break;
		free((char *)call.url);
		call.url = strdup(call.next);
		if (call.url == NULL) {
			rc = KC_ERR_NOMEM;
			break;
		}
	}
	free((char *)call.url);
	kv_call_reset(&call);
	return rc;
}

/* ---- report phases ---- */

static int
statistics_array(const char *const *names, size_t n,
    struct json_object **out)
{
	struct json_object	*a = json_object_new_array();
	size_t			 i;

	for (i = 0; a && i < n; i++)
		if (json_object_array_add(a, json_object_new_string(names[i]))) {
			json_object_put(a);
			return KC_ERR_NOMEM;
		}
	*out = a;
	return a ? KC_OK : KC_ERR_NOMEM;
}

/*
 * The JSON:API body of a report request.  Klaviyo reads start and end in
 * the account's timezone and ignores the offset: the days are its days.
 */
static char *
report_body(const char *type, struct json_object *stats, const char *start,
    const char *end_incl, const char *interval, const char *metric,
    const char *group_by)
{
	struct json_object	*o, *d, *a, *tf, *g;
	char			 s[40], e[40], end_excl[16];
	char			*out = NULL;

	if (sync_day_add(end_incl, 1, end_excl, sizeof(end_excl)) != KC_OK)
		return NULL;
	snprintf(s, sizeof(s), "%sT00:00:00+00:00", start);
	snprintf(e, sizeof(e), "%sT00:00:00+00:00", end_excl);
	o = json_object_new_object();
	d = json_object_new_object();
	a = json_object_new_object();
	tf = json_object_new_object();
	if (o == NULL || d == NULL || a == NULL || tf == NULL ||
	    json_add_str(tf, "start", s) || json_add_str(tf, "end", e) ||
	    json_add_obj(a, "statistics", json_object_get(stats)) ||
	    json_add_obj(a, "timeframe", tf))
		goto out;
	tf = NULL;
	if ((interval && json_add_str(a, "interval", interval)) ||
	    (metric && json_add_str(a, "conversion_metric_id", metric)))
		goto out;
	if (group_by) {
		if ((g = json_object_new_array()) == NULL ||
		    json_object_array_add(g, json_object_new_string(group_by)) ||
		    json_add_obj(a, "group_by", g))
			goto out;
	}
	if (json_add_str(d, "type", type) || json_add_obj(d, "attributes", a))
		goto out;
	a = NULL;
	if (json_add_obj(o, "data", d))
		goto out2;
	d = NULL;
	out = strdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	goto out2;
out:
	json_object_put(tf);
	json_object_put(a);
out2:
	json_object_put(d);
	json_object_put(o);
	return out;
}

/* results[] of every page of a report call. */
static int
for_each_result(struct kv_call *call, int (*fn)(struct sync_ctx *,
    struct json_object *, struct json_object *, void *),
    struct sync_ctx *sc, void *arg)
{
	struct json_object	*page, *a, *results, *dates;
	size_t			 p, i, n;
	int			 rc;

	for (p = 0; call->data && p < json_object_array_length(call->data);
	    p++) {
		page = json_object_array_get_idx(call->data, p);
		if ((a = attrs_of(page)) == NULL ||
		    !json_object_object_get_ex(a, "results", &results) ||
		    !json_object_is_type(results, json_type_array)) {
			snprintf(sc->error, sizeof(sc->error), "a Klaviyo "
			    "report had no results");
			return KC_ERR_UPSTREAM;
		}
		if (!json_object_object_get_ex(a, "date_times", &dates))
			dates = NULL;
		n = json_object_array_length(results);
		for (i = 0; i < n; i++)
			if ((rc = fn(sc, json_object_array_get_idx(results, i),
			    dates, arg)) != KC_OK)
				return rc;
	}
	return KC_OK;
}

/*
 * POSTs a report and feeds each page's results to fn as it arrives, so
 * only one page is in memory at a time (a page is re-POSTed to its
 * links.next, as Klaviyo wants).
 */
static int
report_pages(struct sync_ctx *sc, enum kv_endpoint ep, const char *body,
    int (*fn)(struct sync_ctx *, struct json_object *, struct json_object *,
    void *), void *arg)
{
	struct kv_call	 call;
	char		*url = NULL;
	int		 rc;

	memset(&call, 0, sizeof(call));
	call.ep = ep;
	call.body = body;
	for (;;) {
		call.url = url;
		if ((rc = sync_fetch(sc, &call)) != KC_OK ||
		    (rc = for_each_result(&call, fn, sc, arg)) != KC_OK)
			break;
		free(url);
		url = NULL;
		if (call.next[0] == '\0')
			break;
		if ((url = strdup(call.next)) == NULL) {
			rc = KC_ERR_NOMEM;
			break;
		}
		kv_call_reset(&call);
	}
	free(url);
	kv_call_reset(&call);
	return rc;
}

/* Adds src's numbers for names into dst (a JSON object). */
static int
add_counts(struct json_object *dst, struct json_object *src,
    const char *const *names, size_t n)
{
	struct json_object	*v, *cur;
	double			 x, have;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (!json_object_object_get_ex(src, names[i], &v))
			continue;
		if (v == NULL || !(json_object_is_type(v, json_type_int) ||
		    json_object_is_type(v, json_type_double)))
			continue;
		x = json_object_get_double(v);
		have = json_object_object_get_ex(dst, names[i], &cur) ?
		    json_object_get_double(cur) : 0;
		if (json_add_obj(dst, names[i], json_object_new_double(
		    have + x)) != KC_OK)
			return KC_ERR_NOMEM;
	}
	return KC_OK;
}

struct series_arg {
	const char		*group_key;	/* flow_id, form_id, ... */
	const char *const	*names;
	size_t			 n;
	struct series_acc	 acc;	/* (id, day) -> stats */
};

/* Sums one result's series into acc[group][day]. */
static int
acc_series(struct sync_ctx *sc, struct json_object *res,
    struct json_object *dates, void *arg)
{
	struct series_arg	*sa = arg;
	struct json_object	*g, *stats, *v;
	const char		*id, *dt;
	char			 d[16];
	size_t			 i, k, n;
	int			 rc;

	if (!json_object_object_get_ex(res, "groupings", &g) ||
	    !json_object_object_get_ex(res, "statistics", &stats) ||
	    (id = json_get_str(g, sa->group_key)) == NULL || dates == NULL)
		return KC_OK;
	n = json_object_array_length(dates);
	for (i = 0; i < n; i++) {
		dt = json_object_get_string(json_object_array_get_idx(dates,
		    i));
		if (dt == NULL || strlen(dt) < 10)
			continue;
		/* The account's day: the date as Klaviyo writes it. */
		snprintf(d, sizeof(d), "%.10s", dt);
		for (k = 0; k < sa->n; k++) {
			if (!json_object_object_get_ex(stats, sa->names[k],
			    &v) || !json_object_is_type(v, json_type_array) ||
			    i >= json_object_array_length(v))
				continue;
			v = json_object_array_get_idx(v, i);
			if (v == NULL || !(json_object_is_type(v,
			    json_type_int) || json_object_is_type(v,
			    json_type_double)))
				continue;
			if ((rc = series_acc_add(&sa->acc, id, d, k,
			    json_object_get_double(v))) != KC_OK)
				return rc == KC_ERR_BAD_INPUT ? KC_OK : rc;
		}
	}
	(void)sc;
	return KC_OK;
}

/* Writes acc's rows with sql (store, id, day, tz, stats). */
static int
write_series(struct sync_ctx *sc, const struct series_arg *sa,
    const char *sql)
{
	struct json_object	*stats;
	char			 sid[24];
	const char		*params[5];
	size_t			 r, k;
	int			 rc = KC_OK;

	store_param(sc, sid, sizeof(sid));
	params[0] = sid;
	params[3] = sc->tz;
	for (r = 0; r < sa->acc.nrows && rc == KC_OK; r++) {
		if ((stats = json_object_new_object()) == NULL)
			return KC_ERR_NOMEM;
		for (k = 0; k < sa->n && rc == KC_OK; k++)
			if (sa->acc.rows[r].have & ((uint32_t)1 << k))
				rc = json_add_obj(stats, sa->names[k],
				    json_object_new_double(series_acc_value(
				    &sa->acc, r, k)));
		params[1] = sa->acc.rows[r].id;
		params[2] = sa->acc.rows[r].day;
		params[4] = plain(stats);
		if (rc == KC_OK)
			rc = db_query(sc->db, sql, 5, params, NULL);
		json_object_put(stats);
	}
	return rc;
}

/* The first day to read: since (incremental) or the history's start. */
static int
first_day(struct sync_ctx *sc, char *since, char *today, size_t len)
{
	int rc;

	if ((rc = ksync_date_range(sc->db, sc->job->store_id, sc->job->type,
	    sc->tz, sc->opt->lookback_days, since, today, len)) != KC_OK)
		return rc;
	if (strcmp(sc->job->mode, "full") == 0 || since[0] == '\0')
		return sync_day_add(today, -sc->opt->history_days, since, len);
	return KC_OK;
}

/*
 * Report windows phase: windows are computed once and saved in the
 * cursor, so a resumed job reads exactly the windows it had left.
 */
static int
windows_phase(struct sync_ctx *sc, struct json_object *cur,
    const char *since, const char *today, int days,
    int (*one)(struct sync_ctx *, const char *, const char *, void *),
    void *arg)
{
	struct json_object	*ws, *w;
	int			 k, n, rc;

	if (!cursor_str(cur, "phase") ||
	    strcmp(cursor_str(cur, "phase"), "report") != 0 ||
	    !json_object_object_get_ex(cur, "windows", &ws)) {
		if ((rc = sync_windows(since, today, days, &ws)) != KC_OK ||
		    (rc = json_add_obj(cur, "windows", ws)) != KC_OK ||
		    (rc = cursor_set(cur, "phase", "report")) != KC_OK ||
		    (rc = json_add_int(cur, "window", 0)) != KC_OK)
			return rc;
	}
	n = (int)json_object_array_length(ws);
	sc->total = sc->done + n - cursor_int(cur, "window");
	for (k = cursor_int(cur, "window"); k < n; k++) {
		if (*sc->stopping)
			return KC_ERR_IO;
		w = json_object_array_get_idx(ws, (size_t)k);
		/* Saved by the window's own step: resume after it. */
		if ((rc = json_add_int(cur, "window", k + 1)) != KC_OK)
			return rc;
		sc->done++;
		if ((rc = one(sc, json_object_get_string(
		    json_object_array_get_idx(w, 0)), json_object_get_string(
		    json_object_array_get_idx(w, 1)), arg)) != KC_OK) {
			sc->done--;
			return json_add_int(cur, "window", k) == KC_OK ? rc :
			    KC_ERR_NOMEM;
		}
	}
	return KC_OK;
}

struct series_job {
	enum kv_endpoint	 ep;
	const char		*type;
	const char		*interval;
	const char		*metric;
	const char		*group_by;
	const char		*sql;
	struct series_arg	 sa;
	struct json_object	*cur;
};

static int
one_series_window(struct sync_ctx *sc, const char *start, const char *end,
    void *arg)
{
	struct series_job	*sj = arg;
	struct json_object	*stats = NULL;
	char			*body = NULL;
	int			 rc;

	if ((rc = statistics_array(sj->sa.names, sj->sa.n, &stats)) != KC_OK)
		return rc;
	body = report_body(sj->type, stats, start, end, sj->interval,
	    sj->metric, sj->group_by);
	json_object_put(stats);
	if (body == NULL)
		return KC_ERR_NOMEM;
	if ((rc = series_acc_init(&sj->sa.acc, sj->sa.n)) != KC_OK)
		goto out;
	if ((rc = report_pages(sc, sj->ep, body, acc_series, &sj->sa)) !=
	    KC_OK)
		goto out;
	/* The window is whole in memory: write its days in one step. */
	if ((rc = sync_begin_step(sc, sj->cur)) != KC_OK)
		goto out;
	if ((rc = write_series(sc, &sj->sa, sj->sql)) != KC_OK)
		db_rollback(sc->db);
	else
		rc = sync_commit_step(sc);
out:
	series_acc_free(&sj->sa.acc);
	free(body);
	return rc;
}

static int
series_type(struct sync_ctx *sc, struct series_job *sj, const char *floor)
{
	char	since[16], today[16], start[16];
	int	rc;

	if ((rc = first_day(sc, since, today, sizeof(since))) != KC_OK)
		return rc;
	snprintf(start, sizeof(start), "%s", since);
	if (floor && strcmp(start, floor) < 0)
		snprintf(start, sizeof(start), "%s", floor);
	return windows_phase(sc, sj->cur, start, today, SERIES_WINDOW_DAYS,
	    one_series_window, sj);
}

/* ---- the types ---- */

static int
done_phase(struct json_object *cur, const char *phase)
{
	const char *p = cursor_str(cur, "phase");

	/* Phases run in order; a cursor in a later one skips earlier ones. */
	return p && strcmp(p, phase) != 0 && strcmp(p, "report") == 0;
}

int
sync_flows(struct sync_ctx *sc)
{
	struct series_job sj = { KV_FLOW_SERIES, "flow-series-report", "daily",
	    NULL, NULL, SQL_UP_FLOW_DAY, { "flow_id", message_counts,
	    NELEM(message_counts), { 0 } }, sc->job->cursor };
	int rc;

	sj.metric = sc->metric_id;
	if (!done_phase(sj.cur, "list") &&
	    (rc = list_phase(sc, sj.cur, "list", KV_FLOWS, NULL, up_flow,
	    NULL)) != KC_OK)
		return rc;
	return series_type(sc, &sj, NULL);
}

int
sync_forms(struct sync_ctx *sc)
{
	struct series_job sj = { KV_FORM_SERIES, "form-series-report", "daily",
	    NULL, "form_id", SQL_UP_FORM_DAY, { "form_id", form_counts,
	    NELEM(form_counts), { 0 } }, sc->job->cursor };
	int rc;

	if (!done_phase(sj.cur, "list") &&
	    (rc = list_phase(sc, sj.cur, "list", KV_FORMS, NULL, up_form,
	    NULL)) != KC_OK)
		return rc;
	return series_type(sc, &sj, NULL);
}

int
sync_segments(struct sync_ctx *sc)
{
	struct series_job sj = { KV_SEGMENT_SERIES, "segment-series-report",
	    "daily", NULL, NULL, SQL_UP_SEGMENT_DAY, { "segment_id",
	    segment_counts, NELEM(segment_counts), { 0 } }, sc->job->cursor };
	int rc;

	if (!done_phase(sj.cur, "list") &&
	    (rc = list_phase(sc, sj.cur, "list", KV_SEGMENTS, NULL,
	    up_segment, NULL)) != KC_OK)
		return rc;
	/* Klaviyo has no segment report data before 2023-06-01. */
	return series_type(sc, &sj, SEGMENT_DATA_START);
}

/* campaign values: statistics per campaign and channel, replaced whole */
struct values_arg {
	struct json_object	*acc;	/* "id|channel" -> stats */
	int			 multi;
};

static int
acc_values(struct sync_ctx *sc, struct json_object *res,
    struct json_object *dates, void *arg)
{
	struct values_arg	*va = arg;
	struct json_object	*g, *stats, *dst, *v;
	const char		*id, *chan;
	char			 key[160];
	size_t			 i;
	int			 rc;

	(void)sc;
	(void)dates;
	if (!json_object_object_get_ex(res, "groupings", &g) ||
	    !json_object_object_get_ex(res, "statistics", &stats) ||
	    (id = json_get_str(g, "campaign_id")) == NULL)
		return KC_OK;
	chan = json_get_str(g, "send_channel");
	snprintf(key, sizeof(key), "%s|%s", id, chan ? chan : "email");
	if (json_object_object_get_ex(va->acc, key, &dst)) {
		/* A second message: sum its counts, rates no longer hold. */
		for (i = 0; i < NELEM(campaign_rates); i++)
			json_object_object_del(dst, campaign_rates[i]);
		return add_counts(dst, stats, message_counts,
		    NELEM(message_counts));
	}
	if ((dst = json_object_new_object()) == NULL ||
	    json_object_object_add(va->acc, key, dst) != 0) {
		json_object_put(dst);
		return KC_ERR_NOMEM;
	}
	if ((rc = add_counts(dst, stats, message_counts,
	    NELEM(message_counts))) != KC_OK)
		return rc;
	for (i = 0; i < NELEM(campaign_rates); i++)
		if (json_object_object_get_ex(stats, campaign_rates[i], &v) &&
		    json_add_obj(dst, campaign_rates[i], json_object_get(v)) !=
		    KC_OK)
			return KC_ERR_NOMEM;
	return KC_OK;
}

static int
one_values_window(struct sync_ctx *sc, const char *start, const char *end,
    void *arg)
{
	struct json_object	*cur = arg, *stats = NULL;
	struct values_arg	 va = { NULL, 0 };
	char			*body = NULL, sid[24], id[160], *bar;
	const char		*params[5];
	const char		*names[NELEM(message_counts) +
	    NELEM(campaign_rates)];
	size_t			 i;
	int			 rc;

	for (i = 0; i < NELEM(message_counts); i++)
		names[i] = message_counts[i];
	for (i = 0; i < NELEM(campaign_rates); i++)
		names[NELEM(message_counts) + i] = campaign_rates[i];
	if ((rc = statistics_array(names, NELEM(names), &stats)) != KC_OK)
		return rc;
	body = report_body("campaign-values-report", stats, start, end, NULL,
	    sc->metric_id, NULL);
	json_object_put(stats);
	if (body == NULL)
		return KC_ERR_NOMEM;
	if ((va.acc = json_object_new_object()) == NULL) {
		rc = KC_ERR_NOMEM;
		goto out;
	}
	if ((rc = report_pages(sc, KV_CAMPAIGN_VALUES, body, acc_values,
	    &va)) != KC_OK)
		goto out;
	if ((rc = sync_begin_step(sc, cur)) != KC_OK)
		goto out;
	store_param(sc, sid, sizeof(sid));
	json_object_object_foreach(va.acc, key, st) {
		snprintf(id, sizeof(id), "%s", key);
		if ((bar = strchr(id, '|')) == NULL)
			continue;
		*bar = '\0';
		params[0] = sid;
		params[1] = id;
		params[2] = bar + 1;
		params[3] = plain(st);
		params[4] = sc->metric_id;
		if ((rc = db_query(sc->db, SQL_UP_CAMPAIGN_STATS, 5, params,
		    NULL)) != KC_OK) {
			db_rollback(sc->db);
			goto out;
		}
	}
	rc = sync_commit_step(sc);
out:
	json_object_put(va.acc);
	free(body);
	return rc;
}

int
sync_campaigns(struct sync_ctx *sc)
{
	static const char *const channels[] = { "email", "sms" };
	struct json_object	*cur = sc->job->cursor;
	PGresult		*res = NULL;
	char			 phase[32], query[96], since[16], today[16];
	char			 sid[24];
	const char		*params[2] = { sid, sc->tz };
	size_t			 i;
	int			 rc;

	/* Campaigns are listed one channel at a time (filter required). */
	for (i = 0; i < NELEM(channels); i++) {
		snprintf(phase, sizeof(phase), "list:%s", channels[i]);
		if (done_phase(cur, phase))
			continue;
		if (cursor_str(cur, "phase") && i == 0 &&
		    strcmp(cursor_str(cur, "phase"), "list:sms") == 0)
			continue;
		snprintf(query, sizeof(query),
		    "filter=equals(messages.channel,%%27%s%%27)", channels[i]);
		if ((rc = list_phase(sc, cur, phase, KV_CAMPAIGNS, query,
		    up_campaign, channels[i])) != KC_OK)
			return rc;
	}
	if ((rc = first_day(sc, since, today, sizeof(since))) != KC_OK)
		return rc;
	if (strcmp(sc->job->mode, "full") == 0 ||
	    strcmp(since, today) > 0) {
		/* A full read starts at the first campaign's day. */
		store_param(sc, sid, sizeof(sid));
		if ((rc = db_query(sc->db, SQL_FIRST_SEND, 2, params, &res)) !=
		    KC_OK)
			return rc;
		if (db_val(res, 0, 0))
			snprintf(since, sizeof(since), "%s",
			    PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	return windows_phase(sc, cur, since, today, VALUES_WINDOW_DAYS,
	    one_values_window, cur);
}

/* orders: Placed Order events of the conversion metric */
static int
up_order(struct sync_ctx *sc, struct json_object *it, const char *x)
{
	struct json_object	*props;
	char			 sid[24], value[64];
	const char		*params[7];
	struct json_object	*v;

	(void)x;
	store_param(sc, sid, sizeof(sid));
	if (!json_object_object_get_ex(attrs_of(it), "event_properties",
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
	params[5] = attr_str(it, "datetime");
	params[6] = plain(props);
	if (params[1] == NULL || params[5] == NULL)
		return KC_OK;
	return db_query(sc->db, SQL_UP_ORDER, 7, params, NULL);
}

int
sync_orders(struct sync_ctx *sc)
{
	char	since[16], today[16], query[256];
	int	rc;

	if ((rc = first_day(sc, since, today, sizeof(since))) != KC_OK)
		return rc;
	/* Only what an order row keeps: a page is then a third smaller. */
	snprintf(query, sizeof(query), "filter=equals(metric_id,%%22%s%%22),"
	    "greater-or-equal(datetime,%sT00:00:00Z)&sort=datetime"
	    "&fields%%5Bevent%%5D=datetime,event_properties",
	    sc->metric_id, since);
	return list_phase(sc, sc->job->cursor, "events", KV_EVENTS, query,
	    up_order, NULL);
}
