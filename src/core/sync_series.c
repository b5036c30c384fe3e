/*
 * Flows, segments and forms: the objects are listed, then a daily series
 * report of the type's counts is read in 60-day windows (Klaviyo's
 * longest) and written per object and day, re-reading a lookback of the
 * attribution window on each incremental run.
 */
#include "sync_step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "series_acc.h"

#define SERIES_WINDOW_DAYS 60

struct series_arg {
	const struct sync_type	*t;
	struct series_acc	 acc;	/* (id, day) -> counts */
	struct json_object	*cur;
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

	(void)sc;
	if (!json_object_object_get_ex(res, "groupings", &g) ||
	    !json_object_object_get_ex(res, "statistics", &stats) ||
	    (id = json_get_str(g, sa->t->group_key)) == NULL || dates == NULL)
		return KC_OK;
	n = json_object_array_length(dates);
	for (i = 0; i < n; i++) {
		dt = json_object_get_string(json_object_array_get_idx(dates,
		    i));
		if (dt == NULL || strlen(dt) < 10)
			continue;
		/* The account's day: the date as Klaviyo writes it. */
		snprintf(d, sizeof(d), "%.10s", dt);
		for (k = 0; k < sa->t->ncounts; k++) {
			if (!json_object_object_get_ex(stats,
			    sa->t->counts[k], &v) ||
			    !json_object_is_type(v, json_type_array) ||
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
	return KC_OK;
}

int
sync_series_fold(struct sync_ctx *sc, struct json_object *pages,
    struct series_acc *acc)
{
	struct series_arg	sa = { sc->type, *acc, NULL };
	int			rc;

	rc = sync_report_results(sc, pages, acc_series, &sa);
	*acc = sa.acc;	/* it may have grown */
	return rc;
}

#define SERIES_BATCH 500	/* rows a statement writes */

/* One (id, day) row as {"id", "day", "s": {statistic: value}}. */
static struct json_object *
series_row(const struct series_arg *sa, size_t r)
{
	struct json_object	*o, *stats;
	size_t			 k;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(o, "id", sa->acc.rows[r].id) != KC_OK ||
	    json_add_str(o, "day", sa->acc.rows[r].day) != KC_OK ||
	    (stats = json_object_new_object()) == NULL ||
	    json_add_obj(o, "s", stats) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	for (k = 0; k < sa->t->ncounts; k++)
		if ((sa->acc.rows[r].have & ((uint32_t)1 << k)) &&
		    json_add_obj(stats, sa->t->counts[k], json_object_new_double(
		    series_acc_value(&sa->acc, r, k))) != KC_OK) {
			json_object_put(o);
			return NULL;
		}
	return o;
}

/*
 * Writes acc's rows with the type's report statement, a batch of rows
 * a statement (one round trip for hundreds of object-days).
 */
static int
write_series(struct sync_ctx *sc, const struct series_arg *sa)
{
	struct json_object	*batch = NULL, *row;
	char			 sid[24];
	const char		*params[3];
	size_t			 r;
	int			 rc = KC_OK;

	sync_conn_param(sc, sid, sizeof(sid));
	params[0] = sid;
	params[1] = sc->tz;
	for (r = 0; r < sa->acc.nrows && rc == KC_OK; r++) {
		if (batch == NULL && (batch = json_object_new_array()) == NULL)
			return KC_ERR_NOMEM;
		if ((row = series_row(sa, r)) == NULL ||
		    json_object_array_add(batch, row) != 0) {
			json_object_put(row);
			rc = KC_ERR_NOMEM;
			break;
		}
		if (json_object_array_length(batch) < SERIES_BATCH &&
		    r + 1 < sa->acc.nrows)
			continue;
		params[2] = sync_plain(batch);
		rc = db_query(sc->db, sa->t->sql_report, 3, params, NULL);
		json_object_put(batch);
		batch = NULL;
	}
	json_object_put(batch);
	return rc;
}

static int
one_window(struct sync_ctx *sc, const char *start, const char *end,
    void *arg)
{
	struct series_arg	*sa = arg;
	char			*body;
	int			 rc;

	if ((body = sync_report_body(sc, start, end)) == NULL)
		return KC_ERR_NOMEM;
	if ((rc = series_acc_init(&sa->acc, sa->t->ncounts)) != KC_OK)
		goto out;
	if ((rc = sync_report_pages(sc, body, acc_series, sa)) != KC_OK)
		goto out;
	/* The window is whole in memory: write its days in one step. */
	if ((rc = sync_begin_step(sc, sa->cur)) != KC_OK)
		goto out;
	if ((rc = write_series(sc, sa)) != KC_OK)
		db_rollback(sc->db);
	else
		rc = sync_commit_step(sc);
out:
	series_acc_free(&sa->acc);
	free(body);
	return rc;
}

int
sync_series(struct sync_ctx *sc)
{
	struct series_arg	 sa;
	char			 since[16], today[16], start[16];
	int			 rc, none;

	memset(&sa, 0, sizeof(sa));
	sa.t = sc->type;
	sa.cur = sc->job->cursor;
	if (!sync_phase_done(sa.cur, "list") &&
	    (rc = sync_list_phase(sc, sa.cur, "list", sc->type->list_ep, NULL,
	    sync_object_row, NULL)) != KC_OK)
		return rc;
	if ((rc = sync_first_day(sc, since, today, sizeof(since))) != KC_OK ||
	    (rc = sync_report_start(sc, since, start, sizeof(start), &none)) !=
	    KC_OK)
		return rc;
	if (none)
		return KC_OK;
	return sync_windows_phase(sc, sa.cur, start, today,
	    SERIES_WINDOW_DAYS, one_window, &sa);
}
