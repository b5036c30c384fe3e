/*
 * The webhook part of the control API (docs/SANDBOX.md, "Webhooks"):
 *
 *   POST   /__sandbox/accounts/{id}/events            new events, delivered
 *   GET    /__sandbox/accounts/{id}/webhooks          what is registered
 *   GET    /__sandbox/accounts/{id}/webhooks-access   {"webhooks_access"}
 *   POST   /__sandbox/accounts/{id}/webhooks-access   {"enabled": bool}
 *   GET    /__sandbox/webhooks/deliveries             ?webhook= &account=
 *   DELETE /__sandbox/webhooks/deliveries             forget them
 *   GET    /__sandbox/webhooks/deliveries/{n}
 *   POST   /__sandbox/webhooks/deliveries/{n}/resend  the same body again
 *   DELETE /__sandbox/webhooks                        every webhook, access
 *
 * {id} is an account id or key.  Plain JSON, like the rest of the
 * control API.
 */
#include "webhooks.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "json_util.h"
#include "jsonapi.h"
#include "query.h"

#define SEG_MAX	6

static void
err(struct sbx_resp *resp, int status, const char *msg)
{
	sbx_ctl_reply_str(resp, status, "error", msg);
}

int
sbx_ctl_webhooks_path(const char *p)
{
	return (strncmp(p, "/__sandbox/accounts/", 20) == 0 && p[20] != '\0') ||
	    strcmp(p, "/__sandbox/webhooks") == 0 ||
	    strncmp(p, "/__sandbox/webhooks/", 20) == 0;
}

/* The account of an id or key, loaded; NULL when none. */
static const struct sbx_account *
account_of(struct sbx_app *app, const char *s, size_t *idx)
{
	struct sbx_data	*d = app->data;
	size_t		 i;

	for (i = 0; i < d->nacc; i++)
		if (strcmp(d->acc[i].id, s) == 0 ||
		    strcmp(d->acc[i].def->key, s) == 0) {
			if (sbx_data_load(d, i) != KC_OK)
				return NULL;
			*idx = i;
			return &d->acc[i];
		}
	return NULL;
}

static struct json_object *
access_json(struct sbx_app *app, const struct sbx_account *acc, size_t idx)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(o, "account", acc->id) != KC_OK ||
	    json_add_bool(o, "webhooks_access", sbx_hooks_access(app->hooks,
	    idx)) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void
access_set(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp, const struct sbx_account *acc, size_t idx)
{
	struct json_object	*body = NULL, *v;
	char			 e[256];

	if (json_parse_object(req->body, req->body_len, &body, e,
	    sizeof(e)) != KC_OK) {
		err(resp, 400, e);
		return;
	}
	if (!json_object_object_get_ex(body, "enabled", &v) ||
	    !json_object_is_type(v, json_type_boolean) ||
	    json_object_object_length(body) != 1) {
		json_object_put(body);
		err(resp, 400, "send {\"enabled\": true} or {\"enabled\": "
		    "false}");
		return;
	}
	sbx_hooks_set_access(app->hooks, idx, json_object_get_boolean(v));
	json_object_put(body);
	sbx_ctl_reply(resp, 200, access_json(app, acc, idx));
}

/* Every webhook of the account, with its full URL and topics. */
static void
hooks_list(struct sbx_app *app, struct sbx_resp *resp,
    const struct sbx_account *acc, size_t idx)
{
	struct sbx_hooks	*h = app->hooks;
	struct json_object	*o, *arr, *w, *t;
	size_t			 i, j;

	if ((o = access_json(app, acc, idx)) == NULL ||
	    (arr = json_object_new_array()) == NULL ||
	    json_add_obj(o, "webhooks", arr) != KC_OK)
		goto fail;
	for (i = 0; i < h->nhooks; i++) {
		const struct sbx_webhook *x = &h->hooks[i];

		if (x->acc != idx)
			continue;
		if ((w = json_object_new_object()) == NULL ||
		    json_object_array_add(arr, w) != 0) {
			json_object_put(w);
			goto fail;
		}
		if (json_add_str(w, "id", x->id) != KC_OK ||
		    json_add_str(w, "name", x->name) != KC_OK ||
		    json_add_str(w, "description", x->description) != KC_OK ||
		    json_add_str(w, "endpoint_url", x->url) != KC_OK ||
		    json_add_bool(w, "enabled", x->enabled) != KC_OK ||
		    sbx_add_time(w, "created_at", x->created) != KC_OK ||
		    sbx_add_time(w, "updated_at", x->updated) != KC_OK ||
		    (t = json_object_new_array()) == NULL ||
		    json_add_obj(w, "topics", t) != KC_OK)
			goto fail;
		for (j = 0; j < x->ntopics; j++)
			if (json_object_array_add(t, json_object_new_string(
			    x->topics[j])) != 0)
				goto fail;
	}
	sbx_ctl_reply(resp, 200, o);
	return;
fail:
	json_object_put(o);
	sbx_ctl_reply(resp, 500, NULL);
}

/* One event asked for, checked; what it becomes. */
struct ev_spec {
	struct json_object	*metric;	/* the resource (borrowed) */
	char			 metric_id[8];
	char			 topic[256];	/* "": none */
	int64_t			 t;
	uint32_t		 profile;
	struct json_object	*props;		/* owned until added */
};

/* The members an event may have and their JSON types. */
static const struct {
	const char	*name;
	json_type	 type;
} ev_members[] = {
	{ "metric", json_type_string }, { "value", json_type_double },
	{ "currency", json_type_string }, { "order_id", json_type_string },
	{ "time", json_type_string }, { "properties", json_type_object },
	{ "profile", json_type_int },
};

/* Unknown members and wrong types; "metric" is required. */
static int
ev_check(struct json_object *o, char *e, size_t elen)
{
	size_t	i, n = sizeof(ev_members) / sizeof(ev_members[0]);
	int	ok;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(e, elen, "not an object");
		return 0;
	}
	json_object_object_foreach(o, k, v) {
		for (i = 0; i < n; i++)
			if (strcmp(ev_members[i].name, k) == 0)
				break;
		if (i == n) {
			snprintf(e, elen, "unknown member '%.64s' (metric, "
			    "value, currency, order_id, time, properties, "
			    "profile)", k);
			return 0;
		}
		ok = json_object_is_type(v, ev_members[i].type) ||
		    (ev_members[i].type == json_type_double &&
		    json_object_is_type(v, json_type_int));
		if (!ok) {
			snprintf(e, elen, "'%s' has the wrong type", k);
			return 0;
		}
	}
	if (json_get_str(o, "metric") == NULL) {
		snprintf(e, elen, "'metric' (an id or a name) is required");
		return 0;
	}
	return 1;
}

/* Checks one event object and builds its properties. */
static int
ev_parse(struct sbx_app *app, const struct sbx_account *acc,
    struct json_object *o, size_t i, struct ev_spec *sp, char *e, size_t elen)
{
	struct json_object	*v;
	const char		*s, *order;
	char			 ferr[200];
	double			 value = 0;
	int64_t			 pr, np;

	(void)app;
	memset(sp, 0, sizeof(*sp));
	if (!ev_check(o, ferr, sizeof(ferr))) {
		snprintf(e, elen, "events[%zu]: %s", i, ferr);
		return KC_ERR_BAD_INPUT;
	}
	s = json_get_str(o, "metric");
	if ((sp->metric = sbx_metric_lookup(acc, s)) == NULL) {
		snprintf(e, elen, "events[%zu]: the account has no metric "
		    "with id or name '%.64s'", i, s);
		return KC_ERR_BAD_INPUT;
	}
	snprintf(sp->metric_id, sizeof(sp->metric_id), "%s",
	    json_get_str(sp->metric, "id"));
	if (!sbx_topic_of(sp->metric, sp->topic, sizeof(sp->topic)))
		sp->topic[0] = '\0';
	sp->t = (int64_t)time(NULL);
	if ((s = json_get_str(o, "time")) != NULL &&
	    sbx_parse_datetime(s, &sp->t) != KC_OK) {
		snprintf(e, elen, "events[%zu]: time must be an ISO 8601 "
		    "date-time with an offset", i);
		return KC_ERR_BAD_INPUT;
	}
	if (json_object_object_get_ex(o, "value", &v)) {
		value = json_object_get_double(v);
		if (!isfinite(value) || fabs(value) > 1e9) {
			snprintf(e, elen, "events[%zu]: value out of range", i);
			return KC_ERR_BAD_INPUT;
		}
	}
	order = json_get_str(o, "order_id");
	np = (int64_t)(acc->store && acc->store->nprofiles ?
	    acc->store->nprofiles : 1);
	pr = (int64_t)(sbx_hash(order ? order : "") % (uint64_t)np);
	if (json_object_object_get_ex(o, "profile", &v)) {
		pr = json_object_get_int64(v);
		if (pr < 0 || pr >= np) {
			snprintf(e, elen, "events[%zu]: profile must be 0 to "
			    "%lld", i, (long long)np - 1);
			return KC_ERR_BAD_INPUT;
		}
	}
	sp->profile = (uint32_t)pr;
	if ((sp->props = json_object_new_object()) == NULL)
		return KC_ERR_NOMEM;
	if ((order != NULL && (json_add_str(sp->props, "$event_id", order) !=
	    KC_OK || json_add_str(sp->props, "OrderId", order) != KC_OK)) ||
	    sbx_add_new(sp->props, "$value", sbx_money((int64_t)llround(
	    value * 100))) != KC_OK ||
	    json_add_str(sp->props, "$currency_code", (s = json_get_str(o,
	    "currency")) ? s : acc->def->currency) != KC_OK)
		return KC_ERR_NOMEM;
	if (json_object_object_get_ex(o, "properties", &v)) {
		json_object_object_foreach(v, k, pv) {
			if (json_object_object_get_ex(sp->props, k, NULL))
				continue;
			if (json_object_object_add(sp->props, k,
			    json_object_get(pv)) != 0)
				return KC_ERR_NOMEM;
		}
	}
	return KC_OK;
}

/* Deliveries a batch needs: per enabled webhook, its events by 100. */
static size_t
deliveries_needed(struct sbx_hooks *h, size_t idx, const struct ev_spec *sp,
    size_t n)
{
	size_t i, j, k, m, total = 0;

	for (i = 0; i < h->nhooks; i++) {
		if (h->hooks[i].acc != idx || !h->hooks[i].enabled)
			continue;
		for (j = 0, m = 0; j < n; j++)
			for (k = 0; k < h->hooks[i].ntopics; k++)
				if (strcmp(h->hooks[i].topics[k],
				    sp[j].topic) == 0) {
					m++;
					break;
				}
		total += (m + SBX_WH_BATCH_MAX - 1) / SBX_WH_BATCH_MAX;
	}
	return total;
}

static int
subscribed(const struct sbx_webhook *w, const char *topic)
{
	size_t k;

	for (k = 0; k < w->ntopics; k++)
		if (strcmp(w->topics[k], topic) == 0)
			return 1;
	return 0;
}

/*
 * Queues one request to w of the events from *next on that it is
 * subscribed to, at most SBX_WH_BATCH_MAX; *next moves past them.
 */
static int
queue_batch(struct sbx_app *app, const struct sbx_account *acc,
    const struct sbx_webhook *w, const struct ev_spec *sp,
    struct json_object *const *payload, struct json_object *created,
    size_t n, size_t *next, struct json_object *out)
{
	struct json_object	*doc, *data, *item, *meta, *ids = NULL, *d;
	const char		*s, *eid;
	char			 ts[40];
	size_t			 j, m = 0;
	uint64_t		 did;
	int			 rc = KC_ERR_NOMEM;

	if ((doc = json_object_new_object()) == NULL ||
	    (data = json_object_new_array()) == NULL ||
	    json_add_obj(doc, "data", data) != KC_OK ||
	    (ids = json_object_new_array()) == NULL)
		goto out;
	for (j = *next; j < n && m < SBX_WH_BATCH_MAX; j++) {
		if (!subscribed(w, sp[j].topic))
			continue;
		eid = json_get_str(json_object_array_get_idx(created, j),
		    "id");
		if ((item = json_object_new_object()) == NULL ||
		    json_object_array_add(data, item) != 0) {
			json_object_put(item);
			goto out;
		}
		if (json_add_str(item, "topic", sp[j].topic) != KC_OK ||
		    json_add_str(item, "external_id", eid) != KC_OK ||
		    json_add_obj(item, "payload", json_object_get(
		    payload[j])) != KC_OK ||
		    json_object_array_add(ids, json_object_new_string(eid)) !=
		    0)
			goto out;
		m++;
	}
	*next = j;
	if (m == 0) {
		rc = KC_OK;
		goto out;
	}
	sbx_fmt_time((int64_t)time(NULL), ts, sizeof(ts));
	if ((meta = json_object_new_object()) == NULL ||
	    json_add_obj(doc, "meta", meta) != KC_OK ||
	    json_add_str(meta, "klaviyo_account_id", acc->id) != KC_OK ||
	    json_add_str(meta, "klaviyo_webhook_id", w->id) != KC_OK ||
	    json_add_str(meta, "timestamp", ts) != KC_OK)
		goto out;
	if ((s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) == NULL)
		goto out;
	rc = sbx_whq_add(app->hooks->queue, w, acc->id, s, ids, &did);
	ids = NULL;
	if (rc != KC_OK)
		goto out;
	rc = KC_ERR_NOMEM;
	if ((d = json_object_new_object()) == NULL ||
	    json_object_array_add(out, d) != 0) {
		json_object_put(d);
		goto out;
	}
	if (json_add_int(d, "id", (long long)did) != KC_OK ||
	    json_add_str(d, "webhook", w->id) != KC_OK ||
	    json_add_int(d, "event_count", (long long)m) != KC_OK)
		goto out;
	rc = KC_OK;
out:
	json_object_put(ids);
	json_object_put(doc);
	return rc;
}

/* The events of a body: {"events": [...]} or one event object. */
static int
events_of(struct json_object *body, struct json_object **arr, char *e,
    size_t elen)
{
	struct json_object *v;

	if (!json_object_object_get_ex(body, "events", &v)) {
		*arr = NULL;
		return KC_OK;
	}
	if (!json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) == 0 ||
	    json_object_array_length(v) > SBX_WH_EVENTS_MAX ||
	    json_object_object_length(body) != 1) {
		snprintf(e, elen, "events must be an array of 1 to %d event "
		    "objects, alone in the body", SBX_WH_EVENTS_MAX);
		return KC_ERR_BAD_INPUT;
	}
	*arr = v;
	return KC_OK;
}

static void
events_create(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp, const struct sbx_account *acc, size_t idx)
{
	struct sbx_hooks	 *h = app->hooks;
	struct sbx_ctx		  ctx;
	struct ev_spec		 *sp = NULL;
	struct json_object	 *body = NULL, *arr, *out = NULL, *created;
	struct json_object	 *dl, *e1, **payload = NULL;
	const struct sbx_xevent	 *x;
	char			  e[300], t[40];
	size_t			  n, i, next;
	int			  rc;

	if (json_parse_object(req->body, req->body_len, &body, e,
	    sizeof(e)) != KC_OK || events_of(body, &arr, e, sizeof(e)) !=
	    KC_OK) {
		err(resp, 400, e);
		goto done;
	}
	n = arr ? json_object_array_length(arr) : 1;
	if ((sp = calloc(n, sizeof(*sp))) == NULL ||
	    (payload = calloc(n, sizeof(*payload))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if ((rc = ev_parse(app, acc, arr ? json_object_array_get_idx(
		    arr, i) : body, i, &sp[i], e, sizeof(e))) != KC_OK) {
			if (rc != KC_ERR_BAD_INPUT)
				goto nomem;
			err(resp, 400, arr ? e : e + strcspn(e, " ") + 1);
			goto done;
		}
	if (deliveries_needed(h, idx, sp, n) + sbx_whq_pending(h->queue) >
	    SBX_WH_QUEUE_MAX) {
		err(resp, 503, "the webhook delivery queue is full; wait for "
		    "GET /__sandbox/webhooks/deliveries to drain");
		goto done;
	}
	if (h->xev_total + n > SBX_XEV_MAX) {
		err(resp, 409, "too many created events; restart the sandbox");
		goto done;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.app = app;
	ctx.req = req;
	ctx.acc = acc;
	ctx.acc_idx = idx;
	sbx_base_url(req, ctx.base, sizeof(ctx.base));
	if ((out = json_object_new_object()) == NULL ||
	    json_add_str(out, "account", acc->id) != KC_OK ||
	    (created = json_object_new_array()) == NULL ||
	    json_add_obj(out, "events", created) != KC_OK ||
	    (dl = json_object_new_array()) == NULL ||
	    json_add_obj(out, "deliveries", dl) != KC_OK)
		goto nomem;
	for (i = 0; i < n; i++) {
		rc = sbx_hooks_add_event(h, idx, sp[i].metric_id, sp[i].t,
		    sp[i].profile, sp[i].props, &x);
		sp[i].props = NULL;
		if (rc != KC_OK)
			goto nomem;
		/* Rendered now: x moves when the next event is added. */
		sbx_fmt_time(x->t, t, sizeof(t));
		if ((payload[i] = sbx_xevent_json(&ctx, x)) == NULL ||
		    (e1 = json_object_new_object()) == NULL ||
		    json_object_array_add(created, e1) != 0 ||
		    json_add_str(e1, "id", x->id) != KC_OK ||
		    json_add_str(e1, "uuid", x->uuid) != KC_OK ||
		    json_add_str(e1, "metric_id", x->metric) != KC_OK ||
		    json_add_str(e1, "topic", sp[i].topic[0] ? sp[i].topic :
		    NULL) != KC_OK ||
		    json_add_str(e1, "datetime", t) != KC_OK ||
		    json_add_int(e1, "timestamp", x->t) != KC_OK)
			goto nomem;
	}
	for (i = 0; i < h->nhooks; i++) {
		if (h->hooks[i].acc != idx || !h->hooks[i].enabled)
			continue;
		for (next = 0; next < n; )
			if ((rc = queue_batch(app, acc, &h->hooks[i], sp,
			    payload, created, n, &next, dl)) != KC_OK) {
				if (rc == KC_ERR_CONFLICT) {
					err(resp, 503, "the webhook delivery "
					    "queue is full");
					goto done;
				}
				goto nomem;
			}
	}
	sbx_ctl_reply(resp, 201, out);
	out = NULL;
	goto done;
nomem:
	sbx_ctl_reply(resp, 500, NULL);
done:
	for (i = 0; sp != NULL && i < n; i++)
		json_object_put(sp[i].props);
	for (i = 0; payload != NULL && i < n; i++)
		json_object_put(payload[i]);
	free(sp);
	free(payload);
	json_object_put(out);
	json_object_put(body);
}

/* /__sandbox/accounts/{id}/{what} */
static void
account_routes(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp, char **seg, size_t nseg)
{
	const struct sbx_account	*acc;
	size_t				 idx = 0;
	const char			*m = req->method;

	if (nseg != 3) {
		err(resp, 404, "unknown control endpoint");
		return;
	}
	if (strcmp(seg[2], "events") != 0 && strcmp(seg[2], "webhooks") !=
	    0 && strcmp(seg[2], "webhooks-access") != 0) {
		err(resp, 404, "unknown control endpoint");
		return;
	}
	if ((acc = account_of(app, seg[1], &idx)) == NULL) {
		err(resp, 404, "no account has this id or key");
		return;
	}
	if (strcmp(seg[2], "events") == 0 && strcmp(m, "POST") == 0)
		events_create(app, req, resp, acc, idx);
	else if (strcmp(seg[2], "webhooks") == 0 && strcmp(m, "GET") == 0)
		hooks_list(app, resp, acc, idx);
	else if (strcmp(seg[2], "webhooks-access") == 0 &&
	    strcmp(m, "GET") == 0)
		sbx_ctl_reply(resp, 200, access_json(app, acc, idx));
	else if (strcmp(seg[2], "webhooks-access") == 0 &&
	    strcmp(m, "POST") == 0)
		access_set(app, req, resp, acc, idx);
	else
		err(resp, 405, "method not allowed");
}

static int
parse_id(const char *s, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-')
		return 0;
	*out = v;
	return 1;
}

static void
deliveries_list(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_query	 q;
	struct json_object	*o, *arr;
	char			 e[256];
	size_t			 i;

	if (sbx_query_parse(req->query, &q, e, sizeof(e)) != KC_OK) {
		err(resp, 400, e);
		return;
	}
	for (i = 0; i < q.n; i++)
		if (strcmp(q.p[i].name, "webhook") != 0 &&
		    strcmp(q.p[i].name, "account") != 0) {
			sbx_query_free(&q);
			err(resp, 400, "parameters: webhook, account");
			return;
		}
	arr = sbx_whq_list(app->hooks->queue, sbx_query_get(&q, "webhook"),
	    sbx_query_get(&q, "account"));
	sbx_query_free(&q);
	if (arr == NULL || (o = json_object_new_object()) == NULL) {
		json_object_put(arr);
		sbx_ctl_reply(resp, 500, NULL);
		return;
	}
	if (json_add_obj(o, "deliveries", arr) != KC_OK ||
	    json_add_int(o, "pending", (long long)sbx_whq_pending(
	    app->hooks->queue)) != KC_OK) {
		json_object_put(o);
		o = NULL;
	}
	sbx_ctl_reply(resp, 200, o);
}

/* /__sandbox/webhooks[/deliveries[/{n}[/resend]]] */
static void
webhook_routes(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp, char **seg, size_t nseg)
{
	struct json_object	*o;
	const char		*m = req->method;
	uint64_t		 id;
	size_t			 nh, nd;
	int			 rc;

	if (nseg == 1) {
		if (strcmp(m, "DELETE") != 0) {
			err(resp, 405, "method not allowed");
			return;
		}
		nh = sbx_hooks_clear(app->hooks);
		nd = sbx_whq_clear(app->hooks->queue);
		if ((o = json_object_new_object()) != NULL &&
		    (json_add_int(o, "webhooks", (long long)nh) != KC_OK ||
		    json_add_int(o, "deliveries", (long long)nd) != KC_OK)) {
			json_object_put(o);
			o = NULL;
		}
		sbx_ctl_reply(resp, 200, o);
		return;
	}
	if (strcmp(seg[1], "deliveries") != 0 || nseg > 4 || (nseg == 4 &&
	    strcmp(seg[3], "resend") != 0)) {
		err(resp, 404, "unknown control endpoint");
		return;
	}
	if (nseg == 2) {
		if (strcmp(m, "GET") == 0)
			deliveries_list(app, req, resp);
		else if (strcmp(m, "DELETE") == 0)
			sbx_ctl_reply_int(resp, "cleared", (long long)
			    sbx_whq_clear(app->hooks->queue));
		else
			err(resp, 405, "method not allowed");
		return;
	}
	if (!parse_id(seg[2], &id)) {
		err(resp, 404, "no such delivery");
		return;
	}
	if (nseg == 3) {
		if (strcmp(m, "GET") != 0) {
			err(resp, 405, "method not allowed");
			return;
		}
		if ((o = sbx_whq_get(app->hooks->queue, id)) == NULL)
			err(resp, 404, "no such delivery");
		else
			sbx_ctl_reply(resp, 200, o);
		return;
	}
	if (strcmp(m, "POST") != 0) {
		err(resp, 405, "method not allowed");
		return;
	}
	if ((rc = sbx_whq_resend(app->hooks->queue, id)) == 1)
		err(resp, 404, "no such delivery");
	else if (rc == 2)
		err(resp, 409, "the delivery is not finished yet");
	else
		sbx_ctl_reply(resp, 202, sbx_whq_get(app->hooks->queue, id));
}

void
sbx_ctl_webhooks(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	char	 path[512], *seg[SEG_MAX], *p, *save = NULL;
	size_t	 n = 0;

	snprintf(path, sizeof(path), "%s", req->path + strlen("/__sandbox/"));
	for (p = strtok_r(path, "/", &save); p != NULL && n < SEG_MAX;
	    p = strtok_r(NULL, "/", &save))
		seg[n++] = p;
	if (n == 0 || p != NULL) {
		err(resp, 404, "unknown control endpoint");
		return;
	}
	if (strcmp(seg[0], "accounts") == 0)
		account_routes(app, req, resp, seg, n);
	else
		webhook_routes(app, req, resp, seg, n);
}
