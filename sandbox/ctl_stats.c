/*
 * The control API's request counts: GET /__sandbox/stats (per account
 * and endpoint, or ?totals=1) and DELETE /__sandbox/stats.
 */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_impl.h"
#include "endpoints.h"
#include "fleet.h"
#include "json_util.h"
#include "jsonapi.h"
#include "log.h"
#include "rate.h"
#include "sandbox.h"

static void
stats_totals(struct sbx_app *app, struct sbx_resp *resp)
{
	struct sbx_ctl		*c = app->ctl;
	struct json_object	*o, *by, *e;
	const struct sbx_stat	*st;
	char			 name[128];
	size_t			 i, j;
	uint64_t		 req, thr, all = 0, allthr = 0, reports = 0;

	if ((o = json_object_new_object()) == NULL ||
	    (by = json_object_new_object()) == NULL) {
		json_object_put(o);
		sbx_ctl_reply(resp, 500, NULL);
		return;
	}
	for (j = 0; j < c->nep; j++) {
		for (i = 0, req = 0, thr = 0; i < c->nacc; i++) {
			st = &c->stats[i * c->nep + j];
			req += st->requests;
			thr += st->throttled;
		}
		all += req;
		allthr += thr;
		if (sbx_endpoints[j].handle == sbx_handle_report)
			reports += req - thr;
		if (req == 0)
			continue;
		snprintf(name, sizeof(name), "%s %s", sbx_endpoints[j].method,
		    sbx_endpoints[j].path);
		if ((e = json_object_new_object()) == NULL ||
		    json_object_object_add(by, name, e) != 0) {
			json_object_put(e);
			goto fail;
		}
		if (json_add_int(e, "requests", (long long)req) != KC_OK ||
		    json_add_int(e, "throttled", (long long)thr) != KC_OK)
			goto fail;
	}
	if (json_add_int(o, "requests", (long long)all) != KC_OK ||
	    json_add_int(o, "throttled", (long long)allthr) != KC_OK ||
	    json_add_int(o, "report_requests", (long long)reports) != KC_OK)
		goto fail;
	if (json_add_obj(o, "by_endpoint", by) != KC_OK) {
		by = NULL;
		goto fail;
	}
	sbx_ctl_reply(resp, 200, o);
	return;
fail:
	json_object_put(by);
	json_object_put(o);
	sbx_ctl_reply(resp, 500, NULL);
}

/* Requests of account i, all endpoints. */
static uint64_t
account_requests(const struct sbx_ctl *c, size_t i)
{
	uint64_t	n = 0;
	size_t		j;

	for (j = 0; j < c->nep; j++)
		n += c->stats[i * c->nep + j].requests;
	return n;
}

/* GET /__sandbox/stats[?key=pk_...]: requests per endpoint. */
void
sbx_ctl_stats_list(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_ctl		*c = app->ctl;
	struct json_object	*o = NULL, *arr, *acc, *eps, *e, *lim, *day;
	const struct sbx_account *a;
	const struct sbx_stat	*st;
	struct sbx_query	 q;
	const char		*key = NULL;
	char			 err[128];
	size_t			 i, j;
	uint64_t		 reset;
	int			 used;

	memset(&q, 0, sizeof(q));
	if (sbx_query_parse(req->query, &q, err, sizeof(err)) != KC_OK) {
		sbx_ctl_reply_str(resp, 400, "error", err);
		return;
	}
	if ((key = sbx_query_get(&q, "totals")) != NULL) {
		if (strcmp(key, "1") != 0 || q.n != 1)
			sbx_ctl_reply_str(resp, 400, "error", "totals=1 takes no other "
			    "parameter");
		else
			stats_totals(app, resp);
		goto out;
	}
	key = sbx_query_get(&q, "key");
	if (key != NULL && sbx_data_by_key(app->data, key, NULL) == NULL) {
		sbx_ctl_reply_str(resp, 404, "error", "no account has this key");
		goto out;
	}
	if ((o = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL ||
	    json_add_obj(o, "stats", arr) != KC_OK)
		goto fail;
	for (i = 0; i < c->nacc; i++) {
		a = &app->data->acc[i];
		if (key != NULL && strcmp(key, a->def->key) != 0)
			continue;
		/* The fleet's thousands: only those that were asked. */
		if (key == NULL && a->fleet && account_requests(c, i) == 0)
			continue;
		if ((acc = json_object_new_object()) == NULL ||
		    json_object_array_add(arr, acc) != 0) {
			json_object_put(acc);
			goto fail;
		}
		if (json_add_str(acc, "key", a->def->key) != KC_OK ||
		    json_add_str(acc, "account", a->id) != KC_OK ||
		    (eps = json_object_new_array()) == NULL ||
		    json_add_obj(acc, "endpoints", eps) != KC_OK)
			goto fail;
		for (j = 0; j < c->nep; j++) {
			st = &c->stats[i * c->nep + j];
			sbx_rate_window(app->rate, i, j, 2, sbx_now_us(), &used,
			    &reset);
			if (key == NULL && st->requests == 0)
				continue;
			if ((e = json_object_new_object()) == NULL ||
			    json_object_array_add(eps, e) != 0) {
				json_object_put(e);
				goto fail;
			}
			if (json_add_str(e, "method",
			    sbx_endpoints[j].method) != KC_OK ||
			    json_add_str(e, "path", sbx_endpoints[j].path) !=
			    KC_OK ||
			    json_add_int(e, "requests", st->requests) !=
			    KC_OK ||
			    json_add_int(e, "ok", st->ok) != KC_OK ||
			    json_add_int(e, "client_errors",
			    st->client_errors) != KC_OK ||
			    json_add_int(e, "throttled", st->throttled) !=
			    KC_OK ||
			    json_add_int(e, "server_errors",
			    st->server_errors) != KC_OK ||
			    json_add_int(e, "no_answer", st->no_answer) !=
			    KC_OK ||
			    json_add_int(e, "faulted", st->faulted) != KC_OK ||
			    (lim = json_object_new_object()) == NULL ||
			    json_add_obj(e, "limits", lim) != KC_OK ||
			    json_add_int(lim, "burst",
			    sbx_endpoints[j].limit.burst) != KC_OK ||
			    json_add_int(lim, "steady",
			    sbx_endpoints[j].limit.steady) != KC_OK ||
			    json_add_int(lim, "daily",
			    sbx_endpoints[j].limit.daily) != KC_OK)
				goto fail;
			if (sbx_endpoints[j].limit.daily == 0)
				continue;
			if ((day = json_object_new_object()) == NULL ||
			    json_add_obj(e, "daily", day) != KC_OK ||
			    json_add_int(day, "used", used) != KC_OK ||
			    json_add_int(day, "left",
			    sbx_endpoints[j].limit.daily - used) != KC_OK ||
			    json_add_int(day, "reset_ms",
			    (long long)((reset + 999) / 1000)) != KC_OK)
				goto fail;
		}
	}
	sbx_ctl_reply(resp, 200, o);
	o = NULL;
	goto out;
fail:
	sbx_ctl_reply(resp, 500, NULL);
out:
	json_object_put(o);
	sbx_query_free(&q);
}

void
sbx_ctl_stats_clear(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_ctl *c = app->ctl;

	(void)req;
	memset(c->stats, 0, c->nacc * c->nep * sizeof(*c->stats));
	sbx_ctl_reply(resp, 200, json_tokener_parse("{\"ok\":true}"));
}
