/*
 * Control API of klaviyo-sandbox; see ctl.h and docs/SANDBOX.md.
 * Bodies are plain application/json, never JSON:API: this is the test
 * harness talking, not Klaviyo.  Besides faults and the request log it
 * counts requests per account and endpoint (GET /__sandbox/stats, with
 * what is left of the daily report quota) and describes each account's
 * generated store (GET /__sandbox/accounts: its "today" and totals).
 */
#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleet.h"
#include "json_util.h"
#include "jsonapi.h"
#include "log.h"
#include "sandbox.h"
#include "ctl_impl.h"
#include "rate.h"


static const char *const fault_names[] = {
	[SBX_F_NONE] = "none", [SBX_F_LATENCY] = "latency",
	[SBX_F_STATUS] = "status", [SBX_F_HANG] = "hang",
	[SBX_F_RESET] = "reset", [SBX_F_MALFORMED] = "malformed",
	[SBX_F_CONTENT_TYPE] = "content_type", [SBX_F_HTML] = "html",
};

const char *
sbx_fault_name(enum sbx_fault_type t)
{
	if ((size_t)t >= sizeof(fault_names) / sizeof(fault_names[0]))
		return "none";
	return fault_names[t];
}

static enum sbx_fault_type
fault_type(const char *s)
{
	size_t i;

	for (i = 1; i < sizeof(fault_names) / sizeof(fault_names[0]); i++)
		if (strcmp(fault_names[i], s) == 0)
			return (enum sbx_fault_type)i;
	return SBX_F_NONE;
}

int
sbx_ctl_new(struct sbx_ctl **out)
{
	struct sbx_ctl *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return KC_ERR_NOMEM;
	if ((c->log = calloc(SBX_LOG_MAX, sizeof(*c->log))) == NULL) {
		free(c);
		return KC_ERR_NOMEM;
	}
	c->next_id = 1;
	*out = c;
	return KC_OK;
}

void
sbx_ctl_free(struct sbx_ctl *c)
{
	if (c == NULL)
		return;
	free(c->stats);
	free(c->log);
	free(c);
}

int
sbx_ctl_stats_init(struct sbx_ctl *c, size_t nacc, size_t nep)
{
	if ((c->stats = calloc(nacc * nep, sizeof(*c->stats))) == NULL)
		return KC_ERR_NOMEM;
	c->nacc = nacc;
	c->nep = nep;
	return KC_OK;
}

void
sbx_ctl_count(struct sbx_ctl *c, size_t acc, size_t ep, int status,
    int faulted)
{
	struct sbx_stat *st;

	if (c->stats == NULL || acc >= c->nacc || ep >= c->nep)
		return;
	st = &c->stats[acc * c->nep + ep];
	st->requests++;
	st->faulted += faulted != 0;
	if (status == 0)
		st->no_answer++;
	else if (status == 429)
		st->throttled++;
	else if (status >= 500)
		st->server_errors++;
	else if (status >= 400)
		st->client_errors++;
	else
		st->ok++;
}

void
sbx_ctl_stat(const struct sbx_ctl *c, size_t acc, size_t ep,
    uint32_t *requests, uint32_t *throttled)
{
	const struct sbx_stat *st;

	*requests = *throttled = 0;
	if (c->stats == NULL || acc >= c->nacc || ep >= c->nep)
		return;
	st = &c->stats[acc * c->nep + ep];
	*requests = st->requests;
	*throttled = st->throttled;
}

static int
path_matches(const char *pattern, const char *path)
{
	size_t n = strlen(pattern);

	if (n == 0)
		return 1;
	if (pattern[n - 1] == '*')
		return strncmp(pattern, path, n - 1) == 0;
	if (n > 1 && pattern[n - 1] == '/')
		n--;
	return strncmp(pattern, path, n) == 0 && path[n] == '\0';
}

void
sbx_ctl_faults(struct sbx_ctl *c, const char *key, const char *method,
    const char *path, struct sbx_fault *lat, struct sbx_fault *other)
{
	struct sbx_fault	*f;
	size_t			 i, j;

	lat->type = SBX_F_NONE;
	other->type = SBX_F_NONE;
	/* The newest matching rule wins, so a test can override. */
	for (i = c->nfaults; i-- > 0;) {
		f = &c->faults[i];
		if (f->key[0] != '\0' && strcmp(f->key, key ? key : "") != 0)
			continue;
		if (!path_matches(f->path, path))
			continue;
		if (f->method[0] != '\0' && strcmp(f->method, method) != 0)
			continue;
		if (f->type == SBX_F_LATENCY) {
			if (lat->type != SBX_F_NONE)
				continue;
			*lat = *f;
		} else {
			if (other->type != SBX_F_NONE)
				continue;
			*other = *f;
		}
		f->hits++;
		if (f->count > 0 && --f->count == 0) {
			for (j = i; j + 1 < c->nfaults; j++)
				c->faults[j] = c->faults[j + 1];
			c->nfaults--;
		}
	}
}

static int
parse_long(const char *s, long min, long max, long *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return KC_ERR_BAD_INPUT;
	*out = (long)v;
	return KC_OK;
}

static void
fault_defaults(struct sbx_fault *f)
{
	if (f->type == SBX_F_STATUS && f->status == 0)
		f->status = 503;
	if (f->type == SBX_F_HANG && f->ms == 0)
		f->ms = 300000;
	if (f->type == SBX_F_LATENCY && f->ms == 0)
		f->ms = 1000;
}

int
sbx_fault_parse_header(const char *h, struct sbx_fault *f)
{
	char	 copy[256], *p, *semi, *eq;
	long	 v;

	memset(f, 0, sizeof(*f));
	f->count = 1;
	if (snprintf(copy, sizeof(copy), "%s", h) >= (int)sizeof(copy))
		return KC_ERR_BAD_INPUT;
	p = copy;
	if ((semi = strchr(p, ';')) != NULL)
		*semi++ = '\0';
	if ((f->type = fault_type(p)) == SBX_F_NONE)
		return KC_ERR_BAD_INPUT;
	for (p = semi; p != NULL; p = semi) {
		if ((semi = strchr(p, ';')) != NULL)
			*semi++ = '\0';
		while (*p == ' ')
			p++;
		if ((eq = strchr(p, '=')) == NULL)
			return KC_ERR_BAD_INPUT;
		*eq++ = '\0';
		if (strcmp(p, "ms") == 0 &&
		    parse_long(eq, 0, 3600000, &v) == KC_OK)
			f->ms = v;
		else if (strcmp(p, "status") == 0 &&
		    parse_long(eq, 100, 599, &v) == KC_OK)
			f->status = (int)v;
		else
			return KC_ERR_BAD_INPUT;
	}
	fault_defaults(f);
	return KC_OK;
}

struct sbx_log_entry *
sbx_ctl_log_new(struct sbx_ctl *c)
{
	struct sbx_log_entry *e = &c->log[c->logseq % SBX_LOG_MAX];

	memset(e, 0, sizeof(*e));
	e->seq = ++c->logseq;
	if (c->logseq - c->logfirst > SBX_LOG_MAX)
		c->logfirst = c->logseq - SBX_LOG_MAX;
	return e;
}

/* Control replies. */

void
sbx_ctl_reply(struct sbx_resp *resp, int status, struct json_object *o)
{
	const char *s = NULL;

	if (o != NULL)
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL) {
		status = 500;
		s = "{\"error\":\"out of memory\"}";
	}
	if (sbx_resp_set_body(resp, status, "application/json", s,
	    strlen(s)) != KC_OK)
		resp->action = SBX_ACT_RESET;
	json_object_put(o);
}

void
sbx_ctl_reply_str(struct sbx_resp *resp, int status, const char *key,
    const char *msg)
{
	struct json_object *o = json_object_new_object();

	if (o != NULL && json_add_str(o, key, msg) != KC_OK) {
		json_object_put(o);
		o = NULL;
	}
	sbx_ctl_reply(resp, status, o);
}

void
sbx_ctl_reply_int(struct sbx_resp *resp, const char *key, long long n)
{
	struct json_object *o = json_object_new_object();

	if (o != NULL && json_add_int(o, key, n) != KC_OK) {
		json_object_put(o);
		o = NULL;
	}
	sbx_ctl_reply(resp, 200, o);
}

static void
ctl_error(struct sbx_resp *resp, int status, const char *msg)
{
	sbx_ctl_reply_str(resp, status, "error", msg);
}

static void
ctl_ok(struct sbx_resp *resp)
{
	sbx_ctl_reply(resp, 200, json_tokener_parse("{\"ok\":true}"));
}

static struct json_object *
fault_json(const struct sbx_fault *f)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_int(o, "id", f->id) != KC_OK ||
	    json_add_str(o, "key", f->key[0] ? f->key : NULL) != KC_OK ||
	    json_add_str(o, "method", f->method[0] ? f->method : NULL) !=
	    KC_OK ||
	    json_add_str(o, "path", f->path[0] ? f->path : NULL) != KC_OK ||
	    json_add_str(o, "fault", sbx_fault_name(f->type)) != KC_OK ||
	    json_add_int(o, "ms", f->ms) != KC_OK ||
	    json_add_int(o, "status", f->status) != KC_OK ||
	    json_add_int(o, "count", f->count) != KC_OK ||
	    json_add_int(o, "hits", f->hits) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void
faults_list(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_ctl		*c = app->ctl;
	struct json_object	*o = NULL, *arr = NULL, *f;
	size_t			 i;

	(void)req;
	if ((o = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL)
		goto fail;
	for (i = 0; i < c->nfaults; i++) {
		if ((f = fault_json(&c->faults[i])) == NULL ||
		    json_object_array_add(arr, f) != 0) {
			json_object_put(f);
			goto fail;
		}
	}
	if (json_add_obj(o, "faults", arr) != KC_OK) {
		arr = NULL;
		goto fail;
	}
	sbx_ctl_reply(resp, 200, o);
	return;
fail:
	json_object_put(arr);
	json_object_put(o);
	sbx_ctl_reply(resp, 500, NULL);
}

static void
faults_add(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_ctl		*c = app->ctl;
	static const struct jfield fields[] = {
		{ "fault", JF_STRING, 1, 32 },
		{ "key", JF_STRING, 0, 127 },
		{ "method", JF_STRING, 0, 7 },
		{ "path", JF_STRING, 0, 255 },
		{ "ms", JF_INT, 0, 0 },
		{ "status", JF_INT, 0, 0 },
		{ "count", JF_INT, 0, 0 },
	};
	struct json_object	*body = NULL, *v, *o;
	struct sbx_fault	 f;
	char			 err[256];
	const char		*s;
	long long		 n;

	memset(&f, 0, sizeof(f));
	if (json_parse_object(req->body, req->body_len, &body, err,
	    sizeof(err)) != KC_OK ||
	    json_check_fields(body, fields, sizeof(fields) /
	    sizeof(fields[0]), err, sizeof(err)) != KC_OK) {
		ctl_error(resp, 400, err);
		goto out;
	}
	if ((f.type = fault_type(json_get_str(body, "fault"))) ==
	    SBX_F_NONE) {
		ctl_error(resp, 400, "fault must be one of latency, status, "
		    "hang, reset, malformed, content_type, html");
		goto out;
	}
	if ((s = json_get_str(body, "key")) != NULL)
		snprintf(f.key, sizeof(f.key), "%s", s);
	if ((s = json_get_str(body, "path")) != NULL)
		snprintf(f.path, sizeof(f.path), "%s", s);
	if ((s = json_get_str(body, "method")) != NULL)
		snprintf(f.method, sizeof(f.method), "%s", s);
	f.count = -1;
	if (json_object_object_get_ex(body, "ms", &v)) {
		n = json_object_get_int64(v);
		if (n < 0 || n > 3600000) {
			ctl_error(resp, 400, "ms must be 0 to 3600000");
			goto out;
		}
		f.ms = (long)n;
	}
	if (json_object_object_get_ex(body, "status", &v)) {
		n = json_object_get_int64(v);
		if (n < 100 || n > 599) {
			ctl_error(resp, 400, "status must be 100 to 599");
			goto out;
		}
		f.status = (int)n;
	}
	if (json_object_object_get_ex(body, "count", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		n = json_object_get_int64(v);
		if (n < 1 || n > 1000000) {
			ctl_error(resp, 400, "count must be 1 to 1000000 "
			    "(leave it out for forever)");
			goto out;
		}
		f.count = (long)n;
	}
	if (c->nfaults == SBX_FAULTS_MAX) {
		ctl_error(resp, 409, "too many faults; DELETE "
		    "/__sandbox/faults first");
		goto out;
	}
	fault_defaults(&f);
	f.id = c->next_id++;
	c->faults[c->nfaults++] = f;
	log_info("fault %d: %s key=%.8s path=%s ms=%ld status=%d count=%ld",
	    f.id, sbx_fault_name(f.type), f.key[0] ? f.key : "*",
	    f.path[0] ? f.path : "*", f.ms, f.status, f.count);
	o = fault_json(&f);
	sbx_ctl_reply(resp, 201, o);
out:
	json_object_put(body);
}

static struct json_object *
log_json(const struct sbx_log_entry *e)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_int(o, "seq", (long long)e->seq) != KC_OK ||
	    json_add_str(o, "time", e->time) != KC_OK ||
	    json_add_str(o, "method", e->method) != KC_OK ||
	    json_add_str(o, "path", e->path) != KC_OK ||
	    json_add_str(o, "query", e->query) != KC_OK ||
	    json_add_str(o, "auth", e->auth[0] ? e->auth : NULL) != KC_OK ||
	    json_add_str(o, "key", e->key[0] ? e->key : NULL) != KC_OK ||
	    json_add_str(o, "revision", e->revision[0] ? e->revision :
	    NULL) != KC_OK ||
	    json_add_str(o, "accept", e->accept[0] ? e->accept : NULL) !=
	    KC_OK ||
	    json_add_str(o, "content_type", e->content_type[0] ?
	    e->content_type : NULL) != KC_OK ||
	    json_add_str(o, "fault", e->fault[0] ? e->fault : NULL) !=
	    KC_OK ||
	    json_add_str(o, "account", e->account[0] ? e->account : NULL) !=
	    KC_OK ||
	    json_add_str(o, "grant_type", e->grant_type[0] ? e->grant_type :
	    NULL) != KC_OK ||
	    json_add_int(o, "status", e->status) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void
requests_list(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_ctl		*c = app->ctl;
	struct json_object	*o = NULL, *arr = NULL, *e;
	uint64_t		 s;

	(void)req;
	if ((o = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL)
		goto fail;
	for (s = c->logfirst + 1; s <= c->logseq; s++) {
		if ((e = log_json(&c->log[(s - 1) % SBX_LOG_MAX])) == NULL ||
		    json_object_array_add(arr, e) != 0) {
			json_object_put(e);
			goto fail;
		}
	}
	if (json_add_obj(o, "requests", arr) != KC_OK) {
		arr = NULL;
		goto fail;
	}
	sbx_ctl_reply(resp, 200, o);
	return;
fail:
	json_object_put(arr);
	json_object_put(o);
	sbx_ctl_reply(resp, 500, NULL);
}

static struct json_object *
cents_json(int64_t cents)
{
	char buf[40];

	snprintf(buf, sizeof(buf), "%lld.%02lld", (long long)cents / 100,
	    (long long)cents % 100);
	return json_object_new_double_s((double)cents / 100.0, buf);
}

static void
fmt_date(int64_t wall, char *out, size_t len)
{
	int y, m, d;

	sbx_civil_from_days(wall / 86400, &y, &m, &d);
	snprintf(out, len, "%04d-%02d-%02d", y, m, d);
}

/*
 * What an account's store holds: its today, its history and the totals
 * tests check report sums against (docs/SANDBOX.md).
 */
static struct json_object *
store_json(const struct sbx_account *acc)
{
	const struct sbx_store	*st = acc->store;
	struct json_object	*o, *tot;
	int64_t			 cents[3] = { 0, 0, 0 }, n[3] = { 0, 0, 0 };
	int64_t			 ch[3] = { 0, 0, 0 }, sent = 0;
	char			 buf[40];
	size_t			 i;

	for (i = 0; i < st->norders; i++) {
		n[st->orders[i].kind]++;
		cents[st->orders[i].kind] += st->orders[i].cents;
	}
	for (i = 0; i < st->ncampaigns; i++) {
		ch[st->campaigns[i].channel]++;
		sent += st->campaigns[i].status == SBX_CS_SENT;
	}
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	fmt_date(acc->today, buf, sizeof(buf));
	if (json_add_str(o, "today", buf) != KC_OK ||
	    json_add_int(o, "history_days", st->ndays) != KC_OK)
		goto fail;
	fmt_date(st->first_wall, buf, sizeof(buf));
	if (json_add_str(o, "history_start", buf) != KC_OK ||
	    json_add_str(o, "placed_order_metric", acc->order_metric[0] ?
	    acc->order_metric : NULL) != KC_OK ||
	    json_add_str(o, "currency", acc->def->currency) != KC_OK ||
	    (tot = json_object_new_object()) == NULL ||
	    json_add_obj(o, "totals", tot) != KC_OK)
		goto fail;
	if (json_add_int(tot, "campaigns", (long long)st->ncampaigns) !=
	    KC_OK ||
	    json_add_int(tot, "campaigns_email", ch[SBX_CH_EMAIL]) != KC_OK ||
	    json_add_int(tot, "campaigns_sms", ch[SBX_CH_SMS]) != KC_OK ||
	    json_add_int(tot, "campaigns_mobile_push", ch[SBX_CH_PUSH]) !=
	    KC_OK ||
	    json_add_int(tot, "campaigns_sent", sent) != KC_OK ||
	    json_add_int(tot, "flows", (long long)st->nflows) != KC_OK ||
	    json_add_int(tot, "flow_messages", (long long)st->nmsgs) !=
	    KC_OK ||
	    json_add_int(tot, "forms", (long long)st->nforms) != KC_OK ||
	    json_add_int(tot, "form_versions", (long long)st->nvers) !=
	    KC_OK ||
	    json_add_int(tot, "segments", (long long)st->nsegments) != KC_OK ||
	    json_add_int(tot, "orders", (long long)st->norders) != KC_OK ||
	    sbx_add_new(tot, "order_value", cents_json(cents[0] + cents[1] +
	    cents[2])) != KC_OK ||
	    json_add_int(tot, "campaign_orders", n[SBX_OK_CAMPAIGN]) !=
	    KC_OK ||
	    sbx_add_new(tot, "campaign_order_value",
	    cents_json(cents[SBX_OK_CAMPAIGN])) != KC_OK ||
	    json_add_int(tot, "flow_orders", n[SBX_OK_FLOW]) != KC_OK ||
	    sbx_add_new(tot, "flow_order_value",
	    cents_json(cents[SBX_OK_FLOW])) != KC_OK ||
	    json_add_int(tot, "unattributed_orders", n[SBX_OK_NONE]) !=
	    KC_OK ||
	    sbx_add_new(tot, "unattributed_order_value",
	    cents_json(cents[SBX_OK_NONE])) != KC_OK)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

/*
 * GET /__sandbox/stats?totals=1: every account's requests summed, by
 * endpoint; report_requests are the POSTs to report endpoints that were
 * not throttled (those counted against the limits).
 */
static void
accounts_list(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct json_object	*o = NULL, *arr = NULL, *a = NULL, *sc;
	const struct sbx_account *acc;
	size_t			 i, b;

	(void)req;
	if ((o = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL)
		goto fail;
	/* The table's accounts; GET /__sandbox/fleet lists the others. */
	for (i = 0; i < app->data->nfixed; i++) {
		acc = &app->data->acc[i];
		if ((a = json_object_new_object()) == NULL ||
		    (sc = json_object_new_array()) == NULL)
			goto fail;
		for (b = 0; b < SBX_SC_NBITS; b++)
			if ((acc->def->scopes & (1u << b)) &&
			    json_object_array_add(sc, json_object_new_string(
			    sbx_scope_name(1u << b))) != 0) {
				json_object_put(sc);
				goto fail;
			}
		if (json_add_str(a, "key", acc->def->key) != KC_OK ||
		    json_add_str(a, "id", acc->id) != KC_OK ||
		    json_add_str(a, "name", acc->def->org) != KC_OK ||
		    json_add_obj(a, "scopes", sc) != KC_OK ||
		    json_add_str(a, "timezone", acc->def->timezone) != KC_OK ||
		    sbx_add_new(a, "store", store_json(acc)) != KC_OK ||
		    json_object_array_add(arr, a) != 0)
			goto fail;
		a = NULL;
	}
	if (json_add_obj(o, "accounts", arr) != KC_OK) {
		arr = NULL;
		goto fail;
	}
	arr = NULL;
	if (json_add_int(o, "fleet", (long long)(app->data->nacc -
	    app->data->nfixed)) != KC_OK)
		goto fail;
	sbx_ctl_reply(resp, 200, o);
	return;
fail:
	json_object_put(a);
	json_object_put(arr);
	json_object_put(o);
	sbx_ctl_reply(resp, 500, NULL);
}

static void
health(struct sbx_app *app, const struct sbx_req *req, struct sbx_resp *resp)
{
	(void)app;
	(void)req;
	ctl_ok(resp);
}

static void
faults_clear(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	(void)req;
	sbx_ctl_reply_int(resp, "cleared", (long long)app->ctl->nfaults);
	app->ctl->nfaults = 0;
}

static void
requests_clear(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_ctl *c = app->ctl;

	(void)req;
	sbx_ctl_reply_int(resp, "cleared", (long long)(c->logseq -
	    c->logfirst));
	c->logfirst = c->logseq;
}

static void
ratelimits_clear(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	(void)req;
	sbx_rate_reset(app->rate);
	ctl_ok(resp);
}

static const struct sbx_ctl_route routes[] = {
	{ "health", "GET", health },
	{ "accounts", "GET", accounts_list },
	{ "faults", "GET", faults_list },
	{ "faults", "POST", faults_add },
	{ "faults", "DELETE", faults_clear },
	{ "requests", "GET", requests_list },
	{ "requests", "DELETE", requests_clear },
	{ "ratelimits", "DELETE", ratelimits_clear },
	{ "stats", "GET", sbx_ctl_stats_list },
	{ "stats", "DELETE", sbx_ctl_stats_clear },
	{ "fleet", "GET", sbx_ctl_fleet },
};

void
sbx_ctl_dispatch(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp, const struct sbx_ctl_route *r, size_t n,
    const char *name)
{
	size_t	 i;
	int	 known = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(r[i].name, name) != 0)
			continue;
		if (strcmp(r[i].method, req->method) == 0) {
			r[i].fn(app, req, resp);
			return;
		}
		known = 1;
	}
	if (known)
		ctl_error(resp, 405, "method not allowed");
	else
		ctl_error(resp, 404, "unknown control endpoint");
}

void
sbx_ctl_handle(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	const char	*p = req->path + strlen("/__sandbox/");
	char		 name[64];
	size_t		 n;

	n = strcspn(p, "/");
	if (n >= sizeof(name) || (p[n] == '/' && p[n + 1] != '\0')) {
		ctl_error(resp, 404, "unknown control endpoint");
		return;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	sbx_ctl_dispatch(app, req, resp, routes, sizeof(routes) /
	    sizeof(routes[0]), name);
}
