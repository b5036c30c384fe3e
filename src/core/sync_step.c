/*
 * The steps every sync type is made of; see sync_step.h.  A step is one
 * Klaviyo call (or report) then one write transaction that renews the
 * job's lease first, so a cancelled job writes nothing more, and saves
 * the cursor, so a killed job resumes where it stopped.
 */
#include "sync_step.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "integration.h"
#include "json_util.h"
#include "ksync.h"

int
sync_day_add(const char *day, int n, char *out, size_t len)
{
	struct tm	tm;
	time_t		t;

	memset(&tm, 0, sizeof(tm));
	if (strlen(day) != 10 || sscanf(day, "%4d-%2d-%2d", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday) != 3)
		return KC_ERR_BAD_INPUT;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_hour = 12;	/* far from any day boundary */
	tm.tm_mday += n;
	if ((t = timegm(&tm)) == (time_t)-1 || gmtime_r(&t, &tm) == NULL)
		return KC_ERR_BAD_INPUT;
	return strftime(out, len, "%Y-%m-%d", &tm) == 10 ? KC_OK :
	    KC_ERR_BAD_INPUT;
}

int
sync_windows(const char *since, const char *until, int days,
    struct json_object **out)
{
	struct json_object	*arr, *w;
	char			 start[16], end[16], next[16];
	int			 rc;

	*out = NULL;
	if ((arr = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	snprintf(start, sizeof(start), "%s", since);
	while (strcmp(start, until) <= 0) {
		if ((rc = sync_day_add(start, days - 1, end, sizeof(end))) !=
		    KC_OK)
			goto fail;
		if (strcmp(end, until) > 0)
			snprintf(end, sizeof(end), "%s", until);
		rc = KC_ERR_NOMEM;
		if ((w = json_object_new_array()) == NULL ||
		    json_object_array_add(w, json_object_new_string(start)) ||
		    json_object_array_add(w, json_object_new_string(end)) ||
		    json_object_array_add(arr, w)) {
			json_object_put(w);
			goto fail;
		}
		/* Whole days, never overlapping: the next starts after end. */
		if ((rc = sync_day_add(end, 1, next, sizeof(next))) != KC_OK)
			goto fail;
		snprintf(start, sizeof(start), "%s", next);
	}
	*out = arr;
	return KC_OK;
fail:
	json_object_put(arr);
	return rc;
}

int
sync_fetch(struct sync_ctx *sc, struct kv_call *call)
{
	int rc;

	rc = cred_run(&sc->cred, sc->kv, sc->acct, call, 1);
	if (call->body)
		sc->report_requests += call->requests;
	if (rc != KC_OK) {
		snprintf(sc->error, sizeof(sc->error), "%s",
		    kv_call_error(call));
		sc->retry_after = call->retry_after;
		sc->slot_wait = strcmp(call->code, "rate_limited") == 0;
		/* A key without one type's scope fails that type only. */
		if (strcmp(call->code, "klaviyo_scope_missing") == 0) {
			snprintf(sc->error, sizeof(sc->error), "needs scope %s",
			    kv_endpoints[call->ep].scope);
			sc->scope_missing = 1;
		}
	}
	return rc;
}

static int
cursor_int(struct json_object *c, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(c, k, &v) ? json_object_get_int(v) :
	    0;
}

int
sync_begin_step(struct sync_ctx *sc, struct json_object *cursor)
{
	int rc;

	if ((rc = db_begin(sc->db)) != KC_OK)
		return rc;
	if ((rc = integ_hold(sc->db, sc->job->conn_id, 0)) != KC_OK ||
	    (rc = jobq_heartbeat(sc->db, sc->job, sc->owner,
	    sc->opt->lease_seconds, NULL, cursor)) != KC_OK)
		db_rollback(sc->db);
	return rc;
}

int
sync_count_objects(struct sync_ctx *sc, long long *n)
{
	char		 sid[24];
	const char	*params[1] = { sid };
	PGresult	*res = NULL;
	int		 rc;

	*n = 0;
	sync_conn_param(sc, sid, sizeof(sid));
	if ((rc = db_query(sc->db, sc->type->sql_count, 1, params, &res)) !=
	    KC_OK)
		return rc;
	*n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return KC_OK;
}

/* The finish a report type's remaining windows allow at the 2/min. */
static int
add_eta(struct sync_ctx *sc, struct json_object *p, long long left)
{
	const struct kv_endpoint_info	*e;
	double				 scale = sc->opt->rate_scale > 0 ?
	    sc->opt->rate_scale : 1, secs;
	char				 at[32];
	time_t				 t;
	struct tm			 tm;

	if (sc->type->report_ep == KV__MAX || left <= 0)
		return KC_OK;
	e = &kv_endpoints[sc->type->report_ep];
	secs = (double)left * 60.0 / (e->steady > 0 ? e->steady : 1) / scale;
	t = time(NULL) + (time_t)(secs + 0.5);
	gmtime_r(&t, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_add_str(p, "eta", at);
}

/*
 * Progress from what the database holds and the cursor, so a resumed or
 * repeated job shows the same numbers: objects held of objects known,
 * report windows done of windows planned.
 */
static int
progress_json(struct sync_ctx *sc, struct json_object **out)
{
	struct json_object	*cur = sc->job->cursor, *ws, *p;
	const char		*phase = sync_cursor_phase(cur);
	long long		 n, known, wt = 0, wd = 0;
	int			 rc;

	*out = NULL;
	/* Counted once a job; its pages then add what they inserted. */
	if (sc->held < 0) {
		if ((rc = sync_count_objects(sc, &n)) != KC_OK)
			return rc;
		sc->held = n;
	}
	n = sc->held;
	known = cursor_int(cur, "known");
	if (known < n)
		known = n;
	if (phase && strcmp(phase, "report") == 0 &&
	    json_object_object_get_ex(cur, "windows", &ws)) {
		wt = (long long)json_object_array_length(ws);
		wd = cursor_int(cur, "window");
	}
	if ((p = json_object_new_object()) == NULL ||
	    json_add_int(p, "done", n + wd) != KC_OK ||
	    json_add_int(p, "total", known + wt) != KC_OK ||
	    json_add_int(p, "objects", n) != KC_OK ||
	    json_add_int(p, "objects_total", known) != KC_OK ||
	    json_add_int(p, "windows_done", wd) != KC_OK ||
	    json_add_int(p, "windows_total", wt) != KC_OK ||
	    add_eta(sc, p, wt - wd) != KC_OK) {
		json_object_put(p);
		return KC_ERR_NOMEM;
	}
	*out = p;
	return KC_OK;
}

int
sync_commit_step(struct sync_ctx *sc)
{
	static time_t		 last_trim;
	struct json_object	*p = NULL;
	int			 rc;

	/* The step's progress, counted after its writes, with its commit. */
	if ((rc = progress_json(sc, &p)) == KC_OK)
		rc = jobq_heartbeat_commit(sc->db, sc->job, sc->owner,
		    sc->opt->lease_seconds, p, NULL);
	json_object_put(p);
	/*
	 * Each step's pages are freed by now: keep the footprint flat, at
	 * most once a second (many jobs' steps share one process).
	 */
	if (time(NULL) != last_trim) {
		malloc_trim(0);
		last_trim = time(NULL);
	}
	if (rc != KC_OK)
		db_rollback(sc->db);
	return rc;
}

void
sync_conn_param(const struct sync_ctx *sc, char *sid, size_t len)
{
	snprintf(sid, len, "%lld", sc->job->conn_id);
}

struct json_object *
sync_attrs(struct json_object *item)
{
	struct json_object *a;

	return json_object_object_get_ex(item, "attributes", &a) ? a : NULL;
}

const char *
sync_attr_str(struct json_object *item, const char *k)
{
	return json_get_str(sync_attrs(item), k);
}

const char *
sync_plain(struct json_object *o)
{
	return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) :
	    "{}";
}

const char *
sync_cursor_phase(struct json_object *cur)
{
	return json_get_str(cur, "phase");
}

int
sync_phase_done(struct json_object *cur, const char *phase)
{
	const char *p = sync_cursor_phase(cur);

	/* Phases run in order; a cursor in a later one skips earlier ones. */
	return p && strcmp(p, phase) != 0 && strcmp(p, "report") == 0;
}

int
sync_object_row(struct sync_ctx *sc, struct json_object *it, const char *x,
    struct json_object **out)
{
	struct json_object *row;

	(void)sc;
	(void)x;
	if (json_get_str(it, "id") == NULL)
		return KC_OK;
	if ((row = json_object_new_object()) == NULL ||
	    json_add_str(row, "id", json_get_str(it, "id")) != KC_OK ||
	    json_add_str(row, "name", sync_attr_str(it, "name")) != KC_OK ||
	    json_add_str(row, "status", sync_attr_str(it, "status")) !=
	    KC_OK ||
	    json_add_obj(row, "attributes", json_object_get(sync_attrs(it))) !=
	    KC_OK) {
		json_object_put(row);
		return KC_ERR_NOMEM;
	}
	*out = row;
	return KC_OK;
}

/* One page's rows in one statement; adds the new objects to held. */
static int
upsert_rows(struct sync_ctx *sc, struct json_object *rows)
{
	char		 sid[24];
	const char	*params[2] = { sid, NULL };
	PGresult	*res = NULL;
	int		 rc;

	if (json_object_array_length(rows) == 0)
		return KC_OK;
	sync_conn_param(sc, sid, sizeof(sid));
	params[1] = sync_plain(rows);
	if ((rc = db_query(sc->db, sc->type->sql_upsert, 2, params, &res)) !=
	    KC_OK)
		return rc;
	if (sc->held >= 0)
		sc->held += strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return KC_OK;
}

/* The rows of one page, in the order Klaviyo listed them. */
static int
page_rows(struct sync_ctx *sc, struct json_object *data, sync_row_fn fn,
    const char *arg, struct json_object **out)
{
	struct json_object	*rows, *row;
	size_t			 i, n = data ? json_object_array_length(data) : 0;
	int			 rc;

	if ((*out = rows = json_object_new_array_ext((int)n)) == NULL)
		return KC_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		row = NULL;
		if ((rc = fn(sc, json_object_array_get_idx(data, i), arg,
		    &row)) != KC_OK)
			return rc;
		if (row && json_object_array_add(rows, row) != 0) {
			json_object_put(row);
			return KC_ERR_NOMEM;
		}
	}
	return KC_OK;
}

int
sync_list_phase(struct sync_ctx *sc, struct json_object *cur,
    const char *phase, enum kv_endpoint ep, const char *query,
    sync_row_fn fn, const char *arg)
{
	struct kv_call		 call;
	struct json_object	*rows = NULL;
	size_t			 n;
	int			 rc, resume;

	resume = json_get_str(cur, "phase") &&
	    strcmp(json_get_str(cur, "phase"), phase) == 0 &&
	    json_get_str(cur, "next");
	memset(&call, 0, sizeof(call));
	call.ep = ep;
	call.query = query;
	if (resume)
		call.url = strdup(json_get_str(cur, "next"));
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
		if ((rc = page_rows(sc, call.data, fn, arg, &rows)) != KC_OK ||
		    (rc = json_add_str(cur, "phase", phase)) != KC_OK ||
		    (rc = json_add_str(cur, "next", call.next[0] ? call.next :
		    NULL)) != KC_OK ||
		    (rc = sync_begin_step(sc, cur)) != KC_OK)
			break;
		rc = upsert_rows(sc, rows);
		/* Not held while the next page is awaited (many jobs wait). */
		json_object_put(rows);
		rows = NULL;
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
	json_object_put(rows);
	free((char *)call.url);
	kv_call_reset(&call);
	return rc;
}

int
sync_first_day(struct sync_ctx *sc, char *since, char *today, size_t len)
{
	struct json_object	*cur = sc->job->cursor;
	char			 at[64];
	int			 rc;

	if ((rc = ksync_date_range(sc->db, sc->job->conn_id, sc->job->type,
	    sc->tz, sc->opt->lookback_days, since, today, len, at,
	    sizeof(at))) != KC_OK)
		return rc;
	/* The end of what this job covers: kept across a resume. */
	if (json_get_str(cur, "synced_to") == NULL &&
	    (rc = json_add_str(cur, "synced_to", at)) != KC_OK)
		return rc;
	if (strcmp(sc->job->mode, "full") == 0 || since[0] == '\0')
		return sync_day_add(today, -sc->opt->history_days, since, len);
	return KC_OK;
}

int
sync_report_start(struct sync_ctx *sc, const char *since, char *start,
    size_t len, int *none)
{
	char		 sid[24];
	const char	*params[2] = { sid, sc->tz }, *first;
	PGresult	*res = NULL;
	int		 rc;

	*none = 0;
	snprintf(start, len, "%s", since);
	sync_conn_param(sc, sid, sizeof(sid));
	if ((rc = db_query(sc->db, sc->type->sql_first_day, 2, params,
	    &res)) != KC_OK)
		return rc;
	if (strtoll(PQgetvalue(res, 0, 0), NULL, 10) == 0)
		*none = 1;
	else if ((first = db_val(res, 0, 1)) != NULL &&
	    strcmp(first, start) > 0)
		snprintf(start, len, "%s", first);
	PQclear(res);
	if (sc->type->data_start && strcmp(start, sc->type->data_start) < 0)
		snprintf(start, len, "%s", sc->type->data_start);
	return KC_OK;
}

/* The UTC instant of midnight starting day $1 in timezone $2. */
static const char SQL_MIDNIGHT[] =
    "SELECT to_char(($1::date::timestamp AT TIME ZONE $2) AT TIME ZONE"
    " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

int
sync_midnight(struct sync_ctx *sc, const char *day, char *out, size_t len)
{
	const char	*params[2] = { day, sc->tz };
	PGresult	*res = NULL;
	int		 rc;

	if ((rc = db_query(sc->db, SQL_MIDNIGHT, 2, params, &res)) != KC_OK)
		return rc;
	snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return KC_OK;
}

/*
 * The windows of [since, today], or of [since, yesterday] when today,
 * a partial day, would cost a window of its own: then the job covers
 * up to today's midnight, and the next run reads today with the rest.
 */
static int
plan_windows(struct sync_ctx *sc, struct json_object *cur, const char *since,
    const char *today, int days, struct json_object **ws)
{
	char	yesterday[16], at[32];
	size_t	with_today;
	int	rc;

	if ((rc = sync_windows(since, today, days, ws)) != KC_OK)
		return rc;
	with_today = json_object_array_length(*ws);
	if (with_today < 2 ||
	    (rc = sync_day_add(today, -1, yesterday, sizeof(yesterday))) !=
	    KC_OK)
		return rc;
	json_object_put(*ws);
	if ((rc = sync_windows(since, yesterday, days, ws)) != KC_OK)
		return rc;
	if (json_object_array_length(*ws) == with_today) {
		json_object_put(*ws);
		return sync_windows(since, today, days, ws);
	}
	if ((rc = sync_midnight(sc, today, at, sizeof(at))) != KC_OK ||
	    (rc = json_add_str(cur, "synced_to", at)) != KC_OK) {
		json_object_put(*ws);
		*ws = NULL;
	}
	return rc;
}

/* The cursor and progress in one statement: nothing else is written. */
static int
save_plan(struct sync_ctx *sc, struct json_object *cursor)
{
	struct json_object	*p = NULL;
	int			 rc;

	if ((rc = progress_json(sc, &p)) == KC_OK)
		rc = jobq_heartbeat(sc->db, sc->job, sc->owner,
		    sc->opt->lease_seconds, p, cursor);
	json_object_put(p);
	return rc;
}

int
sync_windows_phase(struct sync_ctx *sc, struct json_object *cur,
    const char *since, const char *today, int days,
    int (*one)(struct sync_ctx *, const char *, const char *, void *),
    void *arg)
{
	struct json_object	*ws, *w;
	int			 k, n, rc, planned = 0;

	if (!json_get_str(cur, "phase") ||
	    strcmp(json_get_str(cur, "phase"), "report") != 0 ||
	    !json_object_object_get_ex(cur, "windows", &ws)) {
		planned = 1;
		if ((rc = plan_windows(sc, cur, since, today, days, &ws)) !=
		    KC_OK || (rc = json_add_obj(cur, "windows", ws)) != KC_OK ||
		    (rc = json_add_str(cur, "phase", "report")) != KC_OK ||
		    (rc = json_add_int(cur, "window", 0)) != KC_OK)
			return rc;
	}
	n = (int)json_object_array_length(ws);
	sc->total = sc->done + n - cursor_int(cur, "window");
	if (planned && n > 0 && strcmp(sc->job->mode, "full") == 0) {
		/*
		 * A full sync yields once, its plan saved: the claim order
		 * (sql/009) then runs the jobs with the most windows left
		 * first, so in a fleet's first sync the long report chains
		 * start before other stores' short ones.
		 */
		if ((rc = save_plan(sc, cur)) != KC_OK)
			return rc;
		sc->yield = 1;
		return KC_ERR_RATE_LIMITED;
	}
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
