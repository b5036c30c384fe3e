/*
 * Campaigns: listed one channel at a time (Klaviyo requires the channel
 * filter), then their statistics from campaign values reports in
 * one-year windows (Klaviyo's longest), summed per campaign and channel
 * and replaced whole.
 */
#include "sync_step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

#define VALUES_WINDOW_DAYS 365

/*
 * A campaign's row: the object's, with its channel and send_time (not
 * yet sent, when it is due).
 */
static int
row_campaign(struct sync_ctx *sc, struct json_object *it, const char *chan,
    struct json_object **out)
{
	const char	*send = sync_attr_str(it, "send_time");
	const char	*due = sync_attr_str(it, "scheduled_at");
	int		 rc;

	if ((rc = sync_object_row(sc, it, NULL, out)) != KC_OK ||
	    *out == NULL)
		return rc;
	if (json_add_str(*out, "channel", chan) != KC_OK ||
	    json_add_str(*out, "send_time", send && *send ? send :
	    (due && *due ? due : NULL)) != KC_OK) {
		json_object_put(*out);
		*out = NULL;
		return KC_ERR_NOMEM;
	}
	return KC_OK;
}

/* "id|channel" -> statistics of one window. */
struct values_arg {
	struct json_object	*acc;
};

static int
acc_values(struct sync_ctx *sc, struct json_object *res,
    struct json_object *dates, void *arg)
{
	const struct sync_type	*t = sc->type;
	struct values_arg	*va = arg;
	struct json_object	*g, *stats, *dst, *v;
	const char		*id, *chan;
	char			 key[160];
	size_t			 i;
	int			 rc;

	(void)dates;
	if (!json_object_object_get_ex(res, "groupings", &g) ||
	    !json_object_object_get_ex(res, "statistics", &stats) ||
	    (id = json_get_str(g, t->group_key)) == NULL)
		return KC_OK;
	chan = json_get_str(g, "send_channel");
	snprintf(key, sizeof(key), "%s|%s", id, chan ? chan : "email");
	if (json_object_object_get_ex(va->acc, key, &dst)) {
		/* A second message: sum its counts, rates no longer hold. */
		for (i = 0; i < t->nrates; i++)
			json_object_object_del(dst, t->rates[i]);
		return sync_add_counts(dst, stats, t->counts, t->ncounts);
	}
	if ((dst = json_object_new_object()) == NULL ||
	    json_object_object_add(va->acc, key, dst) != 0) {
		json_object_put(dst);
		return KC_ERR_NOMEM;
	}
	if ((rc = sync_add_counts(dst, stats, t->counts, t->ncounts)) !=
	    KC_OK)
		return rc;
	for (i = 0; i < t->nrates; i++)
		if (json_object_object_get_ex(stats, t->rates[i], &v) &&
		    json_add_obj(dst, t->rates[i], json_object_get(v)) !=
		    KC_OK)
			return KC_ERR_NOMEM;
	return KC_OK;
}

int
sync_values_fold(struct sync_ctx *sc, struct json_object *pages,
    struct json_object *acc)
{
	struct values_arg va = { acc };

	return sync_report_results(sc, pages, acc_values, &va);
}

/* One window's statistics, written in one statement. */
static int
write_values(struct sync_ctx *sc, struct json_object *acc)
{
	struct json_object	*rows, *row;
	char			 sid[24], id[160], *bar;
	const char		*params[3];
	int			 rc = KC_OK;

	if ((rows = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	json_object_object_foreach(acc, key, st) {
		snprintf(id, sizeof(id), "%s", key);
		if ((bar = strchr(id, '|')) == NULL)
			continue;
		*bar = '\0';
		if ((row = json_object_new_object()) == NULL ||
		    json_add_str(row, "id", id) != KC_OK ||
		    json_add_str(row, "channel", bar + 1) != KC_OK ||
		    json_add_obj(row, "s", json_object_get(st)) != KC_OK ||
		    json_object_array_add(rows, row) != 0) {
			json_object_put(row);
			rc = KC_ERR_NOMEM;
			break;
		}
	}
	if (rc == KC_OK && json_object_array_length(rows) > 0) {
		sync_conn_param(sc, sid, sizeof(sid));
		params[0] = sid;
		params[1] = sc->metric_id;
		params[2] = sync_plain(rows);
		rc = db_query(sc->db, sc->type->sql_report, 3, params, NULL);
	}
	json_object_put(rows);
	return rc;
}

static int
one_window(struct sync_ctx *sc, const char *start, const char *end,
    void *arg)
{
	struct json_object	*cur = arg;
	struct values_arg	 va = { NULL };
	char			*body;
	int			 rc;

	if ((body = sync_report_body(sc, start, end)) == NULL)
		return KC_ERR_NOMEM;
	if ((va.acc = json_object_new_object()) == NULL) {
		rc = KC_ERR_NOMEM;
		goto out;
	}
	if ((rc = sync_report_pages(sc, body, acc_values, &va)) != KC_OK ||
	    (rc = sync_begin_step(sc, cur)) != KC_OK)
		goto out;
	if ((rc = write_values(sc, va.acc)) != KC_OK)
		db_rollback(sc->db);
	else
		rc = sync_commit_step(sc);
out:
	json_object_put(va.acc);
	free(body);
	return rc;
}

int
sync_campaigns(struct sync_ctx *sc)
{
	/* Klaviyo lists campaigns one channel at a time: all three. */
	static const char *const channels[] = { "email", "sms",
	    "mobile_push" };
	struct json_object	*cur = sc->job->cursor;
	char			 phase[32], query[96], since[16], today[16];
	char			 start[16];
	const char		*at;
	size_t			 i, first;
	int			 rc, none, full;

	/* A resumed job starts at the channel its cursor names. */
	at = sync_cursor_phase(cur);
	for (first = 0, i = 0; at && i < nitems(channels); i++) {
		snprintf(phase, sizeof(phase), "list:%s", channels[i]);
		if (strcmp(at, phase) == 0)
			first = i;
	}
	for (i = first; i < nitems(channels); i++) {
		snprintf(phase, sizeof(phase), "list:%s", channels[i]);
		if (sync_phase_done(cur, phase))
			continue;
		snprintf(query, sizeof(query),
		    "filter=equals(messages.channel,%%27%s%%27)", channels[i]);
		if ((rc = sync_list_phase(sc, cur, phase, sc->type->list_ep,
		    query, row_campaign, channels[i])) != KC_OK)
			return rc;
	}
	if ((rc = sync_first_day(sc, since, today, sizeof(since))) != KC_OK)
		return rc;
	/* A full read starts at the first send, however long ago. */
	full = strcmp(sc->job->mode, "full") == 0 || strcmp(since, today) > 0;
	if ((rc = sync_report_start(sc, full ? "" : since, start,
	    sizeof(start), &none)) != KC_OK)
		return rc;
	if (none)
		return KC_OK;	/* nothing sent: no statistics to read */
	return sync_windows_phase(sc, cur, start, today, VALUES_WINDOW_DAYS,
	    one_window, cur);
}
